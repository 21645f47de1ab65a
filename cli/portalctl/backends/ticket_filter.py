"""The contract's filters applied on the client, for connectors whose platform cannot apply them all: the same
choices, folding and comparisons as the portal engine's SQL, so every filter means the same on every backend."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, replace
from typing import Any

from portalctl.contract import TicketQuery, assignee_email, choice, folded, listed_states, tag_key
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import PRIORITIES, TICKET_TYPES, Ticket


def search_words(query: TicketQuery) -> builtins.list[str]:
    """The query's search words, folded; a search with no word in it is refused."""
    if query.search is None:
        return []
    words = folded(query.search).split()
    if not words:
        raise InvalidInput(_("--search needs at least one word"))
    return words


@dataclass(frozen=True)
class TicketFilter:
    """A query's filters for backends that filter on the client: built once (choices checked, text folded), then
    called per ticket. A connector whose platform applied a filter itself, or reads it in its own vocabulary,
    replaces that part (`but(states=None)`: the caller matches native statuses)."""

    states: frozenset[str] | None
    priorities: frozenset[str]
    types: frozenset[str]
    departments: frozenset[str]
    assignees: frozenset[str]  # folded e-mails (ME made the profile's own)
    tags: frozenset[str]
    requester: str  # folded e-mail; "" for any
    mine: str | None  # --mine: the profile's own e-mail, folded ("" when it has none: nothing matches)
    created_since: str | None
    created_until: str | None
    updated_since: str | None
    overdue: bool
    words: tuple[str, ...]

    @classmethod
    def of(cls, query: TicketQuery, *, me: str | None = None) -> TicketFilter:
        """`me`: the profile's own e-mail, what `--mine` keeps (as the requester)."""
        return cls(
            states=frozenset(listed_states(query.statuses)),
            priorities=frozenset(choice(p, PRIORITIES, _("priority")) for p in query.priorities),
            types=frozenset(choice(t, TICKET_TYPES, _("type")) for t in query.types),
            departments=frozenset(d.strip().casefold() for d in query.departments),
            assignees=frozenset(assignee_email(a, me).casefold() for a in query.assignees),
            tags=frozenset(tag_key(t) for t in query.tags),
            requester=(query.requester or "").strip().casefold(),
            mine=(me or "").casefold() if query.mine else None, created_since=query.created_since,
            created_until=query.created_until, updated_since=query.updated_since, overdue=query.overdue,
            words=tuple(search_words(query)),
        )

    def but(self, **changes: Any) -> TicketFilter:
        return replace(self, **changes)

    def __call__(self, ticket: Ticket, text: str | None = None) -> bool:
        """Whether `ticket` matches; `text` is what a search reads (folded), the subject when not given."""
        requester = ticket.requester.casefold()
        return ((self.states is None or ticket.status in self.states)
                and (not self.priorities or ticket.priority in self.priorities)
                and (not self.types or (ticket.type or "") in self.types)
                and (not self.departments or (ticket.department or "").casefold() in self.departments)
                and (not self.assignees or (ticket.assignee or "").casefold() in self.assignees)
                and (not self.tags or not self.tags.isdisjoint(ticket.tags))
                and (not self.requester or requester == self.requester)
                and (self.mine is None or requester == self.mine)
                and (not self.created_since or ticket.created_at >= self.created_since)
                and (not self.created_until or ticket.created_at < self.created_until)
                and (not self.updated_since or ticket.updated_at >= self.updated_since)
                and (not self.overdue or ticket.overdue)
                and (not self.words or all(w in (text if text is not None else folded(ticket.subject))
                                           for w in self.words)))
