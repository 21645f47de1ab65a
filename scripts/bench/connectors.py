"""Do connectors use a portal's rate limit fully without tripping it? A 10,000-ticket export against a limit.

    python scripts/bench/connectors.py [--tickets 10000] [--limit 30] [--window 10]
    python scripts/bench/connectors.py --zendesk-incremental [--tickets 50000] [--limit 10] [--window 6]
    python scripts/bench/connectors.py --case hubspot-search [--tickets 10000]
    python scripts/bench/connectors.py --case freshdesk-export [--tickets 40000]
    python scripts/bench/connectors.py --case jsm-export [--tickets 10000] [--limit 10] [--window 1]
    python scripts/bench/connectors.py --case rt-export [--tickets 10000]

hubspot-search: a listing through HubSpot's search API (a priority filter), whose simulator answers with no
X-HubSpot-RateLimit-* headers and refuses a sixth search in one second with 429, as "CRM API | Search" documents.
Budget: every ticket once, at most 2 answers of 429.

jsm-export: `export tickets` of a Jira Service Management customer's requests (50 a page, JSM's default `limit`)
against the simulator's rate limit (tests/connectors/sim_jsm.py): --limit requests per --window seconds (Jira Cloud's
request limits are per second), X-RateLimit-Limit / -Remaining on every answer, 429 with Retry-After past it. The
profile names the window (rate_window), which no Jira header says. Budget: as for Zendesk below.

freshdesk-export: an export past List Tickets' 300-page cap (40,000 tickets are 400 pages of 100), which the
simulator refuses with a 400. Budget: completes with every ticket exactly once.

rt-export: `portalctl export tickets` of --tickets tickets from a real Request Tracker (scripts/rt.sh starts one; its
tickets are made with RT's Perl API, scripts/bench/rt_tickets.pl), through REST2's TicketSQL search, 100 a page.
Prints rows per second. Budget: every ticket exactly once.

The Zendesk simulator (tests/connectors/sim_zendesk.py) enforces a fixed window: --limit requests per --window
seconds, every answer carrying X-Rate-Limit / ratelimit-limit, -remaining and -reset, and 429 with Retry-After past
the limit. The export is `client.tickets.list` with no limit (every state, 100 per page), what `portalctl export
tickets` runs; the pacing comes from portalctl.ratelimit through portalctl.http's session.

With --zendesk-incremental, an agent's `export tickets --incremental` of --tickets tickets through the cursor-based
incremental export (1,000 a page), whose own limit is 10 requests a minute (Zendesk's "Incremental Exports" page);
the window is shortened (--window seconds) so the run takes seconds, the ratio being what is measured. The profile
names the same limit (incremental_limit / incremental_window), as a High Volume account would name its 30.

Budget: requests per second achieved >= 90% of the ceiling (limit / window), with no burst of 429s (at most 2).
Exit status: 0 within budget, 1 over.
"""

from __future__ import annotations

import argparse
import csv
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
    parser.add_argument("--case", choices=("zendesk", "hubspot-search", "freshdesk-export", "jsm-export",
                                           "rt-export"),
                        default="zendesk")
    parser.add_argument("--tickets", type=int, default=None, help="10,000 (40,000 for freshdesk-export)")
    parser.add_argument("--limit", type=int, default=30, help="requests allowed per window")
    parser.add_argument("--window", type=float, default=10.0, help="the window's length in seconds")
    parser.add_argument("--unpaced", action="store_true",
                        help="turn the pacing off (a control: the 429s and Retry-After waits it saves)")
    parser.add_argument("--zendesk-incremental", action="store_true",
                        help="measure an agent's incremental export instead (defaults: 50,000 tickets, 10 per 6 s)")
    args = parser.parse_args()
    if args.zendesk_incremental:
        return incremental(args)
    args.tickets = args.tickets or (40_000 if args.case == "freshdesk-export" else 10_000)

    with tempfile.TemporaryDirectory() as home:
        for key in [k for k in os.environ if k.startswith("PORTALCTL_")]:
            del os.environ[key]
        os.environ["PORTALCTL_HOME"] = home
        os.environ["PORTALCTL_KEYRING"] = "0"
        if args.case == "hubspot-search":
            return hubspot_search(args.tickets)
        if args.case == "freshdesk-export":
            return freshdesk_export(args.tickets)
        if args.case == "jsm-export":
            return jsm_export(args.tickets, 10 if args.limit == 30 else args.limit,
                              1.0 if args.window == 10.0 else args.window)
        if args.case == "rt-export":
            return rt_export(args.tickets, Path(home))

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
    print(f"tickets exported      {count}")
    print(f"requests (served)     {served}")
    return paced_verdict(count == args.tickets, served / elapsed, sim.count_429, args.limit, args.window,
                         f"{elapsed:.1f} s (paced {session.pacer.waited:.1f} s)")


