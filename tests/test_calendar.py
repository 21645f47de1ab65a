"""Business-hour calendars: each ticket is due a number of working hours after it was opened, counted on its
organisation's calendar and timezone; listings show and filter overdue tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.calendar import add_business_hours, parse_business_hours
from portalctl.engine.db import iso
from portalctl.engine.portal import Portal
from portalctl.errors import InvalidInput
from portalctl.exitcodes import ExitCode
from tests.conftest import ADMIN, AGENT, ANA, CARLA

MONDAY_0700_UTC = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 in Madrid (CET), 02:00 in Bogotá


@dataclass
class FakeClock:
    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: str) -> None:
        self.moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_0700_UTC)


@pytest.fixture
def clocked(portal: Portal, clock: FakeClock) -> Iterator[Portal]:
    """The fixture portal's file, opened with a clock the test controls."""
    other = Portal(portal.location, clock=clock)
    yield other
    other.close()


def due(start: str, hours: float, spec: str = "mon-fri 09:00-18:00", timezone: str = "UTC",
        holidays: tuple[str, ...] = ()) -> str:
    moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return iso(add_business_hours(moment, hours, spec=spec, timezone=timezone, holidays=holidays))


# --- reading a calendar --------------------------------------------------------------------------------------


class TestParseBusinessHours:
    def test_days_and_several_segments(self) -> None:
        hours = parse_business_hours("Mon-Fri 09:00-13:00; mon-fri 15:00-19:00; sat 10:00-14:00")
        assert sorted(hours) == [0, 1, 2, 3, 4, 5]
        assert [(a.hour, b.hour) for a, b in hours[0]] == [(9, 13), (15, 19)]
        assert [(a.hour, b.hour) for a, b in hours[5]] == [(10, 14)]

    def test_a_range_may_wrap_over_the_weekend(self) -> None:
        assert sorted(parse_business_hours("fri-mon 10:00-12:00")) == [0, 4, 5, 6]

    def test_a_list_of_days(self) -> None:
        assert sorted(parse_business_hours("mon,wed,fri 08:00-12:00")) == [0, 2, 4]

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("", "business hours are empty"),
            ("weekdays", "cannot read business hours 'weekdays'"),
            ("mon-fri 9-17", "cannot read business hours"),
            ("funday 09:00-17:00", "unknown day in business hours"),
            ("mon-fri 18:00-09:00", "business hours end before they start"),
            ("mon-fri 09:00-09:00", "business hours end before they start"),
            ("mon 25:00-26:00", "bad time in business hours"),
            ("mon 09:60-10:00", "bad time in business hours"),
        ],
    )
    def test_a_calendar_that_cannot_be_read_is_refused(self, spec: str, message: str) -> None:
        with pytest.raises(InvalidInput, match=message) as caught:
            parse_business_hours(spec)
        assert caught.value.exit_code == ExitCode.USAGE


# --- counting working hours ----------------------------------------------------------------------------------


