"""CSV exports read ready rows from the portal's database (SQLite or PostgreSQL); they must match the object path
byte for byte."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.portal import Portal
from portalctl.engine.tickets import TicketService
from portalctl.model import STATES, FieldDef
from portalctl.output.columns import ticket_columns
from portalctl.output.exporters import CsvRows, CsvTable
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, seed_accounts
from tests.stores import KINDS, new_store


def fill(portal: Portal) -> None:
    accounts = portal.session(ADMIN).accounts
    accounts.add_field(FieldDef("code", "Code", "text", False, [], None, True, None, None))
    accounts.add_field(FieldDef("forms", "Forms", "multichoice", False, ["5412", "=5413"], None, True, None, None))
    accounts.add_field(FieldDef("urgent", "Urgent", "boolean", False, [], None, True, None, None))
    accounts.add_field(FieldDef("amount", "Amount", "number", False, [], None, True, None, None))
    ana, agent = portal.session(ANA).tickets, portal.session(AGENT).tickets
    ana.create(TicketDraft(subject="=HYPERLINK(\"http://x\")", body="a", fields={"code": "+0042", "forms": "5412,=5413",
                                                                     "urgent": "yes", "amount": "12.5"},
               tags=["ci", "@ops"], ccs=[BOB, CARLA]))
    plain = ana.create(TicketDraft(subject="Plain, with a comma", body="b", fields={"urgent": "no", "amount": "3"}))
    agent.update(plain.id, TicketChanges(assignee=AGENT, status="resolved"))
    late = ana.create(TicketDraft(subject="-late\tone\r", body="c", department="soporte-web", priority="urgent"))
    portal.conn.execute("UPDATE tickets SET due_at = '2000-01-01T00:00:00Z' WHERE id = ?", (late.id,))


def export_both_ways(cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, target: Path, user: str,
                     *args: str) -> str:
    """Export through the rows path and through Ticket objects; the CSV, once both are byte for byte the same."""
    real, used = TicketService.list_rows, []

    def spy(self: TicketService, *args: object) -> object:
        rows = real(self, *args)  # type: ignore[arg-type]
        used.append(rows is not None)
        return rows

    with monkeypatch.context() as patch:
        patch.setattr(TicketService, "list_rows", spy)
        assert cli("export", "tickets", "-o", str(target), *args, user=user).exit_code == 0
    assert used == [True]  # the rows path really ran
    fast = target.read_bytes()
    with monkeypatch.context() as patch:
        patch.setattr(TicketService, "list_rows", lambda *args: None)  # the object path
        assert cli("export", "tickets", "-o", str(target), *args, user=user).exit_code == 0
    assert fast == target.read_bytes()
    return fast.decode()


@pytest.mark.parametrize("columns", [None, "id,subject,ccs,tags,overdue,field:forms,field:urgent,field:amount,"
                                           "field:code,status_label,dedupe_key"])
def test_rows_and_objects_write_the_same_csv(portal: Portal, cli: Callable[..., Result], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    fill(portal)
    extra = ["--columns", columns] if columns else []
    for user in (ADMIN, ANA):
        text = export_both_ways(cli, monkeypatch, tmp_path / f"{user}.csv", user, *extra)
        assert text.count("\n") >= 4  # header + three tickets
        assert "'=HYPERLINK" in text


def test_every_cell_of_user_text_is_neutralised(portal: Portal, cli: Callable[..., Result], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Names, e-mails, slugs, tags, dedupe keys and custom fields can start a formula too, not only subjects."""
    accounts = portal.session(ADMIN).accounts
    accounts.add_field(FieldDef("code", "Code", "text", False, [], None, True, None, None))
    accounts.add_field(FieldDef("forms", "Forms", "multichoice", False, ["=5413", "5412"], None, True, None, None))
    accounts.add_field(FieldDef("amount", "Amount", "number", False, [], None, True, None, None))
    accounts.add_user(email="=eve@evil.test", name="@Eve", organization="acme")
    accounts.add_user(email="-cc@evil.test", name="Cc", organization="acme")
    accounts.add_user(email="+agent@evil.test", name="Agent", role="agent")
    ticket = portal.session("=eve@evil.test").tickets.create(
        TicketDraft(subject="Plain", body="x", department="soporte-web", ccs=["-cc@evil.test", BOB],
                    tags=["=sum", "ok"], fields={"code": "+0042", "forms": "=5413,5412", "amount": "-3"},
                    dedupe_key="@key"))
    portal.session(ADMIN).tickets.update(ticket.id, TicketChanges(assignee="+agent@evil.test"))
    # slugs the portal makes are safe; other tools writing the file may not be
    portal.conn.execute("UPDATE departments SET slug = '-web' WHERE slug = 'soporte-web'")
    portal.conn.execute("UPDATE organizations SET slug = '=acme' WHERE slug = 'acme'")
    columns = ("department,organization,requester,requester_name,assignee,ccs,tags,dedupe_key,field:code,field:forms,"
               "field:amount")

    text = export_both_ways(cli, monkeypatch, tmp_path / "t.csv", ADMIN, "--columns", columns)
    assert list(csv.reader(io.StringIO(text))) == [
        columns.split(","),
        ["'-web", "'=acme", "'=eve@evil.test", "'@Eve", "'+agent@evil.test", "'-cc@evil.test, bob@acme.test",
         "'=sum, ok", "'@key", "'+0042", "'=5413, 5412", "-3"],  # a number is no formula
    ]


def test_a_column_without_sql_falls_back_to_objects(portal: Portal) -> None:
    fill(portal)
    tickets = portal.session(ADMIN).tickets
    from portalctl.contract import TicketQuery

    assert tickets.list_rows(TicketQuery(limit=None), ["id", "fields"]) is None
    assert tickets.list_rows(TicketQuery(limit=None), ["field:bad-key"]) is None
    assert len(list(tickets.list_rows(TicketQuery(limit=None), ["id"]) or [])) == 3


@pytest.fixture(params=KINDS)
def any_portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Portal]:
    """tests/conftest.py's accounts on a SQLite file and on a new PostgreSQL database."""
    opened = new_store(request.param, tmp_path).open()
    seed_accounts(opened)
    yield opened
    opened.close()


@pytest.mark.parametrize("columns", [None, ["id", "subject", "ccs", "tags", "overdue", "field:forms", "field:urgent",
                                            "field:amount", "field:code", "status_label", "dedupe_key", "requester"]])
def test_rows_from_either_database_write_the_objects_csv(any_portal: Portal, columns: list[str] | None) -> None:
    """The rows each database computes (PostgreSQL's own cell SQL too) against the Ticket objects' cells."""
    fill(any_portal)
    any_portal.session(ANA).tickets.create(TicketDraft(subject="@sum", body="d", tags=["=x", "b"],
                                                       fields={"amount": "1e16", "code": "-1"}))
    definitions = any_portal.session(ADMIN).accounts.field_defs()
    for user in (ADMIN, ANA):
        tickets = any_portal.session(user).tickets
        query = TicketQuery(statuses=list(STATES), limit=None)
        chosen = ticket_columns(definitions, columns)
        rows = tickets.list_rows(query, [c.name for c in chosen])
        assert rows is not None  # the fast path runs on both databases
        fast, slow = io.StringIO(), io.StringIO()
        CsvRows(fast, chosen).write_batch(list(rows))
        table = CsvTable(slow, chosen)
        for ticket in tickets.list(query):
            table.write(ticket)
        assert fast.getvalue() == slow.getvalue()
        assert "'=HYPERLINK" in fast.getvalue() and "'@sum" in fast.getvalue()
