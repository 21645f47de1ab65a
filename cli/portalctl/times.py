"""How the portal writes times: UTC, whole seconds, a trailing Z, so that they sort as text.

Every layer (engine, connectors, commands, templates) reads and writes times through these, so the format is
written once.
"""

from __future__ import annotations

from datetime import UTC, datetime

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso(moment: datetime) -> str:
    """`moment` in the stored form; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def now_iso() -> str:
    """The current time in the stored form (what "overdue" is measured against)."""
    return iso(datetime.now(UTC))


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as a datetime (a `Z` suffix read as UTC; a naive time stays naive)."""
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def normal_iso(value: object) -> str | None:
    """A platform's ISO time (any offset, or none meaning UTC) in the stored form; None for an empty value."""
    if not value:
        return None
    return iso(parse_iso(str(value)))
