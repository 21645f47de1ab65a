"""The I/O object is the one path to the terminal: a fake one (IOStreams.fake) sees everything a command writes.

Each test hands `portalctl` a fake terminal or fake pipes through the `cli` fixture's `io=` and reads what the
command wrote from it; nothing reaches the runner's own stdout and stderr, and nothing is monkeypatched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import Result

from portalctl.commands.stats import MAX_BAR
from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal, Session
from portalctl.exitcodes import ExitCode
from portalctl.iostreams import IOStreams
from tests.conftest import ADMIN, ANA

Cli = Callable[..., Result]
AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ESC = "\x1b["


@pytest.fixture
def opened(portal: Portal, as_user: Callable[[str], Session]) -> int:
    """Two new tickets of Ana's; returns how many."""
    for subject in ("Impresora", "Factura 5412"):
        as_user(ANA).tickets.create(TicketDraft(subject=subject, body="Desde las 9:00"))
    return 2


def run(cli: Cli, io: IOStreams, *args: str, user: str = ANA, code: int = 0, **options: object) -> IOStreams:
    """Run on `io`; the runner's own streams stay empty, whatever the command printed."""
    result = cli(*args, user=user, io=io, **options)
    assert result.exit_code == code, f"exit {result.exit_code}\nout: {io.out.getvalue()}\nerr: {io.err.getvalue()}"
    assert result.stdout == "" and result.stderr == ""
    return io


class TestFake:
    def test_a_fake_terminal_is_what_it_was_told(self) -> None:
        io = IOStreams.fake(tty=True, width=60, now=AT)
        assert io.out_tty and io.err_tty and io.stdin_tty and io.color and io.err_color and io.width == 60
        assert io.now() == AT and io.can_prompt(no_input=False) and not io.can_prompt(no_input=True)
        assert not IOStreams.fake(tty=True, ci=True).can_prompt(no_input=False)

    def test_fake_pipes_have_no_width_colour_or_prompts(self) -> None:
        io = IOStreams.fake(width=60)
        assert (io.out_tty, io.width, io.color, io.err_color, io.can_prompt(no_input=False)) == (
            False, None, False, False, False)
        assert not IOStreams.fake(tty=True, color=False).color  # NO_COLOR on a terminal

    def test_echo_and_style(self) -> None:
        io = IOStreams.fake(tty=True)
        io.echo(io.style("bold", bold=True))
        io.echo("note", err=True)
        assert io.out.getvalue() == click.style("bold", bold=True) + "\n" and io.err.getvalue() == "note\n"
        assert IOStreams.fake().style("plain", bold=True) == "plain"


class TestListing:
    def test_states_are_coloured_on_a_colour_terminal(self, opened: int, cli: Cli) -> None:
        shown = run(cli, IOStreams.fake(tty=True), "tickets", "list").out.getvalue()
        assert click.style("new", fg="cyan") in shown and "Impresora" in shown

    @pytest.mark.parametrize("io", [IOStreams.fake(), IOStreams.fake(tty=True, color=False)], ids=["pipe", "NO_COLOR"])
    def test_no_colour_on_a_pipe_or_with_no_color(self, opened: int, cli: Cli, io: IOStreams) -> None:
        shown = run(cli, io, "tickets", "list").out.getvalue()
        assert ESC not in shown and "Impresora" in shown

    def test_the_human_view_of_a_ticket_is_coloured_on_a_terminal_only(self, opened: int, cli: Cli) -> None:
        assert click.style("New", fg="cyan", bold=True) in run(cli, IOStreams.fake(tty=True), "tickets", "show",
                                                               "1").out.getvalue()
        assert ESC not in run(cli, IOStreams.fake(), "tickets", "show", "1").out.getvalue()

    def test_nothing_listed_is_said_on_the_fake_stderr(self, portal: Portal, cli: Cli) -> None:
        io = run(cli, IOStreams.fake(), "tickets", "list")
        assert io.out.getvalue() == "" and io.err.getvalue() == "No tickets match.\n"


