"""How close does `portalctl serve` come to the floor of its stack when reading tickets?

    python scripts/bench/server.py [--home DIR] [--tickets 100000] [--seconds 10] [--threads 2] [--connections 16]
                                   [--workers 1,2] [--rounds 1] [--load-seconds 20] [--postgres ADMIN_URL]

On one generated portal (generate.py, reused from --home when there) and copies of its file, one after the other:
the floor (scripts/bench/floor.py: bare Starlette + sqlite3, one process, no sign-in), then `portalctl serve
--workers N` for each N. Each is driven by `wrk` (Debian's package, installed when missing and we are root) on
GET /api/v1/tickets?limit=50 and GET /api/v1/tickets/{id} with an admin's token. Prints req/s, p50 and p99 per
endpoint and the ratio to the floor, with the load average (the machine is shared: compare ratios of one run).

Then (--load-seconds, 20 by default; 0 skips it) the write figures: scripts/bench/load.py's 50 clients creating,
showing, replying and listing against `portalctl serve` on SQLite and, with --postgres or PORTALCTL_TEST_POSTGRES,
on PostgreSQL, with its budgets (create and reply p99 <= 300 ms on SQLite; PostgreSQL's list p50 <= 1.5x SQLite's).

Budget: with one worker, each endpoint's req/s >= 0.6x the floor's. Exit status 0 when every budget is met (the
load run's included), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchlib import table, wait_until_serving

HERE = Path(__file__).resolve().parent
BUDGET = 0.6
ENDPOINTS = {"list 50": "/api/v1/tickets?limit=50", "show": "/api/v1/tickets/{id}"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="reuse (or build) the generated portal here")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration per endpoint (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument("--workers", default="1,2", help="`serve --workers` values to measure (default 1,2)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over every target; medians are printed")
    parser.add_argument("--load-seconds", type=int, default=20,
                        help="then load.py's write load for this long (0: none) on SQLite, and on PostgreSQL with"
                             " --postgres (default 20)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=os.environ.get("PORTALCTL_TEST_POSTGRES"),
                        help="for the load on PostgreSQL (default: env PORTALCTL_TEST_POSTGRES)")
    return parser.parse_args()


@dataclass
class Result:
    rps: float
    p50: float  # ms
    p99: float  # ms
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    print("installing wrk (apt-get)", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True,
                   stdout=sys.stderr, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or "wrk"


def portal_file(home: Path, tickets: int) -> Path:
    db = home / "data" / "portal.db"
    if not db.exists():
        print(f"building a portal of {tickets:,} tickets in {home} (generate.py)", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--home", str(home), "--tickets", str(tickets)],
                       check=True, stdout=subprocess.DEVNULL)
    return db


def admin_token(db: Path) -> str:
    """A fresh token for the portal's admin, made through the engine."""
    from portalctl.engine.auth import TokenService
    from portalctl.engine.portal import Portal

    portal = Portal(db)
    try:
        admin = portal.conn.execute("SELECT email FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").fetchone()[0]
        token = TokenService(portal.session(admin)).create(name=f"bench-{os.getpid()}", expires_days=1).token
        portal.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return token
    finally:
        portal.close()


