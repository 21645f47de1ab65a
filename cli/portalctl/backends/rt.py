"""The Request Tracker connector: tickets through RT 5's REST2 API (`<url>/REST/2.0/`).

Profile: backend "rt", url where RT is served, user your e-mail there (the requester of tickets you open, and what
--mine matches), options {"queue": the queue of new tickets (name or number), "page_size": n (at most 100),
"status.<RT status>": canonical state, for a custom lifecycle's statuses}. The secret is an RT auth token
(`Authorization: token ...`; RT > Settings > Auth Tokens), or `username:password` for basic auth.

Listings are TicketSQL searches run by RT: status, queue, dates, requester, owner, priority and the search words
(subject) narrow on the server, which also orders by id, creation, last update, priority or due date; only
--overdue, and the order by state, run here. Public replies are correspondence (RT's scrips mail it to the
requesters and CCs), internal notes are comments (staff only). RT tickets have no types or tags, and this connector
reads no knowledge base: those raise Unsupported, never a silent no-op.
"""

from __future__ import annotations

import base64
import builtins
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO, cast
from urllib.parse import quote

from portalctl.backends import rt_map as rm
from portalctl.backends.connector import Connector, ConnectorTickets, File, read_files
from portalctl.backends.refusals import NoAccountAdmin, NoKnowledgeBase
from portalctl.backends.rt_api import PAGE_MAX, Api
from portalctl.config import Profile
from portalctl.contract import NativeState, TicketChanges, TicketDraft, TicketQuery, Upload, assignee_email, sort_order
from portalctl.engine.attachments import sniff
from portalctl.errors import InvalidInput, NotFound, StateConflict, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import STATES, Attachment, Department, FieldDef, Ticket, User
from portalctl.times import now_iso

PLATFORM = rm.PLATFORM
NO_KB = N_("portalctl does not read {platform}'s articles")
ORDER = {"id": "id", "created": "Created", "updated": "LastUpdated", "priority": "Priority", "due": "Due"}
UNASSIGNED = ("", "none", "-", "nobody")
# What a search row and a single ticket are read with: related records expanded to their names and e-mails.
EXPAND = {"fields[Queue]": "Name", "fields[Requestor]": "EmailAddress,RealName", "fields[Cc]": "EmailAddress",
          "fields[Owner]": "EmailAddress"}
TRANSACTIONS_A_SEARCH = 100  # transaction numbers in one attachments search (they travel in the URL)
ROW_FIELDS = "Subject,Status,Priority,Queue,Requestor,Cc,Owner,Created,LastUpdated,Due,Resolved,CustomFields"


def search(limits: builtins.list[dict[str, Any]]) -> str:
    """A REST2 "JSON search" (RT::REST2, JSON searches): limits that all hold."""
    return json.dumps(limits)


class Queues:
    """Queue names and numbers, each looked up once (GET /queue/:name answers for a name or a number)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.known: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any]:
        key = str(name).strip()
        if key.casefold() not in self.known:
            try:
                data = self.api.json("GET", f"queue/{quote(key, safe='')}", missing=f"queue {key!r}")
            except NotFound:
                names = ", ".join(q.name for q in self.all()) or _("none you can see")
                raise InvalidInput(_("unknown queue {name!r} on {platform}").format(name=name, platform=PLATFORM),
                    hint=_("queues: {names}").format(names=names)) from None
            for alias in (str(data["id"]), str(data.get("Name") or "")):
                self.known[alias.casefold()] = data
        return self.known[key.casefold()]

    def all(self) -> builtins.list[Department]:
        rows = self.api.pages("queues/all", {"fields": "Name,Description", "per_page": PAGE_MAX})
        return [Department(id=int(q["id"]), name=str(q.get("Name") or ""), slug=str(q.get("Name") or ""),
                           description=str(q.get("Description") or "") or None) for q in rows]

    def field_names(self, queue: dict[str, Any]) -> set[str]:
        """The custom fields a queue's tickets take (REST2's /queue/:id/customfields)."""
        rows = self.api.pages(f"queue/{queue['id']}/customfields", {"fields": "Name", "per_page": PAGE_MAX})
        return {str(row.get("Name") or "") for row in rows}


def attachments_of(files: Sequence[File]) -> builtins.list[tuple[str, tuple[str, bytes, str]]]:
    """Files as REST2's multipart `Attachments` parts, each with the type its content shows."""
    return [("Attachments", (name, content, sniff(content[:8192], name))) for name, content in files]