def paced_verdict(complete: bool, rate: float, count_429: int, limit: int, window: float, elapsed: str) -> int:
    """Print how close a paced export came to the rate-limit ceiling; 0 when it was complete and within budget."""
    ceiling = limit / window
    share = rate / ceiling
    ok = complete and share >= MIN_SHARE and count_429 <= MAX_429
    print(f"429 answers           {count_429} (budget <= {MAX_429})")
    print(f"elapsed               {elapsed}")
    print(f"ceiling               {ceiling:.2f} requests/s ({limit} per {window:g} s)")
    print(f"achieved              {rate:.2f} requests/s = {share:.0%} of the ceiling (budget >= {MIN_SHARE:.0%})")
    print("ok" if ok else "OVER BUDGET")
    return 0 if ok else 1


def incremental(args: argparse.Namespace) -> int:
    """`portalctl export tickets --incremental` as a Zendesk agent, against the export's own limit."""
    tickets = args.tickets or 50_000
    limit = 10 if args.limit == 30 else args.limit  # the export's own limit, unless one is named
    window = 6.0 if args.window == 10.0 else args.window
    with tempfile.TemporaryDirectory() as home:
        for key in [k for k in os.environ if k.startswith("PORTALCTL_")]:
            del os.environ[key]
        os.environ["PORTALCTL_HOME"] = home
        os.environ["PORTALCTL_KEYRING"] = "0"
        os.environ["PORTALCTL_PROFILE"] = "bench"

        from click.testing import CliRunner

        from portalctl.cli import root as cli
        from portalctl.config import Profile, UserConfig
        from portalctl.secrets import SecretStore
        from tests.connectors.sim_zendesk import ZendeskSim

        sim = ZendeskSim(export_limit=limit, export_window=window)
        sim.tokens["agent@acme.zendesk.test"] = "bench-token"
        requester = sim.add_user("bench@cliente.test", "Bench")
        sim.bulk_requests(tickets, requester)
        server = sim.start()
        try:
            UserConfig().put(Profile(name="bench", backend="zendesk", url=sim.url, user="agent@acme.zendesk.test",
                                     options={"role": "agent", "incremental_limit": str(limit),
                                              "incremental_window": str(window)}))
            SecretStore().set("bench", "bench-token")
            out, state = Path(home) / "tickets.csv", Path(home) / "state.json"
            sim.hits = sim.count_429 = 0
            started = time.monotonic()
            result = CliRunner().invoke(cli, ["export", "tickets", "-o", str(out), "--incremental", str(state)])
            elapsed = time.monotonic() - started
            with out.open(newline="", encoding="utf-8") as handle:
                ids = [row["id"] for row in csv.DictReader(handle)] if result.exit_code == 0 else []
            exported = len(set(ids)) if len(set(ids)) == len(ids) else -1  # -1: a ticket came twice
            calls = sum(1 for line in sim.log[-sim.hits:] if "/incremental/" in line)
        finally:
            server.shutdown()
            server.server_close()
    if result.exit_code != 0:
        print(result.output)
        return 1
    served = calls - sim.count_429
    # n evenly spaced requests take (n - 1) intervals at the ceiling: the time the limit itself imposes
    rate = (served - 1) / elapsed if served > 1 else 0.0
    print(f"tickets exported      {exported} of {tickets}")
    print(f"export requests       {served} served ({calls} sent)")
    return paced_verdict(exported == tickets, rate, sim.count_429, limit, window, f"{elapsed:.1f} s")


def hubspot_search(tickets: int) -> int:
    """A HubSpot search listing of every ticket (a priority filter makes it a search), against the search limit."""
    from portalctl.client import Client
    from portalctl.config import Profile
    from portalctl.contract import TicketQuery
    from portalctl.secrets import SecretStore
    from tests.connectors.sim_hubspot import SEARCH_PER_SECOND, TOKEN, HubSpotSim

    with HubSpotSim() as sim:
        sim.bulk_tickets(tickets)
        SecretStore().set("bench", TOKEN)
        client = Client(Profile(name="bench", backend="hubspot", url=sim.url))
        started = time.monotonic()
        ids = [t.id for t in client.tickets.list(TicketQuery(priorities=["high"], limit=None, sort="id"))]
        elapsed = time.monotonic() - started
    searches = sum(1 for _, path in sim.requests if path.endswith("/tickets/search"))
    ok = sorted(ids) == sorted(sim.tickets) and len(ids) == len(set(ids)) and sim.search_429s <= MAX_429
    print(f"tickets listed        {len(ids)} of {tickets} ({len(ids) - len(set(ids))} twice)")
    print(f"searches              {searches} ({searches / elapsed:.2f}/s; HubSpot's limit {SEARCH_PER_SECOND}/s)")
    print(f"429 answers           {sim.search_429s} (budget <= {MAX_429})")
    print(f"elapsed               {elapsed:.1f} s")
    print("ok" if ok else "OVER BUDGET")
    return 0 if ok else 1


