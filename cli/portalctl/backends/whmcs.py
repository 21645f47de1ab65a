"""The WHMCS connector: support tickets through the WHMCS API (`POST <url>/includes/api.php`).

Profile: backend "whmcs", url the WHMCS address (where /includes/api.php lives), user the client's e-mail (tickets
are opened as that client; without it the profile is the support team's admin view: every client's tickets, each
showing its requester, public replies from `admin_username` or the API user), options {"department": id or
name for new tickets, "accesskey": the install's API access key where it uses one instead of an IP allow-list,
"admin_username": the admin a team reply is from, "page_size": n, "attachment_max_mb": n, "status.<WHMCS status>":
canonical state}. The secret is the API credential as "IDENTIFIER:SECRET" (Configuration >
System Settings > Manage API Credentials; the admin role needs API access).

Statuses are read from the install (GetSupportStatuses) and mapped: Open, Customer-Reply, In Progress -> open;
Answered -> pending; On Hold -> on_hold; Closed -> closed; a custom status maps by its name where it is a known
alias, else to open; `--option status.Escalated=open` overrides any of them. Priorities are Low, Medium and High
(urgent is sent as High).

GetTickets filters by one department, one status, the client and the subject on the server; the other filters
(several states or departments, priority, dates, --search, which reads the subject only) run here over the pages
it sends. WHMCS tickets have no types or tags, this connector writes no custom fields, and the
API has no knowledge base: those raise Unsupported, never a silent no-op. CCs are set with UpdateTicket's `cc`
(OpenTicket takes none, so a new ticket's CCs cost a second call).
"""

from __future__ import annotations

import base64
import builtins
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

from portalctl.backends import whmcs_map as wm
from portalctl.backends.connector import Connector, ConnectorTickets
from portalctl.backends.refusals import NoAccountAdmin, NoKnowledgeBase
from portalctl.backends.whmcs_api import Api, Departments, Statuses, number_option
from portalctl.config import Profile
from portalctl.contract import (
    LISTED_BY_DEFAULT,
    NativeState,
    TicketChanges,
    TicketDraft,
    TicketQuery,
    Upload,
    sort_order,
)
from portalctl.errors import InvalidInput, PortalError, StateConflict, Unsupported, follow_up_hint, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import STATES, Attachment, Department, FieldDef, Ticket, User, canonical_state

PLATFORM = wm.PLATFORM
PAGE_SIZE = 100  # GetTickets' limitnum (default 25 when not sent)
ATTACHMENT_MAX_MB = 8.0  # the install's own limit applies too (PHP post_max_size, allowed file types)
NO_KB = N_("{platform}'s API has no knowledge-base action")


def read_uploads(uploads: Sequence[Upload], max_mb: float) -> str | None:
    """The files as WHMCS's `attachments` parameter (base64 JSON [{name, data}]), read before anything is sent."""
    if not uploads:
        return None
    files = []
    for upload in uploads:
        path = Path(upload.path)
        try:
            size = path.stat().st_size
            if size > max_mb * 1024 * 1024:
                raise InvalidInput(_("{filename} is {value:.1f} MB; {platform} takes up to "
                                     "{max_mb:g} MB a file here").format(
                                         filename=upload.filename, value=size / 1048576, platform=PLATFORM,
                                         max_mb=max_mb),
                                   hint=_("raise the profile's attachment_max_mb option if your install allows more"))
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(_("cannot read attachment {path}: {strerror}").format(
                path=upload.path, strerror=exc.strerror)) from exc
        files.append({"name": upload.filename, "data": base64.b64encode(content).decode("ascii")})
    return base64.b64encode(json.dumps(files).encode()).decode("ascii")



