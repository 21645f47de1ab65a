"""The django-helpdesk connector: tickets through its REST API (Django REST framework, staff-only).

Profile: backend "django-helpdesk", url where `helpdesk.urls` is served (its API is `<url>/api/`), user your
e-mail there (the submitter of tickets you open), options {"queue": id or slug for new tickets, "page_size": n}.
The secret is a DRF token (`Authorization: Token ...`), or `username:password` for Basic auth, which django-helpdesk
answers more slowly: it re-hashes the password on every request.

The API lists tickets with a numeric `status` filter and nothing else, so the other filters, the search and the
sort run here over the pages it sends. It has no queue listing, no CCs, no tags, no ticket types, no users, no
"who am I" and no knowledge base: those raise Unsupported, never a silent no-op. Queue names come from
/api/user_tickets/ (the tickets you submitted), the one place the API names a queue.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from portalctl.backends import helpdesk_map as hm
from portalctl.backends.connector import Connector, ConnectorTickets, File, read_files
from portalctl.backends.helpdesk_api import Api, Queues, field_defs
from portalctl.backends.refusals import NoKnowledgeBase, NoNotices
from portalctl.config import Profile
from portalctl.contract import NativeState, TicketChanges, TicketDraft, TicketQuery, Upload, sort_order
from portalctl.errors import InvalidInput, PortalError, StateConflict, Unsupported, follow_up_hint, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import Attachment, Department, FieldDef, Organization, Ticket, User, canonical_state
from portalctl.times import now_iso

PLATFORM = hm.PLATFORM
PAGE_SIZE = 100  # the API sets no maximum; each page costs the server a pass over every matching ticket
NO_KB = N_("{platform} has no knowledge-base API")
NO_CC = N_("{platform}'s API has no CC support")
UNASSIGNED = ("", "none", "-")
CHUNK = 1 << 16


def read_uploads(uploads: Sequence[Upload]) -> builtins.list[File]:
    """The files to send; an empty one is refused here because django-helpdesk would drop it without a word."""
    files = read_files(uploads)
    for name, content in files:
        if not content:
            raise InvalidInput(_("{name} is empty").format(name=name),
                hint=_("{platform} silently drops empty files").format(platform=PLATFORM))
    return files


ATTACHMENT_HINT = N_("{platform} fails like this on a file type it refuses (HELPDESK_VALID_EXTENSIONS), after "
                     "saving the text: look at the ticket before repeating")



class HelpdeskTickets(ConnectorTickets[Api]):
    platform = PLATFORM

    def __init__(self, api: Api, queues: Queues, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.queues = queues
        self.default_queue = profile.options.get("queue")

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.api.json("GET", f"tickets/{int(ticket_id)}/", missing=f"ticket #{ticket_id}")
        return data

    def _ticket(self, data: dict[str, Any], *, full: bool, moment: str | None = None) -> Ticket:
        return hm.ticket(data, self.queues.slug(int(data["queue"])), moment or now_iso(), full=full)

    def get(self, ticket_id: int) -> Ticket:
        return self._ticket(self._raw(ticket_id), full=True)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`. Only the state narrows on the server; the first page is read before this
        returns, so a bad filter or token fails before an export touches its file."""
        self.refuse_listing(query, (N_("{platform} tickets have no type"), query.types, "--type"),
                            (N_("{platform} has no organisations"), query.organization, "--org"))
        key, descending = sort_order(query.sort)
        statuses = hm.StatusFilter(query.statuses)
        queue_ids = {self.queues.resolve(d) for d in query.departments}
        self.needs_email(query, hint=_("set it with: portalctl auth login --backend django-helpdesk --user EMAIL ..."))
        # States (native codes and the on-hold flag) and queues (by number or slug) are read from the row.
        match = self.matcher(query).but(states=None, departments=frozenset())
        codes = statuses.server_codes()
        if not codes:
            return iter(())
        params: dict[str, Any] = {"page_size": self.page_size}
        if not statuses.everything():
            params["status"] = ",".join(str(c) for c in sorted(codes))
        moment = now_iso()

        def keep(row: dict[str, Any], ticket: Ticket) -> bool:
            return (statuses.matches(int(row["status"]), bool(row.get("on_hold")))
                    and (not queue_ids or int(row["queue"]) in queue_ids)
                    and match(ticket, hm.search_text(row) if match.words else None))

        # The API's own order is by id: streamed, in constant memory. Any other order is made here, so every match
        # is read first (tickets without their conversations).
        return self.listing(self.api.pages("tickets/", params),
                            lambda row: self._ticket(row, full=False, moment=moment), keep, query,
                            streamed=key == "id" and not descending)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for followup in self._raw(ticket_id).get("followup_set") or []:
            for item in followup.get("followupattachment_set") or []:
                if int(item["id"]) == attachment_id:
                    found = hm.attachment(item, followup)
                    return found, self.fetch(str(item["file"]), found)
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def _custom_fields(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Custom fields as the API's `custom_<name>` keys. DRF ignores keys it does not know, so an unknown name
        is refused here rather than dropped."""
        if not values:
            return {}
        known = {d.key for d in field_defs(self.api)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(_("{platform} has no custom field {map}").format(
                platform=PLATFORM, map=', '.join(map(repr, unknown))),
                               hint=_("its custom fields: {value}").format(value=', '.join(sorted(known)) or _('none')))
        return {hm.CUSTOM + key: value for key, value in values.items()}

    def _follow_up(self, ticket_id: int, *, comment: str = "", public: bool = True, status: int | None = None,
                   files: Sequence[File] = ()) -> None:
        """POST /api/followups/: a reply, a note or a change of state (multipart when files go with it)."""
        data: dict[str, Any] = {"ticket": ticket_id, "comment": comment, "public": public}
        if status is not None:
            data["new_status"] = status
        if files:
            form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in data.items()}
            self.api.request("POST", "followups/", data=form, files=[("attachments", f) for f in files],
                             error_hint=_(ATTACHMENT_HINT).format(platform=PLATFORM))
        else:
            self.api.request("POST", "followups/", json=data)

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), draft.type, "--type"))
        if draft.ccs:
            raise Unsupported(_(NO_CC).format(platform=PLATFORM),
                              hint=_("add CCs on the ticket's page in django-helpdesk"))
        self.refuse_draft(draft, (N_("{platform} tickets have no tags"), draft.tags, "--tag"))
        files = read_uploads(draft.attachments)
        queue = draft.department or self.default_queue
        if not queue:
            raise InvalidInput(_("no queue to open the ticket in"),
                               hint=_("pass --department QUEUE (its number or slug), or set the profile's queue "
                                      "option"))
        payload: dict[str, Any] = {"queue": self.queues.resolve(str(queue)), "title": draft.subject,
                                   "description": draft.body,
                                   "priority": hm.PRIORITY.code(draft.priority or "medium"),
                                   **self._custom_fields(draft.fields or {})}
        submitter = draft.requester or self.email
        if submitter:
            payload["submitter_email"] = submitter
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)  # NotFound for a wrong number, before anything is made
            payload["description"] = f"{hm.follow_up_line(draft.follow_up_of)}\n\n{draft.body}"
        if files:  # the create call takes one file; any others go in a follow-up
            form = {k: str(v) for k, v in payload.items()}
            data = self.api.json("POST", "tickets/", data=form, files=[("attachment", files[0])],
                                 error_hint=_(ATTACHMENT_HINT).format(platform=PLATFORM))
        else:
            data = self.api.json("POST", "tickets/", json=payload)
        ticket_id = int(data["id"])
        if len(files) > 1:
            try:
                self._follow_up(ticket_id, files=files[1:])
            except PortalError as exc:
                hint = _("add them: portalctl tickets reply {ticket_id} --body ... --attach FILE").format(
                    ticket_id=ticket_id)
                message = _("ticket #{ticket_id} was created, but its other attachments were not added: {error}")
                message = message.format(ticket_id=ticket_id, error=exc.message)
                raise builtins.type(exc)(message, hint=hint) from exc
            data = self._raw(ticket_id)
        created = self._ticket(data, full=True)
        created.created = True
        return created

    def _open_for_change(self, ticket_id: int, refusal: str) -> dict[str, Any]:
        """The ticket, unless it is closed: closed is final here as on the portal engine."""
        data = self._raw(ticket_id)
        if int(data["status"]) in hm.FINAL:
            raise StateConflict(_("ticket #{ticket_id} is closed; {refusal}").format(
                ticket_id=ticket_id, refusal=refusal), hint=follow_up_hint(ticket_id))
        return data

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        data = self._open_for_change(ticket_id, _("it takes no more replies"))
        code = hm.new_status(status, int(data["status"])) if status else None
        self._follow_up(ticket_id, comment=body, public=not internal, status=code, files=read_uploads(attachments))
        hold = hold_flag(status, data)
        if hold is not None:
            self.api.request("PATCH", f"tickets/{ticket_id}/", json={"on_hold": hold}, idempotent=True)
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        if int(data["status"]) in hm.FINAL:
            raise StateConflict(_("ticket #{ticket_id} is already closed").format(
                ticket_id=ticket_id), hint=follow_up_hint(ticket_id))
        self._follow_up(ticket_id, status=hm.CLOSED)
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        code = int(data["status"])
        if code in hm.FINAL:
            raise StateConflict(_("ticket #{ticket_id} is closed, and closed is final").format(
                ticket_id=ticket_id), hint=follow_up_hint(ticket_id))
        if code != hm.RESOLVED:
            status = hm.state(code, bool(data.get("on_hold")))[0]
            raise StateConflict(_("ticket #{ticket_id} is not resolved (it is {status}); nothing to reopen").format(
                ticket_id=ticket_id, status=status))
        self._follow_up(ticket_id, status=hm.REOPENED)
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        self.refuse((N_("{platform} tickets have no type"), changes.type, "--type"),
                    (N_("{platform} tickets have no tags"), changes.add_tags or changes.remove_tags,
                     "--tag and --untag"))
        data = self._open_for_change(ticket_id, _("it cannot change"))
        patch: dict[str, Any] = self._custom_fields(changes.fields)
        if changes.subject is not None:
            patch["title"] = changes.subject
        if changes.priority is not None:
            patch["priority"] = hm.PRIORITY.code(changes.priority)
        if changes.department is not None:
            patch["queue"] = self.queues.resolve(changes.department)
        if changes.assignee is not None:
            patch["assigned_to"] = assignee_id(changes.assignee)
        hold = hold_flag(changes.status, data)
        if hold is not None:
            patch["on_hold"] = hold
        code = hm.new_status(changes.status, int(data["status"])) if changes.status else None
        if not patch and changes.status is None:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        if patch:
            self.api.request("PATCH", f"tickets/{ticket_id}/", json=patch, idempotent=True)
        if patch or code is not None:
            # A PATCH leaves no trace in django-helpdesk's history and does not move the ticket's last change (what
            # --updated-since and incremental exports read): an internal note says what changed. A new state goes
            # in a follow-up too, the one way django-helpdesk records it.
            self._follow_up(ticket_id, comment=self._change_note(patch), public=not patch, status=code)
        return self.get(ticket_id)

    def _change_note(self, patch: dict[str, Any]) -> str:
        said = []
        for key, value in patch.items():
            if key == "title":
                said.append(f"subject: {value}")
            elif key == "queue":
                said.append(f"queue: {self.queues.slug(value)}")
            elif key == "priority":
                said.append(f"priority: {hm.PRIORITY.name(value)}")
            elif key == "assigned_to":
                said.append(f"assignee: {'nobody' if value is None else f'user {value}'}")
            elif key == "on_hold":
                said.append("on hold" if value else "no longer on hold")
            else:
                said.append(f"{key.removeprefix(hm.CUSTOM)}: {value}")
        return f"Changed with portalctl: {'; '.join(said)}" if said else ""

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        raise Unsupported(_(NO_CC).format(platform=PLATFORM),
                          hint=_("manage CCs on the ticket's page in django-helpdesk"))


def hold_flag(target: str | None, data: dict[str, Any]) -> bool | None:
    """django-helpdesk's on-hold flag a change to `target` needs: set for on_hold, cleared for open, else None."""
    wanted = {"on_hold": True, "open": False}.get(canonical_state(target) or "") if target else None
    return None if wanted is None or wanted == bool(data.get("on_hold")) else wanted


def assignee_id(value: str) -> int | None:
    """The API takes a user's number (it has no user lookup); none, - or an empty value unassigns."""
    text = value.strip().lower()
    if text in UNASSIGNED:
        return None
    if not text.isdigit():
        raise InvalidInput(_("{platform} takes the assignee's user number, not {value!r}").format(
            platform=PLATFORM, value=value),
                           hint=_("find it in the Django admin under Users; 'none' unassigns"))
    return int(text)


class HelpdeskAccounts(NoNotices):
    platform = PLATFORM

    def __init__(self, api: Api, queues: Queues, profile: Profile) -> None:
        self.api = api
        self.queues = queues
        self.profile = profile

    def me(self) -> User:
        """Who the profile acts as. The API cannot say who a token belongs to, so this checks the credentials (the
        API is staff-only: an answer means an agent) and names the profile's user."""
        self.api.json("GET", "tickets/", params={"page_size": 1})
        who = self.profile.user or self.api.username or ""
        return User(id=0, email=who, name=who or f"{PLATFORM} API user", role="agent", organization=None,
                    active=True, title=None, phone=None, language=None, timezone=None, created_at="")

    def departments(self) -> builtins.list[Department]:
        return self.queues.all()


    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return field_defs(self.api)

    def update_me(self, **changes: str) -> User:
        raise Unsupported(_("{platform}'s API cannot change your profile").format(platform=PLATFORM),
                          hint=_("change it on the help desk's settings page"))

    def users(self, *, role: str | None = None, organization: str | None = None,
              inactive: bool = False) -> builtins.list[User]:
        raise Unsupported(_("{platform}'s API cannot list users").format(
            platform=PLATFORM), hint=_("see them in the Django admin"))

    def add_user(self, *, email: str, name: str, role: str = "customer",
                 organization: str | None = None) -> User:
        raise Unsupported(_("{platform}'s API cannot add a user without a password").format(platform=PLATFORM),
                          hint=_("add users in the Django admin"))

    def set_active(self, email: str, active: bool) -> User:
        raise Unsupported(_("{platform}'s API cannot deactivate users").format(
            platform=PLATFORM), hint=_("untick 'Active' in the Django admin"))

    def reset_password(self, email: str) -> str:
        raise Unsupported(_("{platform}'s API cannot reset passwords").format(
            platform=PLATFORM), hint=_("use the help desk's password reset page"))

    def organizations(self) -> builtins.list[Organization]:
        raise Unsupported(_("{platform} has no organisations").format(platform=PLATFORM))

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        raise Unsupported(_("{platform} has no organisations").format(platform=PLATFORM))

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        raise Unsupported(_("{platform}'s API cannot add queues").format(
            platform=PLATFORM), hint=_("add them in the Django admin under Queues"))

    def add_field(self, definition: FieldDef) -> FieldDef:
        raise Unsupported(_("{platform}'s API cannot add custom fields").format(platform=PLATFORM),
                          hint=_("add them in the Django admin under Custom fields"))


class HelpdeskBackend(Connector):
    platform = PLATFORM
    page_default = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        size = self.size
        self.api = Api(profile, secret)
        queues = Queues(self.api, size)
        self.tickets = HelpdeskTickets(self.api, queues, profile, size)
        self.articles = NoKnowledgeBase(_(NO_KB).format(platform=PLATFORM),
                                        hint=_("read it in the browser at the help desk's /kb/ page"))
        self.accounts = HelpdeskAccounts(self.api, queues, profile)

    def states(self) -> builtins.list[NativeState]:
        """django-helpdesk's status codes, then its on-hold flag (which stands apart from the status)."""
        coded = [NativeState(id=str(code), label=label, state=state) for code, (state, label) in hm.STATUSES.items()]
        state, label = hm.state(hm.OPEN, True)
        return [*coded, NativeState(id="on_hold", label=label, state=state)]


open_backend = HelpdeskBackend.open_backend
