"""Does the server hold up under a team, and does the server backend stream as fast as the embedded one?

    python scripts/bench/load.py [--seconds 60] [--clients 50] [--tickets 100000] [--home DIR] [--skip-load]
                                 [--skip-export] [--postgres ADMIN_URL] [--proxy] [--workers N]

Load: a real `portalctl serve` process on a fresh SQLite portal (and, with --postgres or PORTALCTL_TEST_POSTGRES,
again on a new PostgreSQL database made with that admin URL), and --clients threads (50), each its own
portalctl.client.Client (so its own requests session and token), for --seconds (60). Customers open a ticket,
show it, reply to it and list their tickets; agents list the queue, show the newest ticket and answer it. Then:
zero errors, and the portal holds exactly the tickets and comments the clients were told were made.
Prints requests/s and p50/p99 latency of list, show, create and reply (every call is one HTTP request), as the
clients time them and as the server's access log does (the difference: waiting for a CPU, for the event loop, in
the clients' GIL). --workers N sets `serve --workers` (default: serve's, one per CPU).
Budgets: on SQLite, create and reply p99 <= 300 ms; PostgreSQL's list p50 <= 1.5x SQLite's in the same run.

With --proxy, the load runs on PostgreSQL only, through the two-host layout of examples/nginx/portalctl.conf:
nginx (Debian's) in front of two `portalctl serve --workers 1 --trusted-proxy 127.0.0.1` processes, stand-ins for
hosts, on one database and one attachment folder. The same checks hold: zero errors, counts match.

Export: every one of --tickets tickets (100,000, a portal from generate.py; reused from --home when there)
through `client.tickets.list(TicketQuery(statuses=all, limit=None))` on the server backend (GET /export/tickets,
NDJSON) and on the embedded backend, in-process, interleaved, median of three rounds after a warm-up.
Budget: the server backend's rows/s >= 0.6x the embedded backend's.

Exit status: 0 when every check passes and every budget is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from benchlib import table, wait_until_serving

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for tests.nginx


from portalctl.client import Client
from portalctl.config import Profile
from portalctl.contract import TicketDraft, TicketQuery, TicketsAPI
from portalctl.engine.accounts import bootstrap_admin, hash_password
from portalctl.engine.db import transaction
from portalctl.engine.portal import Portal
from portalctl.model import STATES, Ticket
from portalctl.secrets import SecretStore
from tests.nginx import NginxUnavailable, nginx_binary, start_nginx

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
EXPORT_BUDGET = 0.6
WRITE_P99 = 300  # ms: create and reply with --clients on SQLite
PG_LIST_RATIO = 1.5  # PostgreSQL's list p50 / SQLite's, same run
PASSWORD = "bench-password-2025"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets in the export portal (default 100k)")
    parser.add_argument("--home", type=Path, help="reuse (or build) the export portal here")
    parser.add_argument("--rounds", type=int, default=3, help="export rounds per backend (default 3)")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--postgres", metavar="ADMIN_URL", default=os.environ.get("PORTALCTL_TEST_POSTGRES"),
                        help="also run the load on PostgreSQL: a URL allowed to CREATE DATABASE "
                             "(default: env PORTALCTL_TEST_POSTGRES, as scripts/test.sh sets it)")
    parser.add_argument("--workers", type=int, help="serve --workers (default: serve's own, one per CPU)")
    parser.add_argument("--proxy", action="store_true",
                        help="run the load on PostgreSQL through nginx in front of two server processes "
                             "(examples/nginx/portalctl.conf)")
    args = parser.parse_args()
    if args.proxy and not args.postgres:
        parser.error("--proxy needs PostgreSQL: --postgres ADMIN_URL or PORTALCTL_TEST_POSTGRES")
    return args


# --- a real server process
@dataclass
class Served:
    """A running `portalctl serve`: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]

    def cpu(self) -> float:
        """CPU seconds the server's processes (the supervisor and its workers) have used so far (Linux /proc), to
        say which side a budget is lost on."""
        return process_tree_cpu(self.process.pid)


