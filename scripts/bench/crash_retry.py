"""Does a create retried after a crash of the server make exactly one ticket?

    python scripts/bench/crash_retry.py [--clients 20] [--seconds 2] [--stale 1] [--db FILE|URL]
                                        [--attachments DIR] [--postgres ADMIN_URL] [--json]

A real `portalctl serve` process on 127.0.0.1 over a new portal (a SQLite file in a temporary folder; or --db, a
file or a PostgreSQL URL, as the tests pass it; or a new database made with --postgres ADMIN_URL). --clients
threads (20) each send `POST /tickets` one after another, every one with its own Idempotency-Key and a subject
naming the key. After --seconds (2) of that (and as many answers as clients) the server gets SIGKILL: no
shutdown, and each client has a request in flight. The server is started again (with an Idempotency-Key stale
window of --stale seconds, 1), and every key that got no answer is retried, all at once; then again after the
stale window. Each retry must answer 201 (the first answer replayed, or the work done once now), never 409; the
second round must replay the first's ticket.

Prints keys, answered before the kill, in flight, what the retries were told, tickets, duplicates and missing
keys. Exit status 0 when there is exactly one ticket per key (duplicates: 0, missing: 0, conflicts: 0), else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests
from benchlib import wait_until_serving

from portalctl.engine.accounts import bootstrap_admin, hash_password
from portalctl.engine.db import transaction
from portalctl.engine.portal import Portal

ADMIN = "admin@crash.test"
PASSWORD = "crash-retry-password"
PREFIX = "crash-retry "
TIMEOUT = 20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--seconds", type=float, default=2.0, help="load before the SIGKILL (default 2)")
    parser.add_argument("--stale", type=float, default=1.0,
                        help="the server's Idempotency-Key stale window in seconds (default 1)")
    parser.add_argument("--db", metavar="FILE|URL", help="the portal: a new file or an empty PostgreSQL database")
    parser.add_argument("--attachments", type=Path, metavar="DIR", help="the portal's attachments folder")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="make a new PostgreSQL database with this admin URL and run there")
    parser.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    return parser.parse_args(argv)


@dataclass
class Report:
    keys: int = 0  # keys sent before the kill
    answered: int = 0  # ... that got their answer before it
    in_flight: int = 0  # ... that did not: retried after the restart
    retried_at_once: dict[str, int] = field(default_factory=dict)  # what the retries were told
    retried_after_stale: dict[str, int] = field(default_factory=dict)
    tickets: int = 0  # tickets whose subject names one of the keys
    duplicates: int = 0  # tickets beyond the first for a key
    missing: int = 0  # keys with no ticket
    conflicts: int = 0  # retries answered anything but 201
    changed: int = 0  # keys whose retries named different tickets

    @property
    def ok(self) -> bool:
        return self.keys > 0 and not (self.duplicates or self.missing or self.conflicts or self.changed)


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def serving(location: str, blobs: Path, home: Path, log: Path, stale: float) -> Iterator[Served]:
    """`python -m portalctl serve` on a free loopback port, ready once /health answers; killed on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    env.update(PORTALCTL_HOME=str(home), PORTALCTL_KEYRING="0", PORTALCTL_IDEMPOTENCY_STALE_SECONDS=str(stale))
    url = f"http://127.0.0.1:{port}/api/v1"
    with log.open("ab") as out:
        # One process: SIGKILL must take the whole server down (a supervisor's workers would live on).
        process = subprocess.Popen([sys.executable, "-m", "portalctl", "serve", "--workers", "1", "--port", str(port),
                                    "--db", location, "--attachments", str(blobs)],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until_serving(process, f"{url}/health", log)
        yield Served(url, process)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def prepare(location: str, blobs: Path) -> None:
    portal = Portal(location, create=True, blob_dir=blobs)
    try:
        bootstrap_admin(portal, email=ADMIN, name="Admin")
        with transaction(portal.conn):
            portal.conn.execute("UPDATE users SET password_hash = ? WHERE email = ?",
                                (hash_password(PASSWORD), ADMIN))
    finally:
        portal.close()


def create(session: requests.Session, url: str, key: str) -> requests.Response:
    return session.post(f"{url}/tickets", json={"subject": PREFIX + key, "body": "sent until the server dies"},
                        headers={"Idempotency-Key": key}, timeout=TIMEOUT)


def load_until_killed(served: Served, token: str, clients: int, seconds: float) -> tuple[list[str], dict[str, int]]:
    """Every key sent, and the ticket id of each that was answered, when the server is killed after `seconds`."""
    sent: list[str] = []
    answered: dict[str, int] = {}
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        while True:
            key = f"{number:02d}-{uuid.uuid4().hex[:12]}"
            with lock:
                sent.append(key)
            try:
                response = create(session, served.url, key)
            except requests.RequestException:
                return  # the server is gone; this key is in flight
            if response.status_code != 201:
                raise SystemExit(f"a create before the kill answered {response.status_code}: {response.text}")
            with lock:
                answered[key] = response.json()["id"]

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    deadline = time.monotonic() + 30
    while len(answered) < clients and time.monotonic() < deadline:  # a slow machine: let the load get going
        time.sleep(0.05)
    served.process.kill()  # SIGKILL: no shutdown, nothing flushed by the server
    served.process.wait()
    for thread in threads:
        thread.join(TIMEOUT + 5)
    return sent, answered


def retry_all(url: str, token: str, keys: list[str]) -> dict[str, tuple[int, int | None, bool]]:
    """Each key retried once, all at the same moment: (status, ticket id, replayed)."""
    start = threading.Barrier(len(keys)) if keys else None

    def retry(key: str) -> tuple[int, int | None, bool]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        assert start is not None
        start.wait(TIMEOUT)
        response = create(session, url, key)
        ticket = response.json().get("id") if response.status_code == 201 else None
        return response.status_code, ticket, response.headers.get("Idempotent-Replayed") == "true"

    if not keys:
        return {}
    with ThreadPoolExecutor(len(keys)) as pool:
        return dict(zip(keys, pool.map(retry, keys), strict=True))


def told(results: dict[str, tuple[int, int | None, bool]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for status, _, replayed in results.values():
        counts["replayed" if replayed else "created" if status == 201 else f"status {status}"] += 1
    return dict(sorted(counts.items()))


def tickets_by_key(location: str, blobs: Path) -> dict[str, list[int]]:
    portal = Portal(location, blob_dir=blobs)
    try:
        rows = portal.conn.execute("SELECT id, subject FROM tickets WHERE subject LIKE ?", (PREFIX + "%",))
        found: dict[str, list[int]] = {}
        for ticket_id, subject in rows:
            found.setdefault(subject[len(PREFIX):], []).append(ticket_id)
        return found
    finally:
        portal.close()


def run(location: str, blobs: Path, folder: Path, *, clients: int, seconds: float, stale: float) -> Report:
    prepare(location, blobs)
    home, log = folder / "server-home", folder / "server.log"
    with serving(location, blobs, home, log, stale) as served:
        login = requests.post(f"{served.url}/auth/login", json={"email": ADMIN, "password": PASSWORD},
                              timeout=TIMEOUT)
        login.raise_for_status()
        token = login.json()["token"]
        sent, answered = load_until_killed(served, token, clients, seconds)
    report = Report(keys=len(sent), answered=len(answered))
    in_flight = [key for key in sent if key not in answered]
    report.in_flight = len(in_flight)
    with serving(location, blobs, home, log, stale) as served:
        first = retry_all(served.url, token, in_flight)
        time.sleep(stale + 0.5)
        second = retry_all(served.url, token, in_flight)
    report.retried_at_once, report.retried_after_stale = told(first), told(second)
    report.conflicts = sum(1 for results in (first, second) for status, _, _ in results.values() if status != 201)
    report.changed = sum(1 for key in in_flight if first[key][1] != second[key][1] or not second[key][2])
    found = tickets_by_key(location, blobs)
    report.tickets = sum(len(ids) for ids in found.values())
    report.duplicates = sum(len(ids) - 1 for ids in found.values() if len(ids) > 1)
    report.missing = sum(1 for key in sent if key not in found)
    report.changed += sum(1 for key, ticket in answered.items() if found.get(key, [ticket])[0] != ticket)
    return report


def new_postgres_database(admin_url: str) -> str:
    import psycopg

    name = f"portalctl_crash_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="portalctl-crash-") as scratch:
        folder = Path(scratch)
        location = args.db or (new_postgres_database(args.postgres) if args.postgres else str(folder / "portal.db"))
        blobs = args.attachments or folder / "attachments"
        report = run(location, blobs, folder, clients=args.clients, seconds=args.seconds, stale=args.stale)
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}))
    else:
        rows: list[tuple[str, Any]] = [
            ("keys", report.keys), ("answered before the kill", report.answered),
            ("in flight at the kill", report.in_flight),
            ("retried at once", ", ".join(f"{k} {v}" for k, v in report.retried_at_once.items()) or "-"),
            (f"retried after the {args.stale:g} s stale window",
             ", ".join(f"{k} {v}" for k, v in report.retried_after_stale.items()) or "-"),
            ("tickets", report.tickets), ("duplicates", report.duplicates), ("missing", report.missing),
            ("conflicts", report.conflicts), ("answers that changed", report.changed),
        ]
        for name, value in rows:
            print(f"{name:<36} {value}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
