"""A real `portalctl serve` process on 127.0.0.1, seeded through the engine, and HTTP clients for its users.

The shared server (one per test worker and database) holds two client companies with tickets, internal notes and
attachments; tests that would disturb it (fuzzing, throttling of 127.0.0.1, SIGTERM) start servers of their own.
Every server test runs twice: on a SQLite portal file and on PostgreSQL (tests/stores.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from portalctl.demo_data import sample_pdf
from portalctl.engine.accounts import bootstrap_admin, hash_password
from portalctl.engine.db import transaction
from portalctl.engine.portal import Portal
from tests.stores import KINDS, Store, new_store

if TYPE_CHECKING:
    from tests.server.smtp import Inbox

ADMIN = "admin@support.test"
AGENT = "agent@support.test"
ANA = "ana@acme.test"  # Acme: each customer sees only their own tickets
BOB = "bob@acme.test"
CARLA = "carla@globex.test"  # Globex: shares tickets within the organisation
DIEGO = "diego@globex.test"
MARIO = "mario@acme.test"  # Acme's contact manager: runs its contacts and sees its tickets
PEOPLE = (ADMIN, AGENT, ANA, BOB, CARLA, DIEGO, MARIO)
PASSWORD = "correct horse battery"
PDF = sample_pdf()
TIMEOUT = 15  # seconds for any one HTTP call
AUTO_CLOSE_SECONDS = 0.2  # the shared server's auto-close timer (10 minutes in production), so tests need not wait


@dataclass
class Seed:
    """Ids made before the server started, so tests can aim at another company's records."""

    acme_ticket: int = 0  # Ana's, with an internal note that has an attachment
    acme_public_attachment: int = 0
    acme_internal_attachment: int = 0
    globex_ticket: int = 0  # Carla's, with a public and an internal attachment
    globex_attachment: int = 0
    globex_internal_attachment: int = 0


@dataclass
class Server:
    url: str
    store: Store
    log: Path
    process: subprocess.Popen[bytes]

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run SQL on the server's database behind its back (a clock moving on, a look at what is stored)."""
        portal = self.store.open()
        try:
            cursor = portal.conn.execute(statement, params)
            return list(cursor) if cursor.description else []  # type: ignore[attr-defined]
        finally:
            portal.close()

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


class Api:
    """requests with the server's base URL, a user's token and a timeout on every call."""

    def __init__(self, server: Server, token: str | None = None) -> None:
        self.server = server
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        options.setdefault("timeout", TIMEOUT)
        return self.http.request(method, self.server.api + path, **options)

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> requests.Response:
        return self.request("POST", path, **options)

    def patch(self, path: str, **options: Any) -> requests.Response:
        return self.request("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> requests.Response:
        return self.request("DELETE", path, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    env.update(PORTALCTL_HOME=str(home), PORTALCTL_KEYRING="0", PYTHONUNBUFFERED="1")
    return env


def start_server(store: Store, *extra: str, log: Path | None = None, env: dict[str, str] | None = None,
                 port: int | None = None) -> Server:
    """`python -m portalctl serve` on a free port (or `port`: a restart where clients expect it); returns once
    /api/v1/health answers."""
    port = port or free_port()
    log = log or store.folder / "server.log"
    if "--workers" not in extra:  # one process unless a test is about workers: the default is one per CPU
        extra = ("--workers", "1", *extra)
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "portalctl", "serve", "--port", str(port), *store.serve_args(), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            env={**server_env(store.folder / "home"), **(env or {})},
        )
    server = Server(f"http://127.0.0.1:{port}", store, log, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log_text()}")
        try:
            if requests.get(server.api + "/health", timeout=1).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):  # with workers, the port is open before they answer
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not answer within 30 s:\n{server.log_text()}")


def set_password(portal: Portal, email: str, password: str = PASSWORD) -> None:
    with transaction(portal.conn):
        portal.conn.execute("UPDATE users SET password_hash = ? WHERE email = ?", (hash_password(password), email))


