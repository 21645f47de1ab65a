"""The HubSpot connector: tickets through the CRM v3 objects API (seed 000's customer portal runs on HubSpot).

Profile: backend "hubspot", url the API's address (https://api.hubapi.com, the default), user your e-mail (shown
only), options: "pipeline" (id or label for new tickets; default: the first pipeline), "stage.<id>=<state>" to
override how a stage maps onto portalctl's states, "close_stage" / "reopen_stage" (stage ids), "properties"
(comma-separated custom ticket properties to show; default: every custom property of the account), "page_size".
The secret is a private app's access token (`Authorization: Bearer ...`; scopes tickets, files,
crm.objects.contacts.read for requesters and notes, crm.objects.contacts.write for notes: hubspot_api.SCOPES).

States come from the account's pipelines (GET /crm/v3/pipelines/tickets), mapped as hubspot_map says. Listings use
the search API (POST /crm/v3/objects/tickets/search) for the state, priority, pipeline, created and updated filters,
--search and the updated/created/id sort; with no filter they page GET /crm/v3/objects/tickets, which has no
10,000-result ceiling. Sorting by priority, status or due time happens here, after every match is read.

HubSpot tickets have no reply endpoint: a reply is a note (POST /crm/v3/objects/notes associated to the ticket),
and notes are internal by nature. So `tickets reply --internal` adds a note, and a public `tickets reply` raises
Unsupported saying so (answer customers from HubSpot's inbox) - never a note that pretends to be a reply. The
conversation is the ticket's description followed by its notes. Attachments go up through the Files API (private
files) and hang on a note. A ticket's requester is its first associated contact (named by `tickets show`, not in
listings); `--requester EMAIL` associates an existing contact. No CCs, tags, ticket types, dedupe keys, due times,
--mine or knowledge-base API (a customer portal's knowledge base has no public API): those raise Unsupported.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO

from portalctl.backends import hubspot_map as hs
from portalctl.backends.connector import Connector, ConnectorTickets, read_files
from portalctl.backends.hubspot_api import Account, Api
from portalctl.backends.refusals import NoAccountAdmin, NoKnowledgeBase
from portalctl.config import Profile
from portalctl.contract import NativeState, TicketChanges, TicketDraft, TicketQuery, Upload, sort_order
from portalctl.errors import InvalidInput, PortalError, StateConflict, Unsupported, follow_up_hint, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import STATES, Attachment, Comment, Department, FieldDef, Ticket, User, canonical_state

PLATFORM = hs.PLATFORM
PAGE_SIZE = 100  # the objects API's maximum page
NOTE_TO_TICKET = 228  # HubSpot-defined association type ids: note -> ticket, ticket -> contact
TICKET_TO_CONTACT = 16
FOLDER = "/portalctl"
NO_KB = N_("{platform} has no knowledge-base API for customer portals")
PUBLIC_REPLY = N_("{platform}'s API has no public reply on a ticket: what it can add is a note, which only your team "
                  "sees")
SERVER_SORT = {"updated": "hs_lastmodifieddate", "created": "createdate", "id": "hs_object_id"}
FIELD_KINDS = {"string": "text", "number": "number", "date": "date", "datetime": "date", "bool": "boolean",
               "enumeration": "choice"}



def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"



class HubSpotTickets(ConnectorTickets[Api]):
    platform = PLATFORM

    def __init__(self, api: Api, account: Account, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.account = account

    # -- reading -------------------------------------------------------------------------------------------------

    def _properties(self) -> builtins.list[str]:
        return [*hs.BASE_PROPERTIES, *self.account.custom()]

    def _raw(self, ticket_id: int, *, notes: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"properties": ",".join(self._properties())}
        if notes:
            params["associations"] = "notes,contacts"
        data: dict[str, Any] = self.api.json("GET", f"/crm/v3/objects/tickets/{int(ticket_id)}", params=params,
                                             missing=f"ticket #{ticket_id}")
        return data

    def _ticket(self, data: dict[str, Any], comments: Sequence[Comment] | None = None,
                requester: tuple[str, str] = ("", "")) -> Ticket:
        return hs.ticket(data, self.account.stages(), self.account.pipes(), self.account.custom(), comments,
                         requester, self.account.priorities())

    def _requester(self, data: dict[str, Any]) -> tuple[str, str]:
        """The ticket's first associated contact, as (e-mail, name)."""
        links = ((data.get("associations") or {}).get("contacts") or {}).get("results") or []
        ids = sorted({str(link["id"]) for link in links}, key=int)
        if not ids:
            return "", ""
        found = self.api.json("GET", f"/crm/v3/objects/contacts/{ids[0]}",
                              params={"properties": "email,firstname,lastname"}, missing=f"contact {ids[0]}")
        return hs.contact(found)

    def _contact_id(self, email: str) -> str:
        """An existing contact's id by e-mail (POST /crm/v3/objects/contacts/search)."""
        body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
                "properties": ["email"], "limit": 1}
        results = self.api.json("POST", "/crm/v3/objects/contacts/search", json=body).get("results") or []
        if not results:
            raise InvalidInput(_("{platform} has no contact with e-mail {email!r}").format(
                platform=PLATFORM, email=email),
                               hint=_("add the contact in HubSpot first, or leave out --requester"))
        return str(results[0]["id"])

    def _notes(self, data: dict[str, Any]) -> builtins.list[Comment]:
        """The ticket's notes, oldest first, with their files (one batch read, one metadata call per file)."""
        links = ((data.get("associations") or {}).get("notes") or {}).get("results") or []
        ids = sorted({str(link["id"]) for link in links}, key=int)
        if not ids:
            return []
        notes: builtins.list[dict[str, Any]] = []
        for start in range(0, len(ids), 100):  # batch read takes 100 ids at most
            # BatchReadInputSimplePublicObjectId requires inputs, properties and propertiesWithHistory (none here)
            body = {"properties": list(hs.NOTE_PROPERTIES), "propertiesWithHistory": [],
                    "inputs": [{"id": i} for i in ids[start:start + 100]]}
            notes += self.api.json("POST", "/crm/v3/objects/notes/batch/read", json=body).get("results") or []
        files: dict[str, Attachment] = {}
        for note in notes:
            props = note.get("properties") or {}
            for file_id in hs.attachment_ids(props.get("hs_attachment_ids")):
                meta = self.api.json("GET", f"/files/v3/files/{file_id}", missing=f"file {file_id}")
                files[file_id] = hs.attachment(meta, int(note["id"]), hs.timestamp(props.get("hs_timestamp")) or "")
        comments = [hs.comment(note, files) for note in notes]
        return sorted(comments, key=lambda c: (c.created_at, c.id))

    def get(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id, notes=True)
        return self._ticket(data, self._notes(data), self._requester(data))

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`: HubSpot's search narrows state, priority, pipeline, times and words; the
        first page is read before this returns, so a bad filter or token fails before an export touches its file."""
        self.refuse_listing(query, (N_("{platform} tickets have no type"), query.types, "--type"),
                            (N_("{platform} has no organisations on tickets"), query.organization, "--org"),
                            (N_("{platform} tickets have no requester portalctl can filter on"), query.requester,
                             "--requester"),
                            (N_("{platform} tickets have no due time"), query.overdue, "--overdue"),
                            (N_("{platform} cannot tell which tickets are yours"), query.mine, "--mine"))
        key, descending = sort_order(query.sort)
        stages = self.account.stages()
        statuses = hs.StatusFilter(query.statuses, stages)
        if not statuses.ids:
            return iter(())
        filters: builtins.list[dict[str, Any]] = []
        if not statuses.everything:
            filters.append({"propertyName": "hs_pipeline_stage", "operator": "IN", "values": sorted(statuses.ids)})
        if query.priorities:
            filters.append({"propertyName": "hs_ticket_priority", "operator": "IN",
                            "values": self.account.priorities().values(query.priorities)})
        if query.departments:
            filters.append({"propertyName": "hs_pipeline", "operator": "IN",
                            "values": sorted({self.account.pipeline(d).id for d in query.departments})})
        for prop, op, value in (("createdate", "GTE", query.created_since), ("createdate", "LT", query.created_until),
                                ("hs_lastmodifieddate", "GTE", query.updated_since)):
            if value:
                filters.append({"propertyName": prop, "operator": op, "value": hs.millis(value)})
        words = (query.search or "").strip()
        if query.search is not None and not words:
            raise InvalidInput(_("--search needs at least one word"))
        server_sort = SERVER_SORT.get(key)
        use_search = bool(filters or words or (server_sort and query.limit is not None and key != "id"))
        if use_search:
            body: dict[str, Any] = {"properties": self._properties(), "limit": self.page_size}
            if filters:
                body["filterGroups"] = [{"filters": filters}]
            if words:
                body["query"] = words
            if server_sort:
                body["sorts"] = [{"propertyName": server_sort, "direction": "DESCENDING" if descending
                                  else "ASCENDING"}]
            rows = self.api.pages("POST", "/crm/v3/objects/tickets/search", body=body,
                                  wanted=query.limit if server_sort else None,
                                  heard=lambda total: self.heard_total(query, total))  # every filter ran there
            streamed = server_sort is not None
        else:
            params = {"limit": self.page_size, "properties": ",".join(self._properties()), "archived": "false"}
            rows = self.api.pages("GET", "/crm/v3/objects/tickets", params=params)
            streamed = key == "id" and not descending  # the list endpoint's own order
        return self.listing(rows, self._ticket, lambda row, ticket: True, query, streamed=streamed)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for found in self.attachments(ticket_id):
            if found.id == attachment_id:
                signed = self.api.json("GET", f"/files/v3/files/{attachment_id}/signed-url",
                                       missing=f"file {attachment_id}")
                return found, self.fetch(str(signed["url"]), found)
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def _upload(self, files: Sequence[tuple[str, bytes]]) -> builtins.list[str]:
        """Private files in the account's file manager (POST /files/v3/files); their ids."""
        ids = []
        for name, content in files:
            form = {"options": json.dumps({"access": "PRIVATE", "overwrite": False,
                                           "duplicateValidationStrategy": "NONE"}),
                    "folderPath": FOLDER, "fileName": name}
            data = self.api.json("POST", "/files/v3/files", data=form, files={"file": (name, content)})
            ids.append(str(data["id"]))
        return ids

    def _note(self, ticket_id: int, body: str, files: Sequence[tuple[str, bytes]] = ()) -> None:
        props: dict[str, Any] = {"hs_timestamp": now(), "hs_note_body": hs.note_html(body)}
        if files:
            props["hs_attachment_ids"] = ";".join(self._upload(files))
        association = {"to": {"id": str(ticket_id)},
                       "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_TICKET}]}
        self.api.request("POST", "/crm/v3/objects/notes", json={"properties": props, "associations": [association]})

    def _patch(self, ticket_id: int, props: dict[str, Any]) -> None:
        self.api.request("PATCH", f"/crm/v3/objects/tickets/{int(ticket_id)}", json={"properties": props},
                         missing=f"ticket #{ticket_id}", idempotent=True)

    def _stage(self, data: dict[str, Any]) -> hs.Stage | None:
        return self.account.stages().get(str((data.get("properties") or {}).get("hs_pipeline_stage") or ""))

    def _pipe(self, data: dict[str, Any]) -> hs.Pipeline:
        pid = str((data.get("properties") or {}).get("hs_pipeline") or "")
        return self.account.pipes().get(pid) or self.account.pipeline(None)

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse_draft(draft, (N_("{platform} tickets have no type"), draft.type, "--type"),
                          (N_("{platform} tickets have no CCs"), draft.ccs, "--cc"),
                          (N_("{platform} tickets have no tags"), draft.tags, "--tag"))
        files = read_files(draft.attachments)
        pipe = self.account.pipeline(draft.department)
        stage = self.account.stage_for(pipe, "new", "new_stage")
        content = draft.body
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)  # NotFound for a wrong number, before anything is made
            content = f"{hs.follow_up_line(draft.follow_up_of)}\n\n{draft.body}"
        priority = self.account.priorities().value(draft.priority or "medium")
        props = {**(draft.fields or {}), "subject": draft.subject, "content": content, "hs_pipeline": pipe.id,
                 "hs_pipeline_stage": stage.id, "hs_ticket_priority": priority}
        payload: dict[str, Any] = {"properties": props}
        if draft.requester:
            payload["associations"] = [{"to": {"id": self._contact_id(draft.requester)}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TICKET_TO_CONTACT}]}]
        data = self.api.json("POST", "/crm/v3/objects/tickets", json=payload)
        ticket_id = int(data["id"])
        if files:
            try:
                self._note(ticket_id, "Attachments", files)
            except PortalError as exc:
                raise builtins.type(exc)(
                    _("ticket #{ticket_id} was created, but its attachments were not added: {error}").format(
                        ticket_id=ticket_id, error=exc.message),
                    hint=_("add them: portalctl tickets reply {ticket_id} --internal --body ... --attach FILE").format(
                        ticket_id=ticket_id),
                ) from exc
        created = self.get(ticket_id)
        created.created = True
        return created

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        if not internal:
            raise Unsupported(_(PUBLIC_REPLY).format(platform=PLATFORM),
                              hint=_("add it as a note: portalctl tickets reply {ticket_id} --internal "
                                                   "--body ...; answer the customer from HubSpot's inbox").format(
                                                       ticket_id=ticket_id))
        files = read_files(attachments)
        data = self._raw(ticket_id)
        target = None
        if status:
            canonical = canonical_state(status)
            if canonical is None:
                raise InvalidInput(_("unknown status {status!r}").format(status=status),
                    hint=_("statuses: {STATES}").format(STATES=', '.join(STATES)))
            target = self.account.stage_for(self._pipe(data), canonical)
        self._note(ticket_id, body, files)
        current = self._stage(data)
        if target is not None and (current is None or current.id != target.id):
            self._patch(ticket_id, {"hs_pipeline_stage": target.id})
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        target = self.account.stage_for(self._pipe(data), "closed", "close_stage")
        current = self._stage(data)
        if current is not None and current.id == target.id:
            raise StateConflict(_("ticket #{ticket_id} is already {label}").format(
                ticket_id=ticket_id, label=current.label), hint=follow_up_hint(ticket_id))
        self._patch(ticket_id, {"hs_pipeline_stage": target.id})
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        """HubSpot lets a ticket move back from any stage, so resolved and closed tickets both reopen."""
        data = self._raw(ticket_id)
        current = self._stage(data)
        if current is not None and current.state not in ("resolved", "closed"):
            raise StateConflict(_("ticket #{ticket_id} is not resolved or closed (it is {label}); "
                                  "nothing to reopen").format(ticket_id=ticket_id, label=current.label))
        target = self.account.stage_for(self._pipe(data), "open", "reopen_stage")
        self._patch(ticket_id, {"hs_pipeline_stage": target.id})
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        if changes.type:
            raise Unsupported(_("{platform} tickets have no type").format(
                platform=PLATFORM), hint=_("leave out --type"))
        if changes.add_tags or changes.remove_tags:
            raise Unsupported(_("{platform} tickets have no tags").format(
                platform=PLATFORM), hint=_("leave out --tag and --untag"))
        data = self._raw(ticket_id)
        props: dict[str, Any] = dict(changes.fields)
        if changes.subject is not None:
            props["subject"] = changes.subject
        if changes.priority is not None:
            props["hs_ticket_priority"] = self.account.priorities().value(changes.priority)
        if changes.assignee is not None:
            text = changes.assignee.strip()
            if text.lower() in ("", "none", "-"):
                props["hubspot_owner_id"] = ""
            elif text.isdigit():
                props["hubspot_owner_id"] = text
            else:
                raise InvalidInput(_("{platform} takes the assignee's owner id, not {assignee!r}").format(
                    platform=PLATFORM, assignee=changes.assignee),
                                   hint=_("find it under Settings > Users & Teams; 'none' unassigns"))
        pipe = self._pipe(data)
        if changes.department is not None:
            pipe = self.account.pipeline(changes.department)
            props["hs_pipeline"] = pipe.id
        current = self._stage(data)
        if changes.status is not None:
            canonical = canonical_state(changes.status)
            if canonical is None:
                raise InvalidInput(_("unknown status {status!r}").format(status=changes.status),
                    hint=_("statuses: {STATES}").format(STATES=', '.join(STATES)))
            props["hs_pipeline_stage"] = self.account.stage_for(pipe, canonical).id
        elif "hs_pipeline" in props and (current is None or current.pipeline != pipe.id):
            # a stage belongs to one pipeline: keep the ticket's state in the new one
            props["hs_pipeline_stage"] = self.account.stage_for(pipe, current.state if current else "new").id
        if not props:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        self._patch(ticket_id, props)
        return self.get(ticket_id)

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        raise Unsupported(_("{platform} tickets have no CCs").format(platform=PLATFORM),
                          hint=_("associate contacts with the ticket in HubSpot instead"))


class HubSpotAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = N_("do it in HubSpot's settings")

    def __init__(self, api: Api, account: Account, profile: Profile) -> None:
        self.api = api
        self.account = account
        self.profile = profile

    def me(self) -> User:
        """Who the profile acts as. A private app token belongs to an app, not a person: this checks the token (by
        reading the pipelines) and names the profile's user."""
        self.account.pipelines()
        who = self.profile.user or ""
        return User(id=0, email=who, name=who or f"{PLATFORM} private app", role="agent", organization=None,
                    active=True, title=None, phone=None, language=None, timezone=None, created_at="")

    def departments(self) -> builtins.list[Department]:
        """Ticket pipelines stand for departments."""
        return [Department(id=int(p.id) if p.id.isdigit() else 0, name=p.label, slug=p.slug,
                           description=", ".join(f"{s.label} = {s.state}" for s in p.stages))
                for p in self.account.pipelines()]

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        found = []
        for prop in self.account.properties():
            kind = FIELD_KINDS.get(str(prop.get("type")), "text")
            if kind == "choice" and prop.get("fieldType") == "checkbox":
                kind = "multichoice"
            found.append(FieldDef(key=str(prop["name"]), label=str(prop.get("label") or prop["name"]), type=kind,
                                  required=False, choices=[str(o["value"]) for o in prop.get("options") or []],
                                  pattern=None, customer_editable=False, department=None,
                                  description=prop.get("description") or None))
        return found


class HubSpotBackend(Connector):
    platform = PLATFORM
    page_default = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        self.api = Api(profile, secret)
        self.account = Account(self.api, profile)
        self.tickets = HubSpotTickets(self.api, self.account, profile, self.size)
        self.articles = NoKnowledgeBase(
            _(NO_KB).format(platform=PLATFORM),
            hint=_("read the knowledge base in the browser, on the portal's help site"),
        )
        self.accounts = HubSpotAccounts(self.api, self.account, profile)

    def states(self) -> builtins.list[NativeState]:
        """Every stage of every ticket pipeline, in HubSpot's order, with the state it maps to."""
        return [NativeState(id=s.id, label=s.label, state=s.state, pipeline=p.label)
                for p in self.account.pipelines() for s in p.stages]


open_backend = HubSpotBackend.open_backend
