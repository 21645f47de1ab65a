"""Freshdesk's vocabulary and JSON (API v2), translated to the portal model (pure functions, no HTTP).

Freshdesk numbers its states (2 Open, 3 Pending, 4 Resolved, 5 Closed) and priorities (1 Low ... 4 Urgent). An
account may add its own states (numbers 6 and up): their labels are read from the account's ticket fields, and their
canonical state from the profile's options `status.<number>` (`auth login --option status.6=on_hold:Waiting on
customer`), else from the label when it names one ("On hold"), else open.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from portalctl.backends.connector import Priorities
from portalctl.contract import is_overdue
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import STATES, Attachment, Comment, Ticket, canonical_state
from portalctl.times import normal_iso

PLATFORM = "Freshdesk"
OPEN, PENDING, RESOLVED, CLOSED = 2, 3, 4, 5
DEFAULT_STATUSES: dict[int, tuple[str, str]] = {
    OPEN: ("open", "Open"), PENDING: ("pending", "Pending"), RESOLVED: ("resolved", "Resolved"),
    CLOSED: ("closed", "Closed"),
}
PRIORITY = Priorities.of({1: "low", 2: "medium", 3: "high", 4: "urgent"})
SOURCE_PORTAL = 2
FOLLOW_UP = re.compile(r"\AFollow-up of ticket #(\d+)\b")
TYPES = {"question": "Question", "incident": "Incident", "problem": "Problem", "task": "Feature Request"}


class Statuses:
    """Status numbers <-> canonical states, the defaults overridden by the profile's `status.N` options."""

    def __init__(self, options: Mapping[str, Any], account: Callable[[], dict[int, str]] | None = None) -> None:
        self.table = dict(DEFAULT_STATUSES)
        self.overridden: dict[int, bool] = {}  # number -> whether the profile gave a label too
        self.account = account  # the account's own status labels, read once when an unknown number turns up
        for key, value in options.items():
            if not key.startswith("status."):
                continue
            number, text = key[len("status."):], str(value)
            canonical_name, _colon, label = text.partition(":")
            canonical = canonical_state(canonical_name)
            if not number.isdigit() or canonical is None:
                raise InvalidInput(_("profile option {key}={value!r} is not NUMBER=STATE[:LABEL]").format(
                    key=key, value=value),
                                   hint=_("e.g. --option status.6=on_hold:Waiting on customer; "
                                          "states: {STATES}").format(STATES=', '.join(STATES)))
            self.table[int(number)] = (canonical, label or self.table.get(int(number), ("", f"Status {number}"))[1])
            self.overridden[int(number)] = bool(label)

    def _learn(self) -> None:
        """Labels of the account's statuses (ticket fields); a status not mapped by the profile gets the state its
        label names (e.g. "On hold"), else open."""
        read, self.account = self.account, None
        if read is None:
            return
        for number, label in read().items():
            if number in self.overridden:
                if not self.overridden[number]:
                    self.table[number] = (self.table[number][0], label)
                continue
            if number in DEFAULT_STATUSES:
                self.table[number] = (DEFAULT_STATUSES[number][0], label)
            else:
                self.table[number] = (canonical_state(label) or "open", label)

    def state(self, code: int) -> tuple[str, str]:
        if code not in self.table or self.overridden.get(code) is False:  # unknown, or mapped without a label
            self._learn()
        return self.table.get(code, ("open", f"Status {code}"))

    def known(self) -> list[tuple[int, tuple[str, str]]]:
        """Every status number with its (state, label): the defaults, the account's own and the profile's."""
        self._learn()
        return sorted(self.table.items())

    def code(self, canonical: str) -> int:
        """The number a change to `canonical` writes: the default one, else the first custom one for it."""
        if not any(state == canonical for state, _ in self.table.values()):
            self._learn()
        for number in sorted(self.table):
            if self.table[number][0] == canonical:
                return number
        raise InvalidInput(_("{platform} has no status for {canonical!r} on this account").format(
            platform=PLATFORM, canonical=canonical),
                           hint=_("map one with: portalctl auth login ... --option status.NUMBER={state}").format(
                               state=canonical))




def ticket_type(name: str) -> str:
    """A canonical type as Freshdesk's default type names; any other name goes as typed (an account's own)."""
    return TYPES.get(name.strip().lower(), name.strip())


