"""Notifications and the change feed on the embedded portal's engine: who is mailed about what, in which language,
batched per ticket, never about an internal note; and the events a user may read after a cursor."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.demo_data import sample_pdf
from portalctl.engine.notifications import collect
from portalctl.engine.portal import Portal, Session
from portalctl.errors import InvalidInput
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO

URL = "https://help.example.test"


def outbox(portal: Portal) -> list[dict[str, str]]:
    rows = portal.conn.execute("SELECT recipient, subject, body, send_after FROM outbox WHERE sent_at IS NULL"
                               " ORDER BY id")
    return [dict(row) for row in rows]


def mails_to(portal: Portal, email: str) -> list[dict[str, str]]:
    return [mail for mail in outbox(portal) if mail["recipient"] == email]


class Clock:
    """The portal's clock, moved by hand (the batch window is minutes long)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def forward(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(portal: Portal) -> Clock:
    portal.clock = clock = Clock()
    return clock


def test_an_agent_reply_mails_the_requester_with_the_text_and_a_link(portal: Portal, clock: Clock,
                                                                     as_user: Callable[[str], Session]) -> None:
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Formulario 5412", body="FOB mal"))
    assert collect(portal, public_url=URL) == 0  # her own change: nobody else concerned
    as_user(AGENT).tickets.reply(ticket.id, body="Lo revisamos hoy.\nSaludos")
    assert collect(portal, public_url=URL) == 1
    [mail] = outbox(portal)
    assert mail["recipient"] == ANA and mail["subject"] == f"[#{ticket.id}] Formulario 5412"
    assert "Alex Agent replied:" in mail["body"] and "    Lo revisamos hoy.\n    Saludos" in mail["body"]
    assert "from New to Awaiting your reply" in mail["body"]
    assert f"{URL}/api/v1/tickets/{ticket.id}" in mail["body"]
    assert collect(portal, public_url=URL) == 0  # each event is turned into mail once


def test_mail_is_in_the_recipients_language(portal: Portal, clock: Clock, as_user: Callable[[str], Session]) -> None:
    as_user(ANA).accounts.update_me(language="es-CO")
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Factura", body="x"))
    as_user(AGENT).tickets.update(ticket.id, TicketChanges(status="resolved"))
    collect(portal, public_url=URL)
    [mail] = outbox(portal)
    assert mail["body"].startswith("Hola, Ana Acme:")
    assert "Su estado pasó de Nuevo a Resuelto." in mail["body"]
    assert "portalctl me notifications --off status" in mail["body"]


def test_internal_notes_and_their_files_are_never_mailed(portal: Portal, clock: Clock, tmp_path: Path,
                                                         as_user: Callable[[str], Session]) -> None:
    (tmp_path / "secret.pdf").write_bytes(sample_pdf())
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Pedimento", body="x"))
    as_user(AGENT).tickets.reply(ticket.id, body="INTERNAL-NOTE do not tell", internal=True,
                                 attachments=[Upload("secret.pdf", tmp_path / "secret.pdf")])
    assert collect(portal, public_url=URL) == 0
    assert outbox(portal) == []
    as_user(AGENT).tickets.reply(ticket.id, body="Public answer")
    collect(portal, public_url=URL)
    [mail] = outbox(portal)
    assert "INTERNAL-NOTE" not in mail["body"] and "secret.pdf" not in mail["body"]


