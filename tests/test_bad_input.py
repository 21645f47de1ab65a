"""Bad input that once escaped as "unexpected ..." (exit 1): each now gets its documented exit code and a one-line
message naming the input. Runs the CLI on a real portal file; the full-disk case on the engine, with SQLite's own
SQLITE_FULL (a page limit stands in for the disk)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.config import default_db
from portalctl.contract import TicketDraft, TicketQuery
from portalctl.engine.limits import BODY_MAX, SUBJECT_MAX
from portalctl.engine.portal import Portal
from portalctl.errors import InvalidInput, Unavailable
from portalctl.exitcodes import ExitCode
from tests.conftest import ANA

Cli = Callable[..., Result]


def refused(result: Result, code: int, *fragments: str) -> str:
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in {result.stderr!r}"
    return result.stderr


@pytest.fixture
def work(home: Path, portal: Portal) -> Path:
    return Path.cwd()


def test_a_subject_that_is_not_utf8_names_the_option(work: Path) -> None:
    env = {**os.environ, "PORTALCTL_USER": ANA}
    result = subprocess.run([sys.executable, "-m", "portalctl", "tickets", "create", b"--subject", b"caf\xe9",
                             "--body", "x"], capture_output=True, env=env, cwd=work, timeout=60)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert b"--subject is not UTF-8 text (it has the byte 0xe9)" in result.stderr
    assert b"unexpected" not in result.stderr


def test_a_body_file_that_is_not_utf8_names_the_file(work: Path, cli: Cli) -> None:
    (work / "log.txt").write_bytes(b"build log \xff\xfe end")
    refused(cli("tickets", "create", "--subject", "s", "--body-file", "log.txt", user=ANA), ExitCode.USAGE,
            "--body-file", "log.txt is not UTF-8 text (it has the byte 0xff)")


@pytest.mark.parametrize("args", [
    ("tickets", "show", "99999999999999999999999"),
    ("tickets", "list", "--limit", "9223372036854775808"),
    ("export", "tickets", "-o", "out.csv", "--limit", "9223372036854775808"),
    ("tickets", "download", "1", "99999999999999999999999"),
    ("articles", "show", "9223372036854775808"),
])
def test_numbers_beyond_a_database_integer_are_usage_errors(work: Path, cli: Cli, args: tuple[str, ...]) -> None:
    refused(cli(*args, user=ANA), ExitCode.USAGE, "is not in the range 1<=x<=9223372036854775807")


def test_control_characters_in_a_template_or_vars_file_name_the_line(work: Path, cli: Cli) -> None:
    (work / "t.yaml").write_text('subject: s\nbody: "a\x00b"\n', encoding="utf-8")
    refused(cli("templates", "validate", "t.yaml"), ExitCode.USAGE, "t.yaml:2: has a control character (0x00)")
    (work / "ok.yaml").write_text("subject: s\nbody: ${A}\n", encoding="utf-8")
    (work / "vars.yaml").write_text("B: 1\nA: \x01\n", encoding="utf-8")
    refused(cli("templates", "render", "ok.yaml", "--vars-file", "vars.yaml"), ExitCode.USAGE,
            "vars.yaml:2: has a control character (0x01)")


@pytest.mark.parametrize("name", [".env", ".portalctl.toml"])
def test_a_settings_file_that_is_not_utf8_is_named(work: Path, cli: Cli, name: str) -> None:
    (work / name).write_bytes(b'PORTALCTL_OUTPUT = "\xff"\n')
    refused(cli("tickets", "list", user=ANA), ExitCode.USAGE, f"{work / name} is not UTF-8 text")


def test_a_stored_name_too_long_for_the_file_system_is_shortened_on_download(work: Path, cli: Cli,
                                                                           portal: Portal) -> None:
    (work / "a.txt").write_text("hello", encoding="utf-8")
    ticket = portal.session(ANA).tickets.create(TicketDraft(subject="s", body="b"))
    assert cli("tickets", "reply", str(ticket.id), "--body", "file", "--attach", "a.txt", user=ANA).exit_code == 0
    long_name = "informe-" + "ñ" * 200 + ".txt"  # 408 bytes: another portal (the server) stored it as sent
    with sqlite3.connect(default_db()) as conn:
        conn.execute("UPDATE attachments SET filename = ?", (long_name,))
    result = cli("tickets", "download", str(ticket.id), "1", "--dir", "out", user=ANA)
    assert result.exit_code == 0, result.stderr
    saved = Path(result.stdout.strip())
    assert saved.read_text(encoding="utf-8") == "hello"
    assert saved.name.endswith(".txt") and len(saved.name.encode()) <= 255 and saved.name.startswith("informe-ñ")


def test_a_full_disk_fails_clearly_and_keeps_the_portal(home: Path, portal: Portal) -> None:
    session = portal.session(ANA)
    kept = session.tickets.create(TicketDraft(subject="kept", body="safe"))
    pages = portal.conn.execute("PRAGMA page_count").fetchone()[0]
    portal.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL, as on a full disk
    with pytest.raises(Unavailable, match="the disk holding the portal is full: this change was not saved"):
        session.tickets.create(TicketDraft(subject="big", body="x" * 200_000))
    reopened = Portal(default_db())
    try:
        assert [t.subject for t in reopened.session(ANA).tickets.list(TicketQuery(limit=None))] == [kept.subject]
    finally:
        reopened.close()


def test_an_empty_file_is_not_made_into_a_portal(home: Path, cli: Cli) -> None:
    empty = home.parent / "empty.db"
    empty.touch()
    refused(cli("tickets", "list", env={"PORTALCTL_DB": str(empty)}), ExitCode.UNAVAILABLE,
            f"{empty} is an empty file, not a portalctl portal")
    assert empty.stat().st_size == 0
    other = home.parent / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text)")
    refused(cli("--no-input", "init", "--db", str(other), "--email", "a@example.test"), ExitCode.UNAVAILABLE,
            "is a SQLite database of something else, not a portalctl portal")
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")] == ["notes"]
    assert cli("--no-input", "init", "--db", str(empty), "--email", "a@example.test").exit_code == 0


def test_the_embedded_portal_has_the_servers_limits(work: Path, cli: Cli, portal: Portal) -> None:
    refused(cli("tickets", "create", "--subject", "s" * (SUBJECT_MAX + 1), "--body", "b", user=ANA), ExitCode.USAGE,
            f"at most {SUBJECT_MAX:,} are allowed")
    (work / "big.md").write_text("x" * (BODY_MAX + 1), encoding="utf-8")
    refused(cli("tickets", "create", "--subject", "s", "--body-file", "big.md", user=ANA), ExitCode.USAGE,
            f"the body is {BODY_MAX + 1:,} characters long")
    session = portal.session(ANA)
    ticket = session.tickets.create(TicketDraft(subject="s" * SUBJECT_MAX, body="x" * BODY_MAX))
    with pytest.raises(InvalidInput, match="the reply is"):
        session.tickets.reply(ticket.id, body="y" * (BODY_MAX + 1))
    assert len(session.tickets.get(ticket.id).subject) == SUBJECT_MAX
