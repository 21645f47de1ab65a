"""The contract every backend meets, and the meaning of a ticket query, written once.

A backend is anything with `tickets`, `articles` and `accounts` attributes that satisfy the protocols below
(the embedded engine's `Session` does, structurally). What a platform cannot do raises `Unsupported`.

This module sits at the bottom of the package, beside the model: the engine, the backends, the server and the
commands all read their value types (`TicketQuery`, `TicketDraft`, `TicketChanges`, `Upload`) and the query's rules
(which states a listing means, how it sorts) from here. The write types are defined in drafts.py and given here on
first use, so that a listing does not build them; backends/ticket_filter.py applies a query on the client.
"""

from __future__ import annotations

import builtins
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, Protocol, runtime_checkable

from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import (
    PRIORITIES,
    STATE_LABELS,
    STATES,
    Article,
    ArticleRefs,
    Attachment,
    Collection,
    Department,
    EventPage,
    FieldDef,
    Notice,
    NotificationSettings,
    Organization,
    SignupSettings,
    Ticket,
    User,
    canonical_state,
)

if TYPE_CHECKING:  # given by __getattr__ below
    from portalctl.drafts import TicketChanges as TicketChanges
    from portalctl.drafts import TicketDraft as TicketDraft


class Upload(NamedTuple):
    """A file to attach, read from disk only after its size is checked."""

    filename: str
    path: Path


class TicketQuery(NamedTuple):
    """Listing filters. Empty means no filter; `statuses=None` means every state but closed (`listed_states`)."""

    statuses: Sequence[str] | None = None
    priorities: Sequence[str] = ()
    types: Sequence[str] = ()
    departments: Sequence[str] = ()
    assignees: Sequence[str] = ()  # e-mails, or ME for the acting user
    tags: Sequence[str] = ()  # a ticket with any of them
    requester: str | None = None
    organization: str | None = None
    created_since: str | None = None
    created_until: str | None = None
    updated_since: str | None = None
    search: str | None = None
    overdue: bool = False
    mine: bool = False
    sort: str = "-updated"
    limit: int | None = 30

    def but(self, **changes: Any) -> TicketQuery:
        """This query with some fields changed (queries are values: one caller's change never leaks to another)."""
        return self._replace(**changes)


SORT_KEYS = ("updated", "created", "priority", "due", "id", "status")
ON_DUPLICATE = ("reply", "skip", "new")
LATE_STATES = ("new", "open")  # overdue counts the team's time only, not time spent waiting on the customer
LISTED_BY_DEFAULT = tuple(s for s in STATES if s != "closed")
ME = "@me"  # --assignee @me: the acting user, as gh spells it


def assignee_email(assignee: str, me: str | None) -> str:
    """The e-mail an --assignee value names: ME is `me`, the acting user's (no one's when unknown)."""
    if assignee.strip().lower() == ME:
        return me or "@me (unknown)"
    return assignee.strip()


def tag_key(tag: str) -> str:
    """A tag as portals keep it: trimmed, lower case, spaces as dashes ("Build Failure" is "build-failure")."""
    return tag.strip().lower().replace(" ", "-")


def expand_all(statuses: Sequence[str] | None) -> builtins.list[str] | None:
    """`--status all` (anywhere in the list) as every state; otherwise the names as given (None stays None)."""
    if not statuses:
        return None
    if any(s.strip().lower() == "all" for s in statuses):
        return builtins.list(STATES)
    return builtins.list(statuses)


def state_of(name: str) -> str:
    """The canonical state a canonical or native name stands for; an unknown name is refused."""
    canonical = canonical_state(name)
    if canonical is None:
        raise InvalidInput(_("unknown status {name!r}").format(name=name),
            hint=_("statuses: {STATES} (or native names)").format(STATES=', '.join(STATES)))
    return canonical


def listed_states(statuses: Sequence[str] | None) -> builtins.list[str]:
    """The canonical states a listing shows: every state but closed when none is named, `all` for every state."""
    named = expand_all(statuses)
    if named is None:
        return builtins.list(LISTED_BY_DEFAULT)
    return builtins.list(dict.fromkeys(state_of(s) for s in named))


def choice(value: str, allowed: Sequence[str], what: str) -> str:
    """`value` as one of `allowed` (case-insensitive), else refused naming the choices."""
    lowered = value.strip().lower()
    if lowered not in allowed:
        raise InvalidInput(_("unknown {what} {value!r}").format(what=what, value=value),
            hint=_("{what} values: {allowed}").format(what=what, allowed=', '.join(allowed)))
    return lowered


