"""Zendesk's vocabulary and JSON, translated to the portal model (pure functions, no HTTP).

States are the status categories of the Requests API (new, open, pending, hold, solved, closed; custom statuses
belong to one of them). The label shown is the account's own end-user label for a custom status where one is
known, else the profile's `label_<status>` option (seed 003: label_pending="Esperando su respuesta"), else
Zendesk's default. Priorities: Zendesk's "normal" is the portal's "medium".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from portalctl.contract import folded, is_overdue
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import PRIORITIES, Attachment, Comment, Ticket
from portalctl.times import normal_iso

PLATFORM = "Zendesk"
NATIVE = {"new": "new", "open": "open", "pending": "pending", "on_hold": "hold", "resolved": "solved",
          "closed": "closed"}
CANONICAL = {native: canonical for canonical, native in NATIVE.items()}
DEFAULT_LABELS = {"new": "New", "open": "Open", "pending": "Awaiting your reply", "hold": "On-hold",
                  "solved": "Solved", "closed": "Closed"}
PRIORITY_TO_NATIVE = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
PRIORITY_FROM_NATIVE = {native: canonical for canonical, native in PRIORITY_TO_NATIVE.items()}



def priority_native(name: str) -> str:
    native = PRIORITY_TO_NATIVE.get(name.strip().lower())
    if native is None:
        raise InvalidInput(_("unknown priority {name!r}").format(name=name), hint=_("priorities: {PRIORITIES}").format(
            PRIORITIES=', '.join(PRIORITIES)))
    return native




class Labels:
    """Status labels and custom-field names for one account, from the account and the profile's options."""

    def __init__(self, options: Mapping[str, Any], custom_statuses: Mapping[int, str] | None = None) -> None:
        self.labels = dict(DEFAULT_LABELS)
        self.custom = dict(custom_statuses or {})
        self.field_ids: dict[str, int] = {}
        self.overridden: set[str] = set()
        for key, value in options.items():
            if key.startswith("label_") and key[6:] in DEFAULT_LABELS:
                self.labels[key[6:]] = str(value)
                self.overridden.add(key[6:])
            elif key.startswith("field_") and str(value).strip().isdigit():
                self.field_ids[key[6:]] = int(str(value).strip())
        self.field_names = {number: name for name, number in self.field_ids.items()}

    def label(self, status: str, custom_status_id: Any) -> str:
        if status not in self.overridden and custom_status_id is not None and int(custom_status_id) in self.custom:
            return self.custom[int(custom_status_id)]
        return self.labels.get(status, status)

    def field_id(self, key: str) -> int:
        text = key.strip()
        if text.isdigit():
            return int(text)
        if text in self.field_ids:
            return self.field_ids[text]
        known = ", ".join(sorted(self.field_ids)) or "none"
        raise InvalidInput(_("{platform} has no custom field {key!r} in this profile (named fields: {known})").format(
            platform=PLATFORM, key=key, known=known),
                           hint=_("pass the field's number (--field 360001234={key}...) or name it once: "
                                  "portalctl auth login ... --option field_{text}=NUMBER").format(key=key, text=text))

    def fields(self, values: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in values or []:
            value = item.get("value")
            if value in (None, "", []):
                continue
            number = int(item["id"])
            out[self.field_names.get(number, str(number))] = value
        return out


def attachment(data: dict[str, Any], comment_id: int | None, created_at: str) -> Attachment:
    return Attachment(
        id=int(data["id"]), filename=str(data.get("file_name") or "attachment"),
        content_type=str(data.get("content_type") or "application/octet-stream"), size=int(data.get("size") or 0),
        sha256="", comment_id=comment_id, created_at=created_at,
    )


def comment(data: dict[str, Any], users: Mapping[int, dict[str, Any]], *, agent: bool = False) -> Comment:
    """A comment; its author's role from their user record, or `agent` where the API's role filter said so."""
    author = users.get(int(data.get("author_id") or 0), {})
    created = normal_iso(data.get("created_at")) or ""
    role = "agent" if agent or author.get("role", "end-user") != "end-user" else "customer"
    return Comment(
        id=int(data["id"]), author=str(author.get("email") or f"user:{data.get('author_id')}"),
        author_name=str(author.get("name") or ""), author_role=role,
        body=str(data.get("plain_body") or data.get("body") or ""), internal=not data.get("public", True),
        created_at=created,
        attachments=[attachment(a, int(data["id"]), created) for a in data.get("attachments") or []],
    )


def ticket(data: dict[str, Any], users: Mapping[int, dict[str, Any]], labels: Labels, now: str,
           comments: list[Comment] | None = None) -> Ticket:
    native = str(data.get("status") or "open")
    canonical = CANONICAL.get(native, "open")
    requester = users.get(int(data.get("requester_id") or 0), {})
    ccs = [str(users.get(int(i), {}).get("email") or f"user:{i}")
           for i in (data.get("email_cc_ids") or data.get("collaborator_ids") or [])]
    due = normal_iso(data.get("due_at"))
    updated = normal_iso(data.get("updated_at")) or ""
    return Ticket(
        id=int(data["id"]), subject=str(data.get("subject") or ""), status=canonical,
        status_label=labels.label(native, data.get("custom_status_id")),
        priority=PRIORITY_FROM_NATIVE.get(str(data.get("priority") or "normal"), "medium"),
        type=data.get("type") or None, department=None if data.get("group_id") is None else str(data["group_id"]),
        requester=str(requester.get("email") or f"user:{data.get('requester_id')}"),
        requester_name=str(requester.get("name") or ""),
        organization=None if data.get("organization_id") is None else str(data["organization_id"]),
        assignee=None if data.get("assignee_id") is None else f"user:{data['assignee_id']}", ccs=ccs, tags=[],
        fields=labels.fields(data.get("custom_fields")),
        created_at=normal_iso(data.get("created_at")) or "", updated_at=updated, due_at=due,
        overdue=is_overdue(due, canonical, now),
        resolved_at=updated if canonical == "resolved" else None,
        closed_at=updated if canonical == "closed" else None,
        follow_up_of=data.get("followup_source_id"), comments=comments,
        attachments=[a for c in comments for a in c.attachments] if comments is not None else None,
    )


def search_text(data: dict[str, Any]) -> str:
    return folded(f"{data.get('subject') or ''}\n{data.get('description') or ''}")
