"""Business-hour calendars: when a ticket is due, counting only an organisation's working hours.

A calendar is written the way people say it: "mon-fri 09:00-18:00; sat 09:00-13:00", in the organisation's
timezone, with holidays as ISO dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portalctl.errors import InvalidInput
from portalctl.i18n import _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEGMENT = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Hours = dict[int, list[tuple[time, time]]]  # weekday (0 = Monday) -> working intervals


def parse_business_hours(spec: str) -> Hours:
    hours: Hours = {}
    for segment in filter(None, (s.strip() for s in spec.lower().split(";"))):
        match = SEGMENT.match(segment)
        if not match:
            raise InvalidInput(_("cannot read business hours {segment!r}").format(
                segment=segment), hint=_('write e.g. "mon-fri 09:00-18:00"'))
        days, h1, m1, h2, m2 = match.groups()
        try:
            start, end = time(int(h1), int(m1)), time(int(h2) % 24, int(m2))
        except ValueError as exc:
            raise InvalidInput(_("bad time in business hours {segment!r}").format(segment=segment)) from exc
        if int(h2) == 24:
            end = time.max
        if end <= start:
            raise InvalidInput(_("business hours end before they start: {segment!r}").format(segment=segment))
        for day in _days(days, segment):
            hours.setdefault(day, []).append((start, end))
    if not hours:
        raise InvalidInput(_("business hours are empty"), hint=_('write e.g. "mon-fri 09:00-18:00"'))
    for intervals in hours.values():
        intervals.sort()
    return hours


def _days(text: str, segment: str) -> list[int]:
    result: list[int] = []
    for part in text.split(","):
        first, _dash, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise InvalidInput(_("unknown day in business hours {segment!r}").format(segment=segment),
                hint=_("days: {DAYS}").format(DAYS=', '.join(DAYS)))
        a, b = DAYS.index(first), DAYS.index(last or first)
        result.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return result


def add_business_hours(
    start: datetime, hours: float, *, spec: str, timezone: str, holidays: Iterable[str] = ()
) -> datetime:
    """The moment `hours` working hours after `start` (UTC in, UTC out)."""
    calendar = parse_business_hours(spec)
    zone = ZoneInfo(timezone)
    off_days = {date.fromisoformat(d) for d in holidays}
    remaining = timedelta(hours=hours)
    local = start.astimezone(zone)
    day = local.date()
    for _day in range(3660):  # ten years of days: a calendar with no working time cannot loop forever
        if day not in off_days:
            for opens, closes in calendar.get(day.weekday(), []):
                window_start = datetime.combine(day, opens, zone)
                window_end = datetime.combine(day, closes, zone)
                begin = max(window_start, local)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
        day += timedelta(days=1)
    raise InvalidInput(_("the business calendar has no working hours to count"))