class TestAddBusinessHours:
    def test_within_one_working_day(self) -> None:
        assert due("2025-03-03T10:00:00Z", 3) == "2025-03-03T13:00:00Z"

    def test_counting_starts_when_the_office_opens(self) -> None:
        assert due("2025-03-03T06:30:00Z", 1) == "2025-03-03T10:00:00Z"

    def test_after_hours_counts_from_the_next_morning(self) -> None:
        assert due("2025-03-03T20:00:00Z", 2) == "2025-03-04T11:00:00Z"

    def test_ending_exactly_at_closing_time(self) -> None:
        assert due("2025-03-03T09:00:00Z", 9) == "2025-03-03T18:00:00Z"

    def test_the_weekend_is_skipped(self) -> None:
        assert due("2025-03-07T17:00:00Z", 2) == "2025-03-10T10:00:00Z"  # Friday 17:00 -> Monday 10:00

    def test_saturday_hours_count_where_the_calendar_has_them(self) -> None:
        spec = "mon-fri 09:00-18:00; sat 09:00-13:00"
        assert due("2025-03-07T17:00:00Z", 5, spec) == "2025-03-08T13:00:00Z"
        assert due("2025-03-07T17:00:00Z", 6, spec) == "2025-03-10T10:00:00Z"

    def test_a_lunch_break_is_skipped(self) -> None:
        spec = "mon-fri 09:00-13:00; mon-fri 15:00-19:00"
        assert due("2025-03-03T12:00:00Z", 3, spec) == "2025-03-03T17:00:00Z"

    def test_holidays_are_skipped(self) -> None:
        assert due("2025-03-03T17:00:00Z", 2, holidays=("2025-03-04",)) == "2025-03-05T10:00:00Z"

    def test_hours_are_counted_in_the_calendars_timezone(self) -> None:
        # 09:00 UTC is 10:00 in Madrid and 04:00 in Bogotá
        assert due("2025-03-03T09:00:00Z", 2, timezone="Europe/Madrid") == "2025-03-03T11:00:00Z"
        assert due("2025-03-03T09:00:00Z", 2, timezone="America/Bogota") == "2025-03-03T16:00:00Z"

    def test_a_daylight_saving_change_keeps_local_office_hours(self) -> None:
        # Friday 28 March 2025 17:00 in Madrid (CET); Spain moves to CEST (UTC+2) on Sunday 30 March.
        # 1 h on Friday, 9 on Monday, 9 on Tuesday, 5 on Wednesday -> Wednesday 14:00 CEST = 12:00 UTC.
        assert due("2025-03-28T16:00:00Z", 24, timezone="Europe/Madrid") == "2025-04-02T12:00:00Z"

    def test_a_round_the_clock_calendar_counts_wall_hours(self) -> None:
        assert due("2025-03-03T10:00:00Z", 48, "mon-sun 00:00-24:00") == "2025-03-05T10:00:00Z"

    def test_a_calendar_with_almost_no_working_time_does_not_loop_forever(self) -> None:
        with pytest.raises(InvalidInput, match="no working hours"):
            due("2025-03-03T10:00:00Z", 100_000, "mon 09:00-10:00")


# --- each organisation's calendar gives its tickets their due time -------------------------------------------


class TestDueTimePerOrganisation:
    def test_acme_counts_on_madrid_time(self, clocked: Portal) -> None:
        # Monday 08:00 CET: counting starts at 09:00; 9 + 9 + 6 h -> Wednesday 15:00 CET = 14:00 UTC
        ticket = clocked.session(ANA).tickets.create(TicketDraft(subject="Factura", body="Rechazada"))
        assert ticket.due_at == "2025-03-05T14:00:00Z"

    def test_globex_counts_on_bogota_time(self, clocked: Portal) -> None:
        # Monday 02:00 COT: counting starts at 09:00; 9 + 9 + 6 h -> Wednesday 15:00 COT = 20:00 UTC
        ticket = clocked.session(CARLA).tickets.create(TicketDraft(subject="Factura", body="Rechazada"))
        assert ticket.due_at == "2025-03-05T20:00:00Z"

    def test_someone_without_organisation_gets_the_portals_calendar(self, clocked: Portal) -> None:
        ticket = clocked.session(ADMIN).tickets.create(TicketDraft(subject="Copia de seguridad", body="Falló"))
        assert ticket.due_at == "2025-03-05T15:00:00Z"  # portal default: UTC, mon-fri 09:00-18:00, 24 h

    def test_an_agent_opening_for_a_customer_uses_the_customers_calendar(self, clocked: Portal) -> None:
        ticket = clocked.session(AGENT).tickets.create(TicketDraft(subject="Llamada", body="Por teléfono",
                                                                   requester=CARLA))
        assert ticket.due_at == "2025-03-05T20:00:00Z"

    def test_an_organisation_with_its_own_hours_holidays_and_target(self, clocked: Portal, clock: FakeClock) -> None:
        accounts = clocked.session(ADMIN).accounts
        accounts.add_organization(name="Initech", timezone="Europe/Madrid", business_hours="mon-fri 09:00-14:00",
                                  holidays=["2025-03-04"], resolution_hours=8)
        accounts.add_user(email="irene@initech.test", name="Irene", organization="initech")
        clock.set("2025-03-03T12:00:00Z")  # Monday 13:00 in Madrid
        ticket = clocked.session("irene@initech.test").tickets.create(TicketDraft(subject="VPN", body="Caída"))
        # 1 h on Monday, Tuesday is a holiday, 5 h on Wednesday, 2 h on Thursday -> 11:00 CET = 10:00 UTC
        assert ticket.due_at == "2025-03-06T10:00:00Z"

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"timezone": "Europe/Atlantis"}, "unknown timezone 'Europe/Atlantis'"),
            ({"business_hours": "lunes a viernes"}, "cannot read business hours"),
            ({"business_hours": "mon-fri 18:00-09:00"}, "end before they start"),
            ({"holidays": ["2025-13-01"]}, "holiday '2025-13-01' is not a date"),
            ({"resolution_hours": -4}, "resolution hours must be at least 1"),
        ],
    )
    def test_a_bad_calendar_is_refused_and_no_organisation_is_made(
        self, portal: Portal, options: dict[str, object], message: str
    ) -> None:
        with pytest.raises(InvalidInput, match=message):
            portal.session(ADMIN).accounts.add_organization(name="Initech", **options)
        assert portal.conn.execute("SELECT COUNT(*) FROM organizations WHERE slug = 'initech'").fetchone()[0] == 0

    def test_a_resolution_target_of_zero_hours_is_refused(self, portal: Portal) -> None:
        with pytest.raises(InvalidInput, match="resolution hours must be at least 1"):
            portal.session(ADMIN).accounts.add_organization(name="Initech", resolution_hours=0)