class RtTickets(ConnectorTickets[Api]):
    platform = PLATFORM

    def __init__(self, api: Api, queues: Queues, statuses: rm.Statuses, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.queues = queues
        self.statuses = statuses
        self.default_queue = profile.options.get("queue")

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.api.json("GET", f"ticket/{int(ticket_id)}", params=EXPAND,
                                             missing=f"ticket #{ticket_id}")
        return data

    def _rows(self, path: str, params: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return list(self.api.pages(path, {"per_page": self.page_size, **params}))

    def _full(self, data: dict[str, Any]) -> Ticket:
        """The ticket with its conversation: its Create, Correspond and Comment transactions (who wrote, when), then
        those transactions' parts, asked for by transaction so that no page is cut short by rows the user may not
        see (RT's own mail records): the files, and the texts with their content."""
        number = int(data["id"])
        history = self._rows(f"ticket/{number}/history", {
            "fields": "Type,Created,Creator", "fields[Creator]": "EmailAddress,RealName",
            "query": search([{"field": "Type", "operator": "IN", "value": list(rm.CONVERSATION)}])})
        parts: builtins.list[dict[str, Any]] = []
        texts: builtins.list[dict[str, Any]] = []
        numbers = [int(t["id"]) for t in history]
        for start in range(0, len(numbers), TRANSACTIONS_A_SEARCH):
            these = {"field": "TransactionId", "operator": "IN", "value": numbers[start:start + TRANSACTIONS_A_SEARCH]}
            parts += self._rows(f"ticket/{number}/attachments", {
                "fields": "TransactionId,Filename,ContentType,ContentLength,Created",
                "query": search([these, {"field": "Filename", "operator": "IS NOT", "value": "NULL"}])})
            texts += self._rows(f"ticket/{number}/attachments", {
                "fields": "TransactionId,ContentType,Content",
                "query": search([these, {"field": "ContentType", "operator": "LIKE", "value": "text/"},
                                 {"field": "Filename", "operator": "IS", "value": "NULL"}])})
        requesters = [rm.email(u) for u in data.get("Requestor") or []]
        comments = rm.conversation(history, parts, rm.bodies(texts), requesters)
        return rm.ticket(data, self.statuses, now_iso(), comments)

    def get(self, ticket_id: int) -> Ticket:
        return self._full(self._raw(ticket_id))

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`, found by a TicketSQL search on RT. The first page is read before this returns,
        so a bad filter or token fails before an export touches its file."""
        # Not refuse_listing: RT owners are users with e-mails, so --assignee is a TicketSQL clause here.
        self.refuse((N_("{platform} tickets have no type"), query.types, "--type"),
                    (N_("{platform} has no organisations"), query.organization, "--org"),
                    (N_("{platform} tickets carry no tags"), query.tags, "--tag"))
        key, descending = sort_order(query.sort)
        self.needs_email(query, hint=_("set it with: portalctl auth login --backend rt --user EMAIL ..."))
        params: dict[str, Any] = {"query": self.ticket_sql(query), "per_page": self.page_size,
                                  "fields": ROW_FIELDS, **EXPAND}
        if key in ORDER:  # one `order` per `orderby`, in the same order (RT::REST2, "JSON searches"), ties by id
            direction = "DESC" if descending else "ASC"
            params.update(orderby=[ORDER[key], "id"] if key != "id" else ["id"], order=[direction, direction])
        moment = now_iso()
        # RT narrowed by everything else; dates (exactly: see rm.date_clause) and --overdue are checked here.
        exact = self.matcher(query.but(statuses=["all"])).but(
            states=None, priorities=frozenset(), departments=frozenset(), assignees=frozenset(), requester="",
            mine=None, words=())
        return self.listing(self.api.pages("tickets", params), lambda row: rm.ticket(row, self.statuses, moment),
                            lambda row, ticket: exact(ticket), query, streamed=key in ORDER)

    def ticket_sql(self, query: TicketQuery) -> str:
        """The query's filters as TicketSQL: the fields RT::Tickets knows (lib/RT/Tickets.pm, %FIELD_METADATA: Status,
        Queue, Priority, Created, LastUpdated, Requestor.EmailAddress, Owner.EmailAddress, Subject with LIKE)."""
        me = self.email or ""
        clauses = [self.statuses.clause(query.statuses)]
        if query.priorities:
            clauses.append(rm.priority_clause(query.priorities))
        clauses.append(" OR ".join(f"Queue = {rm.quote(self.queues.get(d)['Name'])}" for d in query.departments))
        for who in (query.requester, me if query.mine else None):
            if who:
                clauses.append(f"Requestor.EmailAddress = {rm.quote(who.strip())}")
        clauses.append(" OR ".join(f"Owner.EmailAddress = {rm.quote(assignee_email(a, me))}"
                                   for a in query.assignees))
        for field, operator, moment in (("Created", ">=", query.created_since), ("Created", "<", query.created_until),
                                        ("LastUpdated", ">=", query.updated_since)):
            if moment:
                clauses.append(rm.date_clause(field, operator, moment))
        if query.search is not None:
            words = query.search.split()
            if not words:
                raise InvalidInput(_("--search needs at least one word"))
            clauses += [f"Subject LIKE {rm.quote(word)}" for word in words]
        return " AND ".join(f"({c})" for c in clauses if c) or "id > 0"

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        """A file of the ticket's conversation. REST2 sends an attachment's bytes base64-encoded in its JSON."""
        for found in self.attachments(ticket_id):
            if found.id == attachment_id:
                data = self.api.json("GET", f"attachment/{attachment_id}",
                                     missing=f"attachment {attachment_id} of ticket #{ticket_id}")
                return found, cast(BinaryIO, io.BytesIO(base64.b64decode(data.get("Content") or "")))
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def _fields(self, queue: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        """Custom fields checked against the queue's: RT ignores a name it does not know without a word."""
        known = self.queues.field_names(queue) if values else set()
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(_("{platform} queue {get!r} has no custom field "
                                 "{map}").format(
                                     platform=PLATFORM, get=queue.get('Name'), map=', '.join(map(repr, unknown))),
                               hint=_("its custom fields: {value}").format(value=', '.join(sorted(known)) or 'none'))
        return dict(values)

    def _send(self, path: str, payload: dict[str, Any], files: Sequence[File]) -> Any:
        """POST JSON, or with files REST2's multipart form: the JSON in a `JSON` part, each file an `Attachments`
        part (no base64 growth). Not retried: a repeat would make a second ticket or message."""
        if files:
            return self.api.json("POST", path, data={"JSON": json.dumps(payload)}, files=attachments_of(files))
        return self.api.json("POST", path, json=payload)

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), draft.type, "--type"))
        self.refuse_draft(draft, (N_("{platform} tickets have no tags"), draft.tags, "--tag"))
        name = draft.department or self.default_queue
        if not name:
            raise InvalidInput(_("no queue to open the ticket in"),
                               hint=_("pass --department QUEUE, or set the profile's queue option (--option "
                                      "queue=NAME)"))
        queue = self.queues.get(str(name))
        payload: dict[str, Any] = {"Queue": queue["Name"], "Subject": draft.subject, "Content": draft.body,
                                   "ContentType": "text/plain",
                                   "Priority": rm.priority_value(draft.priority or "medium")}
        requester = draft.requester or self.email
        if requester:
            payload["Requestor"] = requester
        if draft.ccs:
            payload["Cc"] = list(draft.ccs)
        if draft.fields:
            payload["CustomFields"] = self._fields(queue, draft.fields)
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)  # NotFound for a wrong number, before anything is made
            payload["RefersTo"] = draft.follow_up_of
        made = self._send("ticket", payload, read_files(draft.attachments))
        created = self.get(int(made["id"]))
        created.created = True
        return created

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        """Correspondence (RT mails it to the requesters and CCs) or, `internal`, a comment (staff only)."""
        self._raw(ticket_id)
        payload: dict[str, Any] = {"Content": body, "ContentType": "text/plain"}
        if status:
            payload["Status"] = self.statuses.native(status)
        self._send(f"ticket/{ticket_id}/{'comment' if internal else 'correspond'}", payload,
                   read_files(attachments))
        ticket = self.get(ticket_id)
        self._check_status(ticket, payload.get("Status"))
        return ticket

    def _put(self, ticket_id: int, changes: dict[str, Any]) -> builtins.list[str]:
        """PUT /ticket/N: sets fields to values, so it may be retried. RT answers 200 with its messages whether or
        not each change was made; callers read the ticket back."""
        messages = self.api.json("PUT", f"ticket/{ticket_id}", json=changes, idempotent=True)
        return [str(m) for m in messages] if isinstance(messages, list) else []

    def _check_status(self, ticket: Ticket, wanted: str | None, said: Sequence[str] = ()) -> None:
        if wanted and ticket.status_label.lower() != wanted:
            why = "; ".join(said) or _("the ticket stayed {label}").format(label=ticket.status_label)
            raise StateConflict(_("{platform} did not set ticket #{id} to {wanted}: {why}").format(
                platform=PLATFORM, id=ticket.id, wanted=wanted, why=why))

    def _set_status(self, ticket_id: int, status: str) -> Ticket:
        said = self._put(ticket_id, {"Status": status})
        ticket = self.get(ticket_id)
        self._check_status(ticket, status, said)
        return ticket

    def close(self, ticket_id: int) -> Ticket:
        """Resolve the ticket (RT's resolved, which it can reopen)."""
        current = rm.ticket(self._raw(ticket_id), self.statuses, now_iso())
        if current.status in rm.INACTIVE:
            raise StateConflict(_("ticket #{ticket_id} is already {status_label}").format(
                ticket_id=ticket_id, status_label=current.status_label))
        return self._set_status(ticket_id, self.statuses.native("resolved"))

    def reopen(self, ticket_id: int) -> Ticket:
        current = rm.ticket(self._raw(ticket_id), self.statuses, now_iso())
        if current.status not in rm.INACTIVE:
            raise StateConflict(_("ticket #{ticket_id} is not resolved (it is {status_label}); "
                                  "nothing to reopen").format(ticket_id=ticket_id, status_label=current.status_label))
        return self._set_status(ticket_id, self.statuses.native("open"))

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), changes.type, "--type"),
                    (N_("{platform} tickets have no tags"), changes.add_tags or changes.remove_tags,
                     "--tag and --untag"))
        data = self._raw(ticket_id)
        put: dict[str, Any] = {}
        if changes.subject is not None:
            put["Subject"] = changes.subject
        if changes.priority is not None:
            put["Priority"] = rm.priority_value(changes.priority)
        if changes.department is not None:
            put["Queue"] = self.queues.get(changes.department)["Name"]
        if changes.assignee is not None:
            put["Owner"] = self._user_name(changes.assignee)
        if changes.status is not None:
            put["Status"] = self.statuses.native(changes.status)
        if changes.fields:
            queue = self.queues.get(str(put.get("Queue") or (data.get("Queue") or {}).get("id")))
            put["CustomFields"] = self._fields(queue, changes.fields)
        if not put:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        said = self._put(ticket_id, put)
        ticket = self.get(ticket_id)
        self._check_status(ticket, put.get("Status"), said)
        refused = [m for m in said if not_done(m)]
        if refused:
            raise InvalidInput(_("{platform} refused part of the change to ticket #{ticket_id}: {refused}").format(
                platform=PLATFORM, ticket_id=ticket_id, refused='; '.join(refused)))
        return ticket

    def _user_name(self, who: str) -> str:
        """RT sets an owner by user name: an e-mail is looked up (REST2's /users JSON search); none unassigns."""
        text = assignee_email(who, self.email)
        if text.lower() in UNASSIGNED:
            return rm.NOBODY
        if "@" not in text:
            return text
        found = list(self.api.pages("users", {"query": search([{"field": "EmailAddress", "value": text}])}))
        if not found:
            raise InvalidInput(_("no {platform} user has the e-mail {text!r}").format(
                platform=PLATFORM, text=text), hint=_("pass the owner's RT user name"))
        return str(found[0]["id"])

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        """REST2 sets a role to a whole list (AddCc is not a REST2 field), so the new list is written at once."""
        ccs = rm.ticket(self._raw(ticket_id), self.statuses, now_iso()).ccs
        gone = {r.strip().casefold() for r in remove}
        wanted = [c for c in ccs if c.casefold() not in gone]
        wanted += [a.strip() for a in add if a.strip().casefold() not in {c.casefold() for c in wanted}]
        if wanted != ccs:
            self._put(ticket_id, {"Cc": wanted})
        return self.get(ticket_id)


def not_done(message: str) -> bool:
    """Whether one of RT's update messages says a change was refused (RT words them as sentences, not codes)."""
    lowered = message.lower()
    return any(word in lowered for word in ("isn't a valid", "does not exist", "permission denied", "not allowed",
                                            "can't", "cannot", "invalid", "no permission", "could not"))


class RtAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = "do it in RT's admin pages (Admin > Users, Queues, Custom Fields)"

    def __init__(self, api: Api, queues: Queues, profile: Profile) -> None:
        self.api = api
        self.queues = queues
        self.profile = profile

    def me(self) -> User:
        """Who the profile acts as. REST2 in RT 5.0 cannot say who a token belongs to, so this checks the token
        (reading the queues it may see) and names the profile's user."""
        self.api.json("GET", "queues/all", params={"per_page": 1})
        who = self.profile.user or ""
        return User(id=0, email=who, name=who or f"{PLATFORM} user", role="agent", organization=None, active=True,
                    title=None, phone=None, language=None, timezone=None, created_at="")

    def departments(self) -> builtins.list[Department]:
        return self.queues.all()

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        name = department or self.profile.options.get("queue")
        if not name:
            return []
        queue = self.queues.get(name)
        return [FieldDef(key=key, label=key, type="text", required=False, choices=[], pattern=None,
                         customer_editable=False, department=str(queue.get("Name")), description=None)
                for key in sorted(self.queues.field_names(queue))]


class RtBackend(Connector):
    platform = PLATFORM
    page_default = PAGE_MAX
    page_max = PAGE_MAX

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        self.api = Api(profile, secret)
        self.statuses = rm.Statuses(profile.options)
        queues = Queues(self.api)
        self.tickets = RtTickets(self.api, queues, self.statuses, profile, self.size)
        self.articles = NoKnowledgeBase(_(NO_KB).format(platform=PLATFORM),
                                        hint=_("read them in RT's web interface (Articles)"))
        self.accounts = RtAccounts(self.api, queues, profile)

    def states(self) -> builtins.list[NativeState]:
        """RT's default lifecycle, then the statuses the profile maps (a custom lifecycle's), each with its state.
        REST2 in RT 5.0 does not publish lifecycle definitions."""
        ordered = sorted(self.statuses.states.items(), key=lambda item: STATES.index(item[1]))
        return [NativeState(id=status, label=status, state=state) for status, state in ordered]


open_backend = RtBackend.open_backend
