"""A real Request Tracker 5 (Debian's request-tracker5) on 127.0.0.1 for the RT connector tests.

scripts/test.sh starts one for the whole run (scripts/rt.sh) and names it in PORTALCTL_TEST_RT_URL, _TOKEN and _DIR;
without them, each test session starts its own in a temporary directory (installing the packages first where it
is root, as the script does). Either way rt_seed.pl adds what the tests expect (a custom field, a second queue).
When RT cannot be started the tests fail saying why: a machine that quietly skips them proves nothing.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "rt.sh"
SEED = Path(__file__).resolve().parent / "rt_seed.pl"
RT_LIB = "/usr/share/request-tracker5/lib"
SETUP_TIMEOUT = 600  # seconds: an apt-get install on a bare machine takes under a minute
# Read at import: the tests' `home` fixture clears PORTALCTL_* variables before a test asks for the server.
RUN_RT = tuple(os.environ.get(f"PORTALCTL_TEST_RT_{k}") for k in ("URL", "TOKEN", "DIR"))


@dataclass(frozen=True)
class RtServer:
    url: str
    token: str
    folder: Path  # the instance's directory (config, database, server log)


def step(command: list[str], what: str, env: dict[str, str] | None = None) -> str:
    """Run a setup step; a failure fails the tests with the step's own output."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=SETUP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Request Tracker test setup: {what} took more than {SETUP_TIMEOUT} s", pytrace=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        pytest.fail(f"Request Tracker test setup: {what} failed (exit {done.returncode}):\n{tail}", pytrace=False)
    return done.stdout


def seed(folder: Path) -> None:
    """rt_seed.pl against the instance in `folder`, once at a time (pytest-xdist workers share one RT)."""
    env = {**os.environ, "RT_SITE_CONFIG": str(folder / "etc" / "RT_SiteConfig.pm"),
           "RT_SITE_CONFIG_DIR": str(folder / "etc" / "RT_SiteConfig.d")}
    with open(folder / "seed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        step(["perl", f"-I{RT_LIB}", str(SEED)], "rt_seed.pl", env)


def parse(assignments: str) -> dict[str, str]:
    """scripts/rt.sh start's KEY=VALUE lines."""
    return dict(line.split("=", 1) for line in assignments.splitlines() if "=" in line)


def serve(folder: Path) -> Iterator[RtServer]:
    """The run's RT (from the environment) or one started in `folder` and stopped afterwards."""
    url, token, home = RUN_RT
    if url and token and home:
        seed(Path(home))
        yield RtServer(url, token, Path(home))
        return
    started = parse(step(["bash", str(SCRIPT), "start", str(folder)], "scripts/rt.sh start"))
    try:
        seed(folder)
        yield RtServer(started["RT_URL"], started["RT_TOKEN"], folder)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=60, check=False)
