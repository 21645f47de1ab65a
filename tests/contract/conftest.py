"""One backend contract, three deployments: the embedded portal file, and a real `portalctl serve` process on a
portal file and on PostgreSQL.

Both deployments start from the same seeded portal and live for the whole session; each test marks what it creates
with a unique word (searchable) so tests stay independent. Tests get `client(email)`: a portalctl.client.Client
acting as that person through the backend under test, the way a script would build one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from portalctl.client import Client
from portalctl.config import Profile
from portalctl.secrets import SecretStore
from tests.contract.serving import PEOPLE, Deployment, ServerProcess, seed_portal
from tests.stores import new_store

if TYPE_CHECKING:
    from tests.contract.test_server_faults import Stub

ClientFor = Callable[[str], Client]


@pytest.fixture(scope="session")
def embedded_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    store = new_store("sqlite", tmp_path_factory.mktemp("embedded"))
    seed_portal(store)
    return Deployment("embedded", store)


def served(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A seeded portal of this kind behind a real server process, for the whole session."""
    store = new_store(kind, tmp_path_factory.mktemp(f"server-{kind}"))
    seed_portal(store)
    server = ServerProcess(store, store.folder / "server.log")
    try:
        yield Deployment("server", store, server.url, {email: server.login(email) for email in PEOPLE})
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served("sqlite", tmp_path_factory)


@pytest.fixture(scope="session")
def server_postgresql_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from served("postgresql", tmp_path_factory)


@pytest.fixture(params=["embedded", "server", "server_postgresql"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    found: Deployment = request.getfixturevalue(f"{request.param}_deployment")
    return found


@pytest.fixture
def client(deployment: Deployment, home: Path) -> ClientFor:
    """`client(ANA)`: a Client acting as Ana on the backend under test (tokens kept as `auth login` keeps them)."""
    made: dict[str, Client] = {}
    store = SecretStore()

    def for_user(email: str) -> Client:
        if email not in made:
            name = email.split("@")[0]
            if deployment.kind == "server":
                store.set(name, deployment.tokens[email])
                profile = Profile(name=name, backend="server", url=deployment.url)
            else:
                profile = Profile(name=name, backend="embedded", db=str(deployment.store.location), user=email)
            made[email] = Client(profile)
        return made[email]

    return for_user


@pytest.fixture
def word() -> str:
    """A word no other test uses: search for it to see only this test's tickets."""
    return "w" + uuid.uuid4().hex[:12]


@pytest.fixture
def stub() -> Iterator[Callable[[list[tuple[int, dict[str, str], Any]]], Stub]]:
    """`stub(script)`: a loopback HTTP server that answers as scripted (test_server_faults.Stub), closed after the
    test."""
    from tests.contract.test_server_faults import Stub

    made: list[Stub] = []

    def start(script: list[tuple[int, dict[str, str], Any]]) -> Stub:
        made.append(Stub(script))
        return made[-1]

    yield start
    for each in made:
        each.close()
