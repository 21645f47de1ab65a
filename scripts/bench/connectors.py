"""Do connectors use a portal's rate limit fully without tripping it? A 10,000-ticket export against a limit.

    python scripts/bench/connectors.py [--tickets 10000] [--limit 30] [--window 10]

The Zendesk simulator (tests/connectors/sim_zendesk.py) enforces a fixed window: --limit requests per --window
seconds, every answer carrying X-Rate-Limit / ratelimit-limit, -remaining and -reset, and 429 with Retry-After past
the limit. The export is `client.tickets.list` with no limit (every state, 100 per page), what `portalctl export
tickets` runs; the pacing comes from portalctl.ratelimit through portalctl.http's session.

Budget: requests per second achieved >= 90% of the ceiling (limit / window), with no burst of 429s (at most 2).
Exit status: 0 within budget, 1 over.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "cli"))

MIN_SHARE = 0.9
MAX_429 = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=30, help="requests allowed per window")
    parser.add_argument("--window", type=float, default=10.0, help="the window's length in seconds")
    parser.add_argument("--unpaced", action="store_true",
                        help="turn the pacing off (a control: the 429s and Retry-After waits it saves)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        for key in [k for k in os.environ if k.startswith("PORTALCTL_")]:
            del os.environ[key]
        os.environ["PORTALCTL_HOME"] = home
        os.environ["PORTALCTL_KEYRING"] = "0"

        from portalctl.client import Client
        from portalctl.config import Profile
        from portalctl.contract import TicketQuery
        from portalctl.secrets import SecretStore
        from tests.connectors.sim_zendesk import ZendeskSim

        sim = ZendeskSim(limit=args.limit, window=args.window)
        requester = sim.add_user("bench@cliente.test", "Bench", token="bench-token")
        sim.bulk_requests(args.tickets, requester)
        server = sim.start()
        try:
            SecretStore().set("bench", "bench-token")
            client = Client(Profile(name="bench", backend="zendesk", url=sim.url, user="bench@cliente.test"))
            if args.unpaced:
                client.backend.api.session.pacer.low = 0.0  # type: ignore[attr-defined]
            sim.enforce = True
            sim.hits = sim.count_429 = 0
            started = time.monotonic()
            count = sum(1 for _ in client.tickets.list(TicketQuery(statuses=["all"], limit=None)))
            elapsed = time.monotonic() - started
        finally:
            server.shutdown()
            server.server_close()

    session = client.backend.api.session  # type: ignore[attr-defined]
    served = sim.hits - sim.count_429
    ceiling = args.limit / args.window
    rate = served / elapsed
    share = rate / ceiling
    ok = count == args.tickets and share >= MIN_SHARE and sim.count_429 <= MAX_429
    print(f"tickets exported      {count}")
    print(f"requests (served)     {served}")
    print(f"429 answers           {sim.count_429} (budget <= {MAX_429})")
    print(f"elapsed               {elapsed:.1f} s (paced {session.pacer.waited:.1f} s)")
    print(f"ceiling               {ceiling:.2f} requests/s ({args.limit} per {args.window:g} s)")
    print(f"achieved              {rate:.2f} requests/s = {share:.0%} of the ceiling (budget >= {MIN_SHARE:.0%})")
    print("ok" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