def process_tree_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # gone meanwhile
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return own + sum(process_tree_cpu(int(child)) for child in children)


@dataclass(frozen=True)
class Store:
    """A portal's database (a file, or a PostgreSQL URL) and the folder for its attachments and logs."""

    location: Path | str
    folder: Path

    def open(self, *, create: bool = False) -> Portal:
        return Portal(self.location, create=create, blob_dir=self.folder / "attachments")

    def count(self, sql: str) -> Any:
        portal = self.open()
        try:
            return portal.conn.execute(sql).fetchall()
        finally:
            portal.close()


def new_postgres_database(admin_url: str) -> str:
    import psycopg

    name = f"portalctl_load_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return admin_url.rsplit("/", 1)[0] + "/" + name


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(store: Store, log: Path, *extra: str) -> Iterator[Served]:
    """`python -m portalctl serve` on a free loopback port, ready once /health answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    env.update(PORTALCTL_HOME=str(log.parent / "server-home"), PORTALCTL_KEYRING="0")
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "portalctl", "serve", "--port", str(port), "--db",
                                    str(store.location), "--attachments", str(store.folder / "attachments"),
                                    "--log-format", "json", *extra],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_serving(process, f"{url}/api/v1/health", log)
            yield Served(url, process)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Target:
    """Where the clients send their requests, and the CPU seconds used so far behind it."""

    url: str
    servers: Callable[[], float]
    proxy: Callable[[], float] | None = None


@contextmanager
def target(store: Store, folder: Path, proxy: bool, workers: int | None = None) -> Iterator[Target]:
    """One `portalctl serve`, or (proxy) nginx in front of two on the same database and attachment folder."""
    if not proxy:
        with serving(store, folder / "server.log", *(("--workers", str(workers)) if workers else ())) as served:
            yield Target(served.url, served.cpu)
        return
    binary = nginx_binary()
    if binary is None:
        raise SystemExit("--proxy needs nginx: apt-get install nginx")
    host = ("--workers", "1", "--trusted-proxy", "127.0.0.1")
    with (serving(store, folder / "server-1.log", *host) as first,
          serving(store, folder / "server-2.log", *host) as second):
        try:
            nginx = start_nginx(binary, free_port(), [first.url.removeprefix("http://"),
                                                      second.url.removeprefix("http://")], folder / "nginx")
        except NginxUnavailable as exc:
            raise SystemExit(f"--proxy: {exc}") from exc
        try:
            yield Target(nginx.url, lambda: first.cpu() + second.cpu(), lambda: process_tree_cpu(nginx.process.pid))
        finally:
            nginx.stop()


def cpu_now() -> float:
    """CPU seconds this process (all its client threads) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def set_passwords(store: Store, emails: list[str]) -> None:
    hashed = hash_password(PASSWORD)  # one hash for all: scrypt is slow on purpose
    portal = store.open()
    try:
        with transaction(portal.conn):
            for email in emails:
                portal.conn.execute("UPDATE users SET password_hash = ? WHERE email = ?", (hashed, email))
    finally:
        portal.close()


def server_client(url: str, email: str) -> Client:
    """A Client signed in as `email` the way `auth login` does it: POST /auth/login, token in the store."""
    answer = requests.post(f"{url}/api/v1/auth/login", json={"email": email, "password": PASSWORD,
                                                             "token_name": "bench"}, timeout=60)
    answer.raise_for_status()
    name = email.replace("@", "_")
    SecretStore().set(name, answer.json()["token"])
    return Client(Profile(name=name, backend="server", url=url))