class TestArticle:
    def test_markdown_is_rendered_at_the_terminal_width_and_left_as_written_on_a_pipe(self, portal: Portal,
                                                                                     cli: Cli) -> None:
        portal.session(ADMIN).articles.add(collection="Colombia", folder="Facturación", title="Factura electrónica",
                                           body="# Pasos\n\n" + "Abra el portal de la DIAN y firme. " * 6, locale="es")
        rendered = run(cli, IOStreams.fake(tty=True, width=40, color=False), "articles", "show", "1").out.getvalue()
        assert "# Pasos" not in rendered and "Pasos" in rendered
        assert max(len(click.unstyle(line)) for line in rendered.splitlines()[3:]) == 40  # wrapped to the width
        assert "# Pasos" in run(cli, IOStreams.fake(), "articles", "show", "1").out.getvalue()


class TestStats:
    def test_a_bar_chart_on_a_terminal_fitted_to_its_width(self, opened: int, cli: Cli) -> None:
        narrow = run(cli, IOStreams.fake(tty=True, width=40, color=False), "tickets", "stats").out.getvalue()
        assert "█" in narrow and max(len(line) for line in narrow.splitlines()) <= 40
        wide = run(cli, IOStreams.fake(tty=True, width=200, color=False), "tickets", "stats").out.getvalue()
        assert "█" * MAX_BAR in wide  # the widest bar stops at MAX_BAR however wide the terminal

    def test_the_chart_is_coloured_on_a_colour_terminal(self, opened: int, cli: Cli) -> None:
        chart = run(cli, IOStreams.fake(tty=True, width=60), "tickets", "stats").out.getvalue()
        assert chart.startswith(click.style("Tickets by state", bold=True))

    def test_rows_of_key_and_count_on_a_pipe(self, opened: int, cli: Cli) -> None:
        table = run(cli, IOStreams.fake(), "tickets", "stats").out.getvalue()
        assert table.splitlines()[0].split() == ["KEY", "COUNT"] and "█" not in table


class TestPrompts:
    def test_no_prompt_when_stdin_is_not_a_terminal(self, portal: Portal, cli: Cli) -> None:
        io = IOStreams.fake(tty=True, stdin_tty=False)
        result = cli("tickets", "create", "--body", "x", user=ANA, io=io, input="Impresora\n")
        assert result.exit_code == ExitCode.USAGE and "missing --subject" in result.stderr
        assert "Subject" not in result.stderr + io.err.getvalue()

    @pytest.mark.parametrize("ci", [False, True])
    def test_a_prompt_on_a_terminal_unless_ci(self, portal: Portal, cli: Cli, ci: bool) -> None:
        io = IOStreams.fake(stdin_tty=True, ci=ci)
        result = cli("tickets", "create", "--body", "x", user=ANA, io=io, input="Impresora\n")
        if ci:
            assert result.exit_code == ExitCode.USAGE and "missing --subject" in result.stderr
        else:  # click's prompt reads and asks through click's own streams (the one exception)
            assert result.exit_code == 0 and "Subject" in result.stderr
            assert io.out.getvalue() == "1\n" and "Impresora" in io.err.getvalue()


class TestStderr:
    def test_a_message_lands_on_the_fake_stderr_and_data_on_its_stdout(self, portal: Portal, cli: Cli) -> None:
        io = run(cli, IOStreams.fake(), "tickets", "create", "--subject", "Impresora", "--body", "Humo")
        assert io.out.getvalue() == "1\n" and "#1" in io.err.getvalue()

    def test_an_error_is_red_on_a_terminal_and_plain_on_a_pipe(self, portal: Portal, cli: Cli) -> None:
        terminal = run(cli, IOStreams.fake(tty=True), "tickets", "show", "99", code=ExitCode.NOT_FOUND)
        assert terminal.err.getvalue().startswith(click.style("Error: ", fg="red", bold=True))
        pipe = run(cli, IOStreams.fake(), "tickets", "show", "99", code=ExitCode.NOT_FOUND)
        assert pipe.err.getvalue().startswith("Error: ") and ESC not in pipe.err.getvalue()


