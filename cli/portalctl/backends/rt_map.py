"""Request Tracker's vocabulary and REST2 JSON, translated to the portal model (pure functions, no HTTP).

RT keeps a ticket's status as a lifecycle's own word. The default lifecycle (RT_Config.pm, `%Lifecycles`) has new
(initial), open and stalled (active), resolved, rejected and deleted (inactive); a queue may use a lifecycle of its
own, whose statuses REST2 does not publish, so a profile maps them with `--option status.NAME=STATE`. A stalled
ticket waits on someone else, and RT's "On Correspond Open Inactive Tickets" scrip reopens it when the requester
writes: what portalctl calls pending. Priorities are numbers; RT shows them by `%PriorityAsString`, whose default is
Low 0, Medium 50, High 100, each label covering the numbers from its own up to the next.

A ticket's conversation is its Create, Correspond (public) and Comment (internal) transactions; their text and files
are the transactions' attachments (a body part has no file name, a file has one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, timedelta
from typing import Any

from portalctl.contract import LISTED_BY_DEFAULT, is_overdue, listed_states
from portalctl.errors import InvalidInput, Unsupported
from portalctl.i18n import _
from portalctl.model import PRIORITIES, STATES, Attachment, Comment, Ticket, canonical_state
from portalctl.times import normal_iso, parse_iso

PLATFORM = "Request Tracker"
DEFAULT_LIFECYCLE = {"new": "new", "open": "open", "stalled": "pending", "resolved": "resolved",
                     "rejected": "closed", "deleted": "closed"}
INACTIVE = frozenset({"resolved", "closed"})  # the canonical states of RT's inactive statuses
NEVER = "1970-01-01T00:00:00Z"  # how REST2 writes a date that is not set
NOBODY = "Nobody"  # the owner of an unowned ticket
PRIORITY_LEVELS = {"low": 0, "medium": 50, "high": 100}  # RT's default %PriorityAsString
CONVERSATION = {"Create": False, "Correspond": False, "Comment": True}  # transaction type -> internal


class Statuses:
    """RT status names and the canonical state of each: the default lifecycle's, then the profile's
    `status.NAME=STATE` options (a custom lifecycle's statuses, or another reading of a default one)."""

    def __init__(self, options: Mapping[str, str]) -> None:
        self.states = dict(DEFAULT_LIFECYCLE)
        for key, value in options.items():
            if not key.startswith("status."):
                continue
            name, state = key[len("status."):].strip().lower(), canonical_state(str(value))
            if not name or state is None:
                raise InvalidInput(_("bad option {key}={value}").format(key=key, value=value),
                                   hint=_("write status.NAME=STATE with a state among {STATES}").format(
                                       STATES=', '.join(STATES)))
            self.states[name] = state

    def state(self, status: str) -> str:
        """A status's canonical state; one no option names is read by its words, else as open (active)."""
        name = status.strip().lower()
        return self.states.get(name) or canonical_state(name) or "open"

    def native(self, name: str) -> str:
        """The RT status a change to `name` sets: a status RT knows by that name, else the first one of the
        canonical state it names."""
        key = name.strip().lower()
        if key in self.states:
            return key
        canonical = canonical_state(key)
        if canonical is None:
            raise InvalidInput(_("unknown status {name!r}").format(name=name), hint=_("statuses: {states}").format(
                states=', '.join(self.states)))
        for status, state in self.states.items():
            if state == canonical:
                return status
        raise Unsupported(_("{platform} has no status for {canonical!r}").format(
            platform=PLATFORM, canonical=canonical),
                          hint=_("its statuses: {states}; map one with --option status.NAME={canonical}").format(
                              states=', '.join(self.states), canonical=canonical))

    def clause(self, names: Sequence[str] | None) -> str:
        """TicketSQL for the statuses a listing asks for (canonical or RT names; every state but closed when none
        is named). Where statuses no option names would match (they read as open), it excludes rather than lists,
        so a custom lifecycle's tickets are not left out."""
        wanted: set[str] = set()
        canonical: set[str] = set()
        for name in names if names is not None else LISTED_BY_DEFAULT:
            key = name.strip().lower()
            if key in self.states and canonical_state(key) is None:  # an RT word: exactly that status
                wanted.add(key)
            else:
                canonical.update(listed_states([name]))
        wanted |= {status for status, state in self.states.items() if state in canonical}
        if "open" in canonical:
            left_out = sorted(set(self.states) - wanted)
            return " AND ".join(f"Status != {quote(s)}" for s in left_out)
        return " OR ".join(f"Status = {quote(s)}" for s in sorted(wanted)) or "id < 0"


def quote(value: str) -> str:
    """A TicketSQL string literal: single quotes, with backslash escapes for quotes and backslashes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def date_clause(field: str, operator: str, moment: str) -> str:
    """TicketSQL that keeps every ticket on the right side of `moment`, and some near it. RT reads a date in a
    search in the searching user's time zone, which REST2 does not tell (the user's preference, else the server's
    $Timezone): the bound is widened by a day, more than any zone's offset, and the listing checks the exact time."""
    margin = timedelta(days=1) if operator.startswith("<") else -timedelta(days=1)
    given = parse_iso(moment)
    bound = (given.replace(tzinfo=given.tzinfo or UTC).astimezone(UTC) + margin).strftime("%Y-%m-%d %H:%M:%S")
    return f"{field} {operator} {quote(bound)}"