# --- load
@dataclass
class Tally:
    """What one client did and was told, and how long each call took."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    ticket_ids: set[int] = field(default_factory=set)
    comments: int = 0
    errors: list[str] = field(default_factory=list)

    def timed(self, op: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        start = time.perf_counter()
        result = call(*args, **kwargs)
        self.latencies[op].append(time.perf_counter() - start)
        return result


def seed_load_portal(store: Store, customers: int, agents: int) -> tuple[list[str], list[str]]:
    portal = store.open(create=True)
    bootstrap_admin(portal, email="admin@load.test", name="Admin")
    accounts = portal.session("admin@load.test").accounts
    for number in range(5):
        accounts.add_organization(name=f"Org {number}", shared_tickets=number % 2 == 0)
    customer_emails = [f"customer{n}@org{n % 5}.test" for n in range(customers)]
    for n, email in enumerate(customer_emails):
        accounts.add_user(email=email, name=f"Customer {n}", organization=f"org-{n % 5}")
    agent_emails = [f"agent{n}@load.test" for n in range(agents)]
    for n, email in enumerate(agent_emails):
        accounts.add_user(email=email, name=f"Agent {n}", role="agent")
    portal.close()
    return customer_emails, agent_emails


def listed(tickets: TicketsAPI, query: TicketQuery) -> list[Ticket]:
    """A listing read to the end: what a person waits for before seeing the table."""
    return list(tickets.list(query))


def customer_loop(client: Client, tally: Tally, deadline: float, number: int) -> None:
    tickets = client.tickets
    round_ = 0
    while time.monotonic() < deadline:
        round_ += 1
        draft = TicketDraft(subject=f"Load {number}-{round_}: la VPN no conecta", body="Desde esta mañana no conecta.")
        ticket = tally.timed("create", tickets.create, draft)
        tally.ticket_ids.add(ticket.id)
        tally.comments += 1
        tally.timed("show", tickets.get, ticket.id)
        tally.timed("reply", tickets.reply, ticket.id, body="Sigue igual.")
        tally.comments += 1
        tally.timed("list", listed, tickets, TicketQuery(limit=30))


def agent_loop(client: Client, tally: Tally, deadline: float, number: int) -> None:
    tickets = client.tickets
    rng = random.Random(number)
    while time.monotonic() < deadline:
        queue = tally.timed("list", listed, tickets, TicketQuery(statuses=["new", "open"], limit=30))
        if not queue:
            time.sleep(0.05)
            continue
        chosen = rng.choice(queue)
        tally.timed("show", tickets.get, chosen.id)
        tally.timed("reply", tickets.reply, chosen.id, body="Estamos revisando.")
        tally.comments += 1


def run_load(args: argparse.Namespace, work: Path, database: str) -> LoadResult:
    folder = work / f"load-{database}"
    folder.mkdir(parents=True)
    store = Store(new_postgres_database(args.postgres) if database == "postgresql" else folder / "portal.db", folder)
    agents = max(1, args.clients // 5)
    customers, agent_emails = seed_load_portal(store, args.clients - agents, agents)
    set_passwords(store, customers + agent_emails)
    with target(store, folder, args.proxy, args.workers) as served:
        clients = [(server_client(served.url, email), email in agent_emails) for email in customers + agent_emails]
        tallies = [Tally() for _ in clients]
        deadline = time.monotonic() + args.seconds

        def work_as(index: int) -> None:
            client, is_agent = clients[index]
            try:
                (agent_loop if is_agent else customer_loop)(client, tallies[index], deadline, index)
            except Exception as exc:  # one client's failure is a finding, not the end of the run
                tallies[index].errors.append(f"{type(exc).__name__}: {exc}")

        print(f"load on {database}: {len(clients)} clients ({len(agent_emails)} agents) for {args.seconds:.0f} s"
              f" on {served.url}", file=sys.stderr)
        proxy_cpu = served.proxy() if served.proxy else 0.0
        started, client_cpu, server_cpu = time.perf_counter(), cpu_now(), served.servers()
        threads = [threading.Thread(target=work_as, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed, client_cpu, server_cpu = (time.perf_counter() - started, cpu_now() - client_cpu,
                                           served.servers() - server_cpu)
        proxy_cpu = served.proxy() - proxy_cpu if served.proxy else 0.0
    stored_ids = {row[0] for row in store.count("SELECT id FROM tickets")}
    stored_comments = store.count("SELECT COUNT(*) FROM comments")[0][0]
    told_ids = set().union(*(t.ticket_ids for t in tallies))
    told_comments = sum(t.comments for t in tallies)
    errors = [e for t in tallies for e in t.errors]
    by_op: dict[str, list[float]] = defaultdict(list)
    for tally in tallies:
        for op, values in tally.latencies.items():
            by_op[op].extend(values)
    total = sum(len(v) for v in by_op.values())
    inside = server_times(folder)
    result = LoadResult(False, {op: statistics.median(v) * 1000 for op, v in by_op.items() if v},
                        {op: percentile(v, 99) * 1000 for op, v in by_op.items() if v})
    rows = [[op, f"{len(v):,}", f"{len(v) / elapsed:,.0f}", f"{result.p50[op]:.1f}", f"{result.p99[op]:.1f}",
             *((f"{statistics.median(inside[op]):.1f}", f"{percentile(inside[op], 99):.1f}") if inside.get(op)
               else ("-", "-"))] for op, v in sorted(by_op.items()) if v]
    where = f"{database} through nginx to two server processes" if args.proxy else database
    print(f"\nLoad on {where}: {total:,} requests in {elapsed:.1f} s = {total / elapsed:,.0f} requests/s;"
          f" load average {os.getloadavg()[0]:.2f}")
    print(table(["call", "requests", "per s", "p50 ms", "p99 ms", "in server p50", "p99"], rows, indent="  "))
    print("  (in server: from the request's arrival to its answer, as the server's access log times it; the rest"
          " is\n  waiting for a CPU, for the event loop, in the clients' GIL and on the network)")
    nginx = f", nginx {proxy_cpu / total * 1000:.1f} ms" if args.proxy else ""
    print(f"  CPU per request: server processes {server_cpu / total * 1000:.1f} ms{nginx}, clients"
          f" {client_cpu / total * 1000:.1f} ms ({os.cpu_count()} CPUs)")
    checks = [
        ("zero errors", not errors, f"{len(errors)} errors" + (f", first: {errors[0]}" if errors else "")),
        ("tickets stored = tickets created", stored_ids == told_ids,
         f"{len(stored_ids):,} stored, {len(told_ids):,} told"),
        ("comments stored = comments made", stored_comments == told_comments,
         f"{stored_comments:,} stored, {told_comments:,} told"),
    ]
    print()
    for name, passed, detail in checks:
        print(f"  {name:36} {detail:40} {'ok' if passed else 'FAILED'}")
    result.passed = all(passed for _, passed, _ in checks)
    return result


@dataclass
class LoadResult:
    passed: bool  # zero errors, counts match
    p50: dict[str, float]  # ms by call, as the clients timed them
    p99: dict[str, float]


CALLS = (("POST", re.compile(r"/api/v1/tickets$"), "create"),
         ("POST", re.compile(r"/api/v1/tickets/\d+/replies$"), "reply"),
         ("GET", re.compile(r"/api/v1/tickets$"), "list"), ("GET", re.compile(r"/api/v1/tickets/\d+$"), "show"))


def server_times(folder: Path) -> dict[str, list[float]]:
    """Milliseconds per call as the servers' JSON access logs (server*.log) time them, by call."""
    found: dict[str, list[float]] = defaultdict(list)
    for log in folder.glob("server*.log"):
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "ms" not in entry:
                continue
            for method, path, call in CALLS:
                if entry.get("method") == method and path.match(entry.get("path", "")):
                    found[call].append(float(entry["ms"]))
    return found


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- export
def export_portal(args: argparse.Namespace, work: Path) -> Path:
    home = (args.home or work / "export").expanduser().resolve()
    db = home / "data" / "portal.db"
    if not db.exists():
        print(f"export: building a portal of {args.tickets:,} tickets in {home} (generate.py)", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--home", str(home), "--tickets",
                        str(args.tickets), "--articles", "100"], check=True, stdout=subprocess.DEVNULL)
    return db


