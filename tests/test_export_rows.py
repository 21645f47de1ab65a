"""CSV exports from the embedded portal read ready rows from SQLite; they must match the object path byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.backends.base import TicketChanges
from portalctl.engine.portal import Portal
from portalctl.engine.tickets import TicketService
from portalctl.model import FieldDef
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA


def fill(portal: Portal) -> None:
    accounts = portal.session(ADMIN).accounts
    accounts.add_field(FieldDef("code", "Code", "text", False, [], None, True, None, None))
    accounts.add_field(FieldDef("forms", "Forms", "multichoice", False, ["5412", "=5413"], None, True, None, None))
    accounts.add_field(FieldDef("urgent", "Urgent", "boolean", False, [], None, True, None, None))
    accounts.add_field(FieldDef("amount", "Amount", "number", False, [], None, True, None, None))
    ana, agent = portal.session(ANA).tickets, portal.session(AGENT).tickets
    ana.create(subject="=HYPERLINK(\"http://x\")", body="a", fields={"code": "+0042", "forms": "5412,=5413",
                                                                     "urgent": "yes", "amount": "12.5"},
               tags=["ci", "@ops"], ccs=[BOB, CARLA])
    plain = ana.create(subject="Plain, with a comma", body="b", fields={"urgent": "no", "amount": "3"})
    agent.update(plain.id, TicketChanges(assignee=AGENT, status="resolved"))
    late = ana.create(subject="-late\tone\r", body="c", department="soporte-web", priority="urgent")
    portal.conn.execute("UPDATE tickets SET due_at = '2000-01-01T00:00:00Z' WHERE id = ?", (late.id,))


@pytest.mark.parametrize("columns", [None, "id,subject,ccs,tags,overdue,field:forms,field:urgent,field:amount,"
                                           "field:code,status_label,dedupe_key"])
def test_rows_and_objects_write_the_same_csv(portal: Portal, cli: Callable[..., Result], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    fill(portal)
    extra = ["--columns", columns] if columns else []
    real, used = TicketService.list_rows, []

    def spy(self: TicketService, *args: object) -> object:
        rows = real(self, *args)  # type: ignore[arg-type]
        used.append(rows is not None)
        return rows

    monkeypatch.setattr(TicketService, "list_rows", spy)
    for user in (ADMIN, ANA):
        fast = tmp_path / f"fast-{user}.csv"
        assert cli("export", "tickets", "-o", str(fast), *extra, user=user).exit_code == 0
        assert used.pop() is True  # the rows path really ran
        with monkeypatch.context() as patch:
            patch.setattr(TicketService, "list_rows", lambda *args: None)  # the object path
            slow = tmp_path / f"slow-{user}.csv"
            assert cli("export", "tickets", "-o", str(slow), *extra, user=user).exit_code == 0
        assert fast.read_bytes() == slow.read_bytes()
        assert fast.read_text().count("\n") >= 4  # header + three tickets
        assert "'=HYPERLINK" in fast.read_text()


def test_a_column_without_sql_falls_back_to_objects(portal: Portal) -> None:
    fill(portal)
    tickets = portal.session(ADMIN).tickets
    from portalctl.backends.base import TicketQuery

    assert tickets.list_rows(TicketQuery(limit=None), ["id", "fields"]) is None
    assert tickets.list_rows(TicketQuery(limit=None), ["field:bad-key"]) is None
    assert len(list(tickets.list_rows(TicketQuery(limit=None), ["id"]) or [])) == 3
