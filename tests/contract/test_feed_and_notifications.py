"""The change feed and notification switches, on the embedded portal and on a real server process alike: the same
events, the same errors, through portalctl.client."""

from __future__ import annotations

import pytest

from portalctl.contract import TicketDraft, TicketQuery
from portalctl.errors import InvalidInput
from tests.conftest import AGENT, ANA, BOB
from tests.contract.conftest import ClientFor


def test_the_feed_after_a_cursor(client: ClientFor, word: str) -> None:
    start = client(ANA).tickets.events().cursor
    ticket = client(ANA).tickets.create(TicketDraft(subject=f"{word} feed", body="x"))
    client(AGENT).tickets.reply(ticket.id, body=f"{word} INTERNAL", internal=True)
    client(AGENT).tickets.reply(ticket.id, body=f"{word} public")
    page = client(ANA).tickets.events(start, TicketQuery(search=word))
    assert [(e.kind, e.text) for e in page.items] == [("created", None), ("reply", f"{word} public"),
                                                      ("status", None)]
    assert all(e.ticket_id == ticket.id and e.subject == f"{word} feed" for e in page.items)
    assert client(BOB).tickets.events(start, TicketQuery(search=word)).items == []  # not his ticket
    later = client(ANA).tickets.events(page.cursor, TicketQuery(search=word), wait=0.6)
    assert later.items == [] and later.cursor >= page.cursor
    with pytest.raises(InvalidInput, match="not a position"):
        client(ANA).tickets.events(page.cursor + 10**9)


def test_notification_switches(client: ClientFor) -> None:
    accounts = client(BOB).accounts
    assert accounts.set_notifications(off=["attachment"]).attachment is False
    with pytest.raises(InvalidInput, match="unknown notification kind"):
        accounts.set_notifications(on=["bills"])
    settings = accounts.set_notifications(on=["all"])
    assert (settings.status, settings.reply, settings.attachment, settings.new_ticket) == (True, True, True, True)
