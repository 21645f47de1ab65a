"""Commands at a person's terminal: writing in $EDITOR, closing after a look, and the small bugs seen there."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from portalctl.contract import TicketDraft, Upload
from portalctl.demo_data import sample_pdf
from portalctl.engine.portal import Portal, Session
from portalctl.exitcodes import ExitCode
from portalctl.iostreams import IOStreams
from tests.conftest import AGENT, ANA

Cli = Callable[..., Result]


def run(cli: Cli, io: IOStreams, *args: str, user: str | None = AGENT, code: int = 0, **options: object) -> IOStreams:
    result = cli(*args, user=user, io=io, **options)
    assert result.exit_code == code, f"exit {result.exit_code}\nout: {io.out.getvalue()}\nerr: {io.err.getvalue()}"
    return io


def editor(directory: Path, text: str) -> str:
    """An $EDITOR that writes `text` above the template and keeps a copy of what it was given."""
    script = directory / "editor.sh"
    script.write_text(f'#!/bin/sh\ncp "$1" {directory}/given.md\n'
                      f'{{ printf "%s" {shlex.quote(text)}; cat "$1"; }} > "$1.new"\nmv "$1.new" "$1"\n')
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def ticket(portal: Portal, as_user: Callable[[str], Session]) -> int:
    return as_user(ANA).tickets.create(TicketDraft(subject="Impresora", body="Desde las 9:00")).id


class TestEditor:
    def test_create_opens_the_editor_and_strips_the_instructions(self, cli: Cli, portal: Portal,
                                                                 tmp_path: Path) -> None:
        env = {"VISUAL": editor(tmp_path, "Línea uno\n\nLínea dos\n# not this\n"), "EDITOR": "false"}
        run(cli, IOStreams.fake(tty=True), "tickets", "create", "--subject", "Impresora", user=ANA, env=env)
        body = portal.conn.execute("SELECT body FROM comments").fetchone()[0]
        assert body == "Línea uno\n\nLínea dos"
        given = (tmp_path / "given.md").read_text()
        assert "# Write the ticket's description above" in given and "# Subject: Impresora" in given

    def test_reply_opens_the_editor(self, cli: Cli, portal: Portal, ticket: int, tmp_path: Path) -> None:
        env = {"EDITOR": editor(tmp_path, "Ya está\nfuncionando\n")}
        run(cli, IOStreams.fake(tty=True), "tickets", "reply", str(ticket), env=env)
        assert portal.conn.execute("SELECT body FROM comments ORDER BY id DESC").fetchone()[0] == "Ya está\nfuncionando"

    def test_an_empty_body_sends_nothing(self, cli: Cli, portal: Portal, tmp_path: Path) -> None:
        result = cli("tickets", "create", "--subject", "x", user=ANA, io=IOStreams.fake(tty=True),
                     env={"EDITOR": editor(tmp_path, "\n# only a comment\n")})
        assert result.exit_code == ExitCode.USAGE  # click's usage errors go to click's stderr
        assert "the ticket's description is empty: nothing was sent" in result.stderr
        assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0

    def test_no_terminal_still_needs_the_flag(self, cli: Cli, portal: Portal) -> None:
        run(cli, IOStreams.fake(), "tickets", "create", "--subject", "x", user=ANA, code=ExitCode.USAGE)
        assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0


class TestClose:
    def status(self, portal: Portal, ticket: int) -> str:
        return str(portal.conn.execute("SELECT status FROM tickets WHERE id = ?", (ticket,)).fetchone()[0])

    def test_a_terminal_shows_the_ticket_and_asks(self, cli: Cli, portal: Portal, ticket: int) -> None:
        result = cli("tickets", "close", str(ticket), user=AGENT, input="n\n", io=(io := IOStreams.fake(tty=True)))
        assert result.exit_code == 1
        assert "#1 Impresora" in io.out.getvalue() and "Nothing changed: #1 is not closed." in io.err.getvalue()
        assert "Close #1? Closed is final" in result.stderr
        assert self.status(portal, ticket) != "closed"
        run(cli, IOStreams.fake(tty=True, stdin="y\n"), "tickets", "close", str(ticket), input="y\n")
        assert self.status(portal, ticket) == "closed"

    def test_yes_and_scripts_do_not_ask(self, cli: Cli, portal: Portal, ticket: int,
                                        as_user: Callable[[str], Session]) -> None:
        run(cli, IOStreams.fake(tty=True), "tickets", "close", str(ticket), "--yes")
        assert self.status(portal, ticket) == "closed"
        other = as_user(ANA).tickets.create(TicketDraft(subject="Otra", body="x")).id
        run(cli, IOStreams.fake(), "tickets", "close", str(other))
        assert self.status(portal, other) == "closed"


class TestBugsSeen:
    def test_auth_list_in_its_default_form(self, cli: Cli, portal: Portal) -> None:
        run(cli, IOStreams.fake(), "auth", "login", "--name", "ana", "--user", ANA, user=None)
        out = run(cli, IOStreams.fake(), "auth", "list", user=None).out.getvalue()
        assert out.splitlines()[0].split() == ["CURRENT", "NAME", "BACKEND", "URL", "USER", "DB"]
        assert "ana" in out and "embedded" in out

    def test_status_after_logging_out_of_every_profile(self, cli: Cli, portal: Portal) -> None:
        run(cli, IOStreams.fake(), "auth", "login", "--name", "ana", "--user", ANA, user=None)
        run(cli, IOStreams.fake(), "auth", "logout", "ana", user=None)
        io = run(cli, IOStreams.fake(), "auth", "status", user=None, code=ExitCode.AUTH)
        assert "not signed in" in io.err.getvalue() and io.out.getvalue() == ""

    def test_show_as_yaml_is_one_object_like_json(self, cli: Cli, ticket: int) -> None:
        out = run(cli, IOStreams.fake(), "tickets", "show", str(ticket), "-o", "yaml").out.getvalue()
        assert yaml.safe_load(out)["subject"] == "Impresora"

    def test_show_with_columns_in_a_table(self, cli: Cli, ticket: int) -> None:
        out = run(cli, IOStreams.fake(), "tickets", "show", str(ticket), "--columns", "id,subject").out.getvalue()
        assert out.split() == ["id", "1", "subject", "Impresora"]

    def test_no_attachments_is_said(self, cli: Cli, ticket: int) -> None:
        io = run(cli, IOStreams.fake(), "tickets", "attachments", str(ticket))
        assert io.out.getvalue() == "" and io.err.getvalue() == "No attachments.\n"

    def test_download_to_stdout(self, cli: Cli, portal: Portal, as_user: Callable[[str], Session],
                                tmp_path: Path) -> None:
        pdf = tmp_path / "f.pdf"
        pdf.write_bytes(sample_pdf())
        as_user(ANA).tickets.create(TicketDraft(subject="x", body="y", attachments=[Upload("f.pdf", pdf)]))
        result = cli("tickets", "download", "1", "1", "--dir", "-", user=AGENT)
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes == pdf.read_bytes()
        assert not Path("-").exists()
        on_tty = cli("tickets", "download", "1", "1", "--dir", "-", user=AGENT, io=IOStreams.fake(tty=True))
        assert on_tty.exit_code == ExitCode.USAGE and "redirect it" in on_tty.stderr
        assert not Path("-").exists()

    def test_exported_one_ticket(self, cli: Cli, ticket: int, tmp_path: Path) -> None:
        io = run(cli, IOStreams.fake(), "export", "tickets", "-o", str(tmp_path / "t.csv"))
        assert "Exported 1 ticket to" in io.err.getvalue()

    def test_json_show_is_unchanged(self, cli: Cli, ticket: int) -> None:
        assert json.loads(run(cli, IOStreams.fake(), "tickets", "show", "1", "-o", "json").out.getvalue())["id"] == 1


class TestFirstSession:
    """What a new user meets in the README's first session."""

    def test_create_says_when_the_ticket_is_due_relative_first(self, cli: Cli, portal: Portal) -> None:
        io = run(cli, IOStreams.fake(tty=True), "tickets", "create", "--subject", "Impresora", "--body", "x", user=ANA,
                 env={"TZ": "UTC"})
        said = io.err.getvalue().splitlines()[-1]
        assert re.fullmatch(r"Created ticket #1: Impresora \(due in \d+ (h|d), \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", said)
        piped = run(cli, IOStreams.fake(), "tickets", "create", "--subject", "Otra", "--body", "x", user=ANA,
                    env={"TZ": "UTC"})
        assert re.fullmatch(r"Created ticket #2: Otra \(due \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\n", piped.err.getvalue())

    def test_a_search_of_an_empty_knowledge_base_says_it_is_empty(self, cli: Cli, portal: Portal) -> None:
        io = run(cli, IOStreams.fake(tty=True), "articles", "search", "facturacion", "electronica", user=ANA)
        assert io.out.getvalue() == ""
        assert io.err.getvalue() == ("No articles match 'facturacion electronica'; the knowledge base has no articles "
                                     "yet (staff add them with 'portalctl admin articles add' or 'import').\n")
