"""The two-host layout of examples/nginx/portalctl.conf, run for real: two `portalctl serve` processes (stand-ins
for hosts) on one PostgreSQL database and one attachment folder, behind nginx from Debian.

Skipped when nginx is not installed or will not start here (scripts/test.sh installs it); under CI a skip would
prove nothing, so it fails instead, as the PostgreSQL tests do.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.nginx import Nginx, NginxUnavailable, nginx_binary, start_nginx
from tests.server import conftest
from tests.server.conftest import ADMIN, PASSWORD, PDF, TIMEOUT, Server, free_port, seed_people, start_server
from tests.stores import Store, new_store

CLIENT_ADDRESS = "127.0.0.2"  # the test's own address: nginx sees it, the servers must too (not nginx's 127.0.0.1)
CLIENTS = 10
ROUNDS = 3
CUSTOMERS = (conftest.ANA, conftest.BOB, conftest.CARLA, conftest.DIEGO)


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class FromClientAddress(HTTPAdapter):
    """Connections from 127.0.0.2, so the address nginx forwards differs from the one it connects from."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (CLIENT_ADDRESS, 0)
        super().init_poolmanager(*args, **kwargs)


def session(token: str | None = None) -> requests.Session:
    http = requests.Session()
    http.mount("http://", FromClientAddress())
    http.headers["X-Forwarded-For"] = "198.51.100.7"  # a client's claim: nginx appends what it saw, after it
    if token:
        http.headers["Authorization"] = f"Bearer {token}"
    return http