class WhmcsTickets(ConnectorTickets[Api]):
    platform = PLATFORM

    def __init__(self, api: Api, statuses: Statuses, departments: Departments, profile: Profile,
                 page_size: int, max_mb: float) -> None:
        super().__init__(api, profile, page_size)
        self.statuses = statuses
        self.departments = departments
        self.max_mb = max_mb
        self.default_department = profile.options.get("department")
        self._client_id: int | None = None
        self.admin_username = str(profile.options.get("admin_username") or "") or None

    def client_id(self) -> int:
        """The WHMCS client the profile acts as (GetClientsDetails by e-mail)."""
        if self._client_id is None:
            if not self.email:
                raise InvalidInput(_("the profile names no WHMCS client (it sees the whole install as the team)"),
                                   hint=_("open a ticket for a client with --requester EMAIL, or sign in as the "
                                          "client: portalctl auth login --backend whmcs --user EMAIL ..."))
            client = wm.client_details(self.api.call("GetClientsDetails", email=self.email,
                                                  missing=f"client {self.email}"))
            self._client_id = int(client.get("id") or client.get("userid") or 0)
        return self._client_id

    def author(self) -> dict[str, Any]:
        """Who a public reply is from: the profile's client, or (the admin view, a profile without --user) the
        support team: AddTicketReply's `adminusername` from the admin_username option, else the API user."""
        if self.email:
            return {"clientid": self.client_id()}
        return {"adminusername": self.admin_username} if self.admin_username else {}

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        return self.api.call("GetTicket", ticketid=int(ticket_id), repliessort="ASC",
                             missing=f"ticket #{ticket_id}")

    def _ticket(self, data: dict[str, Any], *, full: bool) -> Ticket:
        label = str(data.get("status") or "")
        department = str(data.get("deptname") or self.departments.name(data.get("deptid"))) or None
        return wm.ticket(data, self.statuses.state(label), department, full=full)

    def get(self, ticket_id: int) -> Ticket:
        return self._ticket(self._raw(ticket_id), full=True)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`. One department, one native status, the requester and (with --mine) the client
        narrow on the server; everything else is filtered here over the pages."""
        self.refuse_listing(query, (N_("{platform} tickets have no type"), query.types, "--type"),
                            (N_("{platform} has no organisations in its ticket API"), query.organization, "--org"),
                            (N_("{platform} tickets have no due time"), query.overdue, "--overdue"))
        key, descending = sort_order(query.sort)
        # Without it GetTickets keeps to the departments the API user's admin is assigned to, and tickets in the
        # others vanish from listings without an error (https://developers.whmcs.com/api-reference/gettickets/).
        params: dict[str, Any] = {"ignore_dept_assignments": "true"}
        wanted_states: set[str] | None = None
        wanted_labels: set[str] = set()
        if query.statuses is None:
            wanted_states = set(LISTED_BY_DEFAULT)
        elif not any(s.strip().lower() == "all" for s in query.statuses):
            wanted_states = set()
            natives = {label.casefold(): label for label in self.statuses.labels()}
            for name in query.statuses:
                if name.strip().casefold() in natives:
                    wanted_labels.add(natives[name.strip().casefold()])
                    continue
                state = canonical_state(name)
                if state is None:
                    raise InvalidInput(_("unknown status {name!r}").format(name=name),
                                       hint=_("statuses: {STATES}, all, or one of "
                                              "{labels}").format(
                                                  STATES=', '.join(STATES), labels=', '.join(self.statuses.labels())))
                wanted_states.add(state)
            wanted_labels |= set(self.statuses.labels_for(wanted_states))
            if not wanted_labels:
                return iter(())
            if len(wanted_labels) == 1:
                params["status"] = next(iter(wanted_labels))
        if wanted_states is not None and query.statuses is None:
            wanted_labels = set(self.statuses.labels_for(wanted_states))
        dept_ids = {self.departments.resolve(d) for d in query.departments}
        if len(dept_ids) == 1:
            params["deptid"] = next(iter(dept_ids))
        if query.mine:
            params["clientid"] = self.client_id()
        # Statuses and departments are read from the row; WHMCS has no urgent (it reads as high); GetTickets' email
        # matches non-clients only, so the requester is matched here, and --mine on the server (clientid).
        match = self.matcher(query).but(states=None, departments=frozenset(), mine=None)
        match = match.but(priorities=frozenset("high" if p == "urgent" else p for p in match.priorities))
        check_status = wanted_states is not None or bool(wanted_labels)

        def keep(row: dict[str, Any], ticket: Ticket) -> bool:
            return ((not check_status or str(row.get("status") or "") in wanted_labels)
                    and (not dept_ids or int(row.get("deptid") or 0) in dept_ids)
                    and match(ticket))

        # GetTickets' own order is the last reply first: streamed.
        return self.listing(self.api.pages("GetTickets", "tickets", "ticket", params, self.page_size),
                            lambda row: self._ticket(row, full=False), keep, query,
                            streamed=key == "updated" and descending)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for found in self.attachments(ticket_id):
            if found.id == attachment_id:
                kind = {v: k for k, v in wm.KINDS.items()}[attachment_id % 10]
                data = self.api.call("GetTicketAttachment", relatedid=attachment_id // 1000, type=kind,
                                     index=(attachment_id % 1000) // 10,
                                     missing=f"attachment {attachment_id} of ticket #{ticket_id}")
                content = base64.b64decode(str(data.get("data") or ""))
                found.size = len(content)
                return found, cast(BinaryIO, io.BytesIO(content))
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), draft.type, "--type"),
                    (N_("{platform} tickets have no tags"), draft.tags, "--tag"))
        if draft.fields:
            raise Unsupported(_("{platform} custom fields are not supported by this connector").format(
                platform=PLATFORM),
                              hint=_("leave out --field; set them on the ticket in WHMCS"))
        self.refuse_draft(draft)
        files = read_uploads(draft.attachments, self.max_mb)
        chosen = draft.department or self.default_department
        if not chosen:
            raise InvalidInput(_("no department to open the ticket in"),
                               hint=_("pass --department NAME (or its id), or set the profile's department option"))
        message = draft.body
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)
            message = f"Follow-up of ticket #{draft.follow_up_of}\n\n{draft.body}"
        params: dict[str, Any] = {"deptid": self.departments.resolve(str(chosen)), "subject": draft.subject,
                                  "message": message, "priority": wm.priority_label(draft.priority or "medium"),
                                  "markdown": "true", "attachments": files}
        if draft.requester and (not self.email or draft.requester.casefold() != self.email.casefold()):
            params.update(name=draft.requester, email=draft.requester)
        else:
            params["clientid"] = self.client_id()
        data = self.api.call("OpenTicket", **params)
        if draft.ccs:  # OpenTicket takes no CCs; UpdateTicket does
            try:
                self.api.call("UpdateTicket", ticketid=int(data["id"]), cc=",".join(draft.ccs))
            except PortalError as exc:
                raise builtins.type(exc)(_("ticket #{ticket_id} was created, but its CCs were not set: {error}").format(
                    ticket_id=data["id"], error=exc.message),
                                         hint=_("add them: portalctl tickets cc {id} --add EMAIL").format(
                                             id=data['id'])) from exc
        created = self.get(int(data["id"]))
        created.follow_up_of = draft.follow_up_of
        created.created = True
        return created

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        label = self.statuses.write_label(status) if status else None
        files = read_uploads(attachments, self.max_mb)
        if internal:
            self._raw(ticket_id)
            self.api.call("AddTicketNote", ticketid=int(ticket_id), message=body, markdown="true",
                          attachments=files, missing=f"ticket #{ticket_id}")
            if label:
                self.api.call("UpdateTicket", ticketid=int(ticket_id), status=label, missing=f"ticket #{ticket_id}")
        else:
            self.api.call("AddTicketReply", ticketid=int(ticket_id), message=body, markdown="true", status=label,
                          attachments=files, missing=f"ticket #{ticket_id}", **self.author())
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        if self.statuses.state(str(data.get("status") or "")) == "closed":
            raise StateConflict(_("ticket #{ticket_id} is already closed").format(
                ticket_id=ticket_id), hint=follow_up_hint(ticket_id))
        self.api.call("UpdateTicket", ticketid=int(ticket_id), status=self.statuses.write_label("closed"),
                      missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        """WHMCS lets a closed ticket be opened again (as a client reply does): set it back to Open."""
        data = self._raw(ticket_id)
        state = self.statuses.state(str(data.get("status") or ""))
        if state != "closed":
            raise StateConflict(_("ticket #{ticket_id} is not closed (it is {get}); nothing to reopen").format(
                ticket_id=ticket_id, get=data.get('status')))
        self.api.call("UpdateTicket", ticketid=int(ticket_id), status=self.statuses.write_label("open"),
                      missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), changes.type, "--type"),
                    (N_("{platform} tickets have no tags"), changes.add_tags or changes.remove_tags,
                     "--tag and --untag"))
        if changes.fields:
            raise Unsupported(_("{platform} custom fields are not supported by this connector").format(
                platform=PLATFORM),
                              hint=_("set them on the ticket in WHMCS"))
        if changes.assignee is not None:
            raise Unsupported(_("{platform} assigns tickets by flagging them to an admin, which this connector "
                                "does not do").format(platform=PLATFORM), hint=_("flag the ticket in WHMCS"))
        params: dict[str, Any] = {}
        if changes.subject is not None:
            params["subject"] = changes.subject
        if changes.priority is not None:
            params["priority"] = wm.priority_label(changes.priority)
        if changes.department is not None:
            params["deptid"] = self.departments.resolve(changes.department)
        if changes.status is not None:
            params["status"] = self.statuses.write_label(changes.status)
        if not params:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        self.api.call("UpdateTicket", ticketid=int(ticket_id), missing=f"ticket #{ticket_id}", **params)
        return self.get(ticket_id)

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        """UpdateTicket's `cc` replaces the list: read it, change it, write it back."""
        current = self.get(ticket_id).ccs
        gone = {r.strip().casefold() for r in remove}
        wanted = [c for c in current if c.casefold() not in gone]
        wanted += [a.strip() for a in add if a.strip() and a.strip().casefold() not in {w.casefold() for w in wanted}]
        if wanted != current:
            self.api.call("UpdateTicket", ticketid=int(ticket_id), cc=",".join(wanted), missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)


class WhmcsAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = N_('do it in the WHMCS admin area')

    def __init__(self, api: Api, departments: Departments, tickets: WhmcsTickets, profile: Profile) -> None:
        self.api = api
        self._departments = departments
        self.tickets = tickets
        self.profile = profile

    def me(self) -> User:
        """The client the profile acts as (checks the credential and the e-mail); without a client, the API
        credential's admin (GetAdminDetails, https://developers.whmcs.com/api-reference/getadmindetails/)."""
        if not self.tickets.email:
            admin = self.api.call("GetAdminDetails")
            return User(id=int(admin.get("adminid") or 0), email="", name=str(admin.get("name") or "API admin"),
                        role="admin", organization=None, active=True, title=None, phone=None, language=None,
                        timezone=None, created_at="")
        client = wm.client_details(self.api.call("GetClientsDetails", email=self.tickets.email,
                                              missing=f"client {self.tickets.email}"))
        name = " ".join(str(client.get(k) or "") for k in ("firstname", "lastname")).strip()
        return User(id=int(client.get("id") or client.get("userid") or 0), email=str(client.get("email") or ""),
                    name=name or str(client.get("email") or ""), role="customer",
                    organization=str(client.get("companyname") or "") or None, active=True, title=None,
                    phone=str(client.get("phonenumber") or "") or None, language=None, timezone=None,
                    created_at=wm.timestamp(client.get("datecreated")))

    def departments(self) -> builtins.list[Department]:
        return list(self._departments.all())

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return []



class WhmcsBackend(Connector):
    platform = PLATFORM
    page_default = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        page_size = self.size
        max_mb = number_option(profile, "attachment_max_mb", ATTACHMENT_MAX_MB)
        self.api = Api(profile, secret)
        statuses = Statuses(self.api, profile)
        departments = Departments(self.api)
        tickets = WhmcsTickets(self.api, statuses, departments, profile, page_size, max_mb)
        self.tickets = tickets
        self.articles = NoKnowledgeBase(_(NO_KB).format(platform=PLATFORM),
                                        hint=_("read it in the WHMCS client area at /knowledgebase"))
        self.accounts = WhmcsAccounts(self.api, departments, tickets, profile)
        self.statuses = statuses

    def states(self) -> builtins.list[NativeState]:
        """The install's ticket statuses (GetSupportStatuses) with the state each maps to."""
        return [NativeState(id=label, label=label, state=self.statuses.state(label))
                for label in self.statuses.labels()]


open_backend = WhmcsBackend.open_backend
