"""Jira Service Management's customer API translated to the portal model (pure functions, no HTTP).

A request's state is its workflow status (a name the project chose) in one of Jira's status categories (NEW,
INDETERMINATE, DONE, UNDEFINED: CustomerRequestStatusDTO). A status maps to a canonical state by the profile's
`status.<Name>=<state>` option, else by JSM's default status names (KNOWN), else by its category. Times come as
DateDTO objects; `epochMillis` is read, since it needs no parsing of offsets. Attachments carry no id of their own:
theirs is the number their `jiraRest` (or `content`) link ends with. Priorities are Jira's default five.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portalctl.contract import folded
from portalctl.errors import InvalidInput
from portalctl.i18n import N_, _
from portalctl.model import STATES, Article, Attachment, Comment, Ticket, canonical_state
from portalctl.times import iso

PLATFORM = "Jira Service Management"
CATEGORY_STATES = {"NEW": "new", "INDETERMINATE": "open", "DONE": "resolved", "UNDEFINED": "open"}
CATEGORY_LABELS = {"NEW": N_("any other To Do status"), "INDETERMINATE": N_("any other In Progress status"),
                   "DONE": N_("any other Done status"), "UNDEFINED": N_("a status with no category")}
# The statuses of JSM's default service-project workflows, written as its reference's examples write them.
KNOWN_STATUSES = {"Open": "new", "Waiting for Support": "open", "In Progress": "open", "Work in progress": "open",
                  "Escalated": "open", "Reopened": "open", "Waiting for Customer": "pending", "Pending": "on_hold",
                  "Waiting for approval": "on_hold", "On hold": "on_hold", "Resolved": "resolved", "Done": "resolved",
                  "Completed": "resolved", "Closed": "closed", "Canceled": "closed", "Cancelled": "closed",
                  "Declined": "closed"}
KNOWN = {name.casefold(): state for name, state in KNOWN_STATUSES.items()}
# Jira's default priorities (names); a site's own names map by the same words.
PRIORITY_NAMES = {"highest": "urgent", "blocker": "urgent", "critical": "urgent", "high": "high", "major": "high",
                  "medium": "medium", "low": "low", "minor": "low", "lowest": "low", "trivial": "low"}
PRIORITY_LABELS = {"urgent": "Highest", "high": "High", "medium": "Medium", "low": "Low"}
OWN_FIELDS = ("summary", "description", "priority", "attachment")  # shown as the ticket's own parts, not fields
TRAILING_LINK = re.compile(r"/(\d+)(?:/[^/]*)?$")


def status_overrides(options: Mapping[str, Any]) -> dict[str, str]:
    """`status.<Name>=<state>` options: {status name as typed: canonical state}; an unknown state is refused."""
    found = {}
    for key, value in options.items():
        if key.startswith("status."):
            state = canonical_state(str(value))
            if state is None:
                raise InvalidInput(_("option {key}={value!r}: not a state").format(key=key, value=value),
                                   hint=_("states: {STATES}").format(STATES=', '.join(STATES)))
            found[key[7:].strip()] = state
    return found


@dataclass(frozen=True)
class StateMap:
    """How this profile reads a status name: its own options first, then JSM's defaults, then the category."""

    overrides: Mapping[str, str]

    def state(self, name: str, category: str | None) -> str:
        key = name.strip().casefold()
        chosen = next((state for typed, state in self.overrides.items() if typed.casefold() == key), None)
        if chosen:
            return chosen
        if key in KNOWN:
            return KNOWN[key]
        return CATEGORY_STATES.get(str(category or "UNDEFINED").upper(), "open")


def when(date: Any) -> str:
    """A DateDTO ({"epochMillis", "iso8601", ...}) in the stored form; "" when absent."""
    if not isinstance(date, dict) or date.get("epochMillis") is None:
        return ""
    return iso(datetime.fromtimestamp(int(date["epochMillis"]) / 1000, UTC))


def link_id(links: Any) -> int:
    """An attachment's number, from the end of its `jiraRest` link (…/rest/api/2/attachment/10000) or its content
    link (…/attachment/10000/screenshot.png)."""
    for key in ("jiraRest", "self", "content"):
        found = TRAILING_LINK.search(str((links or {}).get(key) or ""))
        if found:
            return int(found.group(1))
    return 0


def attachment(data: dict[str, Any], comment_id: int | None) -> Attachment:
    return Attachment(id=link_id(data.get("_links")), filename=str(data.get("filename") or "attachment"),
                      content_type=str(data.get("mimeType") or "application/octet-stream"),
                      size=int(data.get("size") or 0), sha256="", comment_id=comment_id,
                      created_at=when(data.get("created")))


def strip_file_marks(body: str, names: Iterable[str]) -> str:
    """A comment's text without the wiki marks JSM appends for the files it came with (`!shot.png|thumbnail!`,
    `[^log.txt] _(32 kB)_`: the example answer of POST /request/{issueIdOrKey}/attachment)."""
    for name in names:
        quoted = re.escape(name)
        body = re.sub(rf"\s*!{quoted}(?:\|[^!]*)?!", "", body)
        body = re.sub(rf"\s*\[\^{quoted}\](?:\s*_\([^)]*\)_)?", "", body)
    return body.strip()


