"""Portal times (ISO UTC text) shown in the reader's timezone: Excel cells and per-month counts.

Excel has no timezones, so spreadsheets get naive local datetimes and the zone goes in the column header.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from portalctl.errors import PortalError


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
    """The user's profile timezone, else the TZ environment variable, else UTC."""
    return zone_named(user_timezone or os.environ.get("TZ"))


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
