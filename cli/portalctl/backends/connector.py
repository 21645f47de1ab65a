"""What the help-desk connectors do alike: read a profile's page size, read uploads, order a listing here.

A platform's API sorts by some keys only; for the others a connector reads every match and sorts it the way the
portal engine does, so `--sort` means the same thing on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from portalctl.config import Profile
from portalctl.contract import SORT_KEYS, TicketQuery, Upload
from portalctl.errors import InvalidInput
from portalctl.model import PRIORITIES, STATES, Ticket

File = tuple[str, bytes]
Page = TypeVar("Page")
Item = TypeVar("Item")


def now() -> str:
    """The current time as the portal writes times (what "overdue" is measured against)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_root(url: str | None, platform: str, example: str, api: str, typed: tuple[str, ...]) -> str:
    """`api` under the address a user typed, whether they typed part of the API path (`typed`, stripped in that
    order) and a trailing slash or not; anything but http(s) is refused with an `example` of what to pass."""
    text = (url or "").strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(f"not a {platform} URL: {url!r}", hint=f"pass --url {example}")
    for suffix in typed:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text + api


def page_size(profile: Profile, default: int) -> int:
    """The profile's page_size option (tests make pages small), else the platform's own maximum."""
    try:
        return int(profile.options.get("page_size") or default)
    except ValueError:
        raise InvalidInput(f"profile {profile.name!r}: page_size must be a number",
                           hint="fix it in the profile's options") from None


def follow(page: Page, items: Callable[[Page], Iterable[Item]], after: Callable[[Page], str | None],
           fetch: Callable[[str], Page]) -> Iterator[Item]:
    """Every item from `page` on: `after` reads where the next page is (a link, a cursor; None on the last), `fetch`
    reads it. Callers read the first page before calling, so a refused token fails before anything is written."""
    while True:
        yield from items(page)
        then = after(page)
        if not then:
            return
        page = fetch(then)


def read_files(uploads: Sequence[Upload]) -> list[File]:
    """Every file's name and bytes, read before anything is sent: a bad file fails the whole command, and a request
    retried after a 429 sends the same bytes again."""
    files = []
    for upload in uploads:
        try:
            files.append((upload.filename, Path(upload.path).read_bytes()))
        except OSError as exc:
            raise InvalidInput(f"cannot read attachment {upload.path}: {exc.strerror}") from exc
    return files


def sort_order(query: TicketQuery) -> tuple[str, bool]:
    """The query's sort key and whether it is descending; an unknown key is refused before any request."""
    descending, key = query.sort.startswith("-"), query.sort.lstrip("-+")
    if key not in SORT_KEYS:
        raise InvalidInput(f"unknown sort key {key!r}",
                           hint=f"sort by: {', '.join(SORT_KEYS)} (prefix - for descending)")
    return key, descending


def sort_value(ticket: Ticket, key: str) -> Any:
    """What `key` orders by, as the engine orders it (a missing due time first)."""
    if key == "priority":
        return PRIORITIES.index(ticket.priority)
    if key == "status":
        return STATES.index(ticket.status)
    if key == "due":
        return ticket.due_at or ""
    return {"updated": ticket.updated_at, "created": ticket.created_at, "id": ticket.id}[key]


def sorted_here(found: Iterable[Ticket], key: str, descending: bool, limit: int | None) -> Iterator[Ticket]:
    """Every match, ordered here (ties by id) and cut to `limit`: for the orders a platform cannot sort by."""
    ordered = sorted(found, key=lambda t: (sort_value(t, key), t.id), reverse=descending)
    return iter(ordered[:limit] if limit is not None else ordered)
