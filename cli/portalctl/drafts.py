"""What a write takes: the ticket to open (`TicketDraft`) and the changes to make (`TicketChanges`).

Part of the contract (`portalctl.contract` gives both names too, loading this module on first use): kept apart
so that a listing, which never writes, does not build their dataclass methods as it starts (~2 ms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portalctl.contract import Upload


@dataclass(frozen=True)
class TicketDraft:
    """A ticket to open: what `create()` takes on every backend, what a template renders to, and what the
    server's request body maps to. None leaves a field to the portal's default."""

    subject: str
    body: str
    priority: str | None = None
    type: str | None = None
    department: str | None = None
    ccs: Sequence[str] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    tags: Sequence[str] = ()
    attachments: Sequence[Upload] = ()
    follow_up_of: int | None = None
    requester: str | None = None
    dedupe_key: str | None = None
    on_duplicate: str = "reply"

    def but(self, **changes: Any) -> TicketDraft:
        return replace(self, **changes)


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