class TestClock:
    @pytest.mark.parametrize(("year", "listed"), [(2000, 2), (2100, 0)])
    def test_a_span_back_from_now_counts_from_the_fake_clock(self, opened: int, cli: Cli, year: int,
                                                             listed: int) -> None:
        io = run(cli, IOStreams.fake(now=AT.replace(year=year)), "tickets", "list", "--created-since", "7d",
                 "-o", "json")
        assert len(json.loads(io.out.getvalue())) == listed

    def test_the_excel_summary_says_when_by_the_fake_clock(self, opened: int, cli: Cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TZ", "UTC")
        run(cli, IOStreams.fake(now=AT), "export", "tickets", "-o", "t.xlsx", user=ADMIN)
        summary = openpyxl.load_workbook(Path("t.xlsx"))["Summary"]
        assert summary["B2"].value == AT.replace(tzinfo=None)


class TestExport:
    def test_stdout_exports_go_to_the_fake_stdout(self, opened: int, cli: Cli) -> None:
        io = run(cli, IOStreams.fake(), "export", "tickets", "-o", "-", "--format", "jsonl")
        assert len(io.out.getvalue().splitlines()) == opened and io.err.getvalue().startswith("Exported 2 tickets")

    def test_progress_only_when_the_fake_stderr_is_a_terminal(self, portal: Portal, cli: Cli,
                                                               as_user: Callable[[str], Session]) -> None:
        portal.conn.execute("PRAGMA synchronous = OFF")  # a fixture: speed over durability
        for n in range(200):
            as_user(ANA).tickets.create(TicketDraft(subject=f"Ticket {n}", body="x"))
        terminal = run(cli, IOStreams.fake(tty=True), "export", "tickets", "-o", "t.csv")
        assert terminal.err.getvalue() == ("\r  [########################] 200/200 tickets 100%  ETA 0:00\x1b[K"
                                           "\r\x1b[KExported 200 tickets to t.csv\n")
        for quiet in (IOStreams.fake(), IOStreams.fake(tty=True, color=False)):  # a pipe; NO_COLOR
            shown = run(cli, quiet, "export", "tickets", "-o", "t.csv").err.getvalue()
            assert shown == "Exported 200 tickets to t.csv\n"


class TestHelpPager:
    """`--help` is long output: through the pager on a terminal (a pager that writes to a file stands in for less)."""

    @pytest.mark.parametrize("args", [["--help"], ["tickets", "list", "--help"], ["tickets", "ls", "-h"],
                                      ["help", "tickets", "list"]])
    def test_help_goes_through_the_pager_on_a_terminal(self, cli: Cli, tmp_path: Path, args: list[str]) -> None:
        paged = tmp_path / "paged.txt"
        io = IOStreams.fake(tty=True)
        io.can_page = True
        run(cli, io, *args, env={"PORTALCTL_PAGER": f"cat > {paged}", "PAGER": "false"})
        assert paged.read_text().startswith("Usage: ") and io.out.getvalue() == ""

    @pytest.mark.parametrize("args, env, tty", [
        (["--no-pager", "--help"], {}, True),
        (["--no-pager", "tickets", "list", "--help"], {}, True),
        (["tickets", "list", "--help"], {}, False),  # a pipe
        (["tickets", "list", "--help"], {"PORTALCTL_PAGER": "cat"}, True),
    ])
    def test_help_is_printed_without_a_pager(self, cli: Cli, tmp_path: Path, args: list[str],
                                             env: dict[str, str], tty: bool) -> None:
        paged = tmp_path / "paged.txt"
        io = IOStreams.fake(tty=tty)
        io.can_page = True
        run(cli, io, *args, env={"PAGER": f"cat > {paged}", **env})
        assert io.out.getvalue().startswith("Usage: ") and not paged.exists()
