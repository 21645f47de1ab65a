"""A portal file that cannot be written (chmod 0444, or a read-only folder): reads work, writes say it is read-only.

The commands run in a child process; as root (CI), under `unshare --user`, where root's files are treated as an
ordinary owner's, so a 0444 file is really read-only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from portalctl.contract import TicketDraft
from portalctl.engine.db import transaction
from portalctl.engine.portal import Portal
from portalctl.exitcodes import ExitCode
from tests.conftest import ADMIN, ANA


def as_unprivileged() -> list[str]:
    """The prefix that runs a command without root's privilege over file modes."""
    if os.geteuid() != 0:
        return []
    if shutil.which("unshare") is None:
        pytest.skip("as root, needs unshare(1) to drop the privilege to write read-only files")
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare --user is not permitted here: {probe.stderr.decode().strip()}")
    return ["unshare", "--user"]


@pytest.fixture
def portal_file(tmp_path: Path) -> Path:
    """A portal with Ana's ticket, and a resolved ticket past its grace period (auto-close would write)."""
    folder = tmp_path / "backup"
    path = folder / "portal.db"
    portal = Portal(path, create=True)
    try:
        from portalctl.engine.accounts import bootstrap_admin

        bootstrap_admin(portal, email=ADMIN, name="Ada Admin")
        portal.session(ADMIN).accounts.add_user(email=ANA, name="Ana Acme")
        portal.session(ANA).tickets.create(TicketDraft(subject="Read me from a backup", body="x"))
        old = portal.session(ANA).tickets.create(TicketDraft(subject="Resolved long ago", body="y"))
        with transaction(portal.conn):
            portal.conn.execute("UPDATE tickets SET status = 'resolved', resolved_at = '2020-01-01T00:00:00Z'"
                                " WHERE id = ?", (old.id,))
    finally:
        portal.close()
    assert not (folder / "portal.db-wal").exists()
    return path


def run(path: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_") and k != "CI"}
    env.update(PORTALCTL_HOME=str(home), PORTALCTL_KEYRING="0", PORTALCTL_DB=str(path), PORTALCTL_USER=ANA)
    return subprocess.run([*as_unprivileged(), sys.executable, "-m", "portalctl", *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.fixture(params=["file-0444", "folder-0555"])
def read_only(request: pytest.FixtureRequest, portal_file: Path) -> Iterator[Path]:
    if request.param == "file-0444":
        portal_file.chmod(0o444)
    else:
        portal_file.parent.chmod(0o555)
    try:
        yield portal_file
    finally:
        portal_file.parent.chmod(0o755)
        portal_file.chmod(0o600)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_work_on_a_read_only_portal(read_only: Path, tmp_path: Path) -> None:
    before = digest(read_only)
    listed = run(read_only, tmp_path / "home", "tickets", "list", "--status", "all")
    assert listed.returncode == 0, listed.stderr
    assert "Read me from a backup" in listed.stdout
    assert "resolved" in listed.stdout  # auto-close, a write, was skipped
    shown = run(read_only, tmp_path / "home", "tickets", "show", "1", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert digest(read_only) == before


def test_writes_say_the_portal_is_read_only(read_only: Path, tmp_path: Path) -> None:
    before = digest(read_only)
    for args in (("tickets", "create", "--subject", "new", "--body", "x"), ("tickets", "reply", "1", "--body", "x")):
        refused = run(read_only, tmp_path / "home", *args)
        assert refused.returncode == ExitCode.UNAVAILABLE, refused.stderr
        assert f"the portal file {read_only} is read-only" in refused.stderr
        assert "unexpected" not in refused.stderr and "portalctl init" not in refused.stderr
    assert digest(read_only) == before
