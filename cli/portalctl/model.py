"""The product's own model: what every backend speaks, and the JSON field names users rely on.

Records are plain dataclasses; `to_dict()` gives the stable, documented JSON shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

from portalctl.i18n import N_

R = TypeVar("R", bound="Record")

STATES = ("new", "open", "pending", "on_hold", "resolved", "closed")
PRIORITIES = ("low", "medium", "high", "urgent")
TICKET_TYPES = ("question", "incident", "problem", "task")
ROLES = ("customer", "agent", "admin")
FIELD_TYPES = ("text", "number", "date", "choice", "multichoice", "boolean")

# Native labels people type or see on real portals (seeds and GUIDE section 3), mapped to canonical states.
STATE_ALIASES = {
    "nuevo": "new",
    "abierto": "open", "abierta": "open", "en proceso": "open", "in progress": "open",
    "customer-reply": "open", "reopened": "open",
    "esperando su respuesta": "pending", "awaiting your reply": "pending", "answered": "pending",
    "hold": "on_hold", "on hold": "on_hold", "on-hold": "on_hold",
    "resuelto": "resolved", "resuelta": "resolved", "solved": "resolved",
    "cerrado": "closed", "cerrada": "closed",
}
STATE_LABELS = {  # the embedded portal's own labels (data, in English: JSON's status_label); tables translate them
    "new": N_("New"), "open": N_("Open"), "pending": N_("Awaiting your reply"), "on_hold": N_("On hold"),
    "resolved": N_("Resolved"), "closed": N_("Closed"),
}


def canonical_state(name: str) -> str | None:
    """Canonical state for a canonical or native name (case- and dash-insensitive), else None."""
    key = name.strip().lower()
    if key.replace("-", "_") in STATES:
        return key.replace("-", "_")
    return STATE_ALIASES.get(key)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list) and value and isinstance(value[0], Record):
        return [item.to_dict() for item in value]
    return value


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[R]) -> type[R]:
    """A record class: a dataclass that compares and prints through Record's methods. dataclasses compiles each
    method it writes as the module loads (~0.15 ms apiece on Python 3.11), and every listing loads every record:
    two methods fewer per record take ~4 ms off its start."""
    return dataclass(repr=False, eq=False)(cls)


@record
class Record:
    """What backends return: dataclasses every output (table, JSON, CSV, Excel, the server's answers) reads the same
    way. Each record class has a docstring: without one, dataclasses works a signature out for it at import, and
    listings import them all."""

    def to_dict(self) -> dict[str, Any]:
        """A shallow dict (nested records converted, lists and dicts shared, not copied).

        `dataclasses.asdict` deep-copies every value: ~70 µs a ticket, most of a server export's time.
        """
        return {name: _plain(getattr(self, name)) for name in _field_names(type(self))}

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with equal fields, as dataclasses compares."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _field_names(type(self)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _field_names(type(self)))
        return f"{type(self).__name__}({shown})"


@record
class Attachment(Record):
    """A file on a ticket, stored once by its sha256; `comment_id` is the message it came with."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    comment_id: int | None
    created_at: str


@record
class Comment(Record):
    """One message of a ticket's conversation; an `internal` note is never shown to customers."""

    id: int
    author: str
    author_name: str
    author_role: str
    body: str
    internal: bool
    created_at: str
    attachments: list[Attachment] = field(default_factory=list)


@record
class Ticket(Record):
    """A ticket as its reader may see it; `comments` and `attachments` are filled when it is shown whole."""

    id: int
    subject: str
    status: str
    status_label: str
    priority: str
    type: str | None
    department: str | None
    requester: str
    requester_name: str
    organization: str | None
    assignee: str | None
    ccs: list[str]
    tags: list[str]
    fields: dict[str, Any]
    created_at: str
    updated_at: str
    due_at: str | None
    overdue: bool
    resolved_at: str | None
    closed_at: str | None
    follow_up_of: int | None
    comments: list[Comment] | None = None
    attachments: list[Attachment] | None = None
    dedupe_key: str | None = None
    created: bool | None = None  # set by create: false when a dedupe key matched an active ticket


@record
class Article(Record):
    """A knowledge-base article; `snippet` and `score` come with search results, `body` when it is read."""

    id: int
    title: str
    collection: str
    folder: str
    locale: str
    labels: list[str]
    created_at: str
    updated_at: str
    helpful: int
    not_helpful: int
    body: str | None = None
    snippet: str | None = None
    score: float | None = None


@record
class Folder(Record):
    """A folder of a knowledge-base collection, with how many articles it holds."""

    id: int
    name: str
    slug: str
    articles: int


@record
class Collection(Record):
    """A top-level section of the knowledge base and its folders."""

    id: int
    name: str
    slug: str
    folders: list[Folder]


@record
class Organization(Record):
    """A customer company: its working hours and resolution target set due dates, `shared_tickets` lets its people
    see each other's tickets."""

    id: int
    name: str
    slug: str
    shared_tickets: bool
    timezone: str
    business_hours: str
    resolution_hours: int
    users: int
    country: str | None = None  # ISO 3166-1 alpha-2: its users' country unless they set their own
    domains: list[str] = field(default_factory=list)  # e-mail domains whose sign-ups land here


@record
class User(Record):
    """A person with an account: a customer, an agent or an admin."""

    id: int
    email: str
    name: str
    role: str
    organization: str | None
    active: bool
    title: str | None
    phone: str | None
    language: str | None
    timezone: str | None
    created_at: str
    manager: bool = False  # a customer who runs their organisation's contacts (seeds 001, 004)
    country: str | None = None  # ISO 3166-1 alpha-2; None: their organisation's
    photo_sha256: str | None = None  # GET /api/v1/users/{email}/photo


@record
class Department(Record):
    """A team tickets are routed to."""

    id: int
    name: str
    slug: str
    description: str | None


@record
class FieldDef(Record):
    """A custom ticket field: its type and rules, and whether customers may fill it."""

    key: str
    label: str
    type: str
    required: bool
    choices: list[str]
    pattern: str | None
    customer_editable: bool
    department: str | None
    description: str | None


NOTICE_SEVERITIES = ("info", "warning", "outage")


@record
class Notice(Record):
    """An announcement or service interruption (seed 002's banner), shown between its start and end."""

    id: int
    title: str
    body: str
    severity: str
    organization: str | None  # None: everyone
    starts_at: str
    ends_at: str
    active: bool
    created_at: str
    countries: list[str] = field(default_factory=list)  # targets, as organization is: users of any target see it


SIGNUP_POLICIES = ("closed", "open", "domains")


@record
class SignupSettings(Record):
    """Who may register on the portal (engine.signup), and the terms they accept."""

    policy: str  # closed, open or domains
    terms_version: str | None
    terms: str | None  # shown to the person registering before they accept it


@record
class ArticleRefs(Record):
    """What to read next after an article: the rest of its folder, and related ones (shared labels, then similar
    text), each an Article without its body."""

    folder: list[Article]
    related: list[Article]


# What a user can be mailed about (seed 001: "Active o desactive cada tipo de notificación"): a ticket they can see
# changes state, gets a public reply, gets an attachment; a new ticket in an organisation whose tickets they see.
NOTIFICATION_KINDS = ("status", "reply", "attachment", "new_ticket")


@record
class NotificationSettings(Record):
    """One user's notification switches (every one on until switched off)."""

    email: str
    status: bool
    reply: bool
    attachment: bool
    new_ticket: bool


# The change feed's kinds: created, status, reply, note (internal: staff only), attachment, updated, ccs, auto_closed.
@record
class Event(Record):
    """One change to a ticket, in the order the portal made them; `id` is the cursor to resume after."""

    id: int
    ticket_id: int
    kind: str
    actor: str | None  # None: the portal itself (auto-close)
    subject: str  # the ticket's subject now
    status: str  # the ticket's state now
    detail: dict[str, Any]
    text: str | None  # a public reply's text; never an internal note's
    created_at: str


@record
class EventPage(Record):
    """The events after a cursor, and the cursor to ask after next (past events the reader may not see, too)."""

    items: list[Event]
    cursor: int
