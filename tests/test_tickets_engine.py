"""The portal's ticket rules (GUIDE section 3), exercised on a real SQLite portal through user sessions.

Each group of tests follows one rule: lifecycle, closed is final, auto-close, internal notes, visibility, CCs,
deactivated users, custom fields, and departments / priorities / types / tags / assignees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portalctl.commands.hints import cli_hint
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.closing import auto_close
from portalctl.engine.portal import Portal, Session
from portalctl.engine.tickets import TicketService
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict
from portalctl.exitcodes import ExitCode
from portalctl.model import FieldDef, Ticket
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO

AsUser = Callable[[str], Session]


# --- helpers -------------------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    """A clock the portal reads; tests move it forward."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))  # a Monday


@pytest.fixture
def clocked(portal: Portal, clock: FakeClock) -> Iterator[Portal]:
    """The same portal file, opened with a clock the test controls."""
    other = Portal(portal.location, clock=clock)
    yield other
    other.close()


def open_ticket(session: Session, subject: str = "Factura 5412 rechazada", body: str = "El valor FOB no cuadra",
                **options: Any) -> Ticket:
    return session.tickets.create(TicketDraft(subject=subject, body=body, **options))


def stored(portal: Portal, ticket_id: int) -> dict[str, Any]:
    """The ticket row exactly as it is in the SQLite file."""
    row = portal.conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return dict(row)


def comment_count(portal: Portal, ticket_id: int) -> int:
    return int(portal.conn.execute("SELECT COUNT(*) FROM comments WHERE ticket_id = ?", (ticket_id,)).fetchone()[0])


def ticket_count(portal: Portal) -> int:
    return int(portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])


def visible_ids(session: Session, **query: Any) -> set[int]:
    return {t.id for t in session.tickets.list(TicketQuery(limit=None, **query))}


def field_def(key: str, type: str = "text", **options: Any) -> FieldDef:
    base = FieldDef(key=key, label=key.replace("_", " ").title(), type=type, required=False, choices=[],
                    pattern=None, customer_editable=True, department=None, description=None)
    return replace(base, **options)


def set_status(as_user: AsUser, ticket_id: int, status: str) -> Ticket:
    return as_user(AGENT).tickets.update(ticket_id, TicketChanges(status=status))


# --- lifecycle -----------------------------------------------------------------------------------------------


