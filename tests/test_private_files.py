"""Private files: with umask 022, what portalctl keeps is still its user's alone.

Directories 0700 and files 0600 (the portal file, its WAL and SHM, attachments, config.json, credentials, an
export's temporary file) after `init`, after `serve` has written, and after an export, whose final file keeps the
umask's 0644; files found open to others are repaired on open, with a warning. The modes are printed (the measure).
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from click.testing import Result

from portalctl.output import atomic
from tests.server.conftest import PDF, free_port, server_env

Cli = Callable[..., Result]
ADMIN = "lead@example.com"


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(root: Path, *paths: Path) -> dict[str, str]:
    """Each existing path's mode, named relative to `root`, printed for the record."""
    found = {str(p.relative_to(root)) if p != root else ".": f"{mode(p):04o}" for p in paths if p.exists()}
    for name, shown in found.items():
        print(f"  {shown}  {name}")
    return found


def everything_under(root: Path) -> list[Path]:
    return [root, *sorted(root.rglob("*"))]


def assert_private(root: Path, paths: list[Path]) -> None:
    for path in paths:
        if path.exists():
            wanted = 0o700 if path.is_dir() else 0o600
            assert mode(path) == wanted, f"{path.relative_to(root)} is {mode(path):04o}, not {wanted:04o}"


def test_init_makes_private_directories_and_files(home: Path, cli: Cli, umask_022: None, tmp_path: Path) -> None:
    assert not home.exists()
    assert cli("init", "--email", ADMIN, "--name", "Lead").exit_code == 0
    pdf = tmp_path / "work" / "form.pdf"
    pdf.write_bytes(PDF)
    assert cli("tickets", "create", "--subject", "s", "--body", "b", "--attach", str(pdf)).exit_code == 0
    from portalctl.secrets import SecretStore

    SecretStore().set("ci", "pct_secret")  # the credentials file (the keyring is off in tests)
    print("after init, a ticket with an attachment and a stored token (umask 022):")
    modes(home, *everything_under(home))
    paths = everything_under(home)
    assert {p.name for p in paths} >= {"config", "data", "portal.db", "config.json", "credentials.json",
                                       "attachments"}
    assert_private(home, paths)


def test_files_open_to_others_are_repaired_on_open_with_a_warning(home: Path, cli: Cli, umask_022: None) -> None:
    assert cli("init", "--email", ADMIN, "--name", "Lead").exit_code == 0
    from portalctl.secrets import SecretStore

    SecretStore().set("ci", "pct_secret")
    opened = everything_under(home)
    for path in opened:  # as an older portalctl left them under umask 022
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    result = cli("tickets", "list")
    assert result.exit_code == 0, result.stderr
    SecretStore().get("ci")
    print("after `tickets list` on files left 0755/0644:")
    modes(home, *everything_under(home))
    assert_private(home, opened)
    assert re.search(r"warning: .*portal\.db could be read by other users \(0644\); it is now 0600", result.stderr)
    assert "config.json could be read by other users" in result.stderr
    again = cli("tickets", "list")
    assert "warning" not in again.stderr  # repaired once, quiet after


def test_an_export_is_written_privately_then_keeps_the_umask(home: Path, cli: Cli, umask_022: None,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("init", "--email", ADMIN, "--name", "Lead").exit_code == 0
    assert cli("tickets", "create", "--subject", "s", "--body", "b").exit_code == 0
    while_written: dict[str, int] = {}
    chmod = os.chmod

    def spy(path: os.PathLike[str] | str, wanted: int) -> None:
        if str(path).endswith(atomic.SUFFIX):
            while_written[Path(path).name] = mode(Path(path))  # just before it gets the final file's mode
        chmod(path, wanted)

    monkeypatch.setattr(atomic.os, "chmod", spy)
    target = tmp_path / "work" / "tickets.csv"
    assert cli("export", "tickets", "-o", str(target), "--status", "all").exit_code == 0
    print(f"export: temporary file(s) {[f'{m:04o}' for m in while_written.values()]}, final {mode(target):04o}")
    assert while_written and set(while_written.values()) == {0o600}
    assert mode(target) == 0o644


def test_serve_writes_private_files(tmp_path: Path, umask_022: None) -> None:
    home = tmp_path / "serve-home"
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as err:  # the child inherits umask 022
        process = subprocess.Popen([sys.executable, "-m", "portalctl", "serve", "--port", str(port),
                                    "--admin-email", ADMIN], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=err, env=server_env(home))
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(api + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        # a reader kept open, so the WAL and SHM files outlive the server's own connections (SQLite removes them
        # when the last one closes) and their modes can be seen; they take the portal file's
        reader = sqlite3.connect(home / "data" / "portal.db")
        reader.execute("SELECT COUNT(*) FROM users").fetchone()
        found = re.search(r"one-time password: (\S+)", log.read_text())
        assert found, log.read_text()
        login = requests.post(api + "/auth/login", timeout=30, json={
            "email": ADMIN, "password": found[1], "new_password": "a new and long password"})
        assert login.status_code == 201, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        upload = requests.post(api + "/uploads", params={"filename": "form.pdf"}, data=PDF, headers=auth, timeout=30)
        assert upload.status_code == 201, upload.text
        created = requests.post(api + "/tickets", json={"subject": "s", "body": "b", "uploads": [upload.json()["id"]]},
                                headers={**auth, "Idempotency-Key": "k1"}, timeout=30)
        assert created.status_code == 201, created.text
        paths = everything_under(home)
        print("while `serve` runs, after a sign-in, an upload and a ticket (umask 022):")
        modes(home, *paths)
        assert {p.name for p in paths} >= {"data", "portal.db", "portal.db-wal", "portal.db-shm", "attachments"}
        assert_private(home, paths)
        reader.close()
    finally:
        process.terminate()
        process.wait(20)
