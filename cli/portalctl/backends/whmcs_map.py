"""WHMCS's ticket vocabulary and answers, translated to the portal model (pure functions, no HTTP).

WHMCS nests lists ({"tickets": {"ticket": [...]}}), writes times as "Y-m-d H:i:s" on the install's clock, and names
attachments by the message they hang on and their index there; a portal attachment id packs those three numbers.
"""

from __future__ import annotations

from typing import Any

from portalctl.backends.connector import api_root
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import PRIORITIES, Attachment, Comment, Ticket
from portalctl.times import iso, parse_iso

PLATFORM = "WHMCS"
DEFAULT_STATES = {"Open": "open", "Customer-Reply": "open", "In Progress": "open", "Answered": "pending",
                  "On Hold": "on_hold", "Closed": "closed"}
WRITE_LABELS = {"open": "Open", "pending": "Answered", "on_hold": "On Hold", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "High"}
KINDS = {"ticket": 1, "reply": 2, "note": 3}  # attachment ids: relatedid * 1000 + index * 10 + kind


def api_url(url: str | None) -> str:
    return api_root(url, PLATFORM, "with the WHMCS address, e.g. https://billing.example.com", "/includes/api.php",
                    ("/includes/api.php",))


def timestamp(value: Any) -> str:
    """A WHMCS time ("Y-m-d H:i:s", the install's clock, taken as UTC) as the portal writes times."""
    text = str(value or "").strip()
    if not text or text.startswith("0000"):
        return ""
    try:
        return iso(parse_iso(text))
    except ValueError:
        return text


def items(data: Any, outer: str, inner: str) -> list[dict[str, Any]]:
    """WHMCS's nested lists ({"tickets": {"ticket": [...]}}); an empty list comes back as "" or []."""
    block = data.get(outer) if isinstance(data, dict) else None
    if not isinstance(block, dict):
        return []
    rows = block.get(inner) or []
    return [rows] if isinstance(rows, dict) else [r for r in rows if isinstance(r, dict)]


def client_details(data: dict[str, Any]) -> dict[str, Any]:
    """GetClientsDetails' client: a nested `client` object, `client[...]` keys (the reference's example), or the
    top-level fields older versions send."""
    nested = data.get("client")
    if isinstance(nested, dict):
        return nested
    flat = {k[len("client["):-1]: v for k, v in data.items() if k.startswith("client[") and k.endswith("]")}
    return flat or data


def priority_name(label: Any) -> str:
    return {"low": "low", "medium": "medium", "high": "high"}.get(str(label or "").strip().lower(), "medium")


def priority_label(name: str) -> str:
    label = PRIORITY_LABELS.get(name.strip().lower())
    if label is None:
        raise InvalidInput(_("unknown priority {name!r}").format(name=name), hint=_("priorities: {PRIORITIES}").format(
            PRIORITIES=', '.join(PRIORITIES)))
    return label


def ticket(data: dict[str, Any], state: str, department: str | None, *, full: bool) -> Ticket:
    """A GetTickets row (full=False) or a GetTicket answer with its replies and notes (full=True); `state` is the
    canonical state of its status, as the install maps it."""
    ticket_id = int(data.get("ticketid") or data.get("id") or 0)
    created, updated = timestamp(data.get("date")), timestamp(data.get("lastreply")) or timestamp(data.get("date"))
    comments: list[Comment] | None = None
    if full:
        comments = [reply(ticket_id, r) for r in items(data, "replies", "reply")]
        comments += [note(n) for n in items(data, "notes", "note")]
        comments.sort(key=lambda c: (c.created_at, c.internal))
    # GetTickets rows leave name and email empty on a client's ticket: the submitter is in requestor_* there
    requester = str(data.get("email") or data.get("requestor_email") or "")
    return Ticket(
        id=ticket_id, subject=str(data.get("subject") or ""), status=state, status_label=str(data.get("status") or ""),
        priority=priority_name(data.get("priority")), type=None, department=department,
        requester=requester, requester_name=str(data.get("name") or data.get("requestor_name") or requester),
        organization=None, assignee=None,
        ccs=[c.strip() for c in str(data.get("cc") or "").split(",") if c.strip()], tags=[],
        fields={"number": str(data["tid"])} if data.get("tid") else {},
        created_at=created, updated_at=updated, due_at=None, overdue=False, resolved_at=None,
        closed_at=updated if state == "closed" else None, follow_up_of=None,
        comments=comments,
        attachments=[a for c in comments for a in c.attachments] if comments is not None else None,
    )


def attachments(data: dict[str, Any], kind: str, related: int, comment_id: int, when: str) -> list[Attachment]:
    """`attachments` [{filename, index}] (WHMCS 7.10+), else the older `attachment` "name|name" string.

    A message without files says `"attachments": [[]]` (GetTicket's documented example), and one whose files an
    admin deleted keeps their names with `attachments_removed: true`: neither is a file anyone can download."""
    if str(data.get("attachments_removed")).lower() in ("true", "1"):
        return []
    files = data.get("attachments")
    if not isinstance(files, list):
        files = [n.split("_", 1)[-1] for n in str(data.get("attachment") or "").split("|") if n]
    found = []
    for position, item in enumerate(files):
        if isinstance(item, list | dict) and not item:
            continue
        index = int(item.get("index", position)) if isinstance(item, dict) else position
        name = str(item.get("filename") if isinstance(item, dict) else item)
        found.append(Attachment(id=related * 1000 + index * 10 + KINDS[kind], filename=name,
                                content_type="application/octet-stream", size=0, sha256="",
                                comment_id=comment_id, created_at=when))
    return found


def reply(ticket_id: int, data: dict[str, Any]) -> Comment:
    """A reply, or (replyid 0) the ticket's opening message."""
    reply_id = int(data.get("replyid") or 0)
    when = timestamp(data.get("date"))
    admin = str(data.get("admin") or "")
    author = str(data.get("email") or data.get("requestor_email") or admin)
    kind, related = ("ticket", ticket_id) if reply_id == 0 else ("reply", reply_id)
    return Comment(
        id=reply_id, author=author, author_name=admin or str(data.get("name") or author),
        author_role="agent" if admin else "customer", body=str(data.get("message") or ""), internal=False,
        created_at=when, attachments=attachments(data, kind, related, reply_id, when),
    )


def note(data: dict[str, Any]) -> Comment:
    """A staff note: internal, with a negative id so it never clashes with a reply's."""
    note_id = int(data.get("noteid") or data.get("id") or 0)
    when = timestamp(data.get("date"))
    admin = str(data.get("admin") or "staff")
    return Comment(id=-note_id, author=admin, author_name=admin, author_role="agent",
                   body=str(data.get("message") or ""), internal=True, created_at=when,
                   attachments=attachments(data, "note", note_id, -note_id, when))
