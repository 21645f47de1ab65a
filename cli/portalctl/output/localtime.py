"""Portal times (ISO UTC text) shown in the reader's timezone: tables, views, CSV, Excel cells, per-month counts.

Excel has no timezones, so spreadsheets get naive local datetimes and the zone goes in the column header.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from portalctl.errors import PortalError
from portalctl.i18n import _
from portalctl.times import parse_iso


@lru_cache(maxsize=8)
def zone_named(name: str | None) -> tuple[tzinfo, str]:
    """The zone for an IANA name (or a TZ value such as ':Europe/Madrid'); UTC when empty or unknown."""
    text = (name or "").strip().lstrip(":")
    if "zoneinfo/" in text:  # TZ=/usr/share/zoneinfo/Europe/Madrid
        text = text.split("zoneinfo/", 1)[1]
    if not text or text.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC, "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(text), text
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC, "UTC"


def reader_zone(user_timezone: str | None) -> tuple[tzinfo, str]:
    """The user's profile timezone, else the TZ environment variable, else the system's (/etc/localtime), else UTC."""
    return zone_named(user_timezone or os.environ.get("TZ") or system_zone_name())


@lru_cache(maxsize=1)
def system_zone_name() -> str | None:
    """The IANA name /etc/localtime links to (Debian, macOS), if it does."""
    try:
        return os.path.realpath("/etc/localtime").split("zoneinfo/", 1)[1]
    except (OSError, IndexError):
        return None


def month_of(stamp: str, zone: tzinfo) -> str:
    """YYYY-MM of a UTC stamp in `zone`. Days 2-27 are in the same month in every zone, so most skip the maths."""
    if zone is UTC or "02" <= stamp[8:10] <= "27":
        return stamp[:7]
    local = datetime.fromisoformat(stamp).astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def user_zone(client: Any) -> tuple[tzinfo, str]:
    """The acting user's timezone (their profile), else TZ, else UTC: how dates are shown in spreadsheets."""
    try:
        timezone = client.accounts.me().timezone
    except PortalError:  # a platform without profiles
        timezone = None
    return reader_zone(timezone)


class TimeView:
    """How portal times (ISO UTC text) are shown to a person: in their zone, and relative on a terminal.

    The zone is looked up on first use (a profile read may cost a request), so listings without times never pay
    for it. Machine formats never come here: JSON, JSONL and YAML keep ISO 8601 UTC.
    """

    def __init__(self, zone: Callable[[], tuple[tzinfo, str]], now: datetime | None) -> None:
        self._zone_of = zone
        self._zone: tuple[tzinfo, str] | None = None
        self.now = now  # None: absolute times only (off a terminal)

    @property
    def zone(self) -> tuple[tzinfo, str]:
        if self._zone is None:
            self._zone = self._zone_of()
        return self._zone

    @property
    def zone_name(self) -> str:
        return self.zone[1]

    def local(self, stamp: str) -> datetime:
        return parse_iso(stamp).astimezone(self.zone[0])

    def absolute(self, stamp: str) -> str:
        """2026-12-04 11:00 (Spanish: 4 dic 2026 11:00) in the reader's zone (its name is in the column header or
        after the time)."""
        from portalctl.output.localformat import date_time

        return date_time(self.local(stamp))

    def iso_local(self, stamp: str) -> str:
        """ISO 8601 with the reader's offset, for CSV: local, and still exact for a program."""
        return self.local(stamp).isoformat()

    def relative(self, stamp: str) -> str | None:
        """"3 h ago", "in 5 h", as gh shows times; None off a terminal."""
        if self.now is None:
            return None
        seconds = (parse_iso(stamp) - self.now).total_seconds()
        span = abs(seconds)
        if span < 60:
            return _("just now")
        for size, unit in ((86400 * 365, _("y")), (86400 * 30, _("mo")), (86400, _("d")), (3600, "h"), (60, "min")):
            if span >= size:
                amount = f"{int(span // size)} {unit}"
                return (_("in {amount}") if seconds > 0 else _("{amount} ago")).format(amount=amount)
        return None  # not reached: span >= 60

    def cell(self, stamp: str) -> str:
        """A table cell: relative on a terminal, else the local time."""
        return self.relative(stamp) or self.absolute(stamp)

    def when(self, stamp: str) -> str:
        """A time in a sentence or a field: "2026-12-04 11:00 Europe/Madrid (3 h ago)"."""
        text = f"{self.absolute(stamp)} {self.zone_name}"
        relative = self.relative(stamp)
        return f"{text} ({relative})" if relative else text


def is_time(key: str, value: Any) -> bool:
    """A portal time field: named *_at and holding ISO text."""
    return key.endswith("_at") and isinstance(value, str) and len(value) >= 19 and value[4:5] == "-"