def sign_in(base: str, email: str) -> str:
    answer = session().post(base + "/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                            timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


@dataclass
class Layout:
    store: Store
    servers: list[Server]
    proxy: Nginx


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[Layout]:
    binary = nginx_binary()
    if binary is None:
        unavailable("nginx is not installed (apt-get install nginx; scripts/test.sh does it as root)")
    store = new_store("postgresql", tmp_path / "portal")
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    servers: list[Server] = []
    try:
        for number in (1, 2):
            servers.append(start_server(store, "--trusted-proxy", "127.0.0.1", "--log-format", "json",
                                        log=tmp_path / f"server-{number}.log"))
        try:
            proxy = start_nginx(binary, free_port(), [s.url.removeprefix("http://") for s in servers],
                                tmp_path / "nginx")
        except NginxUnavailable as exc:
            unavailable(f"nginx would not start here: {exc}")
        try:
            yield Layout(store, servers, proxy)
        finally:
            proxy.stop()
    finally:
        for server in servers:
            server.stop()


def access_log(server: Server) -> list[dict[str, Any]]:
    lines = (json.loads(line) for line in server.log_text().splitlines() if line.startswith("{"))
    return [line for line in lines if line.get("logger") == "portalctl.server.access"]


@dataclass
class Tally:
    tickets: set[int] = field(default_factory=set)
    files: dict[tuple[int, int], str] = field(default_factory=dict)  # (ticket, attachment) -> sha256
    errors: list[str] = field(default_factory=list)


def client_work(base: str, number: int, tally: Tally) -> None:
    """Upload a file, open a ticket with it (and send that create again, as a retrying client would), download."""
    http = session(sign_in(base, CUSTOMERS[number % len(CUSTOMERS)]))
    api = base + "/api/v1"
    for round_ in range(ROUNDS):
        content = PDF + f"% client {number} round {round_}\n".encode()
        if round_ == 0:  # past nginx's default 1 MB body limit, which the example raises to the portal's 95 MB
            content += b"%" + b"x" * 2_000_000 + b"\n" + PDF[PDF.rindex(b"startxref"):]  # the trailer again, last
        upload = http.post(api + "/uploads", params={"filename": f"form-{number}-{round_}.pdf"}, data=content,
                           headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=TIMEOUT)
        if upload.status_code != 201:
            tally.errors.append(f"upload {upload.status_code}: {upload.text[:200]}")
            continue
        draft = {"subject": f"nginx-{number}-{round_}", "body": "El formulario no carga.",
                 "uploads": [upload.json()["id"]]}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        created = [http.post(api + "/tickets", json=draft, headers=key, timeout=TIMEOUT) for _ in range(2)]
        if [answer.status_code for answer in created] != [201, 201]:
            tally.errors.append(f"create {[a.status_code for a in created]}: {created[0].text[:200]}")
            continue
        ticket = created[0].json()
        if created[1].json()["id"] != ticket["id"]:
            tally.errors.append(f"a retried create made ticket {created[1].json()['id']} besides {ticket['id']}")
        attachment = ticket["comments"][0]["attachments"][0]["id"]
        download = http.get(f"{api}/tickets/{ticket['id']}/attachments/{attachment}", timeout=TIMEOUT)
        if download.status_code != 200 or download.content != content:
            tally.errors.append(f"download {download.status_code}: {len(download.content)} bytes of {len(content)}")
        tally.tickets.add(ticket["id"])
        tally.files[ticket["id"], attachment] = hashlib.sha256(content).hexdigest()


def test_a_load_through_nginx_on_two_servers_then_one(layout: Layout) -> None:
    tally = Tally()

    def work(number: int) -> None:
        try:
            client_work(layout.proxy.url, number, tally)
        except Exception as exc:  # a client's failure is a finding for the assertions, not a lost thread
            tally.errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tally.errors == []
    assert len(tally.tickets) == CLIENTS * ROUNDS

    stored = layout.store.open()
    try:
        subjects = [row[0] for row in stored.conn.execute("SELECT subject FROM tickets ORDER BY subject")]
        attachments = stored.conn.execute("SELECT COUNT(*) FROM attachments").fetchone()[0]
    finally:
        stored.close()
    assert subjects == sorted(f"nginx-{n}-{r}" for n in range(CLIENTS) for r in range(ROUNDS))  # each once
    assert attachments == CLIENTS * ROUNDS

    # nginx spread the work: each server took uploads, creates and downloads; every file is in the shared folder,
    # so each server hands out every file, whichever took it in
    for server in layout.servers:
        calls = {(line["method"], line["path"].split("/")[3]) for line in access_log(server)
                 if line["path"].startswith("/api/v1/") and line["status"] in (200, 201)}
        assert {("POST", "uploads"), ("POST", "tickets"), ("GET", "tickets")} <= calls, server.log
        token = sign_in(server.url, ADMIN)
        for (ticket, attachment), sha in tally.files.items():
            got = requests.get(f"{server.api}/tickets/{ticket}/attachments/{attachment}", timeout=TIMEOUT,
                               headers={"Authorization": f"Bearer {token}"})
            assert hashlib.sha256(got.content).hexdigest() == sha

    # the servers saw the client's address, from nginx's X-Forwarded-For; not nginx's, not the client's claim
    through_nginx = [line for server in layout.servers for line in access_log(server)
                     if line["path"] == "/api/v1/uploads"]
    assert len(through_nginx) == CLIENTS * ROUNDS
    assert {line["client"] for line in through_nginx} == {CLIENT_ADDRESS}

    # the export streams through its own location, every ticket once
    admin = session(sign_in(layout.proxy.url, ADMIN))
    exported = admin.get(layout.proxy.url + "/api/v1/export/tickets", params={"status": "all"}, timeout=TIMEOUT)
    assert exported.status_code == 200, exported.text
    assert sorted(json.loads(line)["id"] for line in exported.text.splitlines()) == sorted(tally.tickets)

    # one host goes away: nginx finds it refusing connections and sends everything to the other
    gone, left = layout.servers
    assert gone.stop() in (0, -15)
    before = len(access_log(left))
    answers = []
    for number in range(12):
        answers.append(admin.get(layout.proxy.url + "/api/v1/tickets", timeout=TIMEOUT).status_code)
        answers.append(admin.post(layout.proxy.url + "/api/v1/tickets", json={"subject": f"after-{number}",
                                  "body": "one host left"}, headers={"Idempotency-Key": str(uuid.uuid4())},
                                  timeout=TIMEOUT).status_code)
    assert answers == [200, 201] * 12
    # nginx tried the stopped host, moved on to the other, and after max_fails=3 left it alone for fail_timeout
    assert layout.proxy.error_log.count("Connection refused") == 3
    assert "upstream server temporarily disabled" in layout.proxy.error_log
    assert len(access_log(left)) - before == len(answers)
