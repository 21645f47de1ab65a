"""A real django-helpdesk on 127.0.0.1 for the connector tests, installed from PyPI into its own virtualenv.

The virtualenv (.venv-helpdesk/env in the repository root, or PORTALCTL_HELPDESK_HOME) is built once and reused
while its pins match; a migrated database is cached beside it, so a later run only seeds and starts the server.
When the install cannot be done the tests fail saying why: a machine that quietly skips them proves nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import Result

from portalctl.config import Profile, UserConfig
from portalctl.secrets import SecretStore
from tests.connectors.rt_server import RtServer, serve
from tests.connectors.targets import SIMULATORS, Setup, Target, make_target

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).resolve().parent / "helpdesk_site"
PINS = ("Django==5.2.19", "django-helpdesk==2.6.1", "djangorestframework==3.18.3")
INSTALL_TIMEOUT = 600  # seconds for venv + pip: bounded, so a hung index fails the run instead of stalling CI
START_TIMEOUT = 60
PROFILE = "helpdesk"
RT_REQUESTER = "ana@cliente.test"  # the RT profile's user: the requester of the tickets it opens


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "django_helpdesk: runs against a real django-helpdesk (installed on first use)")
    config.addinivalue_line("markers", "rt: runs against a real Request Tracker (scripts/rt.sh)")


@dataclass(frozen=True)
class Helpdesk:
    """The running help desk and what its seed made (see helpdesk_site/seed.py)."""

    url: str
    token: str
    customer_token: str
    admin_user: str
    admin_email: str
    admin_password: str
    queue: int
    queue_slug: str
    billing_queue: int
    log: Path


def home_dir() -> Path:
    return Path(os.environ.get("PORTALCTL_HELPDESK_HOME") or ROOT / ".venv-helpdesk")


def run(command: list[str], what: str, *, env: dict[str, str] | None = None, timeout: float) -> str:
    """Run a setup step; a failure fails the tests with the step's own output, never a skip."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"django-helpdesk test setup: {what} took more than {timeout:.0f} s", pytrace=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        pytest.fail(f"django-helpdesk test setup: {what} failed (exit {done.returncode}):\n{tail}", pytrace=False)
    return done.stdout


def site_env(state: Path) -> dict[str, str]:
    return {**os.environ, "HELPDESK_SITE_DIR": str(state), "PYTHONDONTWRITEBYTECODE": "1"}


def prepare(home: Path) -> tuple[Path, Path]:
    """The help desk's Python and a migrated template database, built under a lock (pytest-xdist workers share
    them) and rebuilt when the pins change."""
    home.mkdir(parents=True, exist_ok=True)
    env_dir, stamp, template = home / "env", home / "pins.txt", home / "template" / "helpdesk.sqlite3"
    python = env_dir / "bin" / "python"
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (python.exists() and stamp.exists() and stamp.read_text() == "\n".join(PINS)):
            shutil.rmtree(env_dir, ignore_errors=True)
            shutil.rmtree(template.parent, ignore_errors=True)
            stamp.unlink(missing_ok=True)
            run([sys.executable, "-m", "venv", str(env_dir)], "creating the virtualenv", timeout=120)
            run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PINS],
                f"pip install {' '.join(PINS)}", timeout=INSTALL_TIMEOUT)
            stamp.write_text("\n".join(PINS))
        if not template.exists():
            template.parent.mkdir(parents=True, exist_ok=True)
            run([str(python), str(SITE / "manage.py"), "migrate", "--verbosity", "0"], "manage.py migrate",
                env=site_env(template.parent), timeout=300)
    return python, template


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"django-helpdesk exited with {process.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/api/", timeout=2).status_code in (200, 401, 403):
                return
        time.sleep(0.2)
    pytest.fail(f"django-helpdesk did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="session")
def helpdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helpdesk]:
    """A seeded django-helpdesk served by `manage.py runserver` on a free loopback port for the whole session."""
    python, template = prepare(home_dir())
    state = tmp_path_factory.mktemp("helpdesk")
    shutil.copy(template, state / "helpdesk.sqlite3")
    seeded = json.loads(run([str(python), str(SITE / "seed.py")], "seeding", env=site_env(state), timeout=120))
    port, log = free_port(), state / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(python), str(SITE / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
            stdout=out, stderr=subprocess.STDOUT, env=site_env(state),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log)
        yield Helpdesk(url=url, log=log, **seeded)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtServer]:
    """A real Request Tracker for the whole session: the run's (scripts/test.sh) or one started here."""
    yield from serve(tmp_path_factory.mktemp("rt"))


@pytest.fixture
def hd_profile(helpdesk: Helpdesk, home: Path) -> Callable[..., Profile]:
    """`hd_profile(**options)`: save the django-helpdesk profile (token in the secret store) and make it current."""

    def save(*, name: str = PROFILE, token: str | None = None, **options: object) -> Profile:
        profile = Profile(name=name, backend="django-helpdesk", url=helpdesk.url, user=helpdesk.admin_email,
                          options={"queue": str(helpdesk.queue), **options})
        UserConfig().put(profile)
        SecretStore().set(name, token or helpdesk.token)
        return profile

    return save


@pytest.fixture
def hd_cli(cli: Callable[..., Result], hd_profile: Callable[..., Profile]) -> Callable[..., Result]:
    """The CLI through click's runner, acting through the django-helpdesk profile (PORTALCTL_PROFILE)."""
    hd_profile()

    def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input)

    return run_cli


@pytest.fixture
def word() -> str:
    """A word no other test uses: tests share one django-helpdesk, and each lists only its own tickets."""
    return "w" + uuid.uuid4().hex[:12]


@pytest.fixture
def target(request: pytest.FixtureRequest, home: Path, cli: Callable[..., Result], word: str,
           tmp_path: Path) -> Iterator[Target]:
    """A help desk behind a saved profile (see targets.py): a test picks the kind by parametrizing `target` with
    indirect=True (test_contract.py does, over targets.KINDS)."""
    kind = str(request.param)
    if kind == "django-helpdesk":
        helpdesk: Helpdesk = request.getfixturevalue("helpdesk")
        setup = Setup("django-helpdesk", helpdesk.url, helpdesk.token, helpdesk.admin_email,
                      {"queue": str(helpdesk.queue)}, ("user_code", "0042"))
        yield make_target(kind, setup, cli, word, tmp_path)
        return
    if kind == "rt":
        server: RtServer = request.getfixturevalue("rt")
        setup = Setup("Request Tracker", server.url, server.token, RT_REQUESTER, {"queue": "General"},
                      ("user_code", "0042"))
        yield make_target(kind, setup, cli, word, tmp_path)
        return
    with SIMULATORS[kind]() as found:
        yield make_target(kind, found, cli, word, tmp_path)


TEST_SECONDS = 60  # a simulator test is bounded: HTTP calls time out after 10 s, and an alarm ends a stuck test


@pytest.fixture
def bounded() -> Iterator[None]:
    """The test is bounded in time (SIGALRM; no pytest-timeout needed): `pytestmark = usefixtures("bounded")`."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"test took more than {TEST_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
