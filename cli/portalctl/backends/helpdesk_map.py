"""django-helpdesk's vocabulary and JSON, translated to the portal model (pure functions, no HTTP).

django-helpdesk numbers its states and priorities (VENDOR-APIS.md, GUIDE section 3). Its "on hold" is a flag on an
open ticket, shown here as the canonical on_hold. Its API has no created/updated times on a ticket, so they come
from the conversation: the opening follow-up is written with the ticket, and every change through the API writes
one (a PATCH writes none, so the connector follows each with an internal note).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from portalctl.backends.connector import Priorities
from portalctl.contract import LISTED_BY_DEFAULT, folded, is_overdue
from portalctl.errors import InvalidInput, Unsupported
from portalctl.i18n import _
from portalctl.model import STATES, Attachment, Comment, Ticket, canonical_state
from portalctl.times import normal_iso

PLATFORM = "django-helpdesk"
OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5
STATUSES = {OPEN: ("open", "Open"), REOPENED: ("open", "Reopened"), RESOLVED: ("resolved", "Resolved"),
            CLOSED: ("closed", "Closed"), DUPLICATE: ("closed", "Duplicate")}
FINAL = (CLOSED, DUPLICATE)
# Native names that pick out one code more narrowly than their canonical state does.
NATIVE_FILTERS = {"reopened": REOPENED, "duplicate": DUPLICATE}
PRIORITY = Priorities(names={1: "urgent", 2: "high", 3: "medium", 4: "low", 5: "low"},
                      codes={"urgent": 1, "high": 2, "medium": 3, "low": 4})
FOLLOW_UP = re.compile(r"\AFollow-up of ticket #(\d+)\b")
CUSTOM = "custom_"


def state(code: int, on_hold: bool) -> tuple[str, str]:
    """(canonical state, native label) of a ticket; the label reads as django-helpdesk's own ticket page shows it."""
    canonical, label = STATUSES.get(code, ("open", f"Status {code}"))
    if on_hold and canonical == "open":
        return "on_hold", f"{label} - On Hold"
    return canonical, label




class StatusFilter:
    """Requested states as the API's numeric `status` filter (what it can narrow) plus a test for the rest."""

    def __init__(self, names: Sequence[str] | None) -> None:
        self.states: set[str] = set()
        self.codes: set[int] = set()  # native names: exactly these codes
        for name in names if names is not None else LISTED_BY_DEFAULT:
            native = NATIVE_FILTERS.get(name.strip().lower())
            if native is not None:
                self.codes.add(native)
                continue
            canonical = canonical_state(name)
            if canonical is None:
                raise InvalidInput(_("unknown status {name!r}").format(name=name),
                                   hint=_("statuses: {STATES} (or reopened, duplicate)").format(
                                       STATES=', '.join(STATES)))
            self.states.add(canonical)

    def server_codes(self) -> set[int]:
        """Codes to ask the API for; empty when nothing can match (django-helpdesk has no new or pending)."""
        wanted = {code for code, (canonical, _) in STATUSES.items() if canonical in self.states}
        if "on_hold" in self.states:
            wanted |= {OPEN, REOPENED}
        return wanted | self.codes

    def everything(self) -> bool:
        return self.server_codes() == set(STATUSES)

    def matches(self, code: int, on_hold: bool) -> bool:
        return code in self.codes or state(code, on_hold)[0] in self.states


def new_status(target: str, current: int) -> int | None:
    """The code a change to canonical `target` writes, None when the ticket is already there.

    The caller refuses changes to closed tickets first (closed is final, as on the portal engine)."""
    canonical = canonical_state(target)
    if canonical is None:
        raise InvalidInput(_("unknown status {target!r}").format(target=target), hint=_("statuses: {STATES}").format(
            STATES=', '.join(STATES)))
    if canonical in ("new", "pending"):
        raise Unsupported(_("{platform} has no {canonical!r} state").format(platform=PLATFORM, canonical=canonical),
                          hint=_("its states are Open, Reopened, Resolved, Closed and Duplicate (plus on hold)"))
    if canonical in ("open", "on_hold"):
        return None if current in (OPEN, REOPENED) else REOPENED
    code = RESOLVED if canonical == "resolved" else CLOSED
    return None if current == code or (code == CLOSED and current in FINAL) else code