def conversation_ticket(db: Path) -> int:
    """A ticket with a typical conversation (3 to 5 comments) to show."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT ticket_id FROM comments GROUP BY ticket_id HAVING count(*) BETWEEN 3 AND 5"
                           " ORDER BY ticket_id DESC LIMIT 1").fetchone()
    return int(row[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(argv: list[str], url: str, log: Path, env: dict[str, str]) -> Iterator[None]:
    """A server process, ready once /api/v1/health answers; stopped with SIGTERM."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_serving(process, f"{url}/api/v1/health", log)
            yield
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(binary: str, url: str, token: str, args: argparse.Namespace) -> Result:
    output = subprocess.run(
        [binary, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        check=True, capture_output=True, text=True,
    ).stdout

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(found[1]) * UNITS[found[2]] if found else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(failed[1]) if failed else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Result(float(rps[1]) if rps else 0.0, latency("50"), latency("99"), errors)


def measure(name: str, url: str, token: str, ticket_id: int, binary: str, args: argparse.Namespace
            ) -> dict[str, Result]:
    results = {}
    for endpoint, path in ENDPOINTS.items():
        target = url + path.format(id=ticket_id)
        wrk(binary, target, token, argparse.Namespace(**{**vars(args), "seconds": 2}))  # warm-up
        results[endpoint] = wrk(binary, target, token, args)
        found = results[endpoint]
        print(f"  {name:<22} {endpoint:<8} {found.rps:8.0f} req/s  p50 {found.p50:6.1f} ms  p99 {found.p99:6.1f} ms"
              f"  errors {found.errors}", file=sys.stderr)
    return results


def supports_workers(env: dict[str, str]) -> bool:
    shown = subprocess.run([sys.executable, "-m", "portalctl", "serve", "--help"], env=env, capture_output=True,
                           text=True).stdout
    return "--workers" in shown


def main() -> int:
    args = parse_args()
    binary = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="portalctl-serve-bench-"))
    try:
        status = run(args, binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # copies, logs and, without --home, the generated portal
    if args.load_seconds:
        print(f"\nWrites: load.py, {args.load_seconds} s", flush=True)
        load = [sys.executable, str(HERE / "load.py"), "--skip-export", "--seconds", str(args.load_seconds)]
        status = subprocess.run([*load, *(["--postgres", args.postgres] if args.postgres else [])]).returncode or status
    return status


def run(args: argparse.Namespace, binary: str, work: Path) -> int:
    home = (args.home or work / "portal").expanduser().resolve()
    source = portal_file(home, args.tickets)
    token = admin_token(source)
    ticket_id = conversation_ticket(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    env.update(PORTALCTL_HOME=str(work / "server-home"), PORTALCTL_KEYRING="0")
    workers = [int(n) for n in args.workers.split(",")]
    with_workers = supports_workers(env)
    if not with_workers:
        print("this portalctl serve has no --workers: measuring one process", file=sys.stderr)
        workers = [1]

    targets: dict[str, list[str]] = {"floor (1 worker)": [sys.executable, str(HERE / "floor.py"), "--db"]}
    for count in workers:
        extra = ["--workers", str(count)] if with_workers else []
        targets[f"serve --workers {count}"] = [sys.executable, "-m", "portalctl", "serve", *extra, "--db"]
    samples: dict[str, dict[str, list[Result]]] = {name: {e: [] for e in ENDPOINTS} for name in targets}
    load_before = os.getloadavg()
    for round_ in range(args.rounds):
        for name, argv in targets.items():
            copy = work / f"copy-{round_}-{len(samples[name]['show'])}-{name.split()[-2]}.db"
            shutil.copyfile(source, copy)
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            with running([*argv, str(copy), "--port", str(port)], url, work / "server.log", env):
                for endpoint, result in measure(name, url, token, ticket_id, binary, args).items():
                    samples[name][endpoint].append(result)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    load_after = os.getloadavg()

    def med(results: list[Result], attribute: str) -> float:
        return float(statistics.median(getattr(r, attribute) for r in results))

    floor = {e: med(samples["floor (1 worker)"][e], "rps") for e in ENDPOINTS}
    rows, missed = [], []
    for name in targets:
        count = 1 if name.startswith("floor") else int(name.split()[-1])
        for endpoint in ENDPOINTS:
            results = samples[name][endpoint]
            rps = med(results, "rps")
            ratio = rps / floor[endpoint] if floor[endpoint] else 0.0
            errors = sum(r.errors for r in results)
            rows.append((f"{name}: {endpoint}", f"{rps:,.0f}", f"{med(results, 'p50'):.1f}",
                         f"{med(results, 'p99'):.1f}", f"{ratio:.2f}", f"{ratio / count:.2f}", str(errors)))
            if not name.startswith("floor") and (errors or (count == 1 and ratio < BUDGET)):
                missed.append(f"{name} {endpoint}: {ratio:.2f}x the floor, {errors} errors")
    print(f"portal: {source} ({args.tickets:,} tickets), show ticket #{ticket_id}; "
          f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {args.rounds} round(s); "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {os.cpu_count()} CPUs")
    print(table(["target: endpoint", "req/s", "p50 ms", "p99 ms", "x floor", "x floor/worker", "errors"], rows))
    if missed:
        print(f"budget missed (one worker >= {BUDGET}x the floor, no errors):\n  " + "\n  ".join(missed))
        return 1
    print(f"budget met: one worker >= {BUDGET}x the floor on every endpoint, no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
