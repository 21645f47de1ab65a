"""`portalctl serve --workers N` as an operator meets it: several processes on one database, a dead worker
replaced, SIGTERM ending all, what must hold across workers, health checks, metrics and JSON logs."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import requests

from portalctl.engine.auth import FREE_FAILURES_PER_ACCOUNT
from tests.server.conftest import ADMIN, ANA, PASSWORD, TIMEOUT, Api, Server, seed_people, start_server
from tests.stores import Store


def seeded_server(store: Store, *extra: str) -> Server:
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    return start_server(store, *extra)


def sign_in(server: Server, email: str) -> str:
    answer = requests.post(server.api + "/auth/login", json={"email": email, "password": PASSWORD}, timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def workers(server: Server) -> set[int]:
    """The worker processes: the supervisor's children that serve (not multiprocessing's resource tracker)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()}


def wait_for(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("not within the time allowed")


def test_two_workers_a_dead_one_is_replaced_and_sigterm_stops_all(store: Store) -> None:
    server = seeded_server(store, "--workers", "2")
    try:
        wait_for(lambda: len(workers(server)) == 2)
        assert "with 2 workers" in server.log_text()
        first = workers(server)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(workers(server)) == 2 and victim not in workers(server))
        wait_for(lambda: requests.get(server.url + "/readyz", timeout=TIMEOUT).status_code == 200)
        token = sign_in(server, ADMIN)
        for _ in range(10):  # new connections each: whichever worker accepts them answers
            assert requests.get(server.api + "/tickets", headers={"Authorization": f"Bearer {token}"},
                                timeout=TIMEOUT).status_code == 200
        wait_for(lambda: f"Child process [{victim}] died" in server.log_text())  # the supervisor's line, however late
        serving = workers(server)
    finally:
        status = server.stop()
    assert status in (0, -signal.SIGTERM)
    assert not any(Path(f"/proc/{pid}").exists() for pid in serving)
    assert server.log_text().count("stopped: every request in flight was answered") == 2  # each one, gracefully


def test_idempotency_keys_and_sign_in_throttling_hold_across_workers(store: Store) -> None:
    server = seeded_server(store, "--workers", "2")
    try:
        token = sign_in(server, ANA)
        key = {"Authorization": f"Bearer {token}", "Idempotency-Key": "build-4711"}
        answers = [requests.post(server.api + "/tickets", json={"subject": "Build failed", "body": "log"},
                                 headers=key, timeout=TIMEOUT) for _ in range(6)]
        assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
        mine = Api(server, token).get("/tickets", params={"status": "all"}).json()["items"]
        assert [ticket["subject"] for ticket in mine].count("Build failed") == 1
        refused = [requests.post(server.api + "/auth/login", json={"email": ANA, "password": "wrong password!"},
                                 timeout=TIMEOUT).status_code for _ in range(FREE_FAILURES_PER_ACCOUNT + 4)]
        # whichever worker counted: past the free failures the pauses double (1 s, 2 s, 4 s), so the last are 429s
        assert refused.count(401) <= FREE_FAILURES_PER_ACCOUNT + 2 and refused[-1] == 429
    finally:
        server.stop()


def test_healthz_readyz_and_a_schema_this_version_does_not_know(store: Store) -> None:
    server = seeded_server(store, "--workers", "1")
    try:
        assert requests.get(server.url + "/healthz", timeout=TIMEOUT).json()["status"] == "ok"
        assert requests.get(server.url + "/readyz", timeout=TIMEOUT).json()["status"] == "ready"
        if store.kind == "sqlite":
            version = server.sql("PRAGMA user_version")[0][0]
            server.sql(f"PRAGMA user_version = {version + 1}")
        else:
            version = server.sql("SELECT max(version) FROM schema_version")[0][0]
            server.sql("INSERT INTO schema_version (version) VALUES (?)", (version + 1,))
        behind = requests.get(server.url + "/readyz", timeout=TIMEOUT)
        assert behind.status_code == 503 and "schema" in behind.json()["detail"]
        assert requests.get(server.url + "/healthz", timeout=TIMEOUT).status_code == 200  # up, only not ready
    finally:
        server.stop()


def test_metrics_add_up_every_workers_requests_and_are_off_by_default(store: Store) -> None:
    plain = seeded_server(store, "--workers", "1")
    try:
        assert requests.get(plain.url + "/metrics", timeout=TIMEOUT).status_code == 404
    finally:
        plain.stop()
    server = start_server(store, "--workers", "2", "--metrics")
    try:
        token = sign_in(server, ADMIN)
        for _ in range(12):  # a new connection each, spread over the workers
            requests.get(server.api + "/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        requests.get(server.api + "/tickets/999999", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        text = requests.get(server.url + "/metrics", timeout=TIMEOUT).text
        listed = re.search(r'portalctl_http_requests_total\{method="GET",route="/api/v1/tickets",status="200"\} (\S+)',
                           text)
        assert listed and float(listed[1]) == 12, text
        assert 'route="/api/v1/tickets/{ticket_id}",status="404"} 1.0' in text  # the template, not the id
        assert 'portalctl_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/v1/tickets"}' in text
        assert "portalctl_db_connections_in_use 0.0" in text
    finally:
        server.stop()


def test_json_access_log_has_one_object_a_line_and_never_a_token(store: Store) -> None:
    server = seeded_server(store, "--workers", "1", "--log-format", "json")
    try:
        token = sign_in(server, ADMIN)
        Api(server, token).get("/tickets")
    finally:
        server.stop()
    log = server.log_text()
    assert token not in log and token[4:] not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "portalctl.server.access"]
    listed = [line for line in access if line["path"] == "/api/v1/tickets"]
    assert listed and listed[0]["status"] == 200 and listed[0]["user"] == ADMIN and listed[0]["method"] == "GET"
    assert all(isinstance(line["ms"], float) for line in access)
