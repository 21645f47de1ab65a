"""Portal text on a terminal: inert (no escape sequence obeyed), fitted to the width, in the reader's time.

Hostile text goes in through the portal (a customer's ticket, an article, a file name) and comes out through every
human renderer of the fake I/O object; the machine formats keep it byte for byte. tests/test_terminal_tmux.py
shows the same on a real terminal.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from portalctl.cells import flat
from portalctl.cli import PortalClickError
from portalctl.contract import TicketDraft, Upload
from portalctl.engine.portal import Portal, Session
from portalctl.iostreams import IOStreams
from portalctl.output.table import text_width
from portalctl.safetext import cell, visible
from tests.conftest import ADMIN, AGENT, ANA, CARLA

Cli = Callable[..., Result]
AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
HOSTILE = "Hola\x1b[2J\x1b]0;pwned\x07 mundo"
BODY = "Primera línea \x1b[31mroja\x1b[0m\r\x08\x08\x9b31m fin\nSegunda\tlínea"
CONTROLS = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]


def bare(text: str) -> bool:
    """No control character but newline and tab: nothing a terminal would obey."""
    return not any(char in text for char in CONTROLS)


def run(cli: Cli, io: IOStreams, *args: str, user: str = AGENT, code: int = 0, **options: object) -> IOStreams:
    result = cli(*args, user=user, io=io, **options)
    assert result.exit_code == code, f"exit {result.exit_code}\nout: {io.out.getvalue()}\nerr: {io.err.getvalue()}"
    return io


def text(io: IOStreams) -> str:
    return io.out.getvalue() + io.err.getvalue()


@pytest.fixture
def hostile(portal: Portal, as_user: Callable[[str], Session], tmp_path: Path) -> int:
    """A customer's ticket whose subject, body, and attachment name try to drive the terminal."""
    upload = tmp_path / "f.txt"
    upload.write_text("hola\n")
    ticket = as_user(ANA).tickets.create(TicketDraft(
        subject=HOSTILE, body=BODY, attachments=[Upload(filename="a\x1b[2Jb.txt", path=upload)]))
    return ticket.id


class TestSafeText:
    def test_escapes_are_shown_and_layout_kept(self) -> None:
        assert visible(HOSTILE) == "Hola\\e[2J\\e]0;pwned^G mundo"
        assert visible("a\x9b31m\r\x08b\x7f\u202ec\nd\te") == "a\\x9b31m^M^Hb^?\\u202ec\nd\te"
        assert cell("uno\ndos\tfin\r\n") == "uno⏎dos fin⏎"
        assert all(bare(visible(char)) and bare(cell(char)) for char in CONTROLS)
        assert visible("Añadir — ✓ 日本") == "Añadir — ✓ 日本"