def sort_order(sort: str) -> tuple[str, bool]:
    """The sort key and whether it is descending (`-updated`); an unknown key is refused before any work."""
    descending, key = sort.startswith("-"), sort.lstrip("-+")
    if key not in SORT_KEYS:
        raise InvalidInput(_("unknown sort key {key!r}").format(key=key),
                           hint=_("sort by: {SORT_KEYS} (prefix - for descending)").format(
                               SORT_KEYS=', '.join(SORT_KEYS)))
    return key, descending


def sort_value(ticket: Ticket, key: str) -> Any:
    """What `key` orders a ticket by, on every backend (state and priority by their rank, a missing due time
    first); also where a keyset page that ends with this ticket resumes."""
    if key == "priority":
        return PRIORITIES.index(ticket.priority)
    if key == "status":
        return STATES.index(ticket.status)
    if key == "due":
        return ticket.due_at or ""
    return {"updated": ticket.updated_at, "created": ticket.created_at, "id": ticket.id}[key]


def sorted_tickets(found: Iterable[Ticket], sort: str, limit: int | None) -> Iterator[Ticket]:
    """Every match ordered by `sort` (ties by id) and cut to `limit`: for orders a platform cannot sort by."""
    key, descending = sort_order(sort)
    ordered = sorted(found, key=lambda t: (sort_value(t, key), t.id), reverse=descending)
    return iter(ordered[:limit] if limit is not None else ordered)


def is_overdue(due_at: str | None, state: str, now: str) -> bool:
    """Past its due time while the team owes an answer (ISO times compare as text)."""
    return bool(due_at and state in LATE_STATES and due_at < now)


def folded(text: str) -> str:
    """Text without accents or case, as searches compare it ("facturación" finds "facturacion")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


class TicketsAPI(Protocol):
    def create(self, draft: TicketDraft) -> Ticket: ...

    def list(self, query: TicketQuery) -> Iterator[Ticket]: ...

    def get(self, ticket_id: int) -> Ticket: ...

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket: ...

    def close(self, ticket_id: int) -> Ticket: ...

    def reopen(self, ticket_id: int) -> Ticket: ...

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket: ...

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket: ...

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]: ...

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]: ...


class ArticlesAPI(Protocol):
    def search(self, query: str, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
               limit: int = 10) -> builtins.list[Article]: ...

    def get(self, article_id: int) -> Article: ...

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]: ...

    def collections(self) -> builtins.list[Collection]: ...

    def rate(self, article_id: int, *, helpful: bool) -> Article: ...

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article: ...

    def edit(self, article_id: int, **changes: Any) -> Article: ...


class AccountsAPI(Protocol):
    def me(self) -> User: ...

    def update_me(self, **changes: str) -> User: ...

    def users(
        self, *, role: str | None = None, organization: str | None = None, inactive: bool = False
    ) -> builtins.list[User]: ...

    def add_user(
        self, *, email: str, name: str, role: str = "customer", organization: str | None = None
    ) -> User: ...

    def set_active(self, email: str, active: bool) -> User: ...

    def reset_password(self, email: str) -> str: ...

    def organizations(self) -> builtins.list[Organization]: ...

    def add_organization(self, *, name: str, **options: Any) -> Organization: ...

    def departments(self) -> builtins.list[Department]: ...

    def add_department(self, *, name: str, description: str | None = None) -> Department: ...

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]: ...

    def add_field(self, definition: FieldDef) -> FieldDef: ...

    def notices(self, *, unseen: bool = False) -> builtins.list[Notice]:
        """The notices in force that the user may see (`unseen`: only those not yet shown to them)."""
        ...

    def all_notices(self) -> builtins.list[Notice]: ...

    def add_notice(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
                   organization: str | None = None, countries: Sequence[str] = ()) -> Notice: ...

    def end_notice(self, notice_id: int) -> Notice: ...

    def mark_notices_seen(self, notice_ids: Sequence[int]) -> None: ...


class Backend(Protocol):
    tickets: TicketsAPI
    articles: ArticlesAPI
    accounts: AccountsAPI


@runtime_checkable
class PortalAccountsAPI(Protocol):
    """Accounts as only the portalctl portal (embedded or served) keeps them: contact managers, countries, e-mail
    domains of organisations, profile photos, and the sign-up policy."""

    def add_user(self, *, email: str, name: str, role: str = "customer", organization: str | None = None,
                 manager: bool = False, country: str | None = None) -> User: ...

    def update_user(self, email: str, *, manager: bool | None = None, country: str | None = None) -> User: ...

    def update_organization(self, name: str, *, country: str | None = None, add_domains: Sequence[str] = (),
                            remove_domains: Sequence[str] = ()) -> Organization: ...

    def set_photo(self, upload: Upload) -> User: ...

    def photo(self, email: str) -> tuple[str, str, BinaryIO]:
        """(content type, sha256, the open file) of a user's photo."""
        ...

    def signup_settings(self) -> SignupSettings: ...

    def set_signup(self, *, policy: str | None = None, terms: str | None = None,
                   terms_version: str | None = None) -> SignupSettings: ...