def count_rows(client: Client) -> int:
    return sum(1 for _ in client.tickets.list(TicketQuery(statuses=list(STATES), limit=None)))


def run_export(args: argparse.Namespace, work: Path) -> bool:
    db = export_portal(args, work)
    store = Store(db, db.parent)
    admin = store.count("SELECT email FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")[0][0]
    expected = store.count("SELECT COUNT(*) FROM tickets")[0][0]
    set_passwords(store, [admin])
    with serving(store, work / "export-server.log") as served:
        backends = {"embedded": Client(Profile(name="embedded", db=str(db), user=admin)),
                    "server": server_client(served.url, admin)}
        seconds: dict[str, list[float]] = {name: [] for name in backends}
        cpu: dict[str, float] = dict.fromkeys(backends, 0.0)
        server_cpu = 0.0
        for client in backends.values():  # warm-up: page cache, bytecode, the server's first request
            count_rows(client)
        for index in range(args.rounds):
            names = list(backends)[index % 2:] + list(backends)[:index % 2]
            for name in names:
                start, start_cpu, start_server = time.perf_counter(), cpu_now(), served.cpu()
                rows = count_rows(backends[name])
                seconds[name].append(time.perf_counter() - start)
                cpu[name] += cpu_now() - start_cpu
                server_cpu += served.cpu() - start_server if name == "server" else 0.0
                if rows != expected:
                    print(f"  {name}: listed {rows:,} tickets, the portal holds {expected:,}: FAILED")
                    return False
    rates = {name: expected / statistics.median(values) for name, values in seconds.items()}
    ratio = rates["server"] / rates["embedded"]
    print(f"\nExport: {expected:,} tickets, client.tickets.list(limit=None), median of {args.rounds} rounds")
    print(table(["backend", "seconds", "rows/s"],
                [[name, f"{statistics.median(seconds[name]):.2f}", f"{rates[name]:,.0f}"] for name in backends],
                indent="  "))
    per_row = {name: cpu[name] / (expected * args.rounds) * 1e6 for name in backends}
    server_per_row = server_cpu / (expected * args.rounds) * 1e6
    print(f"  CPU per row: embedded {per_row['embedded']:.1f} us; server backend {per_row['server']:.1f} us in"
          f" the client + {server_per_row:.1f} us in the server process")
    verdict = "ok" if ratio >= EXPORT_BUDGET else "OVER BUDGET"
    print(f"\n  server / embedded rows/s: {ratio:.2f}x (budget >= {EXPORT_BUDGET}x)  {verdict}")
    return bool(ratio >= EXPORT_BUDGET)