class TestLifecycle:
    def test_a_new_ticket_is_new_with_its_first_message_and_a_due_time(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        assert ticket.status == "new"
        assert ticket.requester == ANA and ticket.organization == "acme"
        assert [c.body for c in ticket.comments or []] == ["El valor FOB no cuadra"]
        assert ticket.due_at is not None and ticket.due_at > ticket.created_at

    @pytest.mark.parametrize("before", ["pending", "resolved"])
    def test_a_customer_reply_on_pending_or_resolved_reopens(self, as_user: AsUser, before: str) -> None:
        ticket = open_ticket(as_user(ANA))
        set_status(as_user, ticket.id, before)
        after = as_user(ANA).tickets.reply(ticket.id, body="Sigue fallando")
        assert after.status == "open"
        assert after.resolved_at is None

    @pytest.mark.parametrize("before", ["new", "on_hold"])
    def test_a_customer_reply_leaves_other_states_alone(self, as_user: AsUser, before: str) -> None:
        ticket = open_ticket(as_user(ANA))
        set_status(as_user, ticket.id, before)
        assert as_user(ANA).tickets.reply(ticket.id, body="¿Novedades?").status == before

    def test_an_agent_reply_sets_pending(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        after = as_user(AGENT).tickets.reply(ticket.id, body="¿Puede adjuntar el PDF?")
        assert after.status == "pending"
        assert after.status_label == "Awaiting your reply"

    def test_an_agent_reply_takes_the_status_the_agent_names(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        after = as_user(AGENT).tickets.reply(ticket.id, body="Corregido", status="Resuelto")
        assert after.status == "resolved"
        assert after.resolved_at is not None

    def test_an_agent_reply_with_an_unknown_status_is_refused_and_stores_nothing(
        self, portal: Portal, as_user: AsUser
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(InvalidInput, match="unknown status 'finished'") as caught:
            as_user(AGENT).tickets.reply(ticket.id, body="Listo", status="finished")
        assert caught.value.exit_code == ExitCode.USAGE
        assert comment_count(portal, ticket.id) == 1
        assert stored(portal, ticket.id)["status"] == "new"

    def test_an_internal_note_does_not_change_the_status(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        set_status(as_user, ticket.id, "open")
        assert as_user(AGENT).tickets.reply(ticket.id, body="Llamar al transportista", internal=True).status == "open"

    @pytest.mark.parametrize("options", [{"internal": True}, {"status": "resolved"}])
    def test_customers_cannot_write_notes_or_set_the_status_when_replying(
        self, portal: Portal, as_user: AsUser, options: dict[str, Any]
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(PermissionDenied, match="only agents may") as caught:
            as_user(ANA).tickets.reply(ticket.id, body="Resuelto por mi cuenta", **options)
        assert caught.value.exit_code == ExitCode.AUTH
        assert comment_count(portal, ticket.id) == 1
        assert stored(portal, ticket.id)["status"] == "new"

    def test_an_empty_reply_is_refused(self, portal: Portal, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(InvalidInput, match="the reply is empty"):
            as_user(ANA).tickets.reply(ticket.id, body="  \n")
        assert comment_count(portal, ticket.id) == 1

    @pytest.mark.parametrize(("subject", "body", "message"), [("  ", "text", "subject is empty"),
                                                               ("Subject", "", "body is empty")])
    def test_create_needs_a_subject_and_a_body(
        self, portal: Portal, as_user: AsUser, subject: str, body: str, message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message):
            open_ticket(as_user(ANA), subject=subject, body=body)
        assert ticket_count(portal) == 0

    def test_resolved_is_reopenable(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        set_status(as_user, ticket.id, "resolved")
        reopened = as_user(ANA).tickets.reopen(ticket.id)
        assert reopened.status == "open"
        assert reopened.resolved_at is None

    def test_only_a_resolved_ticket_can_be_reopened(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(StateConflict, match="is not resolved"):
            as_user(ANA).tickets.reopen(ticket.id)

    def test_closing_a_resolved_ticket_keeps_when_it_was_resolved(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        resolved = set_status(as_user, ticket.id, "resolved")
        closed = as_user(ANA).tickets.close(ticket.id)
        assert closed.status == "closed"
        assert closed.resolved_at == resolved.resolved_at
        assert closed.closed_at is not None


# --- closed is final -----------------------------------------------------------------------------------------


class TestClosedIsFinal:
    @pytest.fixture
    def closed(self, as_user: AsUser) -> Ticket:
        ticket = open_ticket(as_user(ANA))
        return as_user(AGENT).tickets.close(ticket.id)

    @pytest.mark.parametrize(
        ("user", "action"),
        [
            pytest.param(user, action, id=f"{name}-{user.split('@')[0]}")
            for name, action, users in [
                ("reply", lambda s, i: s.tickets.reply(i, body="Una pregunta más"), (ANA, AGENT)),
                ("reopen", lambda s, i: s.tickets.reopen(i), (ANA, AGENT)),
                ("close", lambda s, i: s.tickets.close(i), (ANA, AGENT)),
                ("cc", lambda s, i: s.tickets.cc(i, add=[BOB]), (ANA, AGENT)),
                ("fields", lambda s, i: s.tickets.update(i, TicketChanges(fields={"x": "1"})), (ANA, AGENT)),
                ("status", lambda s, i: s.tickets.update(i, TicketChanges(status="open")), (AGENT,)),
                ("priority", lambda s, i: s.tickets.update(i, TicketChanges(priority="high")), (AGENT,)),
            ]
            for user in users
        ],
    )
    def test_a_closed_ticket_refuses_changes_with_a_follow_up_hint(
        self, portal: Portal, as_user: AsUser, closed: Ticket, user: str, action: Callable[[Session, int], Any]
    ) -> None:
        before = stored(portal, closed.id)
        with pytest.raises(StateConflict) as caught:
            action(as_user(user), closed.id)
        assert caught.value.exit_code == ExitCode.CONFLICT
        assert f"--follow-up-of {closed.id}" in (cli_hint(caught.value) or "")
        assert stored(portal, closed.id) == before
        assert comment_count(portal, closed.id) == 1

    def test_a_follow_up_links_the_closed_ticket(self, as_user: AsUser, closed: Ticket) -> None:
        follow_up = open_ticket(as_user(ANA), subject="Sigue el problema", follow_up_of=closed.id)
        assert follow_up.follow_up_of == closed.id
        assert follow_up.status == "new"
        assert as_user(ANA).tickets.get(closed.id).status == "closed"

    def test_a_follow_up_of_a_ticket_you_cannot_see_is_not_found(
        self, portal: Portal, as_user: AsUser, closed: Ticket
    ) -> None:
        with pytest.raises(NotFound, match=f"no ticket #{closed.id}"):
            open_ticket(as_user(CARLA), follow_up_of=closed.id)
        assert ticket_count(portal) == 1


# --- auto-close ----------------------------------------------------------------------------------------------


class TestAutoClose:
    def test_a_resolved_ticket_closes_48_hours_after_it_was_resolved(
        self, clocked: Portal, clock: FakeClock
    ) -> None:
        ticket = open_ticket(clocked.session(ANA))
        clock.advance(hours=2)
        resolved = clocked.session(AGENT).tickets.reply(ticket.id, body="Hecho", status="resolved")
        assert resolved.resolved_at == "2025-03-03T11:00:00Z"

        clock.advance(hours=47, minutes=59)
        auto_close(clocked)
        assert clocked.session(ANA).tickets.get(ticket.id).status == "resolved"

        clock.advance(hours=5)  # nobody looked for a while: it closed at the end of the grace period, not now
        auto_close(clocked)
        after = clocked.session(ANA).tickets.get(ticket.id)
        assert after.status == "closed"
        assert after.closed_at == "2025-03-05T11:00:00Z"
        assert after.resolved_at == resolved.resolved_at

    def test_the_grace_period_is_a_setting(self, clocked: Portal, clock: FakeClock) -> None:
        clocked.set_setting("auto_close_hours", "24")
        ticket = open_ticket(clocked.session(ANA))
        clocked.session(AGENT).tickets.update(ticket.id, TicketChanges(status="resolved"))
        clock.advance(hours=24)
        auto_close(clocked)
        after = clocked.session(AGENT).tickets.get(ticket.id)
        assert after.status == "closed"
        assert after.closed_at == "2025-03-04T09:00:00Z"

    def test_only_resolved_tickets_close_by_themselves(self, clocked: Portal, clock: FakeClock) -> None:
        pending = open_ticket(clocked.session(ANA))
        clocked.session(AGENT).tickets.reply(pending.id, body="¿Nos confirma?")
        reopened = open_ticket(clocked.session(ANA))
        clocked.session(AGENT).tickets.update(reopened.id, TicketChanges(status="resolved"))
        clocked.session(ANA).tickets.reply(reopened.id, body="No está resuelto")  # back to open
        clock.advance(days=30)
        auto_close(clocked)
        agent = clocked.session(AGENT).tickets
        assert agent.get(pending.id).status == "pending"
        assert agent.get(reopened.id).status == "open"

    def test_an_auto_closed_ticket_is_final(self, clocked: Portal, clock: FakeClock) -> None:
        ticket = open_ticket(clocked.session(ANA))
        clocked.session(AGENT).tickets.update(ticket.id, TicketChanges(status="resolved"))
        clock.advance(hours=49)
        auto_close(clocked)
        with pytest.raises(StateConflict, match="closed"):
            clocked.session(ANA).tickets.reply(ticket.id, body="¡Espere!")

    def test_opening_a_ticket_service_writes_nothing(self, clocked: Portal, clock: FakeClock) -> None:
        ticket = open_ticket(clocked.session(ANA))
        clocked.session(AGENT).tickets.update(ticket.id, TicketChanges(status="resolved"))
        clock.advance(days=3)
        changes_before = clocked.conn.execute("SELECT total_changes()").fetchone()[0]
        TicketService(clocked.session(ANA))
        assert clocked.conn.execute("SELECT total_changes()").fetchone()[0] == changes_before
        assert clocked.session(AGENT).tickets.get(ticket.id).status == "resolved"  # until auto-close runs


# --- internal notes ------------------------------------------------------------------------------------------


class TestInternalNotes:
    SECRET = "presupuesto confidencial zanahoria"

    @pytest.fixture
    def ticket(self, as_user: AsUser) -> Ticket:
        ticket = open_ticket(as_user(ANA), subject="Problema de acceso")
        as_user(AGENT).tickets.reply(ticket.id, body=self.SECRET, internal=True)
        as_user(AGENT).tickets.reply(ticket.id, body="Estamos revisando", status="open")
        return ticket

    def test_customers_never_see_internal_notes(self, as_user: AsUser, ticket: Ticket) -> None:
        seen = as_user(ANA).tickets.get(ticket.id)
        bodies = [c.body for c in seen.comments or []]
        assert bodies == ["El valor FOB no cuadra", "Estamos revisando"]
        assert self.SECRET not in json.dumps(seen.to_dict())

    def test_agents_see_internal_notes_marked_as_internal(self, as_user: AsUser, ticket: Ticket) -> None:
        notes = [c for c in as_user(AGENT).tickets.get(ticket.id).comments or [] if c.internal]
        assert [n.body for n in notes] == [self.SECRET]

    @pytest.mark.parametrize("user", [ANA, AGENT])
    def test_search_never_matches_internal_note_text(self, as_user: AsUser, ticket: Ticket, user: str) -> None:
        assert visible_ids(as_user(user), search="zanahoria") == set()
        assert visible_ids(as_user(user), search="revisando") == {ticket.id}


# --- visibility ----------------------------------------------------------------------------------------------


class TestVisibility:
    def test_a_customer_sees_only_their_own_tickets_when_the_organisation_does_not_share(
        self, as_user: AsUser
    ) -> None:
        ana = open_ticket(as_user(ANA))
        bob = open_ticket(as_user(BOB))
        assert visible_ids(as_user(ANA)) == {ana.id}
        assert visible_ids(as_user(BOB)) == {bob.id}

    def test_another_customers_ticket_looks_exactly_like_a_missing_one(self, as_user: AsUser) -> None:
        bob = open_ticket(as_user(BOB))
        with pytest.raises(NotFound) as foreign:
            as_user(ANA).tickets.get(bob.id)
        with pytest.raises(NotFound) as missing:
            as_user(ANA).tickets.get(bob.id + 1000)
        assert foreign.value.exit_code == ExitCode.NOT_FOUND
        assert str(foreign.value) == f"no ticket #{bob.id}"
        assert foreign.value.hint == missing.value.hint

    def test_a_shared_organisation_sees_all_its_tickets_but_no_one_elses(self, as_user: AsUser) -> None:
        carla = open_ticket(as_user(CARLA))
        diego = open_ticket(as_user(DIEGO))
        ana = open_ticket(as_user(ANA))
        assert visible_ids(as_user(CARLA)) == {carla.id, diego.id}
        assert visible_ids(as_user(DIEGO)) == {carla.id, diego.id}
        assert as_user(DIEGO).tickets.reply(carla.id, body="Yo también lo veo").status == "new"
        assert ana.id not in visible_ids(as_user(CARLA))

    @pytest.mark.parametrize(
        "action",
        [
            pytest.param(lambda s, i: s.tickets.get(i), id="get"),
            pytest.param(lambda s, i: s.tickets.reply(i, body="hola"), id="reply"),
            pytest.param(lambda s, i: s.tickets.close(i), id="close"),
            pytest.param(lambda s, i: s.tickets.cc(i, add=[DIEGO]), id="cc"),
            pytest.param(lambda s, i: s.tickets.attachments(i), id="attachments"),
            pytest.param(lambda s, i: s.tickets.update(i, TicketChanges(fields={"x": "1"})), id="update"),
        ],
    )
    def test_no_action_reaches_another_organisations_ticket(
        self, portal: Portal, as_user: AsUser, action: Callable[[Session, int], Any]
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        before = stored(portal, ticket.id)
        with pytest.raises(NotFound, match=f"no ticket #{ticket.id}"):
            action(as_user(CARLA), ticket.id)
        assert stored(portal, ticket.id) == before
        assert comment_count(portal, ticket.id) == 1

    def test_staff_see_every_ticket(self, as_user: AsUser) -> None:
        ids = {open_ticket(as_user(user)).id for user in (ANA, BOB, CARLA)}
        assert visible_ids(as_user(AGENT)) == ids
        assert visible_ids(as_user(ADMIN)) == ids

    def test_customers_cannot_open_tickets_for_someone_else(self, portal: Portal, as_user: AsUser) -> None:
        with pytest.raises(PermissionDenied, match="only agents may open tickets for someone else"):
            open_ticket(as_user(ANA), requester=BOB)
        assert ticket_count(portal) == 0

    def test_an_agent_opens_a_ticket_on_behalf_of_a_customer(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(AGENT), requester=ANA)
        assert ticket.requester == ANA and ticket.organization == "acme"
        assert visible_ids(as_user(ANA)) == {ticket.id}


# --- CCs -----------------------------------------------------------------------------------------------------


class TestCCs:
    def test_a_ccd_customer_of_another_organisation_sees_that_ticket_and_nobody_else_there_does(
        self, as_user: AsUser
    ) -> None:
        ticket = open_ticket(as_user(ANA), ccs=[CARLA])
        assert ticket.ccs == [CARLA]
        assert as_user(CARLA).tickets.get(ticket.id).subject == ticket.subject
        assert visible_ids(as_user(CARLA)) == {ticket.id}
        assert visible_ids(as_user(DIEGO)) == set()  # Globex shares its own tickets, not Acme's
        with pytest.raises(NotFound):
            as_user(DIEGO).tickets.get(ticket.id)
        with pytest.raises(NotFound):
            as_user(BOB).tickets.get(ticket.id)

    def test_removing_a_cc_takes_the_ticket_away_from_them(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        assert as_user(ANA).tickets.cc(ticket.id, add=[BOB]).ccs == [BOB]
        assert visible_ids(as_user(BOB)) == {ticket.id}
        assert as_user(ANA).tickets.cc(ticket.id, remove=[BOB]).ccs == []
        assert visible_ids(as_user(BOB)) == set()

    def test_an_unknown_address_becomes_a_customer_without_organisation(self, portal: Portal, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), ccs=["jefa@example.org"])
        assert ticket.ccs == ["jefa@example.org"]
        row = portal.conn.execute("SELECT role, org_id FROM users WHERE email = 'jefa@example.org'").fetchone()
        assert (row["role"], row["org_id"]) == ("customer", None)
        assert visible_ids(portal.session("jefa@example.org")) == {ticket.id}

    def test_a_bad_address_is_refused_and_nothing_is_created(self, portal: Portal, as_user: AsUser) -> None:
        with pytest.raises(InvalidInput, match="not an e-mail address: 'jefa'"):
            open_ticket(as_user(ANA), ccs=["jefa"])
        assert ticket_count(portal) == 0

    def test_removing_someone_who_is_not_ccd_is_an_error(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(InvalidInput, match=f"{BOB} is not CC'd on ticket #{ticket.id}"):
            as_user(ANA).tickets.cc(ticket.id, remove=[BOB])


# --- deactivated users ---------------------------------------------------------------------------------------


class TestDeactivatedUsers:
    def test_a_deactivated_user_cannot_act_but_their_tickets_and_comments_stay(
        self, portal: Portal, as_user: AsUser
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        as_user(ANA).tickets.reply(ticket.id, body="Adjunto más datos")
        as_user(ADMIN).accounts.set_active(ANA, False)

        with pytest.raises(PermissionDenied, match=f"user {ANA} is deactivated") as caught:
            portal.session(ANA)
        assert caught.value.exit_code == ExitCode.AUTH

        kept = as_user(AGENT).tickets.get(ticket.id)
        assert kept.requester == ANA
        assert [c.author for c in kept.comments or []] == [ANA, ANA]
        assert visible_ids(as_user(AGENT), requester=ANA) == {ticket.id}

    def test_agents_cannot_open_tickets_for_a_deactivated_customer(self, portal: Portal, as_user: AsUser) -> None:
        as_user(ADMIN).accounts.set_active(BOB, False)
        with pytest.raises(InvalidInput, match=f"{BOB} is deactivated"):
            open_ticket(as_user(AGENT), requester=BOB)
        assert ticket_count(portal) == 0

    def test_a_reactivated_user_acts_again(self, as_user: AsUser) -> None:
        as_user(ADMIN).accounts.set_active(BOB, False)
        as_user(ADMIN).accounts.set_active(BOB, True)
        assert open_ticket(as_user(BOB)).requester == BOB


# --- custom fields -------------------------------------------------------------------------------------------


class TestCustomFields:
    @pytest.fixture(autouse=True)
    def define_fields(self, as_user: AsUser) -> None:
        accounts = as_user(ADMIN).accounts
        accounts.add_field(field_def("user_code", pattern=r"\d{4}", required=True,
                                     description="Your 4-digit VAI user code"))
        accounts.add_field(field_def("topic", "choice", choices=["Importaciones", "Exportaciones"]))
        accounts.add_field(field_def("country", customer_editable=False))
        accounts.add_field(field_def("forms", "multichoice", choices=["5412", "5413", "5414"]))
        accounts.add_field(field_def("amount", "number"))
        accounts.add_field(field_def("arrival", "date"))
        accounts.add_field(field_def("urgent_customs", "boolean"))

    def test_values_are_checked_and_stored_with_their_types(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), fields={
            "user_code": "0042", "topic": "Importaciones", "country": "ES", "forms": "5412, 5414",
            "amount": "1250.5", "arrival": "2025-03-10", "urgent_customs": "sí",
        })
        assert ticket.fields == {
            "user_code": "0042", "topic": "Importaciones", "country": "ES", "forms": ["5412", "5414"],
            "amount": 1250.5, "arrival": "2025-03-10", "urgent_customs": True,
        }
        assert as_user(AGENT).tickets.get(ticket.id).fields == ticket.fields

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({}, "missing required field user_code"),
            ({"user_code": ""}, "missing required field user_code"),
            ({"user_code": "42"}, r"field user_code: '42' does not match the pattern \\d\{4\}"),
            ({"user_code": "12345"}, "does not match the pattern"),
            ({"user_code": "0042", "topic": "Turismo"}, "field topic: 'Turismo' is not one of its choices"),
            ({"user_code": "0042", "topic": "Importaciones,Exportaciones"}, "field topic takes one value"),
            ({"user_code": "0042", "forms": "5412,9999"}, "field forms: '9999' is not one of its choices"),
            ({"user_code": "0042", "amount": "mil"}, "field amount: 'mil' is not a number"),
            ({"user_code": "0042", "arrival": "10/03/2025"}, r"field arrival: '10/03/2025' is not a date"),
            ({"user_code": "0042", "urgent_customs": "quizás"}, "field urgent_customs: 'quizás' is not yes or no"),
            ({"user_code": "0042", "colour": "red"}, "unknown field colour"),
        ],
    )
    def test_bad_values_are_refused_and_nothing_is_created(
        self, portal: Portal, as_user: AsUser, fields: dict[str, str], message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message) as caught:
            open_ticket(as_user(ANA), fields=fields)
        assert caught.value.exit_code == ExitCode.USAGE
        assert ticket_count(portal) == 0

    def test_the_pattern_error_carries_the_fields_own_description_as_hint(self, as_user: AsUser) -> None:
        with pytest.raises(InvalidInput) as caught:
            open_ticket(as_user(ANA), fields={"user_code": "abcd"})
        assert caught.value.hint == "Your 4-digit VAI user code"

    def test_a_missing_required_field_names_the_flag_to_pass(self, as_user: AsUser) -> None:
        with pytest.raises(InvalidInput) as caught:
            open_ticket(as_user(ANA))
        assert cli_hint(caught.value) == "pass --field user_code=VALUE"

    def test_a_customer_may_edit_customer_editable_fields(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), fields={"user_code": "0042", "country": "ES"})
        after = as_user(ANA).tickets.update(ticket.id, TicketChanges(fields={"topic": "Exportaciones"}))
        assert after.fields == {"user_code": "0042", "country": "ES", "topic": "Exportaciones"}

    def test_a_customer_may_not_edit_a_locked_field(self, portal: Portal, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), fields={"user_code": "0042", "country": "ES"})
        before = stored(portal, ticket.id)
        with pytest.raises(PermissionDenied, match="you may not edit country") as caught:
            as_user(ANA).tickets.update(ticket.id, TicketChanges(fields={"country": "FR", "topic": "Exportaciones"}))
        assert caught.value.exit_code == ExitCode.AUTH
        assert stored(portal, ticket.id) == before

    def test_an_agent_may_edit_a_locked_field(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), fields={"user_code": "0042", "country": "ES"})
        after = as_user(AGENT).tickets.update(ticket.id, TicketChanges(fields={"country": "FR"}))
        assert after.fields["country"] == "FR"

    def test_an_edit_is_checked_like_a_create(self, portal: Portal, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), fields={"user_code": "0042"})
        before = stored(portal, ticket.id)
        with pytest.raises(InvalidInput, match="does not match the pattern"):
            as_user(ANA).tickets.update(ticket.id, TicketChanges(fields={"user_code": "42"}))
        assert stored(portal, ticket.id) == before

    @pytest.mark.parametrize("user", [ANA, AGENT])
    def test_an_edit_cannot_empty_a_required_field(self, portal: Portal, as_user: AsUser, user: str) -> None:
        as_user(ADMIN).accounts.add_field(field_def("company", required=True))
        ticket = open_ticket(as_user(ANA), fields={"user_code": "0042", "company": "Acme S.A."})
        before = stored(portal, ticket.id)
        with pytest.raises(InvalidInput, match="required field company"):
            as_user(user).tickets.update(ticket.id, TicketChanges(fields={"company": ""}))
        assert stored(portal, ticket.id) == before

    @pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity", "1e400"])
    def test_a_number_field_refuses_values_that_are_not_finite(
        self, portal: Portal, as_user: AsUser, raw: str
    ) -> None:
        with pytest.raises(InvalidInput, match="amount"):
            open_ticket(as_user(ANA), fields={"user_code": "0042", "amount": raw})
        assert ticket_count(portal) == 0


class TestDepartmentFields:
    def test_a_department_field_applies_only_to_that_department(self, portal: Portal, as_user: AsUser) -> None:
        as_user(ADMIN).accounts.add_field(field_def("domain", required=True, department="soporte-web"))
        with pytest.raises(InvalidInput, match="missing required field domain"):
            open_ticket(as_user(ANA), department="Soporte Web")
        web = open_ticket(as_user(ANA), department="Soporte Web", fields={"domain": "acme.test"})
        assert web.fields == {"domain": "acme.test"}
        with pytest.raises(InvalidInput, match="unknown field domain"):
            open_ticket(as_user(ANA), department="soporte-administrativo", fields={"domain": "acme.test"})
        assert open_ticket(as_user(ANA), department="soporte-administrativo").fields == {}
        assert ticket_count(portal) == 2

    @pytest.mark.parametrize(
        ("definition", "message"),
        [
            (field_def("kind", "colour"), "unknown field type 'colour'"),
            (field_def("kind", "choice"), "needs --choice values"),
            (field_def("bad key"), "must be letters, digits and underscores"),
            (field_def("code", pattern="(["), "bad pattern for 'code'"),
        ],
    )
    def test_bad_field_definitions_are_refused(self, portal: Portal, as_user: AsUser, definition: FieldDef,
                                               message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            as_user(ADMIN).accounts.add_field(definition)
        assert portal.conn.execute("SELECT COUNT(*) FROM field_defs").fetchone()[0] == 0

    @pytest.mark.parametrize("user", [AGENT, ANA])
    def test_only_admins_define_fields(self, as_user: AsUser, user: str) -> None:
        with pytest.raises(PermissionDenied, match="only admins may define custom fields"):
            as_user(user).accounts.add_field(field_def("user_code"))


# --- departments, priorities, types, tags, assignees ---------------------------------------------------------


class TestTicketAttributes:
    def test_department_priority_type_and_tags_are_stored(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), department="Soporte Web", priority="High", type="incident",
                             tags=["WordPress", "caída web", "wordpress", " "])
        assert (ticket.department, ticket.priority, ticket.type) == ("soporte-web", "high", "incident")
        assert ticket.tags == ["wordpress", "caída-web"]

    def test_the_default_priority_is_medium(self, as_user: AsUser) -> None:
        assert open_ticket(as_user(ANA)).priority == "medium"

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"department": "Ventas"}, "unknown department 'Ventas'"),
            ({"priority": "critical"}, "unknown priority 'critical'"),
            ({"type": "complaint"}, "unknown type 'complaint'"),
        ],
    )
    def test_unknown_values_are_refused_listing_the_known_ones(
        self, portal: Portal, as_user: AsUser, options: dict[str, str], message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message) as caught:
            open_ticket(as_user(ANA), **options)
        assert caught.value.hint  # says what is known
        assert ticket_count(portal) == 0

    def test_the_unknown_department_hint_lists_the_departments(self, as_user: AsUser) -> None:
        with pytest.raises(InvalidInput) as caught:
            open_ticket(as_user(ANA), department="Ventas")
        assert caught.value.hint == "known: soporte-administrativo, soporte-web"

    def test_agents_change_priority_type_department_assignee_and_tags(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA), tags=["factura"])
        after = as_user(AGENT).tickets.update(ticket.id, TicketChanges(
            priority="urgent", type="problem", department="soporte-administrativo", assignee=AGENT,
            add_tags=["SII"], remove_tags=["factura"], subject="Factura 5412 rechazada por el SII",
        ))
        assert (after.priority, after.type, after.department) == ("urgent", "problem", "soporte-administrativo")
        assert (after.assignee, after.tags, after.subject) == (AGENT, ["sii"], "Factura 5412 rechazada por el SII")

    def test_tickets_are_assigned_to_agents_only(self, portal: Portal, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(InvalidInput, match=f"{BOB} is a customer"):
            as_user(AGENT).tickets.update(ticket.id, TicketChanges(assignee=BOB))
        assert stored(portal, ticket.id)["assignee_id"] is None

    @pytest.mark.parametrize(
        ("changes", "named"),
        [
            (TicketChanges(priority="urgent"), "priority"),
            (TicketChanges(status="resolved"), "status"),
            (TicketChanges(subject="Otro asunto"), "subject"),
            (TicketChanges(add_tags=["vip"]), "tags"),
            (TicketChanges(assignee=AGENT), "assignee"),
        ],
    )
    def test_customers_may_not_change_staff_fields(
        self, portal: Portal, as_user: AsUser, changes: TicketChanges, named: str
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        before = stored(portal, ticket.id)
        with pytest.raises(PermissionDenied, match=f"you may not edit {named}"):
            as_user(ANA).tickets.update(ticket.id, changes)
        assert stored(portal, ticket.id) == before

    def test_a_failed_update_changes_nothing_even_when_other_changes_were_valid(
        self, portal: Portal, as_user: AsUser
    ) -> None:
        ticket = open_ticket(as_user(ANA))
        before = stored(portal, ticket.id)
        with pytest.raises(InvalidInput, match="unknown status 'listo'"):
            as_user(AGENT).tickets.update(ticket.id, TicketChanges(priority="urgent", status="listo"))
        assert stored(portal, ticket.id) == before

    def test_an_update_with_nothing_to_change_is_an_error(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        with pytest.raises(InvalidInput, match="nothing to change"):
            as_user(AGENT).tickets.update(ticket.id, TicketChanges())

    def test_every_canonical_state_can_be_set_by_an_agent_with_native_names(self, as_user: AsUser) -> None:
        ticket = open_ticket(as_user(ANA))
        for native, canonical in [("En proceso", "open"), ("Esperando su respuesta", "pending"), ("hold", "on_hold"),
                                  ("solved", "resolved"), ("Nuevo", "new"), ("Cerrado", "closed")]:
            assert set_status(as_user, ticket.id, native).status == canonical