@runtime_checkable
class ContactsAPI(Protocol):
    """An organisation's contacts, run by its contact manager (seeds 001, 004)."""

    def list(self, *, inactive: bool = False) -> builtins.list[User]: ...

    def add(self, *, email: str, name: str) -> User: ...

    def deactivate(self, email: str) -> User: ...

    def temporary_password(self, email: str) -> str: ...

    def send_reset_link(self, email: str) -> None: ...


class NativeState(NamedTuple):
    """One of a help desk's own ticket states (a HubSpot stage, a WHMCS status, a Freshdesk status number) and the
    canonical state portalctl maps it to: what `tickets states` lists, so a user can see how filters will read."""

    id: str  # what the platform calls it by: a stage id, a status number, the status name itself
    label: str  # as the platform shows it
    state: str  # canonical (model.STATES)
    pipeline: str | None = None  # HubSpot: the pipeline the stage belongs to


@runtime_checkable
class StatesAPI(Protocol):
    """A backend whose states are its platform's own (the connectors); the portalctl portal's are the canonical ones."""

    def states(self) -> builtins.list[NativeState]: ...


def portal_states() -> builtins.list[NativeState]:
    """The states of the embedded portal and of a portalctl server: the canonical ones, with their labels."""
    return [NativeState(id=state, label=STATE_LABELS[state], state=state) for state in STATES]


@runtime_checkable
class RelatedArticlesAPI(Protocol):
    """A knowledge base that can say what to read after an article (the portalctl portal, embedded or served)."""

    def related(self, article_id: int) -> ArticleRefs: ...


@runtime_checkable
class EventFeedAPI(Protocol):
    """A portal that keeps a change feed (the portalctl portal, embedded or served): `tickets watch`."""

    def events(self, after: int | None = None, query: TicketQuery | None = None, *, limit: int = 100,
               wait: float = 0) -> EventPage:
        """The changes after cursor `after` the user may see (None: none, and the cursor of now), waiting up to
        `wait` seconds for one when there is none yet."""
        ...


@runtime_checkable
class NotificationsAPI(Protocol):
    """A portal that mails its users about their tickets, each kind switchable (`me notifications`)."""

    def notification_settings(self) -> NotificationSettings: ...

    def set_notifications(self, *, on: Sequence[str] = (), off: Sequence[str] = ()) -> NotificationSettings: ...


@runtime_checkable
class TicketCountAPI(Protocol):
    """Tickets that can be counted without being read: totals for progress bars and for "Showing 30 of 266"."""

    def count(self, query: TicketQuery) -> int | None:
        """How many tickets `query` lists, its limit aside; None when no exact total can be had (filters a help
        desk cannot apply, which portalctl applies to what it reads)."""
        ...


@runtime_checkable
class TicketRowsAPI(Protocol):
    """Tickets that can also be listed ready-made, without Ticket objects (the embedded portal): the exports'
    fast paths. Both say what `list` says, byte for byte."""

    def list_rows(self, query: TicketQuery, columns: Sequence[str]) -> Iterator[tuple[Any, ...]] | None:
        """Rows of CSV cells for `columns` (portalctl/cells.py's rules), or None when a column has no fast form."""
        ...

    def list_json(self, query: TicketQuery) -> Iterator[str]:
        """Each ticket as the JSON text of `Ticket.to_dict()`."""
        ...


class ChangeFeed(NamedTuple):
    """What changed since a saved position: the tickets (read once, as they stream) and, once they are all read,
    where the next run resumes (a plain dict the export keeps in its state file)."""

    tickets: Iterator[Ticket]
    position: Callable[[], dict[str, Any]]


@runtime_checkable
class IncrementalAPI(Protocol):
    """Tickets a platform can export by its own change feed (Zendesk's cursor-based incremental export): cheaper and
    more complete than filtering a listing by updated time, and resumable exactly where the last run stopped."""

    def changes(self, query: TicketQuery, position: dict[str, Any] | None) -> ChangeFeed:
        """The tickets `query` matches that changed since `position` (what an earlier feed's `position()` gave; when
        None or another account's, since query.updated_since, else from the beginning)."""
        ...


if not TYPE_CHECKING:  # for type checkers the names come from the import at the top, and no other name does

    def __getattr__(name: str) -> Any:
        """`TicketDraft` and `TicketChanges`, from drafts.py on first use (a listing never loads them)."""
        if name in ("TicketDraft", "TicketChanges"):
            from portalctl import drafts

            return getattr(drafts, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
