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

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEGMENT = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Hours = dict[int, list[tuple[time, time]]]  # weekday (0 = Monday) -> working intervals


def parse_business_hours(spec: str) -> Hours:
    hours: Hours = {}
    for segment in filter(None, (s.strip() for s in spec.lower().split(";"))):
        match = SEGMENT.match(segment)
        if not match:
            raise InvalidInput(f"cannot read business hours {segment!r}", hint='write e.g. "mon-fri 09:00-18:00"')
        days, h1, m1, h2, m2 = match.groups()
        try:
            start, end = time(int(h1), int(m1)), time(int(h2) % 24, int(m2))
        except ValueError as exc:
            raise InvalidInput(f"bad time in business hours {segment!r}") from exc
        if int(h2) == 24:
            end = time.max
        if end <= start:
            raise InvalidInput(f"business hours end before they start: {segment!r}")
        for day in _days(days, segment):
            hours.setdefault(day, []).append((start, end))
    if not hours:
        raise InvalidInput("business hours are empty", hint='write e.g. "mon-fri 09:00-18:00"')
    for intervals in hours.values():
        intervals.sort()
    return hours


def _days(text: str, segment: str) -> list[int]:
    result: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise InvalidInput(f"unknown day in business hours {segment!r}", hint=f"days: {', '.join(DAYS)}")
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
    for _ in range(3660):  # ten years of days: a calendar with no working time cannot loop forever
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
    raise InvalidInput("the business calendar has no working hours to count")
