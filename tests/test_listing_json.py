"""The server's pages and NDJSON export read tickets as JSON built by the database (SQLite's json_object,
PostgreSQL's json_build_object): it must say exactly what Ticket.to_dict() says, on both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.portal import Portal
from portalctl.model import STATES, FieldDef
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO, seed_accounts
from tests.stores import KINDS, new_store


@pytest.fixture(params=KINDS)
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Portal]:
    """The accounts of tests/conftest.py's portal, on a SQLite file and on a new PostgreSQL database."""
    opened = new_store(request.param, tmp_path).open()
    seed_accounts(opened)
    yield opened
    opened.close()


def test_json_listing_equals_the_model(portal: Portal) -> None:
    portal.session(ADMIN).accounts.add_field(FieldDef("forms", "Forms", "multichoice", False, ["5412", "5413"], None,
                                                      True, None, "form numbers"))
    ana, agent = portal.session(ANA).tickets, portal.session(AGENT).tickets
    plain = ana.create(TicketDraft(subject="Plain", body="x"))
    rich = ana.create(TicketDraft(subject='Quotes " and ñ', body="y", priority="urgent", type="incident",
                      department="soporte-web", tags=["VPN", "ci"], ccs=[BOB, CARLA], fields={"forms": "5412,5413"},
                      dedupe_key="k1"))
    agent.update(rich.id, TicketChanges(assignee=AGENT, status="on_hold"))
    agent.update(plain.id, TicketChanges(status="resolved"))
    portal.session(DIEGO).tickets.create(TicketDraft(subject="Other org", body="z"))
    late = ana.create(TicketDraft(subject="Late", body="w"))
    portal.conn.execute("UPDATE tickets SET due_at = '2000-01-01T00:00:00Z' WHERE id = ?", (late.id,))
    for who in (ADMIN, ANA, CARLA):
        tickets = portal.session(who).tickets
        query = TicketQuery(statuses=list(STATES), limit=None)
        expected = [t.to_dict() for t in tickets.list(query)]
        assert [json.loads(line) for line in tickets.list_json(query)] == expected
        assert expected  # each of them sees something


def test_json_listing_keeps_filters_and_order(portal: Portal) -> None:
    tickets = portal.session(ANA).tickets
    for number in range(5):
        tickets.create(TicketDraft(subject=f"T{number}", body="x", priority="high" if number % 2 else "low"))
    query = TicketQuery(priorities=["high"], sort="created", limit=None)
    assert [json.loads(line)["subject"] for line in tickets.list_json(query)] == ["T1", "T3"]
    assert [t.subject for t in tickets.list(query)] == ["T1", "T3"]


def test_overdue_is_judged_at_the_same_moment(portal: Portal) -> None:
    ticket = portal.session(ANA).tickets.create(TicketDraft(subject="Due", body="x"))
    clock = portal.clock
    portal.clock = lambda: clock() + timedelta(days=30)  # type: ignore[method-assign]
    tickets = portal.session(ANA).tickets
    line = json.loads(next(tickets.list_json(TicketQuery(limit=None))))
    assert line["id"] == ticket.id and line["overdue"] is True
    assert next(tickets.list(TicketQuery(limit=None))).overdue is True