# --- overdue -------------------------------------------------------------------------------------------------


class TestOverdue:
    def overdue_ids(self, portal: Portal) -> set[int]:
        return {t.id for t in portal.session(AGENT).tickets.list(TicketQuery(overdue=True, limit=None))}

    def test_a_ticket_is_overdue_only_after_its_due_time(self, clocked: Portal, clock: FakeClock) -> None:
        ticket = clocked.session(ANA).tickets.create(TicketDraft(subject="Factura", body="Rechazada"))
        clock.set("2025-03-05T13:59:59Z")
        assert self.overdue_ids(clocked) == set()
        assert clocked.session(ANA).tickets.get(ticket.id).overdue is False
        clock.set("2025-03-05T14:00:01Z")
        assert self.overdue_ids(clocked) == {ticket.id}
        assert clocked.session(ANA).tickets.get(ticket.id).overdue is True

    def test_time_spent_waiting_on_the_customer_or_after_resolution_is_not_late(
        self, clocked: Portal, clock: FakeClock
    ) -> None:
        clocked.set_setting("auto_close_hours", "240")  # keep the resolved ticket resolved for this test
        customer = clocked.session(ANA).tickets
        late = customer.create(TicketDraft(subject="Sin respuesta", body="..."))
        waiting = customer.create(TicketDraft(subject="Esperando al cliente", body="..."))
        done = customer.create(TicketDraft(subject="Resuelto", body="..."))
        on_hold = customer.create(TicketDraft(subject="En espera", body="..."))
        agent = clocked.session(AGENT).tickets
        agent.reply(waiting.id, body="¿Nos envía el PDF?")
        agent.update(done.id, TicketChanges(status="resolved"))
        agent.update(on_hold.id, TicketChanges(status="on_hold"))
        clock.set("2025-03-06T09:00:00Z")  # a day after every ticket's due time, before auto-close
        assert self.overdue_ids(clocked) == {late.id}
        listed = {t.id: t.overdue for t in clocked.session(AGENT).tickets.list(TicketQuery(limit=None))}
        assert listed == {late.id: True, waiting.id: False, done.id: False, on_hold.id: False}

    def test_overdue_tickets_sort_by_due_time(self, clocked: Portal, clock: FakeClock) -> None:
        globex = clocked.session(CARLA).tickets.create(TicketDraft(subject="Bogotá", body="..."))  # due 20:00 UTC
        acme = clocked.session(ANA).tickets.create(TicketDraft(subject="Madrid", body="..."))  # due 14:00 UTC
        clock.moment += timedelta(days=3)
        listed = clocked.session(AGENT).tickets.list(TicketQuery(overdue=True, sort="due", limit=None))
        assert [t.id for t in listed] == [acme.id, globex.id]