def seed_people(portal: Portal) -> None:
    bootstrap_admin(portal, email=ADMIN, name="Ada Admin")
    accounts = portal.session(ADMIN).accounts
    accounts.add_organization(name="Acme", timezone="Europe/Madrid")
    accounts.add_organization(name="Globex", shared_tickets=True, timezone="America/Bogota")
    accounts.add_user(email=AGENT, name="Alex Agent", role="agent")
    for email, org in ((ANA, "acme"), (BOB, "acme"), (CARLA, "globex"), (DIEGO, "globex")):
        accounts.add_user(email=email, name=email.split("@")[0].title(), organization=org)
    accounts.add_user(email=MARIO, name="Mario", organization="acme", manager=True)
    accounts.add_department(name="Soporte Web", description="WordPress, Joomla")
    for email in PEOPLE:
        set_password(portal, email)


def seed_tickets(portal: Portal, files: Path) -> Seed:
    from portalctl.contract import TicketDraft, Upload

    files.mkdir(exist_ok=True)
    (files / "factura.pdf").write_bytes(PDF)
    (files / "nota-interna.pdf").write_bytes(PDF + b"% internal\n")
    public = Upload("factura.pdf", files / "factura.pdf")
    internal = Upload("nota-interna.pdf", files / "nota-interna.pdf")
    seed = Seed()
    agent = portal.session(AGENT).tickets
    acme = portal.session(ANA).tickets.create(TicketDraft(subject="ACME-SUBJECT pedimento", body="Formulario 123",
                                              attachments=[public]))
    agent.reply(acme.id, body="INTERNAL-ACME-NOTE check the customs record", internal=True, attachments=[internal])
    agent.reply(acme.id, body="We are on it")
    globex = portal.session(CARLA).tickets.create(TicketDraft(subject="GLOBEX-SECRET factura",
                                                              body="GLOBEX-BODY confidencial",
                                                  attachments=[public]))
    agent.reply(globex.id, body="INTERNAL-GLOBEX-NOTE", internal=True, attachments=[internal])
    seed.acme_ticket, seed.globex_ticket = acme.id, globex.id
    acme_files = agent.attachments(acme.id)
    globex_files = agent.attachments(globex.id)
    seed.acme_public_attachment, seed.acme_internal_attachment = acme_files[0].id, acme_files[1].id
    seed.globex_attachment, seed.globex_internal_attachment = globex_files[0].id, globex_files[1].id
    return seed


@pytest.fixture(scope="session", params=KINDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Seed]:
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    store = new_store(request.param, folder)
    portal = store.open()
    try:
        seed_people(portal)
        seed = seed_tickets(portal, folder / "files")
        portal.set_setting("max_attachment_mb", "1")  # so the 413 test needs only a 1 MB body
    finally:
        portal.close()
    return store, seed


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """A new, empty portal database of each kind, for tests that start a server of their own."""
    return new_store(request.param, tmp_path)


@pytest.fixture(scope="session")
def server(seeded: tuple[Store, Seed]) -> Iterator[Server]:
    # as behind a reverse proxy on this machine: tests sign in from their own X-Forwarded-For addresses
    running = start_server(seeded[0], "--trusted-proxy", "127.0.0.1",
                           env={"PORTALCTL_AUTO_CLOSE_SECONDS": str(AUTO_CLOSE_SECONDS)})
    yield running
    running.stop()


@pytest.fixture(scope="session")
def seed(seeded: tuple[Store, Seed]) -> Seed:
    return seeded[1]


@pytest.fixture(scope="session")
def tokens(server: Server) -> dict[str, str]:
    """One token per seeded user, through the real login."""
    result = {}
    for email in PEOPLE:
        response = requests.post(server.api + "/auth/login", json={"email": email, "password": PASSWORD},
                                 timeout=TIMEOUT)
        assert response.status_code == 201, response.text
        result[email] = response.json()["token"]
    return result


@pytest.fixture(scope="session")
def as_user(server: Server, tokens: dict[str, str]) -> Callable[[str], Api]:
    return lambda email: Api(server, tokens[email])


@pytest.fixture
def anonymous(server: Server) -> Api:
    return Api(server)


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with this status and stable code, and every documented member."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"https://portalctl.dev/problems/{code}"
    assert body["title"] and body["detail"]
    assert "hint" in body
    return body


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for the server's mail (tests/server/smtp.py)."""
    from tests.server.smtp import smtp_inbox

    with smtp_inbox() as received:
        yield received