class TestEveryRenderer:
    @pytest.mark.parametrize("tty", [True, False])
    def test_tickets_list_table(self, cli: Cli, hostile: int, tty: bool) -> None:
        out = run(cli, IOStreams.fake(tty=tty, color=False, width=200, now=AT), "tickets", "list").out.getvalue()
        assert bare(out) and "Hola\\e[2J\\e]0;pwned^G mundo" in out

    def test_tickets_show_view_and_fields(self, cli: Cli, hostile: int) -> None:
        coloured = text(run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "show", str(hostile)))
        assert "\x1b[2J" not in coloured and "\x1b[31m" not in coloured and "\x1b]0;" not in coloured
        shown = text(run(cli, IOStreams.fake(tty=True, color=False, now=AT), "tickets", "show", str(hostile)))
        assert bare(shown)
        assert "\x1b[2J" not in shown and "\x1b]0;" not in shown and "\x1b[31m" not in shown and "\x9b" not in shown
        assert "\\e[31mroja" in shown and "^M^H^H\\x9b31m fin" in shown and "a_[2Jb.txt" in shown
        assert "Segunda\tlínea" in shown  # newline and tab kept in a body
        plain = text(run(cli, IOStreams.fake(now=AT), "tickets", "show", str(hostile), "--columns", "id,subject"))
        assert bare(plain) and "Hola\\e[2J" in plain

    def test_attachments_and_messages(self, cli: Cli, hostile: int, tmp_path: Path) -> None:
        listed = run(cli, IOStreams.fake(now=AT), "tickets", "attachments", str(hostile)).out.getvalue()
        assert bare(listed) and "a_[2Jb.txt" in listed  # the portal made the name safe as it stored it
        io = run(cli, IOStreams.fake(now=AT), "tickets", "update", str(hostile), "--priority", "high")
        created = run(cli, IOStreams.fake(now=AT), "tickets", "create", "--subject", HOSTILE, "--body", "x")
        assert bare(io.err.getvalue()) and bare(created.err.getvalue())
        assert "Created ticket #2: Hola\\e[2J" in created.err.getvalue()

    def test_articles(self, cli: Cli, portal: Portal) -> None:
        portal.session(ADMIN).articles.add(collection="C\x1b]0;x\x07", folder="F", title=HOSTILE, body=BODY)
        for tty in (True, False):
            for args in (("articles", "show", "1"), ("articles", "list"), ("articles", "collections"),
                         ("articles", "search", "mundo")):
                shown = text(run(cli, IOStreams.fake(tty=tty, color=False, now=AT), *args))
                assert bare(shown), (args, shown)
        on_tty = run(cli, IOStreams.fake(tty=True, now=AT), "articles", "show", "1", "--raw").out.getvalue()
        assert "\\e[31mroja" in on_tty and bare(on_tty)
        raw = run(cli, IOStreams.fake(now=AT), "articles", "show", "1", "--raw").out.getvalue()
        assert raw == BODY + "\n"  # a file gets the text as written

    def test_error_details(self) -> None:
        err = IOStreams.fake(tty=True)
        PortalClickError(f"the server said: {HOSTILE}", "retry \x9b31m", 1, err).show()
        assert bare(err.err.getvalue().replace("\x1b[31m\x1b[1mError: \x1b[0m", ""))
        assert "the server said: Hola\\e[2J" in err.err.getvalue() and "retry \\x9b31m" in err.err.getvalue()

    @pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "yaml"])
    def test_machine_formats_keep_the_data(self, cli: Cli, hostile: int, fmt: str) -> None:
        out = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list", "-o", fmt).out.getvalue()
        if fmt == "json":
            assert json.loads(out)[0]["subject"] == HOSTILE
        elif fmt == "jsonl":
            assert json.loads(out.splitlines()[0])["subject"] == HOSTILE
        elif fmt == "csv":
            assert next(csv.DictReader(io.StringIO(out)))["subject"] == HOSTILE
        else:
            assert yaml.safe_load(out)[0]["subject"] == HOSTILE
        shown = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "show", str(hostile), "-o", fmt).out.getvalue()
        assert HOSTILE in shown or json.dumps(HOSTILE)[1:-1] in shown or repr(HOSTILE) in shown \
            or (fmt == "yaml" and yaml.safe_load(shown)["subject"] == HOSTILE)


class TestTables:
    @pytest.fixture
    def long(self, as_user: Callable[[str], Session]) -> str:
        subject = "Factura electrónica rechazada por el SII porque el valor FOB no cuadra con la declaración"
        as_user(ANA).tickets.create(TicketDraft(subject=subject, body="x"))
        as_user(ANA).tickets.create(TicketDraft(subject="dos\nlíneas", body="x"))
        return subject

    def test_a_terminal_table_fits_its_width(self, cli: Cli, long: str) -> None:
        out = run(cli, IOStreams.fake(tty=True, width=80, color=False, now=AT), "tickets", "list").out.getvalue()
        lines = out.splitlines()
        assert all(len(line) <= 80 for line in lines), out
        assert "…" in out and long not in out and "Factura electr" in out
        assert "dos⏎líneas" in out and len(lines) == 3

    @pytest.mark.parametrize("args", [("--wide",), ("-o", "wide")])
    def test_wide_shows_every_cell(self, cli: Cli, long: str, args: tuple[str, ...]) -> None:
        out = run(cli, IOStreams.fake(tty=True, width=80, now=AT), "tickets", "list", *args).out.getvalue()
        assert long in out and "…" not in out

    def test_off_a_terminal_nothing_is_cut(self, cli: Cli, long: str) -> None:
        out = run(cli, IOStreams.fake(width=40, now=AT), "tickets", "list").out.getvalue()
        assert long in out and "dos⏎líneas" in out

    def test_a_cut_listing_says_how_many_match_on_a_terminal(self, cli: Cli, long: str,
                                                              as_user: Callable[[str], Session]) -> None:
        as_user(CARLA).tickets.create(TicketDraft(subject="Globex", body="x"))  # another organisation's
        io = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list", "--limit", "1")
        assert len(io.out.getvalue().splitlines()) == 2
        assert io.err.getvalue() == "Showing 1 of 3 tickets — use --all or --limit N\n"
        mine = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list", "-L", "1", user=ANA)
        assert mine.err.getvalue() == "Showing 1 of 2 tickets — use --all or --limit N\n"  # Ana's count: Ana's
        search = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list", "-L", "1", "-S", "x", user=ANA)
        assert search.err.getvalue() == "Showing 1 of 2 tickets — use --all or --limit N\n"
        assert "Showing" not in run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list").err.getvalue()
        piped = run(cli, IOStreams.fake(now=AT), "tickets", "list", "--limit", "1")
        assert piped.err.getvalue() == "" and len(piped.out.getvalue().splitlines()) == 2