def test_changes_within_the_window_are_batched_into_one_mail(portal: Portal, clock: Clock,
                                                            as_user: Callable[[str], Session]) -> None:
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Lote", body="x"))
    agent = as_user(AGENT).tickets
    agent.reply(ticket.id, body="first")
    collect(portal, public_url=URL)
    portal.conn.execute("UPDATE outbox SET sent_at = send_after")  # as the server's delivery would
    clock.forward(30)
    agent.reply(ticket.id, body="second")
    collect(portal, public_url=URL)
    clock.forward(30)
    agent.update(ticket.id, TicketChanges(status="resolved"))
    collect(portal, public_url=URL)
    [waiting] = outbox(portal)  # one mail for both changes, due 5 minutes after the first went
    assert "second" in waiting["body"] and "to Resolved" in waiting["body"] and "first" not in waiting["body"]
    first_sent = portal.conn.execute("SELECT sent_at FROM outbox WHERE sent_at IS NOT NULL").fetchone()[0]
    due = datetime.fromisoformat(first_sent.replace("Z", "+00:00")) + timedelta(seconds=300)
    assert waiting["send_after"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_backlog_collected_a_few_events_at_a_time_makes_the_same_mail(portal: Portal, clock: Clock, home: Path,
                                                                       as_user: Callable[[str], Session]) -> None:
    """Under load the collector works through its backlog in short transactions (so writers are not held up):
    a ticket's changes split across two of them still make one mail, with every change, and none is lost."""
    customers = [as_user(ANA), as_user(CARLA)]
    agent = as_user(AGENT).tickets
    for turn in range(3):
        for number, customer in enumerate(customers):
            ticket = customer.tickets.create(TicketDraft(subject=f"Backlog {turn}-{number}", body="x"))
            agent.reply(ticket.id, body=f"answer {turn}-{number}", status="pending")
            customer.tickets.reply(ticket.id, body="thanks")
            agent.update(ticket.id, TicketChanges(status="resolved"))
    whole = Portal(home / "whole.db", create=True, clock=clock)
    portal.conn.backup(whole.conn)  # type: ignore[attr-defined]
    collect(whole, public_url=URL)
    assert collect(portal, public_url=URL, chunk=2) > 0
    assert outbox(portal) == outbox(whole) and len(outbox(portal)) >= 6  # a mail to each requester at least
    assert collect(portal, public_url=URL, chunk=2) == 0  # each event turned into mail once
    whole.close()


def test_two_collectors_racing_mail_each_change_once(portal: Portal, clock: Clock, home: Path,
                                                     as_user: Callable[[str], Session],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Who is told of what is worked out before the write lock is taken: a server process that finds the
    cursor moved by another meanwhile writes nothing of that chunk."""
    from portalctl.engine import notifications

    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Carrera", body="x"))
    as_user(AGENT).tickets.reply(ticket.id, body="answered once")
    other = Portal(portal.location, clock=clock)  # another server process's connection
    worked_out = notifications.to_tell
    raced: list[int] = []

    def racing(*args: object) -> object:
        found = worked_out(*args)  # type: ignore[arg-type]
        if not raced:
            raced.append(0)
            raced[0] = collect(other, public_url=URL)  # the other one gets there first
        return found

    monkeypatch.setattr(notifications, "to_tell", racing)
    assert collect(portal, public_url=URL) == 0 and raced == [1]
    [mail] = outbox(portal)
    assert "answered once" in mail["body"]
    other.close()


def test_switched_off_kinds_are_not_mailed(portal: Portal, clock: Clock, tmp_path: Path,
                                           as_user: Callable[[str], Session]) -> None:
    (tmp_path / "f.pdf").write_bytes(sample_pdf())
    settings = as_user(ANA).accounts.set_notifications(off=["reply", "status"])
    assert (settings.reply, settings.status, settings.attachment) == (False, False, True)
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Switches", body="x"))
    as_user(AGENT).tickets.reply(ticket.id, body="no mail for this")
    collect(portal, public_url=URL)
    assert outbox(portal) == []
    as_user(AGENT).tickets.reply(ticket.id, body="with a file", attachments=[Upload("f.pdf", tmp_path / "f.pdf")])
    collect(portal, public_url=URL)
    [mail] = outbox(portal)
    assert "Alex Agent attached f.pdf." in mail["body"] and "with a file" not in mail["body"]


def test_bad_switches_change_nothing(portal: Portal, as_user: Callable[[str], Session]) -> None:
    accounts = as_user(ANA).accounts
    with pytest.raises(InvalidInput, match="unknown notification kind 'invoices'"):
        accounts.set_notifications(off=["reply", "invoices"])
    with pytest.raises(InvalidInput, match="both on and off"):
        accounts.set_notifications(on=["reply"], off=["all"])
    assert accounts.notification_settings().reply is True


def test_a_new_ticket_reaches_those_who_watch_the_organisation_and_no_one_else(
        portal: Portal, clock: Clock, as_user: Callable[[str], Session]) -> None:
    as_user(CARLA).tickets.create(TicketDraft(subject="Globex new", body="x"))  # Globex shares its tickets
    as_user(ANA).tickets.create(TicketDraft(subject="Acme new", body="x"))  # Acme does not
    collect(portal, public_url=URL)
    assert [(m["recipient"], m["subject"].split("] ")[1]) for m in outbox(portal)] == [(DIEGO, "Globex new")]
    assert "Carla Globex opened it." in outbox(portal)[0]["body"]
    assert mails_to(portal, BOB) == []  # Bob cannot see Ana's ticket


def test_a_contact_manager_hears_of_every_new_ticket_of_the_company(portal: Portal, clock: Clock,
                                                                    as_user: Callable[[str], Session]) -> None:
    as_user(ADMIN).accounts.update_user(BOB, manager=True)  # Acme does not share tickets: Bob sees them as manager
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Acme new", body="x"))
    collect(portal, public_url=URL)
    [mail] = outbox(portal)
    assert mail["recipient"] == BOB and "Ana Acme opened it." in mail["body"]
    as_user(ADMIN).accounts.update_user(BOB, manager=False)
    as_user(AGENT).tickets.reply(ticket.id, body="hola")
    collect(portal, public_url=URL)
    assert [m["recipient"] for m in outbox(portal)] == [BOB, ANA]  # no longer his to see: nothing more for him


def test_nobody_who_cannot_see_the_ticket_is_mailed(portal: Portal, clock: Clock,
                                                    as_user: Callable[[str], Session]) -> None:
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="CC", body="x", ccs=[CARLA]))
    as_user(ADMIN).accounts.set_active(ANA, False)  # a deactivated requester gets nothing either
    as_user(AGENT).tickets.reply(ticket.id, body="hola")
    collect(portal, public_url=URL)
    assert [m["recipient"] for m in outbox(portal)] == [CARLA]  # CC'd from another company: she sees it
    assert mails_to(portal, DIEGO) == []  # her colleague does not (the ticket is Acme's)


def test_old_history_is_not_mailed(portal: Portal, clock: Clock, as_user: Callable[[str], Session]) -> None:
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Old", body="x"))
    as_user(AGENT).tickets.reply(ticket.id, body="long ago")
    clock.forward(2 * 24 * 3600)
    assert collect(portal, public_url=URL) == 0


# --- the change feed
def test_the_feed_shows_each_user_only_what_they_may_see(portal: Portal, as_user: Callable[[str], Session]) -> None:
    start = as_user(ANA).tickets.events().cursor
    acme = as_user(ANA).tickets.create(TicketDraft(subject="Acme feed", body="x"))
    globex = as_user(CARLA).tickets.create(TicketDraft(subject="Globex feed", body="GLOBEX"))
    as_user(AGENT).tickets.reply(acme.id, body="INTERNAL-NOTE", internal=True)
    as_user(AGENT).tickets.reply(acme.id, body="Public reply")
    ana = as_user(ANA).tickets.events(start)
    assert [(e.ticket_id, e.kind) for e in ana.items] == [(acme.id, "created"), (acme.id, "reply"),
                                                          (acme.id, "status")]
    assert ana.items[1].text == "Public reply" and ana.items[1].actor == AGENT
    assert "INTERNAL-NOTE" not in str([e.to_dict() for e in ana.items])
    agent = as_user(AGENT).tickets.events(start)
    assert [e.kind for e in agent.items] == ["created", "created", "note", "reply", "status"]
    assert agent.items[2].text is None  # staff read notes with tickets show, not in the feed
    assert ana.cursor == agent.cursor  # past what Ana may not see: she never reads it again
    assert as_user(ANA).tickets.events(ana.cursor).items == []
    assert globex.id not in {e.ticket_id for e in ana.items}


def test_the_feed_pages_and_filters_without_gaps(portal: Portal, as_user: Callable[[str], Session]) -> None:
    start = as_user(AGENT).tickets.events().cursor
    for number in range(5):
        as_user(ANA).tickets.create(TicketDraft(subject=f"T{number}", body="x", priority="high" if number % 2
                                                else "low"))
    seen, cursor = [], start
    while page := as_user(AGENT).tickets.events(cursor, limit=2).items:
        seen += [e.subject for e in page]
        cursor = page[-1].id
    assert seen == ["T0", "T1", "T2", "T3", "T4"]
    high = as_user(AGENT).tickets.events(start, TicketQuery(priorities=["high"]))
    assert [e.subject for e in high.items] == ["T1", "T3"]


def test_a_cursor_outside_the_feed_is_refused(portal: Portal, as_user: Callable[[str], Session]) -> None:
    with pytest.raises(InvalidInput, match="not a position"):
        as_user(ANA).tickets.events(10_000)
    with pytest.raises(InvalidInput, match="not a position"):
        as_user(ANA).tickets.events(-1)


# --- the commands
def test_me_notifications_switches_and_refuses_bad_kinds(cli: Callable[..., Result], portal: Portal) -> None:
    shown = cli("me", "notifications", "--off", "reply,status", "-o", "json", user=ANA)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == {"email": ANA, "status": False, "reply": False, "attachment": True,
                                        "new_ticket": True}
    bad = cli("me", "notifications", "--on", "reply", "--off", "invoices", user=ANA)
    assert bad.exit_code == 2 and "unknown notification kind 'invoices'" in bad.stderr
    table = cli("me", "notifications", user=ANA).stdout
    assert "reply       no" in table and "attachment  yes" in table  # the refused change changed nothing


def test_watch_prints_changes_as_they_happen(cli: Callable[..., Result], portal: Portal) -> None:
    def later() -> None:
        time.sleep(1)
        other = Portal(portal.location)  # another process's connection, as another command would have
        try:
            ticket = other.session(ANA).tickets.create(TicketDraft(subject="Hola \x1b[2J", body="x"))
            other.session(AGENT).tickets.reply(ticket.id, body="INTERNAL-NOTE", internal=True)
            other.session(AGENT).tickets.reply(ticket.id, body="Public")
        finally:
            other.close()

    writer = threading.Thread(target=later)
    writer.start()
    result = cli("tickets", "watch", "--count", "3", "-o", "jsonl", user=ANA)
    writer.join()
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["kind"], e["text"]) for e in events] == [("created", None), ("reply", "Public"), ("status", None)]
    table = cli("tickets", "watch", "--after", "0", "--count", "2", user=ANA).stdout
    assert "\x1b" not in table and "Hola \\e[2J" in table  # portal text made inert on a terminal
    assert "opened by ana@acme.test" in table and "reply from agent@support.test: Public" in table
    resumed = cli("tickets", "watch", "--after", str(events[0]["id"]), "--count", "1", "-o", "jsonl", user=ANA)
    assert json.loads(resumed.stdout)["id"] == events[1]["id"]  # after a cursor: the next change, none skipped


def test_watch_refuses_a_cursor_from_elsewhere(cli: Callable[..., Result], portal: Portal) -> None:
    result = cli("tickets", "watch", "--after", "99999", "--count", "1", user=ANA)
    assert result.exit_code == 2 and "not a position in this portal's change feed" in result.stderr


def test_news_never_joins_a_mail_given_up_on(portal: Portal, clock: Clock, as_user: Callable[[str], Session]) -> None:
    ticket = as_user(ANA).tickets.create(TicketDraft(subject="Relay down", body="x"))
    as_user(AGENT).tickets.reply(ticket.id, body="first")
    collect(portal, public_url=URL)
    portal.conn.execute("UPDATE outbox SET attempts = 10")  # the relay refused it every time: it stays for an admin
    clock.forward(600)
    as_user(AGENT).tickets.reply(ticket.id, body="second")
    collect(portal, public_url=URL)
    assert ["second" in mail["body"] for mail in outbox(portal)] == [False, True]  # a new mail, sent on its own
