"""The Freshdesk connector: tickets and the knowledge base (solutions) through Freshdesk's API v2.

Profile: backend "freshdesk", url your help desk (https://ACCOUNT.freshdesk.com), user the e-mail tickets are
opened for (the requester), options {"page_size": 1..100, "status.N": "STATE[:Label]" for an account's own
states}. The secret is your API key (Profile settings in Freshdesk), sent as Basic auth with "X" as the password.

The ticket list narrows by requester e-mail, updated time and order on the server; the states, priorities, types,
groups, created times and --search are applied here over the pages it sends. No CC changes after creation, no
dedupe keys, no article votes or article writing, no user administration: those raise Unsupported.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, cast

from portalctl.backends import freshdesk_map as fm
from portalctl.backends.connector import Connector, ConnectorTickets, File, read_files
from portalctl.backends.freshdesk_api import LAST_PAGE, Api, form
from portalctl.backends.freshdesk_kb import FreshdeskArticles
from portalctl.backends.refusals import NoAccountAdmin
from portalctl.config import Profile
from portalctl.contract import (
    NativeState,
    TicketChanges,
    TicketDraft,
    TicketQuery,
    Upload,
    folded,
    sort_order,
    state_of,
)
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict, Unsupported, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import Attachment, Department, FieldDef, Ticket, User
from portalctl.times import normal_iso, now_iso

PLATFORM = fm.PLATFORM
PAGE_SIZE = 100  # Freshdesk's maximum per_page
EPOCH = "1970-01-01T00:00:00Z"  # without updated_since the list holds only the last 30 days' tickets
SERVER_SORT = {"updated": "updated_at", "created": "created_at", "due": "due_by", "status": "status"}
FIELD_KINDS = {"custom_text": "text", "custom_paragraph": "text", "custom_number": "number",
               "custom_decimal": "number", "custom_date": "date", "custom_dropdown": "choice",
               "custom_checkbox": "boolean"}
CHUNK = 1 << 16


class FreshdeskTickets(ConnectorTickets[Api]):
    platform = PLATFORM
    tagged = True  # tickets in a listing carry their tags: --tag filters on the client

    def __init__(self, api: Api, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.statuses = fm.Statuses(profile.options, self._status_labels)

    def _status_labels(self) -> dict[int, str]:
        """The account's status labels: the status ticket field's choices, {"number": [agent label, customer
        label]}. A desk that will not show its ticket fields keeps the numbers as labels."""
        try:
            fields = self.api.json("GET", "ticket_fields", params={"type": "default_status"})
        except (PermissionDenied, NotFound):
            return {}
        labels = {}
        for spec in fields if isinstance(fields, list) else []:
            choices = spec.get("choices") if spec.get("name") == "status" else None
            if isinstance(choices, dict):
                for number, names in choices.items():
                    if str(number).isdigit():
                        labels[int(number)] = str(names[0] if isinstance(names, list) and names else names)
        return labels

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.api.json("GET", f"tickets/{int(ticket_id)}", missing=f"ticket #{ticket_id}",
                                             params={"include": "requester,stats"})
        return data

    def _full(self, data: dict[str, Any]) -> Ticket:
        conversations = list(self.api.pages(f"tickets/{int(data['id'])}/conversations",
                                            {"per_page": self.page_size}))
        return fm.ticket(data, self.statuses, now_iso(), conversations=conversations)

    def get(self, ticket_id: int) -> Ticket:
        return self._full(self._raw(ticket_id))

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`: requester or company, update time and the order on the server (by
        updated_since from the epoch: without it the list holds only the last 30 days), the rest here."""
        key, descending = sort_order(query.sort)
        if query.organization and not str(query.organization).isdigit():
            raise InvalidInput(_("{platform} filters companies by number, not {organization!r}").format(
                platform=PLATFORM, organization=query.organization))
        self.refuse_listing(query)
        self.needs_email(query, hint=_("set it with: portalctl auth login --user EMAIL ..."))
        # Freshdesk names types as the account does (an account's own type goes as typed); the requester, --mine
        # and the company are narrowed on the server.
        match = self.matcher(query.but(types=())).but(
            types=frozenset(fm.type_name(fm.ticket_type(t)) for t in query.types), requester="", mine=None)
        params: dict[str, Any] = {"per_page": self.page_size, "updated_since": query.updated_since or EPOCH}
        requester = query.requester or (self.email if query.mine else None)
        if requester:
            params["email"] = requester
        elif query.organization:
            params["company_id"] = query.organization
        params["include"] = "requester,stats,description" if match.words else "requester,stats"
        # Pages past the 300th are refused: a listing that may need them walks by update time (see Api.tickets)
        # and is ordered here unless it asked for that order.
        server_sorted = key in SERVER_SORT and query.limit is not None and query.limit <= LAST_PAGE * self.page_size
        if server_sorted:
            params["order_by"] = SERVER_SORT[key]
            params["order_type"] = "desc" if descending else "asc"
            rows = self.api.pages("tickets", params)
        else:
            rows = self.api.tickets(params)
        moment = now_iso()

        def text(row: dict[str, Any]) -> str:
            return folded(f"{row.get('subject') or ''}\n{fm.plain(row, 'description_text', 'description')}")

        return self.listing(rows, lambda row: fm.ticket(row, self.statuses, moment),
                            lambda row, ticket: match(ticket, text(row) if match.words else None), query,
                            streamed=server_sorted or (key == "updated" and not descending))

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        data = self._raw(ticket_id)
        entries: builtins.list[tuple[int | None, dict[str, Any]]] = [(None, a) for a in data.get("attachments") or []]
        for conversation in self.api.pages(f"tickets/{ticket_id}/conversations", {"per_page": self.page_size}):
            entries += [(int(conversation["id"]), a) for a in conversation.get("attachments") or []]
        for comment_id, item in entries:
            if int(item["id"]) == attachment_id:
                found = fm.attachment(item, comment_id)
                return found, self.fetch(str(item["attachment_url"]), found)
        raise no_attachment(ticket_id, attachment_id)

    def _send(self, method: str, path: str, payload: dict[str, Any], files: Sequence[File],
              missing: str | None = None) -> dict[str, Any]:
        """JSON, or multipart with `attachments[]` when files go with it (Freshdesk takes no JSON attachments)."""
        if files:
            data = self.api.json(method, path, data=form(payload), missing=missing,
                                 files=[("attachments[]", f) for f in files])
        else:
            data = self.api.json(method, path, json=payload, missing=missing)
        return cast(dict[str, Any], data)

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse_draft(draft)
        email = draft.requester or self.email
        if not email:
            raise InvalidInput(_("no requester e-mail for the new ticket"),
                               hint=_("pass --requester EMAIL, or set the profile's user: auth login --user EMAIL"))
        files = read_files(draft.attachments)
        text = draft.body
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)  # NotFound for a wrong number, before anything is made
            text = f"{fm.follow_up_line(draft.follow_up_of)}\n\n{draft.body}"
        payload: dict[str, Any] = {"email": email, "subject": draft.subject, "description": fm.html_body(text),
                                   "status": fm.OPEN, "priority": fm.PRIORITY.code(draft.priority or "medium"),
                                   "source": fm.SOURCE_PORTAL}
        if draft.ccs:
            payload["cc_emails"] = list(draft.ccs)
        if draft.tags:
            payload["tags"] = list(draft.tags)
        if draft.type:
            payload["type"] = fm.ticket_type(draft.type)
        if draft.department:
            payload["group_id"] = group_id(draft.department)
        if draft.fields:
            payload["custom_fields"] = dict(draft.fields)
        data = self._send("POST", "tickets", payload, files)
        created = self.get(int(data["id"]))
        created.created = True
        return created

    def _current(self, ticket_id: int) -> tuple[dict[str, Any], str]:
        data = self._raw(ticket_id)
        return data, self.statuses.state(int(data.get("status") or fm.OPEN))[0]

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        files = read_files(attachments)
        code = self.statuses.code(state_of(status)) if status else None
        self._raw(ticket_id)  # NotFound before anything is sent
        if internal:
            self._send("POST", f"tickets/{ticket_id}/notes", {"body": fm.html_body(body), "private": True}, files,
                       missing=f"ticket #{ticket_id}")
        else:
            self._send("POST", f"tickets/{ticket_id}/reply", {"body": fm.html_body(body)}, files,
                       missing=f"ticket #{ticket_id}")
        if code is not None:
            self._put(ticket_id, {"status": code})
        return self.get(ticket_id)

    def _put(self, ticket_id: int, payload: dict[str, Any]) -> None:
        self.api.request("PUT", f"tickets/{ticket_id}", json=payload, missing=f"ticket #{ticket_id}", idempotent=True)

    def close(self, ticket_id: int) -> Ticket:
        _ticket, state = self._current(ticket_id)
        if state == "closed":
            raise StateConflict(_("ticket #{ticket_id} is already closed").format(ticket_id=ticket_id),
                                hint=_("reopen it with 'portalctl tickets reopen {ticket_id}'").format(
                                    ticket_id=ticket_id))
        self._put(ticket_id, {"status": fm.CLOSED})
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        """Freshdesk lets an agent reopen resolved and closed tickets alike (status back to 2 Open)."""
        _ticket, state = self._current(ticket_id)
        if state not in ("resolved", "closed"):
            raise StateConflict(_("ticket #{ticket_id} is not resolved or closed (it is {state}); nothing to reopen")
                                .format(ticket_id=ticket_id, state=state))
        self._put(ticket_id, {"status": fm.OPEN})
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        data = self._raw(ticket_id)
        patch: dict[str, Any] = {}
        if changes.subject is not None:
            patch["subject"] = changes.subject
        if changes.priority is not None:
            patch["priority"] = fm.PRIORITY.code(changes.priority)
        if changes.type is not None:
            patch["type"] = fm.ticket_type(changes.type)
        if changes.department is not None:
            patch["group_id"] = group_id(changes.department)
        if changes.assignee is not None:
            text = changes.assignee.strip().lower()
            if text in ("", "none", "-"):
                patch["responder_id"] = None
            elif text.isdigit():
                patch["responder_id"] = int(text)
            else:
                raise InvalidInput(_("{platform} takes the agent's number, not {assignee!r}").format(
                    platform=PLATFORM, assignee=changes.assignee),
                                   hint=_("'none' unassigns"))
        if changes.status is not None:
            patch["status"] = self.statuses.code(state_of(changes.status))
        if changes.fields:
            patch["custom_fields"] = dict(changes.fields)
        if changes.add_tags or changes.remove_tags:
            tags = [t for t in data.get("tags") or [] if t not in set(changes.remove_tags)]
            patch["tags"] = tags + [t for t in changes.add_tags if t not in tags]
        if not patch:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        self._put(ticket_id, patch)
        return self.get(ticket_id)

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        raise Unsupported(_("{platform}'s API sets CCs only when a ticket is created").format(platform=PLATFORM),
                          hint=_("pass --cc to 'tickets create', or change CCs on the ticket's page in Freshdesk"))


