"""The contract every backend meets. Commands and scripts only ever see these namespaces.

A backend is anything with `tickets`, `articles` and `accounts` attributes that satisfy the protocols below
(the embedded engine's `Session` does, structurally). What a platform cannot do raises `Unsupported`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from portalctl.model import (
    STATE_LABELS,
    STATES,
    Article,
    Attachment,
    Collection,
    Department,
    FieldDef,
    Organization,
    Ticket,
    User,
)


@dataclass(frozen=True)
class Upload:
    """A file to attach, read from disk only after its size is checked."""

    filename: str
    path: Path


@dataclass
class TicketQuery:
    """Listing filters. Empty means no filter; `statuses=None` means every state but closed."""

    statuses: Sequence[str] | None = None
    priorities: Sequence[str] = ()
    types: Sequence[str] = ()
    departments: Sequence[str] = ()
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


SORT_KEYS = ("updated", "created", "priority", "due", "id", "status")
ON_DUPLICATE = ("reply", "skip", "new")


@dataclass
class TicketChanges:
    """Fields `tickets update` may change; None leaves a field as it is."""

    subject: str | None = None
    priority: str | None = None
    type: str | None = None
    department: str | None = None
    status: str | None = None
    assignee: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()


class TicketsAPI(Protocol):
    def create(
        self,
        *,
        subject: str,
        body: str,
        priority: str | None = None,
        type: str | None = None,
        department: str | None = None,
        ccs: Sequence[str] = (),
        fields: dict[str, str] | None = None,
        tags: Sequence[str] = (),
        attachments: Sequence[Upload] = (),
        follow_up_of: int | None = None,
        requester: str | None = None,
        dedupe_key: str | None = None,
        on_duplicate: str = "reply",
    ) -> Ticket: ...

    def list(self, query: TicketQuery) -> Iterator[Ticket]: ...

    def get(self, ticket_id: int) -> Ticket: ...

    def reply(
        self,
        ticket_id: int,
        *,
        body: str,
        internal: bool = False,
        status: str | None = None,
        attachments: Sequence[Upload] = (),
    ) -> Ticket: ...

    def close(self, ticket_id: int) -> Ticket: ...

    def reopen(self, ticket_id: int) -> Ticket: ...

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket: ...

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket: ...

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]: ...

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]: ...


class ArticlesAPI(Protocol):
    def search(
        self,
        query: str,
        *,
        collection: str | None = None,
        folder: str | None = None,
        locale: str | None = None,
        limit: int = 10,
    ) -> builtins.list[Article]: ...

    def get(self, article_id: int) -> Article: ...

    def list(
        self,
        *,
        collection: str | None = None,
        folder: str | None = None,
        locale: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Article]: ...

    def collections(self) -> builtins.list[Collection]: ...

    def rate(self, article_id: int, *, helpful: bool) -> Article: ...

    def add(
        self,
        *,
        collection: str,
        folder: str,
        title: str,
        body: str,
        locale: str = "en",
        labels: Sequence[str] = (),
        slug: str | None = None,
    ) -> Article: ...

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


class Backend(Protocol):
    tickets: TicketsAPI
    articles: ArticlesAPI
    accounts: AccountsAPI


@dataclass(frozen=True)
class NativeState:
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
