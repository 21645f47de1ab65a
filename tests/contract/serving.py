"""A portal both backends start from, and a real `portalctl serve` process on 127.0.0.1 in front of it.

The portal is seeded through the engine with the people of tests/conftest.py (passwords set the way the server
checks them), custom fields, a small knowledge base, and a 1 MB attachment limit so the size check is cheap to hit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from portalctl.engine.accounts import bootstrap_admin, hash_password
from portalctl.engine.db import transaction
from portalctl.model import FieldDef
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO, MARIO
from tests.stores import Store

PEOPLE = (ADMIN, AGENT, ANA, BOB, CARLA, DIEGO, MARIO)
BULK_ARTICLES = 130  # more than one page of GET /articles (the backend asks for 100 at a time)


def password(email: str) -> str:
    return f"pw-{email.split('@')[0]}-Ñandú-2024"


@dataclass
class Deployment:
    """One backend under test: the portal's database, and for a server its URL and a token per person."""

    kind: str
    store: Store
    url: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)


def seed_portal(store: Store) -> None:
    portal = store.open()
    try:
        bootstrap_admin(portal, email=ADMIN, name="Ada Admin")
        admin = portal.session(ADMIN)
        accounts = admin.accounts
        accounts.add_organization(name="Acme", timezone="Europe/Madrid")
        accounts.add_organization(name="Globex", shared_tickets=True, timezone="America/Bogota")
        accounts.add_user(email=AGENT, name="Alex Agent", role="agent")
        accounts.add_user(email=ANA, name="Ana Acme", organization="acme")
        accounts.add_user(email=BOB, name="Bob Acme", organization="acme")
        accounts.add_user(email=CARLA, name="Carla Globex", organization="globex")
        accounts.add_user(email=DIEGO, name="Diego Globex", organization="globex")
        accounts.add_user(email=MARIO, name="Mario Acme", organization="acme", manager=True)
        accounts.add_department(name="Soporte Web", description="WordPress, Joomla, diseño")
        accounts.add_department(name="Soporte Administrativo", description="Facturas, contratos")
        accounts.add_field(FieldDef(
            key="user_code", label="Código de usuario", type="text", required=False, choices=[], pattern=r"\d{4}",
            customer_editable=True, department=None, description="the 4-digit VAI user code",
        ))
        accounts.add_field(FieldDef(
            key="country", label="País", type="choice", required=False, choices=["CO", "ES", "MX"], pattern=None,
            customer_editable=False, department=None, description=None,
        ))
        articles = admin.articles
        articles.add(collection="Colombia", folder="Facturación", title="Factura electrónica: cómo emitirla",
                     body="Para emitir una factura electrónica ante la DIAN, habilite la numeración.",
                     locale="es-CO", labels=["factura", "dian"])
        articles.add(collection="Colombia", folder="Importaciones", title="Formulario de importación",
                     body="El formulario de importación se corrige con el valor FOB.", locale="es-CO")
        articles.add(collection="España", folder="Correo", title="Configurar el correo en Outlook",
                     body="Abra Outlook y añada la cuenta con IMAP.", locale="es-ES", labels=["correo"])
        for number in range(BULK_ARTICLES):
            articles.add(collection="Bulk", folder=f"Folder {number % 3}", title=f"Bulk article {number:03d}",
                         body=f"Filler text number {number}.", locale="en")
        portal.set_setting("max_attachment_mb", "1")
        with transaction(portal.conn):
            for email in PEOPLE:
                portal.conn.execute("UPDATE users SET password_hash = ? WHERE email = ?",
                                    (hash_password(password(email)), email))
    finally:
        portal.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """`python -m portalctl serve --port N --db FILE|URL` as a child process, ready once GET /health answers."""

    def __init__(self, store: Store, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
        env["PORTALCTL_HOME"] = str(store.folder / "server-home")
        env["PORTALCTL_KEYRING"] = "0"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portalctl", "serve", "--port", str(self.port), *store.serve_args()],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"portalctl serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"portalctl serve did not answer /health within {seconds:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def login(self, email: str) -> str:
        """A token for `email` from POST /auth/login, as any client gets one."""
        answer = requests.post(f"{self.url}/api/v1/auth/login",
                               json={"email": email, "password": password(email), "token_name": "contract"},
                               timeout=30)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