def follow_up_line(ticket_id: int) -> str:
    """The first line of a follow-up ticket's description: django-helpdesk has no link between tickets."""
    return f"Follow-up of ticket #{ticket_id}"


def attachment(data: dict[str, Any], followup: dict[str, Any]) -> Attachment:
    return Attachment(
        id=int(data["id"]), filename=str(data.get("filename") or "attachment"),
        content_type=str(data.get("mime_type") or "application/octet-stream"), size=int(data.get("size") or 0),
        sha256="",  # django-helpdesk keeps no digest
        comment_id=int(followup["id"]), created_at=normal_iso(followup.get("date")) or "",
    )


def comment(data: dict[str, Any], submitter: str) -> Comment:
    """A follow-up. Only staff follow-ups carry a user, and the API gives its id alone; e-mailed ones have none."""
    user = data.get("user")
    if user is None:
        author, name, role = submitter, submitter or "by e-mail", "customer"
    else:
        author, name, role = f"user:{user}", f"staff user {user}", "agent"
    text = data.get("comment") or ""
    if not text and data.get("new_status") in STATUSES:  # a bare change of state says which
        text = f"Status: {STATUSES[data['new_status']][1]}"
    return Comment(
        id=int(data["id"]), author=author, author_name=name, author_role=role, body=text,
        internal=not data.get("public", False), created_at=normal_iso(data.get("date")) or "",
        attachments=[attachment(a, data) for a in data.get("followupattachment_set") or []],
    )


def last_change(followups: Iterable[dict[str, Any]], codes: Sequence[int]) -> str | None:
    """When the ticket last entered one of `codes` (a follow-up with that new_status)."""
    when = None
    for followup in followups:
        if followup.get("new_status") in codes:
            when = normal_iso(followup.get("date"))
    return when


def ticket(data: dict[str, Any], department: str | None, now: str, *, full: bool) -> Ticket:
    """A ticket from GET /api/tickets/; `full` adds its conversation and attachments (what `tickets show` needs)."""
    code, on_hold = int(data["status"]), bool(data.get("on_hold"))
    canonical, label = state(code, on_hold)
    followups = data.get("followup_set") or []
    times = [t for t in (normal_iso(f.get("date")) for f in followups) if t]
    submitter = str(data.get("submitter_email") or "")
    due = normal_iso(data.get("due_date"))
    linked = FOLLOW_UP.match(data.get("description") or "")
    comments = [comment(f, submitter) for f in followups] if full else None
    return Ticket(
        id=int(data["id"]), subject=str(data.get("title") or ""), status=canonical, status_label=label,
        priority=PRIORITY.name(int(data.get("priority") or 3)), type=None, department=department,
        requester=submitter, requester_name=submitter, organization=None,
        assignee=None if data.get("assigned_to") is None else str(data["assigned_to"]), ccs=[], tags=[],
        fields={k[len(CUSTOM):]: v for k, v in data.items() if k.startswith(CUSTOM) and v not in (None, "")},
        created_at=min(times, default=""), updated_at=max(times, default=""), due_at=due,
        overdue=is_overdue(due, canonical, now),
        resolved_at=last_change(followups, (RESOLVED,)) if canonical in ("resolved", "closed") else None,
        closed_at=last_change(followups, FINAL) if canonical == "closed" else None,
        follow_up_of=int(linked[1]) if linked else None,
        comments=comments,
        attachments=[a for c in comments for a in c.attachments] if comments is not None else None,
    )


def search_text(data: dict[str, Any]) -> str:
    """What --search looks in: the subject, the description and the public conversation."""
    parts = [data.get("title") or "", data.get("description") or ""]
    parts += [f.get("comment") or "" for f in data.get("followup_set") or [] if f.get("public")]
    return folded("\n".join(parts))