def group_id(value: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise InvalidInput(_("{platform} takes a group's number, not {value!r}").format(platform=PLATFORM, value=value),
                           hint=_("see 'portalctl admin departments' for the numbers"))
    return int(text)


def iana_zone(name: Any) -> str | None:
    """Freshdesk names zones the Rails way ("Bogota", "Eastern Time (US & Canada)"); only an IANA name ("America/
    Bogota") is passed on, so that exports otherwise follow TZ rather than fall back to UTC."""
    return str(name) if name and "/" in str(name) else None


class FreshdeskAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = N_("do it in Freshdesk's admin pages")

    def __init__(self, api: Api) -> None:
        self.api = api

    def me(self) -> User:
        """The agent behind the API key (GET /api/v2/agents/me)."""
        data = self.api.json("GET", "agents/me")
        contact = data.get("contact") or {}
        return User(id=int(data.get("id") or 0), email=str(contact.get("email") or ""),
                    name=str(contact.get("name") or ""), role="agent", organization=None,
                    active=bool(contact.get("active", True)), title=contact.get("job_title"),
                    phone=contact.get("phone"), language=contact.get("language"),
                    timezone=iana_zone(contact.get("time_zone")),
                    created_at=normal_iso(data.get("created_at")) or "")

    def departments(self) -> builtins.list[Department]:
        return [Department(id=int(g["id"]), name=str(g.get("name") or ""), slug=str(g["id"]),
                           description=g.get("description"))
                for g in self.api.pages("groups", {"per_page": PAGE_SIZE})]

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        found = []
        for spec in self.api.json("GET", "ticket_fields"):
            if spec.get("default"):
                continue
            choices = spec.get("choices") or []
            found.append(FieldDef(
                key=str(spec.get("name") or ""),
                label=str(spec.get("label") or spec.get("name")), type=FIELD_KINDS.get(str(spec.get("type")), "text"),
                required=bool(spec.get("required_for_customers")),
                choices=[str(c) for c in choices],
                pattern=None, customer_editable=bool(spec.get("customers_can_edit")), department=None,
                description=spec.get("description"),
            ))
        return found


class FreshdeskBackend(Connector):
    platform = PLATFORM
    page_default = page_max = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        size = self.size
        self.api = Api(profile, secret)
        tickets = FreshdeskTickets(self.api, profile, size)
        self.tickets = tickets
        self.articles = FreshdeskArticles(self.api, size)
        self.accounts = FreshdeskAccounts(self.api)
        self.statuses = tickets.statuses

    def states(self) -> builtins.list[NativeState]:
        """The account's status numbers (its own ones too) with the state each maps to."""
        return [NativeState(id=str(number), label=label, state=state)
                for number, (state, label) in self.statuses.known()]


open_backend = FreshdeskBackend.open_backend
