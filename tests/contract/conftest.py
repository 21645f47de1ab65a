"""One backend contract, two deployments: the embedded portal file, and a real `portalctl serve` process.

Both deployments start from the same seeded portal and live for the whole session; each test marks what it creates
with a unique word (searchable) so tests stay independent. Tests get `client(email)`: a portalctl.client.Client
acting as that person through the backend under test, the way a script would build one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portalctl.client import Client
from portalctl.config import Profile
from portalctl.secrets import SecretStore
from tests.contract.serving import PEOPLE, Deployment, ServerProcess, seed_portal, server_available

ClientFor = Callable[[str], Client]


@pytest.fixture(scope="session")
def embedded_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    db = tmp_path_factory.mktemp("embedded") / "portal.db"
    seed_portal(db)
    return Deployment("embedded", db)


@pytest.fixture(scope="session")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if not server_available():
        pytest.skip("the server (cli/portalctl/server, 'portalctl serve') is not in this tree yet")
    folder = tmp_path_factory.mktemp("server")
    seed_portal(folder / "portal.db")
    server = ServerProcess(folder / "portal.db", folder / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server_deployment(server_process: ServerProcess) -> Deployment:
    db = Path(server_process.log_path.parent / "portal.db")
    return Deployment("server", db, server_process.url, {email: server_process.login(email) for email in PEOPLE})


@pytest.fixture(params=["embedded", "server"])
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
                profile = Profile(name=name, backend="embedded", db=str(deployment.db), user=email)
            made[email] = Client(profile)
        return made[email]

    return for_user


@pytest.fixture
def word() -> str:
    """A word no other test uses: search for it to see only this test's tickets."""
    return "w" + uuid.uuid4().hex[:12]
