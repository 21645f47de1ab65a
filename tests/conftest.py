"""Shared fixtures: a throwaway PORTALCTL_HOME, a real portal file with two client companies, and the CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from portalctl import i18n
from portalctl.cli import root
from portalctl.config import default_db
from portalctl.engine.accounts import bootstrap_admin
from portalctl.engine.portal import Portal, Session
from portalctl.iostreams import IOStreams

ADMIN = "admin@support.test"
AGENT = "agent@support.test"
ANA = "ana@acme.test"  # Acme: customers see only their own tickets
BOB = "bob@acme.test"
CARLA = "carla@globex.test"  # Globex: the organisation shares tickets among its users
DIEGO = "diego@globex.test"
MARIO = "mario@acme.test"  # Acme's contact manager (contract suite): runs its contacts, sees its tickets


@pytest.fixture(autouse=True)
def english() -> None:
    """Code called outside a command line speaks English in every test, whatever ran before it in this process (a
    command line chooses its own language again: i18n.start)."""
    i18n.start()
    i18n.choose("en")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in list(os.environ):
        if key.startswith("PORTALCTL_") or key in ("CI", "NO_COLOR", "LC_ALL", "LC_MESSAGES", "LANGUAGE"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LANG", "C.UTF-8")  # English, whatever the developer's locale; tests of Spanish say so
    monkeypatch.setenv("PORTALCTL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PORTALCTL_KEYRING", "0")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path / "home"


@pytest.fixture
def portal(home: Path) -> Iterator[Portal]:
    portal = Portal(default_db(), create=True)
    seed_accounts(portal)
    yield portal
    portal.close()


def seed_accounts(portal: Portal) -> None:
    """Two organisations (Globex shares its tickets), their customers, an agent, two departments."""
    bootstrap_admin(portal, email=ADMIN, name="Ada Admin")
    accounts = portal.session(ADMIN).accounts
    accounts.add_organization(name="Acme", timezone="Europe/Madrid")
    accounts.add_organization(name="Globex", shared_tickets=True, timezone="America/Bogota")
    accounts.add_user(email=AGENT, name="Alex Agent", role="agent")
    accounts.add_user(email=ANA, name="Ana Acme", organization="acme")
    accounts.add_user(email=BOB, name="Bob Acme", organization="acme")
    accounts.add_user(email=CARLA, name="Carla Globex", organization="globex")
    accounts.add_user(email=DIEGO, name="Diego Globex", organization="globex")
    accounts.add_department(name="Soporte Web", description="WordPress, Joomla, diseño")
    accounts.add_department(name="Soporte Administrativo", description="Facturas, contratos")


@pytest.fixture
def as_user(portal: Portal) -> Callable[[str], Session]:
    return portal.session


@pytest.fixture
def cli(home: Path) -> Callable[..., Result]:
    """Run portalctl through click's runner; `user=` acts as that portal user (PORTALCTL_USER), `io=` on a fake
    terminal (IOStreams.fake: read what the command wrote from it, not from the result)."""

    def run(
        *args: str, input: str | bytes | None = None, user: str | None = None, env: dict[str, str] | None = None,
        io: IOStreams | None = None,
    ) -> Result:
        runner = CliRunner()
        environ = {"PORTALCTL_USER": user} if user else {}
        environ.update(env or {})
        return runner.invoke(root, list(args), input=input, env=environ, catch_exceptions=False, obj=io)

    return run