def load_budgets(results: dict[str, LoadResult], proxy: bool) -> bool:
    """Writes on SQLite: create and reply p99 <= WRITE_P99 ms; PostgreSQL's list p50 within PG_LIST_RATIO of
    SQLite's, in this run. Printed; False when one is missed."""
    verdicts = []
    sqlite_run, pg_run = results.get("sqlite"), results.get("postgresql")
    if sqlite_run is not None and not proxy:
        for call in ("create", "reply"):
            p99 = sqlite_run.p99.get(call, float("inf"))
            verdicts.append((f"SQLite {call} p99 {p99:,.0f} ms (budget <= {WRITE_P99} ms)", p99 <= WRITE_P99))
    if sqlite_run is not None and pg_run is not None:
        ratio = pg_run.p50["list"] / sqlite_run.p50["list"]
        verdicts.append((f"PostgreSQL list p50 / SQLite's: {ratio:.2f}x (budget <= {PG_LIST_RATIO}x)",
                         ratio <= PG_LIST_RATIO))
    print()
    for text, met in verdicts:
        print(f"  {text:70} {'ok' if met else 'OVER BUDGET'}")
    return all(met for _, met in verdicts)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="portalctl-load-") as tmp:
        work = Path(tmp)
        os.environ["PORTALCTL_HOME"] = str(work / "client-home")  # the bench's tokens live and die here
        os.environ["PORTALCTL_KEYRING"] = "0"
        os.environ.pop("PORTALCTL_TOKEN", None)
        passed = True
        if not args.skip_load:
            databases = ("postgresql",) if args.proxy else ("sqlite", "postgresql") if args.postgres else ("sqlite",)
            results = {database: run_load(args, work, database) for database in databases}
            passed = all(result.passed for result in results.values()) and load_budgets(results, args.proxy)
        if not args.skip_export:
            passed = run_export(args, work) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
