"""HubSpot's ticket vocabulary and JSON, translated to the portal model (pure functions, no HTTP).

HubSpot has no fixed states: each account has ticket pipelines (GET /crm/v3/pipelines/tickets) whose stages carry a
label and `metadata.ticketState` (OPEN or CLOSED). A stage's canonical state is, in order: the profile option
`stage.<stage id>=<state>`; its label read as a native name (the default pipeline's New / Waiting on contact /
Waiting on us / Closed, VAI's Nuevo / En proceso / Resuelto, or any canonical name); else its ticketState (CLOSED ->
closed, OPEN -> open).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portalctl.contract import LISTED_BY_DEFAULT
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import PRIORITIES, STATES, Attachment, Comment, Ticket, canonical_state
from portalctl.times import iso, normal_iso

PLATFORM = "HubSpot"
# The default pipeline's stage labels (HubSpot's "Support Pipeline"); other labels go through model.STATE_ALIASES.
DEFAULT_LABELS = {"new": "new", "waiting on contact": "pending", "waiting on us": "open", "closed": "closed"}
# HubSpot's default options of hs_ticket_priority (an account may relabel, remove or add options; see Priorities)
PRIORITY_NATIVE = {"low": "LOW", "medium": "MEDIUM", "high": "HIGH", "urgent": "URGENT"}
# What an option's label or value may say for each canonical priority (English and the seeds' Spanish).
PRIORITY_WORDS = {"low": "low", "baja": "low", "medium": "medium", "media": "medium", "normal": "medium",
                  "high": "high", "alta": "high", "urgent": "urgent", "urgente": "urgent"}
FOLLOW_UP = re.compile(r"\AFollow-up of ticket #(\d+)\b")
STAGE_OPTION = "stage."
# Ticket properties the connector reads on every ticket (custom properties are added from the account).
BASE_PROPERTIES = ("subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "createdate",
                   "hs_lastmodifieddate", "closed_date", "hubspot_owner_id", "hs_object_id")
NOTE_PROPERTIES = ("hs_note_body", "hs_timestamp", "hs_attachment_ids", "hubspot_owner_id", "hs_createdate")


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    pipeline: str
    order: int
    ticket_state: str  # OPEN or CLOSED, as HubSpot says
    state: str  # canonical


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    order: int
    stages: tuple[Stage, ...]

    @property
    def slug(self) -> str:
        return slugify(self.label) or self.id


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def stage_state(label: str, ticket_state: str, override: str | None = None) -> str:
    """The canonical state of a stage (see the module's docstring for the order of the rules)."""
    if override:
        wanted = canonical_state(override)
        if wanted is None:
            raise InvalidInput(_("stage option {override!r} is not a state").format(override=override),
                hint=_("states: {STATES}").format(STATES=', '.join(STATES)))
        return wanted
    key = label.strip().casefold()
    found = DEFAULT_LABELS.get(key) or canonical_state(key)
    if found:
        return found
    return "closed" if ticket_state.upper() == "CLOSED" else "open"


def stage_overrides(options: Mapping[str, Any]) -> dict[str, str]:
    """`stage.<id>=<state>` profile options (from `auth login --option stage.4=resolved`)."""
    return {k[len(STAGE_OPTION):]: str(v) for k, v in options.items() if k.startswith(STAGE_OPTION)}


def pipelines(data: dict[str, Any], overrides: Mapping[str, str]) -> list[Pipeline]:
    """GET /crm/v3/pipelines/tickets as pipelines with mapped stages, in HubSpot's display order."""
    found = []
    for raw in data.get("results") or []:
        if raw.get("archived"):
            continue
        pid, plabel = str(raw["id"]), str(raw.get("label") or raw["id"])
        stages = tuple(
            Stage(id=str(s["id"]), label=str(s.get("label") or s["id"]), pipeline=pid,
                  order=int(s.get("displayOrder") or 0),
                  ticket_state=str((s.get("metadata") or {}).get("ticketState") or "OPEN").upper(),
                  state=stage_state(str(s.get("label") or ""),
                                    str((s.get("metadata") or {}).get("ticketState") or "OPEN"),
                                    overrides.get(str(s["id"]))))
            for s in sorted(raw.get("stages") or [], key=lambda s: int(s.get("displayOrder") or 0))
            if not s.get("archived")
        )
        found.append(Pipeline(id=pid, label=plabel, order=int(raw.get("displayOrder") or 0), stages=stages))
    return sorted(found, key=lambda p: (p.order, p.label))


@dataclass(frozen=True)
class Priorities:
    """The account's options of the hs_ticket_priority property, mapped onto the canonical priorities.

    "CRM API | Properties": an enumeration property's options (label, value, displayOrder, hidden) belong to the
    account, so the values a ticket carries are whatever the account defined, not a fixed LOW..URGENT."""

    native: Mapping[str, str]  # canonical -> option value
    canonical: Mapping[str, str]  # option value -> canonical

    @classmethod
    def from_property(cls, data: Mapping[str, Any] | None) -> Priorities:
        """From GET /crm/v3/properties/tickets/hs_ticket_priority; None (unreadable) gives HubSpot's defaults.
        An option maps by its value or label (low/medium/high/urgent, baja/media/alta/urgente)."""
        if data is None:
            return cls(native=dict(PRIORITY_NATIVE), canonical={v: k for k, v in PRIORITY_NATIVE.items()})
        native: dict[str, str] = {}
        canonical: dict[str, str] = {}
        options = sorted(data.get("options") or [], key=lambda o: int(o.get("displayOrder") or 0))
        for option in options:
            value = str(option.get("value") or "")
            words = (value.strip().casefold(), str(option.get("label") or "").strip().casefold())
            name = next((PRIORITY_WORDS[w] for w in words if w in PRIORITY_WORDS), None)
            if name is None or not value:
                continue
            canonical[value] = name
            if not option.get("hidden"):
                native.setdefault(name, value)
        return cls(native=native, canonical=canonical)

    def name(self, value: str | None) -> str:
        """The canonical priority of a ticket's value; an option that maps to none reads as medium."""
        return self.canonical.get(str(value or ""), "medium")

    def value(self, name: str) -> str:
        key = name.strip().lower()
        if key not in PRIORITIES:
            raise InvalidInput(_("unknown priority {name!r}").format(name=name),
                hint=_("priorities: {PRIORITIES}").format(PRIORITIES=', '.join(PRIORITIES)))
        if key not in self.native:
            offered = ", ".join(self.native) or "none"
            raise InvalidInput(_("this {platform} account has no {key!r} priority").format(platform=PLATFORM, key=key),
                               hint=_("its priorities: {offered} (the options of the property hs_ticket_priority)")
                               .format(offered=offered))
        return self.native[key]

    def values(self, names: Iterable[str]) -> list[str]:
        """Every option value (hidden ones too) that reads as one of `names`: what a priority filter matches."""
        for name in names:
            self.value(name)  # an unknown priority, or one the account lacks, is a clear error
        wanted = {n.strip().lower() for n in names}
        return sorted(v for v, name in self.canonical.items() if name in wanted)


DEFAULT_PRIORITIES = Priorities.from_property(None)


def timestamp(value: Any) -> str | None:
    """A HubSpot time (ISO with milliseconds, or epoch milliseconds) as the portal writes times."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return iso(datetime.fromtimestamp(int(text) / 1000, UTC))
    return normal_iso(text)


def millis(iso: str) -> str:
    """A portal time (ISO) as epoch milliseconds, the form HubSpot's search filters take for dates."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str(int(moment.timestamp() * 1000))


def follow_up_line(ticket_id: int) -> str:
    """The first line of a follow-up ticket's description: HubSpot has no link between tickets."""
    return f"Follow-up of ticket #{ticket_id}"


def note_html(text: str) -> str:
    """Plain text as a note body (HubSpot shows notes as HTML)."""
    return html.escape(text).replace("\n", "<br>")


def note_text(body: str | None) -> str:
    text = re.sub(r"<br\s*/?>", "\n", body or "", flags=re.I)
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", text, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def attachment_ids(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def attachment(data: dict[str, Any], note_id: int | None, created_at: str) -> Attachment:
    """A file from GET /files/v3/files/{id} (its name has no extension; HubSpot keeps that apart)."""
    name = str(data.get("name") or data.get("id"))
    extension = str(data.get("extension") or "")
    if extension and not name.lower().endswith("." + extension.lower()):
        name = f"{name}.{extension}"
    return Attachment(id=int(data["id"]), filename=name, content_type=str(data.get("type") or "OTHER"),
                      size=int(data.get("size") or 0), sha256="", comment_id=note_id,
                      created_at=timestamp(data.get("createdAt")) or created_at)


def comment(data: dict[str, Any], files: Mapping[str, Attachment]) -> Comment:
    """A note: internal by nature (HubSpot shows notes to the team only)."""
    props = data.get("properties") or {}
    owner = props.get("hubspot_owner_id")
    created = timestamp(props.get("hs_timestamp")) or timestamp(data.get("createdAt")) or ""
    return Comment(
        id=int(data["id"]), author=f"owner:{owner}" if owner else "", author_name=f"owner {owner}" if owner
        else f"{PLATFORM} API", author_role="agent", body=note_text(props.get("hs_note_body")), internal=True,
        created_at=created,
        attachments=[files[i] for i in attachment_ids(props.get("hs_attachment_ids")) if i in files],
    )


def contact(data: dict[str, Any]) -> tuple[str, str]:
    """(e-mail, name) of a contact from the CRM objects API."""
    props = data.get("properties") or {}
    email = str(props.get("email") or "")
    name = " ".join(str(props.get(k) or "") for k in ("firstname", "lastname")).strip()
    return email, name or email


def ticket(data: dict[str, Any], stages: Mapping[str, Stage], pipes: Mapping[str, Pipeline],
           custom: Iterable[str], comments: Sequence[Comment] | None = None,
           requester: tuple[str, str] = ("", ""), priorities: Priorities = DEFAULT_PRIORITIES) -> Ticket:
    """A ticket from the CRM objects API; `comments` (its notes) and `requester` (its first associated contact)
    for `tickets show`."""
    props = data.get("properties") or {}
    stage_id = str(props.get("hs_pipeline_stage") or "")
    stage = stages.get(stage_id)
    status, label = (stage.state, stage.label) if stage else ("open", f"Stage {stage_id}")
    pipe = pipes.get(str(props.get("hs_pipeline") or ""))
    content = str(props.get("content") or "")
    linked = FOLLOW_UP.match(content)
    created = timestamp(props.get("createdate")) or timestamp(data.get("createdAt")) or ""
    updated = timestamp(props.get("hs_lastmodifieddate")) or timestamp(data.get("updatedAt")) or created
    closed = timestamp(props.get("closed_date"))
    opening = Comment(id=0, author=requester[0], author_name=requester[1] or "requester", author_role="customer",
                      body=content,
                      internal=False, created_at=created)
    conversation = [opening, *comments] if comments is not None else None
    return Ticket(
        id=int(data["id"]), subject=str(props.get("subject") or ""), status=status, status_label=label,
        priority=priorities.name(props.get("hs_ticket_priority")), type=None,
        department=pipe.slug if pipe else (str(props["hs_pipeline"]) if props.get("hs_pipeline") else None),
        requester=requester[0], requester_name=requester[1], organization=None,
        assignee=str(props["hubspot_owner_id"]) if props.get("hubspot_owner_id") else None, ccs=[], tags=[],
        fields={k: props[k] for k in custom if props.get(k) not in (None, "")},
        created_at=created, updated_at=updated, due_at=None, overdue=False,
        resolved_at=closed if status in ("resolved", "closed") else None,
        closed_at=closed if status == "closed" else None,
        follow_up_of=int(linked[1]) if linked else None,
        comments=conversation,
        attachments=[a for c in conversation for a in c.attachments] if conversation is not None else None,
    )


class StatusFilter:
    """Requested states (canonical names or a stage's own label) as the stage ids to ask HubSpot for."""

    def __init__(self, names: Sequence[str] | None, stages: dict[str, Stage]) -> None:
        self.ids: set[str] = set()
        for name in names if names is not None else LISTED_BY_DEFAULT:
            key = name.strip().casefold()
            if key == "all":
                self.ids |= set(stages)
                continue
            labelled = {s.id for s in stages.values() if s.label.casefold() == key or s.id == name.strip()}
            canonical = canonical_state(name)
            if canonical is None and not labelled:
                raise InvalidInput(_("unknown status {name!r}").format(name=name),
                                   hint=_("statuses: {STATES}, or a stage's label").format(STATES=', '.join(STATES)))
            self.ids |= labelled | {s.id for s in stages.values() if s.state == canonical}
        self.everything = self.ids == set(stages)