def priority_name(value: Any) -> str:
    """The canonical priority of RT's number: the highest default label at or below it."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return "medium"
    return max((level for level, floor in PRIORITY_LEVELS.items() if number >= floor),
               key=lambda level: PRIORITY_LEVELS[level], default="low")


def priority_value(name: str) -> int:
    """The number RT stores for a canonical priority (RT's default labels have no urgent)."""
    key = name.strip().lower()
    if key not in PRIORITIES:
        raise InvalidInput(_("unknown priority {name!r}").format(name=name), hint=_("priorities: {PRIORITIES}").format(
            PRIORITIES=', '.join(PRIORITIES)))
    if key not in PRIORITY_LEVELS:
        raise Unsupported(_("{platform}'s priorities are Low, Medium and High; it has no {key!r}").format(
            platform=PLATFORM, key=key),
                          hint=_("pass --priority high"))
    return PRIORITY_LEVELS[key]


def priority_clause(names: Sequence[str]) -> str:
    """TicketSQL for priority names: each label's range of numbers."""
    floors = sorted(PRIORITY_LEVELS.values())
    parts = []
    for name in names:
        low = priority_value(name)
        above = [f for f in floors if f > low]
        parts.append(f"(Priority >= {low} AND Priority < {above[0]})" if above else f"Priority >= {low}")
    return " OR ".join(parts)


def when(value: Any) -> str | None:
    """An RT date in the stored form; None for one that is not set."""
    return None if not value or value == NEVER else normal_iso(value)


def block(value: Any) -> dict[str, Any]:
    """A related record's block (`{"id", "type", "_url", ...}`); an empty one where REST2 sent none (it sends ""
    for a record the user may not see)."""
    return value if isinstance(value, dict) else {}


def email(user: Any) -> str:
    """A user block's e-mail (asked for with fields[Role]=EmailAddress), else its name."""
    if not isinstance(user, dict):
        return ""
    return str(user.get("EmailAddress") or user.get("id") or "")


def custom_fields(blocks: Any) -> dict[str, Any]:
    """`CustomFields` ([{name, values}]) as {name: value}, a list where the field holds several."""
    found: dict[str, Any] = {}
    for block in blocks if isinstance(blocks, list) else []:
        values = [v for v in block.get("values") or [] if v not in (None, "")]
        if values:
            found[str(block.get("name"))] = values[0] if len(values) == 1 else values
    return found


def follow_up_of(data: Mapping[str, Any]) -> int | None:
    """The ticket this one refers to (RT's RefersTo link, what a follow-up is created with)."""
    for link in data.get("_hyperlinks") or []:
        if link.get("ref") == "refers-to" and str(link.get("type")) == "ticket":
            return int(link["id"])
    return None


def ticket(data: Mapping[str, Any], statuses: Statuses, now: str,
           comments: list[Comment] | None = None) -> Ticket:
    """A ticket from GET /ticket/N or a search row asked with the fields the connector names; `comments` makes it
    the full ticket `tickets show` prints."""
    status = str(data.get("Status") or "")
    state = statuses.state(status)
    requesters = data.get("Requestor") or []
    first = block(requesters[0] if requesters else None)
    owner = block(data.get("Owner"))
    due, ended = when(data.get("Due")), when(data.get("Resolved"))
    queue = block(data.get("Queue"))
    return Ticket(
        id=int(data["id"]), subject=str(data.get("Subject") or ""), status=state, status_label=status,
        priority=priority_name(data.get("Priority")), type=None,
        department=str(queue.get("Name") or queue.get("id") or "") or None,
        requester=email(first), requester_name=str(first.get("RealName") or "") or email(first),
        organization=None, assignee=None if owner.get("id") in (None, "", NOBODY) else email(owner),
        ccs=[email(u) for u in data.get("Cc") or []], tags=[], fields=custom_fields(data.get("CustomFields")),
        created_at=when(data.get("Created")) or "", updated_at=when(data.get("LastUpdated")) or "",
        due_at=due, overdue=is_overdue(due, state, now),
        resolved_at=ended if state in INACTIVE else None, closed_at=ended if state == "closed" else None,
        follow_up_of=follow_up_of(data), comments=comments,
        attachments=[a for c in comments for a in c.attachments] if comments is not None else None,
    )


def conversation(transactions: Iterable[Mapping[str, Any]], parts: Iterable[Mapping[str, Any]],
                 bodies: Mapping[int, str], requesters: Sequence[str]) -> list[Comment]:
    """The messages of a ticket: its Create, Correspond and Comment transactions (history rows with their
    Creator's e-mail), each with its text (`bodies` by transaction) and its files (attachment rows that have a
    file name). A message by one of the requesters is the customer's; any other is the team's."""
    files: dict[int, list[Attachment]] = {}
    for part in parts:
        if part.get("Filename"):
            number = int(part["TransactionId"])
            files.setdefault(number, []).append(Attachment(
                id=int(part["id"]), filename=str(part["Filename"]),
                content_type=str(part.get("ContentType") or "application/octet-stream"),
                size=int(part.get("ContentLength") or 0), sha256="",  # RT keeps no digest
                comment_id=number, created_at=when(part.get("Created")) or ""))
    folded = {r.casefold() for r in requesters}
    messages = []
    for txn in transactions:
        kind = str(txn.get("Type"))
        if kind not in CONVERSATION:
            continue
        number, creator = int(txn["id"]), txn.get("Creator") or {}
        author = email(creator)
        messages.append(Comment(
            id=number, author=author, author_name=str(creator.get("RealName") or "") or author,
            author_role="customer" if author.casefold() in folded else "agent", body=bodies.get(number, ""),
            internal=CONVERSATION[kind], created_at=when(txn.get("Created")) or "", attachments=files.get(number, [])))
    return messages


def bodies(parts: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """Each transaction's text from its body parts (no file name): text/plain where there is one, else HTML."""
    found: dict[int, tuple[bool, str]] = {}
    for part in parts:
        txn, plain = int(part["TransactionId"]), str(part.get("ContentType")) == "text/plain"
        if txn not in found or (plain and not found[txn][0]):
            found[txn] = (plain, str(part.get("Content") or ""))
    return {txn: text for txn, (_, text) in found.items()}