def type_name(value: str | None) -> str | None:
    if not value:
        return None
    for canonical, native in TYPES.items():
        if native.lower() == value.lower():
            return canonical
    return value




def html_body(text: str) -> str:
    """Plain text as the HTML Freshdesk stores descriptions and replies in."""
    return html.escape(text).replace("\n", "<br>")


def plain(data: Mapping[str, Any], text_key: str, html_key: str) -> str:
    text = data.get(text_key)
    if text is not None:
        return str(text)
    return html.unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", str(data.get(html_key) or ""))))


def follow_up_line(ticket_id: int) -> str:
    return f"Follow-up of ticket #{ticket_id}"


def attachment(data: Mapping[str, Any], comment_id: int | None) -> Attachment:
    """An attachment; its size is `file_size` in some of Freshdesk's documented answers (a ticket's, a note's) and
    `size` in others (a reply's)."""
    size = data.get("size") if data.get("size") is not None else data.get("file_size")
    return Attachment(
        id=int(data["id"]), filename=str(data.get("name") or "attachment"),
        content_type=str(data.get("content_type") or "application/octet-stream"), size=int(size or 0),
        sha256="", comment_id=comment_id, created_at=normal_iso(data.get("created_at")) or "",
    )


def comment(data: Mapping[str, Any], requester_id: Any, requester: str) -> Comment:
    """A conversation entry: a reply (public), a note (private or public) or a customer's message (incoming)."""
    from_customer = bool(data.get("incoming")) or (requester_id is not None and data.get("user_id") == requester_id)
    author = str(data.get("from_email") or (requester if from_customer else f"user:{data.get('user_id')}"))
    return Comment(
        id=int(data["id"]), author=author, author_name=author,
        author_role="customer" if from_customer else "agent",
        body=plain(data, "body_text", "body"), internal=bool(data.get("private")),
        created_at=normal_iso(data.get("created_at")) or "",
        attachments=[attachment(a, int(data["id"])) for a in data.get("attachments") or []],
    )


def ticket(data: Mapping[str, Any], statuses: Statuses, now: str, *, requester: str = "",
           conversations: list[dict[str, Any]] | None = None) -> Ticket:
    """A ticket from GET /api/v2/tickets(/id); `conversations` adds the conversation (the description first)."""
    canonical, label = statuses.state(int(data.get("status") or OPEN))
    due = normal_iso(data.get("due_by"))
    description = plain(data, "description_text", "description")
    linked = FOLLOW_UP.match(description)
    who = requester or str((data.get("requester") or {}).get("email") or data.get("requester_id") or "")
    comments = None
    attachments = None
    if conversations is not None:
        opening = Comment(
            id=0, author=who, author_name=who, author_role="customer", body=description, internal=False,
            created_at=normal_iso(data.get("created_at")) or "",
            attachments=[attachment(a, 0) for a in data.get("attachments") or []],
        )
        comments = [opening] + [comment(c, data.get("requester_id"), who) for c in conversations]
        attachments = [a for c in comments for a in c.attachments]
    stats = data.get("stats") or {}
    return Ticket(
        id=int(data["id"]), subject=str(data.get("subject") or ""), status=canonical, status_label=label,
        priority=PRIORITY.name(int(data.get("priority") or 1)), type=type_name(data.get("type")),
        department=None if data.get("group_id") is None else str(data["group_id"]),
        requester=who, requester_name=who,
        organization=None if data.get("company_id") is None else str(data["company_id"]),
        assignee=None if data.get("responder_id") is None else str(data["responder_id"]),
        ccs=[str(c) for c in data.get("cc_emails") or []], tags=[str(t) for t in data.get("tags") or []],
        fields={k: v for k, v in (data.get("custom_fields") or {}).items() if v not in (None, "")},
        created_at=normal_iso(data.get("created_at")) or "", updated_at=normal_iso(data.get("updated_at")) or "",
        due_at=due, overdue=is_overdue(due, canonical, now),
        resolved_at=normal_iso(stats.get("resolved_at")) if canonical in ("resolved", "closed") else None,
        closed_at=normal_iso(stats.get("closed_at")) if canonical == "closed" else None,
        follow_up_of=int(linked[1]) if linked else None, comments=comments, attachments=attachments,
    )