class TestTimes:
    @pytest.fixture
    def stamped(self, portal: Portal, as_user: Callable[[str], Session]) -> str:
        ticket = as_user(ANA).tickets.create(TicketDraft(subject="Impresora", body="x"))
        portal.conn.execute("UPDATE tickets SET created_at = '2026-12-04T07:00:00Z', "
                            "updated_at = '2026-12-04T07:00:00Z', due_at = '2026-12-04T15:00:00Z'")
        portal.conn.commit()
        return str(ticket.id)

    def test_relative_on_a_terminal_local_off_it_utc_in_json(self, cli: Cli, stamped: str) -> None:
        run(cli, IOStreams.fake(now=AT), "me", "update", "--timezone", "America/Bogota", user=ANA)
        on_tty = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "list", user=ANA).out.getvalue()
        assert "3 h ago" in on_tty
        piped = run(cli, IOStreams.fake(now=AT), "tickets", "list", user=ANA).out.getvalue()
        assert "UPDATED AT (America/Bogota)" in piped and "2026-12-04 02:00" in piped
        shown = run(cli, IOStreams.fake(tty=True, now=AT), "tickets", "show", stamped, user=ANA).out.getvalue()
        assert "2026-12-04 02:00 America/Bogota (3 h ago)" in shown and "in 5 h" in shown
        data = json.loads(run(cli, IOStreams.fake(now=AT), "tickets", "list", "-o", "json", user=ANA).out.getvalue())
        assert data[0]["updated_at"] == "2026-12-04T07:00:00Z"
        rows = run(cli, IOStreams.fake(now=AT), "tickets", "list", "-o", "csv", "--columns", "id,updated_at", user=ANA)
        assert rows.out.getvalue().splitlines()[1] == f"{stamped},2026-12-04T02:00:00-05:00"

    def test_system_zone_when_the_profile_has_none(self, cli: Cli, stamped: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TZ", "Europe/Madrid")
        piped = run(cli, IOStreams.fake(now=AT), "tickets", "list", user=ANA).out.getvalue()
        assert "UPDATED AT (Europe/Madrid)" in piped and "2026-12-04 08:00" in piped


def test_flat_is_still_the_plain_cell() -> None:
    assert flat(["a", "b"]) == "a, b"


def test_latin_text_is_as_wide_as_it_is_long() -> None:
    """table.text_width counts text below U+0300 by its length: Unicode's own tables say no character there is
    wide or combining (unicodedata, for every one of them); above it, each character is counted."""
    below = "".join(map(chr, range(0xA0, 0x300)))
    assert not [c for c in below if unicodedata.combining(c) or unicodedata.east_asian_width(c) in ("W", "F")]
    assert text_width("Añadir líneas ¿Cómo? ŁÓDŹ ɐ") == 27
    assert text_width("Cafe\u0301") == 4 and text_width("日本 ok") == 7 and text_width("ＡＢ") == 4