def user_email(user: Any) -> str:
    """A user's e-mail where their privacy settings show it, else their account id."""
    user = user or {}
    return str(user.get("emailAddress") or (f"account:{user['accountId']}" if user.get("accountId") else ""))


def comment(data: dict[str, Any], customers: Collection[str]) -> Comment:
    """A comment; its author is a customer when they raised the request or take part in it (`customers`), else one
    of the support team (the API's users carry no role)."""
    author = user_email(data.get("author"))
    files = [attachment(a, int(data["id"])) for a in (data.get("attachments") or {}).get("values") or []]
    body = strip_file_marks(str(data.get("body") or ""), [f.filename for f in files])
    return Comment(id=int(data["id"]), author=author, author_name=str((data.get("author") or {}).get("displayName")
                                                                     or ""),
                   author_role="customer" if author in customers else "agent", body=body,
                   internal=not data.get("public", True), created_at=when(data.get("created")), attachments=files)


def field_values(data: dict[str, Any]) -> dict[str, Any]:
    """requestFieldValues as {fieldId: value}."""
    return {str(f.get("fieldId")): f.get("value") for f in data.get("requestFieldValues") or []}


def plain(value: Any) -> Any:
    """A field's value as a person reads it: an option's value, a user's name, several joined by commas."""
    if isinstance(value, list):
        return ", ".join(str(plain(v)) for v in value)
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "label"):
            if value.get(key) is not None:
                return plain(value[key])
        return ""
    return value


def priority(values: Mapping[str, Any]) -> str:
    name = plain(values.get("priority"))
    return PRIORITY_NAMES.get(str(name or "medium").strip().casefold(), "medium")


def approval_fields(approvals: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each approval as one field: "approval: NAME" -> "pending (ana@x approved, luis@x pending)"."""
    found = {}
    for item in approvals:
        who = ", ".join(f"{user_email(a.get('approver')) or '?'} {a.get('approverDecision') or 'pending'}"
                        for a in item.get("approvers") or [])
        found[f"approval: {item.get('name') or item.get('id')}"] = \
            f"{item.get('finalDecision') or 'pending'}{f' ({who})' if who else ''}"
    return found


@dataclass(frozen=True)
class Context:
    """What a request's own JSON does not say: the service desks' and request types' names, the profile's state
    map and field names, and which canonical type each request type stands for."""

    states: StateMap
    desks: Mapping[str, str]  # service desk id -> project name
    request_types: Mapping[str, str]  # request type id -> name
    types: Mapping[str, str]  # request type id -> canonical type
    field_names: Mapping[str, str]  # fieldId -> the profile's name for it


def ticket(data: dict[str, Any], ctx: Context, comments: list[Comment] | None = None,
           attachments: list[Attachment] | None = None, extra: Mapping[str, Any] | None = None) -> Ticket:
    status = data.get("currentStatus") or {}
    label = str(status.get("status") or "")
    state = ctx.states.state(label, status.get("statusCategory"))
    values = field_values(data)
    created = when(data.get("createdDate"))
    updated = max(created, when(status.get("statusDate")))
    type_id = str(data.get("requestTypeId") or "")
    reporter = data.get("reporter") or {}
    fields = {ctx.field_names.get(key, key): plain(value) for key, value in values.items()
              if key not in OWN_FIELDS and value not in (None, "", [])}
    participants = (data.get("participants") or {}).get("values") or []
    return Ticket(
        id=int(data["issueId"]), subject=str(data.get("summary") or plain(values.get("summary")) or ""),
        status=state, status_label=label, priority=priority(values),
        type=ctx.types.get(type_id) or ctx.request_types.get(type_id) or None,
        department=ctx.desks.get(str(data.get("serviceDeskId") or "")) or None,
        requester=user_email(reporter), requester_name=str(reporter.get("displayName") or ""), organization=None,
        assignee=None, ccs=[user_email(p) for p in participants], tags=[], fields={**fields, **(extra or {})},
        created_at=created, updated_at=updated, due_at=None, overdue=False,
        resolved_at=updated if state == "resolved" else None, closed_at=updated if state == "closed" else None,
        follow_up_of=None, comments=comments, attachments=attachments,
    )


def description(data: dict[str, Any], files: list[Attachment]) -> Comment:
    """The request's description as the conversation's first message, with the files that came with the request
    (those no comment holds)."""
    reporter = data.get("reporter") or {}
    text = plain(field_values(data).get("description"))
    return Comment(id=0, author=user_email(reporter), author_name=str(reporter.get("displayName") or ""),
                   author_role="customer", body=str(text or ""), internal=False,
                   created_at=when(data.get("createdDate")), attachments=files)


def search_text(data: dict[str, Any]) -> str:
    return folded(str(data.get("summary") or ""))


def article(data: dict[str, Any], body: str | None = None) -> Article:
    """A knowledge-base article: a Confluence page, numbered by its page id (ArticleDTO.source.pageId)."""
    source = data.get("source") or {}
    excerpt = str(data.get("excerpt") or "")
    return Article(id=int(source.get("pageId") or 0), title=str(data.get("title") or ""),
                   collection=str(source.get("spaceKey") or ""), folder="", locale="", labels=[], created_at="",
                   updated_at="", helpful=0, not_helpful=0, body=body,
                   snippet=re.sub(r"@@@(?:end)?hl@@@", "", excerpt) or None)
