"""The server killed with SIGKILL under write load: after a restart, every write it acknowledged is there, and a
create retried with its Idempotency-Key makes exactly one ticket."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from portalctl.contract import TicketDraft
from portalctl.engine.accounts import bootstrap_admin
from portalctl.engine.auth import Idempotency
from portalctl.engine.db import iso
from portalctl.errors import StateConflict
from tests.server.conftest import ADMIN, PASSWORD, TIMEOUT, Api, set_password, start_server
from tests.stores import Store

CRASH_RETRY = Path(__file__).resolve().parents[2] / "scripts" / "bench" / "crash_retry.py"

WRITERS = 8


def test_acknowledged_writes_survive_sigkill(store: Store, tmp_path: Path) -> None:
    portal = store.open()
    bootstrap_admin(portal, email=ADMIN, name="Admin")
    set_password(portal, ADMIN, PASSWORD)
    portal.close()
    server = start_server(store)
    token = requests.post(server.api + "/auth/login", json={"email": ADMIN, "password": PASSWORD},
                          timeout=TIMEOUT).json()["token"]
    acknowledged: list[tuple[int, str]] = []  # (ticket id, the reply's text) the server answered 2xx for
    lock, stop = threading.Lock(), threading.Event()

    def write(worker: int) -> None:
        api = Api(server, token)
        number = 0
        while not stop.is_set():
            number += 1
            text = f"writer {worker} reply {number}"
            try:
                created = api.post("/tickets", json={"subject": f"load {worker}-{number}", "body": "x"}, timeout=5)
                if created.status_code != 201:
                    continue
                ticket_id = created.json()["id"]
                with lock:
                    acknowledged.append((ticket_id, ""))
                replied = api.post(f"/tickets/{ticket_id}/replies", json={"body": text}, timeout=5)
                if replied.status_code == 200:
                    with lock:
                        acknowledged.append((ticket_id, text))
            except requests.RequestException:
                return  # the server is gone: what was acknowledged before is what counts

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(acknowledged) < 60:
        time.sleep(0.1)
    server.process.kill()  # SIGKILL: no shutdown, no flush by the server
    server.process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert len(acknowledged) >= 20, "the load never got going"

    restarted = start_server(store, log=tmp_path / "restart.log")
    try:
        api = Api(restarted, token)
        for ticket_id, text in acknowledged:
            shown = api.get(f"/tickets/{ticket_id}")
            assert shown.status_code == 200, f"acknowledged ticket #{ticket_id} is gone"
            if text:
                assert text in [c["body"] for c in shown.json()["comments"]], f"acknowledged reply lost: {text}"
    finally:
        restarted.stop()


def test_a_create_retried_after_a_sigkill_makes_exactly_one_ticket(store: Store, tmp_path: Path) -> None:
    """scripts/bench/crash_retry.py: 20 clients creating with their own keys, SIGKILL, restart, every key in flight
    retried at once and again after the (1 s) stale window: each answered 201, one ticket per key."""
    run = subprocess.run(
        [sys.executable, str(CRASH_RETRY), "--db", str(store.location), "--attachments", str(store.blob_dir),
         "--clients", "20", "--seconds", "1.5", "--stale", "1", "--json"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert run.stdout.strip(), run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"{store.kind}: {report}")  # the measure: keys, tickets, duplicates
    assert report["in_flight"] == 20, "every client had a request in flight at the kill"
    assert report["answered"] > 0
    assert report["duplicates"] == report["missing"] == report["conflicts"] == report["changed"] == 0, report
    assert report["tickets"] == report["keys"]
    assert run.returncode == 0, run.stderr


def test_the_key_and_the_work_commit_together(store: Store) -> None:
    """The transaction an Idempotency-Key opens holds the work: a crash before its commit leaves neither (the key
    is free, no ticket), after it both (the response is replayed)."""
    portal = store.open()
    bootstrap_admin(portal, email=ADMIN, name="Admin")
    admin_id = portal.session(ADMIN).actor.id
    portal.close()

    crashed = store.open()
    assert Idempotency(crashed).begin(admin_id, "k-1", "hash") is None
    crashed.session(ADMIN).tickets.create(TicketDraft(subject="never committed", body="x"))
    crashed.conn.close()  # the process dies: the transaction is never committed

    portal = store.open()
    try:
        assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
        record = Idempotency(portal)
        assert record.begin(admin_id, "k-1", "hash") is None  # the key is free: the work is done once, now
        ticket = portal.session(ADMIN).tickets.create(TicketDraft(subject="committed", body="x"))
        record.finish(admin_id, "k-1", "hash", 201, json.dumps({"id": ticket.id}).encode())
        stored = Idempotency(portal).begin(admin_id, "k-1", "hash")
        assert stored is not None and json.loads(stored.body) == {"id": ticket.id}
        assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    finally:
        portal.close()


def test_a_claim_left_by_an_older_version_blocks_retries_only_for_the_stale_window(store: Store) -> None:
    """Older servers committed a claim before the work; one a crash left behind answers 409 until it is stale."""
    from datetime import timedelta

    portal = store.open()
    try:
        bootstrap_admin(portal, email=ADMIN, name="Admin")
        admin_id = portal.session(ADMIN).actor.id
        left = iso(portal.clock() - timedelta(minutes=30))
        portal.conn.execute("INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)"
                            " VALUES (?, 'old', 'hash', ?)", (admin_id, left))
        with pytest.raises(StateConflict, match="still in progress"):
            Idempotency(portal, stale_after=timedelta(hours=1)).begin(admin_id, "old", "hash")
        record = Idempotency(portal, stale_after=timedelta(minutes=10))
        assert record.begin(admin_id, "old", "hash") is None  # stale: taken over, in this request's transaction
        record.finish(admin_id, "old", "hash", 201, b'{"id": 1}')
        assert Idempotency(portal).begin(admin_id, "old", "hash") is not None
    finally:
        portal.close()