def jsm_export(tickets: int, limit: int, window: float) -> int:
    """`portalctl export tickets` as a JSM customer, against the simulator's per-second limit."""
    from click.testing import CliRunner

    from portalctl.cli import root as cli
    from portalctl.config import Profile, UserConfig
    from portalctl.secrets import SecretStore
    from tests.connectors.sim_jsm import CUSTOMER, TOKEN, JsmSim

    sim = JsmSim(limit=limit, window=window, judge=False)  # the judge's checks belong to the tests, not to speed
    sim.bulk_requests(tickets)
    os.environ["PORTALCTL_PROFILE"] = "bench"
    UserConfig().put(Profile(name="bench", backend="jsm", url=sim.url, user=CUSTOMER,
                             options={"rate_window": str(window)}))
    SecretStore().set("bench", TOKEN)
    out = Path(os.environ["PORTALCTL_HOME"]) / "requests.csv"
    with sim.serving():
        sim.hits = sim.count_429 = 0
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["export", "tickets", "-o", str(out), "--status", "all"])
        elapsed = time.monotonic() - started
    if result.exit_code != 0:
        print(result.output)
        return 1
    with out.open(newline="", encoding="utf-8") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    served = sim.hits - sim.count_429
    rate = (served - 1) / elapsed if served > 1 else 0.0  # n requests at the ceiling take n - 1 intervals
    print(f"requests exported     {len(set(ids))} of {tickets}")
    print(f"requests (served)     {served}")
    return paced_verdict(len(ids) == len(set(ids)) == tickets, rate, sim.count_429, limit, window,
                         f"{elapsed:.1f} s")


def freshdesk_export(tickets: int) -> int:
    """A Freshdesk export of every ticket, past List Tickets' 300-page cap."""
    from datetime import UTC, datetime, timedelta

    from portalctl.client import Client
    from portalctl.config import Profile
    from portalctl.contract import TicketQuery
    from portalctl.secrets import SecretStore
    from tests.connectors.sim_freshdesk import API_KEY, LAST_TICKETS_PAGE, Simulator

    with Simulator() as sim:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        made = {sim.seed_ticket(subject=f"Caso {n}", email="bench@cliente.test", created=start + timedelta(seconds=n))
                for n in range(tickets)}
        SecretStore().set("bench", API_KEY)
        client = Client(Profile(name="bench", backend="freshdesk", url=sim.url))
        started = time.monotonic()
        ids = [t.id for t in client.tickets.list(TicketQuery(statuses=["all"], limit=None))]
        elapsed = time.monotonic() - started
        pages = sum(1 for _, path in sim.state.requests if path.split("?")[0] == "/api/v2/tickets")
    ok = set(ids) == made and len(ids) == len(made)
    print(f"tickets exported      {len(ids)} of {tickets} ({len(ids) - len(set(ids))} twice, "
          f"{len(made - set(ids))} missing)")
    print(f"pages read            {pages} (List Tickets serves {LAST_TICKETS_PAGE} at most per walk)")
    print(f"elapsed               {elapsed:.1f} s ({len(ids) / elapsed:,.0f} tickets/s)")
    print("ok" if ok else "OVER BUDGET")
    return 0 if ok else 1


def rt_export(tickets: int, home: Path) -> int:
    """An export of every ticket of a real RT, through the CLI as a user runs it."""
    import subprocess

    from click.testing import CliRunner

    from portalctl.cli import root as cli
    from portalctl.config import Profile, UserConfig
    from portalctl.secrets import SecretStore

    folder = home / "rt"
    script = ROOT / "scripts" / "rt.sh"
    config = {"RT_SITE_CONFIG": str(folder / "etc" / "RT_SiteConfig.pm"),
              "RT_SITE_CONFIG_DIR": str(folder / "etc" / "RT_SiteConfig.d"), "RT_NOTIFY": "off"}

    def step(*command: str) -> str:
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **config}, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    found = dict(line.split("=", 1) for line in step("bash", str(script), "start", str(folder)).splitlines())
    try:
        made = float(step("perl", "-I/usr/share/request-tracker5/lib", str(ROOT / "scripts/bench/rt_tickets.pl"),
                          str(tickets)))
        UserConfig().put(Profile(name="bench", backend="rt", url=found["RT_URL"], options={"queue": "General"}))
        SecretStore().set("bench", found["RT_TOKEN"])
        out = home / "tickets.csv"
        began = time.monotonic()
        result = CliRunner().invoke(cli, ["export", "tickets", "-o", str(out), "--status", "all"],
                                    env={"PORTALCTL_PROFILE": "bench"})
        elapsed = time.monotonic() - began
    finally:
        subprocess.run(["bash", str(script), "stop", str(folder)], capture_output=True, check=False)
    if result.exit_code != 0:
        print(result.output)
        return 1
    with out.open(newline="", encoding="utf-8") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    ok = len(ids) == len(set(ids)) == tickets
    print(f"tickets made          {tickets} in {made:.1f} s ({tickets / made:,.0f}/s, RT's Perl API)")
    print(f"tickets exported      {len(set(ids))} of {tickets} ({len(ids) - len(set(ids))} twice)")
    print(f"elapsed               {elapsed:.1f} s ({len(ids) / elapsed:,.0f} rows/s, {-(-tickets // 100)} pages)")
    print("ok" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
