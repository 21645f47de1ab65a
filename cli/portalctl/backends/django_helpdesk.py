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
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

import requests

from portalctl.backends import helpdesk_map as hm
from portalctl.backends.base import (
    SORT_KEYS,
    AccountsAPI,
    ArticlesAPI,
    TicketChanges,
    TicketQuery,
    TicketsAPI,
    Upload,
)
from portalctl.backends.refusals import NoKnowledgeBase
from portalctl.config import Profile
from portalctl.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    PortalError,
    StateConflict,
    Unavailable,
    Unsupported,
    follow_up_hint,
)
from portalctl.http import Download, JsonApi, origin
from portalctl.model import (
    PRIORITIES,
    STATES,
    Attachment,
    Department,
    FieldDef,
    Organization,
    Ticket,
    User,
    canonical_state,
)

PLATFORM = hm.PLATFORM
PAGE_SIZE = 100  # the API sets no maximum; each page costs the server a pass over every matching ticket
NO_KB = f"{PLATFORM} has no knowledge-base API"
NO_CC = f"{PLATFORM}'s API has no CC support"
TOKEN_HINT = ("pass a token: echo TOKEN | portalctl auth login --backend django-helpdesk --url URL --with-token "
              "(create one in the Django admin under Tokens, or with 'manage.py drf_create_token USER')")
FIELD_KINDS = {"string": "text", "email": "text", "url": "text", "integer": "number", "decimal": "number",
               "float": "number", "date": "date", "datetime": "date", "choice": "choice",
               "multiple choice": "multichoice", "boolean": "boolean"}
UNASSIGNED = ("", "none", "-")
CHUNK = 1 << 16


def api_root(url: str | None) -> str:
    """`<url>/api/` for the address a user typed, with or without `/api` and a trailing slash."""
    text = (url or "").strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(f"not a django-helpdesk URL: {url!r}",
                           hint="pass --url with the address django-helpdesk is served at, e.g. https://help.example.com")
    return (text[: -len("/api")] if text.endswith("/api") else text) + "/api/"


def field_errors(data: Any) -> str:
    """DRF's 400 body ({"field": ["message"]}, {"detail": ...} or a list) as one line."""
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            text = field_errors(value)
            parts.append(text if key in ("detail", "non_field_errors") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(data, list):
        return " ".join(field_errors(item) for item in data)
    return str(data)


class TokenAuth(requests.auth.AuthBase):
    """DRF's token scheme; as an auth object requests never swaps in ~/.netrc, and repr() never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Token {self._token}"
        return request

    def __repr__(self) -> str:
        return "TokenAuth(<hidden>)"



class Api(JsonApi):
    """One help desk, one session: every call goes through `request`, which maps HTTP failures to portal errors."""

    token_hint = TOKEN_HINT

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url))
        self.address_hint = f"is {profile.url} the address django-helpdesk is served at (its API under /api/)?"
        self.username: str | None = None
        if secret and ":" in secret:  # a DRF token never holds a colon
            self.username, password = secret.split(":", 1)
            self.session.auth = requests.auth.HTTPBasicAuth(self.username, password)
        elif secret:
            self.session.auth = TokenAuth(secret)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result across DRF's pages (`count/next/previous/results`). The first page is read now, so a
        refused token fails before a caller writes anything."""
        first = self.json("GET", path, params=params)
        return self._walk(first)

    def _walk(self, page: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            yield from page.get("results") or []
            link = page.get("next")
            if not link:
                return
            parts = urlsplit(link)
            if origin(link) != self.origin:  # a proxy that rewrote Host: keep the path, stay on our origin
                base = urlsplit(self.root)
                link = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
            page = self.json("GET", link)

    def error(self, response: requests.Response, missing: str | None, error_hint: str | None) -> PortalError:
        status = response.status_code
        data: Any = None
        if "json" in response.headers.get("Content-Type", ""):
            try:
                data = response.json()
            except ValueError:
                data = None
        detail = field_errors(data) if data else f"HTTP {status} {response.reason}"
        where = f"{PLATFORM} at {self.origin}"
        if status == 400:
            return InvalidInput(f"{PLATFORM} refused the request: {detail}")
        if status == 401:
            return PermissionDenied(f"{where} refused the credentials: {detail}", hint=TOKEN_HINT)
        if status == 403:
            return PermissionDenied(f"{where} refused access: {detail}",
                                    hint="its API serves staff users only: tick 'Staff status' for the account in "
                                         "the Django admin")
        if status == 404:
            if missing:
                return NotFound(f"{missing} not found on {self.origin}", hint="see 'portalctl tickets list'")
            return NotFound(f"{where} has no {urlsplit(response.url).path}",
                            hint=f"is {self.profile.url} where django-helpdesk is served (its API under /api/)?")
        if status == 429 or status >= 500:
            return Unavailable(f"{where} answered HTTP {status} {response.reason} (after retries)",
                               hint=error_hint or "the help desk is busy or failing; try again later")
        return PortalError(f"{where} answered HTTP {status}: {detail}")


class Queues:
    """Queue ids, slugs and titles. The API names queues only in /api/user_tickets/ (tickets you submitted), read
    lazily, page by page, until the queue asked for turns up."""

    def __init__(self, api: Api, page_size: int) -> None:
        self.api = api
        self.page_size = page_size
        self.known: dict[int, Department] = {}
        self._rows: Iterator[dict[str, Any]] | None = None

    def _learn(self) -> bool:
        """Read one more submitted ticket; False when there are none left."""
        if self._rows is None:
            self._rows = self.api.pages("user_tickets/", {"page_size": self.page_size})
        for row in self._rows:
            queue = row.get("queue") or {}
            if "id" in queue and int(queue["id"]) not in self.known:
                slug = re.search(r"\[(.+)-\d+\]$", str(row.get("ticket") or ""))
                self.known[int(queue["id"])] = Department(id=int(queue["id"]), name=str(queue.get("title") or ""),
                                                          slug=slug[1] if slug else str(queue["id"]),
                                                          description=None)
                return True
        return False

    def slug(self, queue_id: int) -> str:
        """The queue's slug, or its number when no ticket of yours names it."""
        while queue_id not in self.known:
            if not self._learn():
                return str(queue_id)
        return self.known[queue_id].slug

    def resolve(self, name: str) -> int:
        """A queue number, slug or title as the queue's id."""
        text = str(name).strip()
        if text.isdigit():
            return int(text)
        wanted = text.casefold()
        while True:
            for queue in self.known.values():
                if wanted in (queue.slug.casefold(), queue.name.casefold()):
                    return queue.id
            if not self._learn():
                known = ", ".join(sorted(q.slug for q in self.known.values())) or "none yet"
                raise InvalidInput(
                    f"unknown queue {name!r} (queues named by your tickets: {known})",
                    hint=f"{PLATFORM}'s API lists no queues: pass the queue's number (Django admin > Queues)")

    def all(self) -> builtins.list[Department]:
        while self._learn():
            pass
        return sorted(self.known.values(), key=lambda q: q.name.casefold())


File = tuple[str, bytes]


def read_uploads(uploads: Sequence[Upload]) -> builtins.list[File]:
    """Every file's name and bytes, read before anything is sent: a bad file then fails the whole command, and a
    retried request (after a 429) sends the same bytes again."""
    files = []
    for upload in uploads:
        try:
            content = Path(upload.path).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read attachment {upload.path}: {exc.strerror}") from exc
        if not content:
            raise InvalidInput(f"{upload.filename} is empty", hint=f"{PLATFORM} silently drops empty files")
        files.append((upload.filename, content))
    return files


ATTACHMENT_HINT = (f"{PLATFORM} fails like this on a file type it refuses (HELPDESK_VALID_EXTENSIONS), after saving "
                   "the text: look at the ticket before repeating")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sort_value(ticket: Ticket, key: str) -> Any:
    """What `key` orders by, as the engine orders it (a missing due time first)."""
    if key == "priority":
        return PRIORITIES.index(ticket.priority)
    if key == "status":
        return STATES.index(ticket.status)
    if key == "due":
        return ticket.due_at or ""
    return {"updated": ticket.updated_at, "created": ticket.created_at, "id": ticket.id}[key]


class HelpdeskTickets:
    def __init__(self, api: Api, queues: Queues, profile: Profile, page_size: int) -> None:
        self.api = api
        self.queues = queues
        self.page_size = page_size
        self.default_queue = profile.options.get("queue")
        self.email = profile.user if profile.user and "@" in profile.user else None

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.api.json("GET", f"tickets/{int(ticket_id)}/", missing=f"ticket #{ticket_id}")
        return data

    def _ticket(self, data: dict[str, Any], *, full: bool, moment: str | None = None) -> Ticket:
        return hm.ticket(data, self.queues.slug(int(data["queue"])), moment or now(), full=full)

    def get(self, ticket_id: int) -> Ticket:
        return self._ticket(self._raw(ticket_id), full=True)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`. Only the state narrows on the server; the first page is read before this
        returns, so a bad filter or token fails before an export touches its file."""
        if query.types:
            raise Unsupported(f"{PLATFORM} tickets have no type", hint="leave out --type")
        if query.organization:
            raise Unsupported(f"{PLATFORM} has no organisations", hint="leave out --org")
        descending, key = query.sort.startswith("-"), query.sort.lstrip("-+")
        if key not in SORT_KEYS:
            raise InvalidInput(f"unknown sort key {key!r}",
                               hint=f"sort by: {', '.join(SORT_KEYS)} (prefix - for descending)")
        statuses = hm.StatusFilter(query.statuses)
        priorities = {hm.priority_name(hm.priority_code(p)) for p in query.priorities}
        queue_ids = {self.queues.resolve(d) for d in query.departments}
        words = hm.folded(query.search).split() if query.search is not None else []
        if query.search is not None and not words:
            raise InvalidInput("--search needs at least one word")
        if query.mine and not self.email:
            raise InvalidInput("--mine needs your e-mail on the help desk",
                               hint="set it with: portalctl auth login --backend django-helpdesk --user EMAIL ...")
        codes = statuses.server_codes()
        if not codes:
            return iter(())
        params: dict[str, Any] = {"page_size": self.page_size}
        if not statuses.everything():
            params["status"] = ",".join(str(c) for c in sorted(codes))
        moment = now()
        requester = (query.requester or "").strip().casefold()

        def keep(row: dict[str, Any], ticket: Ticket) -> bool:
            submitter = ticket.requester.casefold()
            return (statuses.matches(int(row["status"]), bool(row.get("on_hold")))
                    and (not priorities or ticket.priority in priorities)
                    and (not queue_ids or int(row["queue"]) in queue_ids)
                    and (not requester or submitter == requester)
                    and (not query.mine or submitter == (self.email or "").casefold())
                    and (not query.created_since or ticket.created_at >= query.created_since)
                    and (not query.created_until or ticket.created_at < query.created_until)
                    and (not query.updated_since or ticket.updated_at >= query.updated_since)
                    and (not query.overdue or ticket.overdue)
                    and (not words or all(w in text for text in [hm.search_text(row)] for w in words)))

        def matching(rows: Iterator[dict[str, Any]]) -> Iterator[Ticket]:
            for row in rows:
                ticket = self._ticket(row, full=False, moment=moment)
                if keep(row, ticket):
                    yield ticket

        found = matching(self.api.pages("tickets/", params))
        if key == "id" and not descending:  # the API's own order: streamed, in constant memory
            return itertools.islice(found, query.limit)
        # Any other order is made here, so every match is read first (tickets without their conversations).
        ordered = sorted(found, key=lambda t: (sort_value(t, key), t.id), reverse=descending)
        return iter(ordered[: query.limit] if query.limit is not None else ordered)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for followup in self._raw(ticket_id).get("followup_set") or []:
            for item in followup.get("followupattachment_set") or []:
                if int(item["id"]) == attachment_id:
                    found = hm.attachment(item, followup)
                    response = self.api.request("GET", str(item["file"]), stream=True,
                                                missing=f"the file of attachment {attachment_id}")
                    return found, cast(BinaryIO, io.BufferedReader(Download(response, found), CHUNK))
        raise NotFound(f"ticket #{ticket_id} has no attachment {attachment_id}",
                       hint=f"see 'portalctl tickets attachments {ticket_id}'")

    # -- writing -------------------------------------------------------------------------------------------------

    def _custom_fields(self, values: dict[str, str]) -> dict[str, str]:
        """Custom fields as the API's `custom_<name>` keys. DRF ignores keys it does not know, so an unknown name
        is refused here rather than dropped."""
        if not values:
            return {}
        known = {d.key for d in HelpdeskAccounts.read_field_defs(self.api)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(f"{PLATFORM} has no custom field {', '.join(map(repr, unknown))}",
                               hint=f"its custom fields: {', '.join(sorted(known)) or 'none'}")
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
                             error_hint=ATTACHMENT_HINT)
        else:
            self.api.request("POST", "followups/", json=data)

    def create(
        self,
        *,
        subject: str,
        body: str,
        priority: str | None = None,
        type: str | None = None,
        department: str | None = None,
        ccs: Sequence[str] = (),
        fields: dict[str, str] | None = None,
        tags: Sequence[str] = (),
        attachments: Sequence[Upload] = (),
        follow_up_of: int | None = None,
        requester: str | None = None,
        dedupe_key: str | None = None,
        on_duplicate: str = "reply",
    ) -> Ticket:
        if type:
            raise Unsupported(f"{PLATFORM} tickets have no type", hint="leave out --type")
        if ccs:
            raise Unsupported(NO_CC, hint="add CCs on the ticket's page in django-helpdesk")
        if tags:
            raise Unsupported(f"{PLATFORM} tickets have no tags", hint="leave out --tag")
        if dedupe_key:
            raise Unsupported(f"{PLATFORM} cannot find a ticket by a dedupe key", hint="leave out --dedupe-key")
        files = read_uploads(attachments)
        queue = department or self.default_queue
        if not queue:
            raise InvalidInput("no queue to open the ticket in",
                               hint="pass --department QUEUE (its number or slug), or set the profile's queue option")
        payload: dict[str, Any] = {"queue": self.queues.resolve(str(queue)), "title": subject, "description": body,
                                   "priority": hm.priority_code(priority or "medium"),
                                   **self._custom_fields(fields or {})}
        submitter = requester or self.email
        if submitter:
            payload["submitter_email"] = submitter
        if follow_up_of is not None:
            self._raw(follow_up_of)  # NotFound for a wrong number, before anything is made
            payload["description"] = f"{hm.follow_up_line(follow_up_of)}\n\n{body}"
        if files:  # the create call takes one file; any others go in a follow-up
            form = {k: str(v) for k, v in payload.items()}
            data = self.api.json("POST", "tickets/", data=form, files=[("attachment", files[0])],
                                 error_hint=ATTACHMENT_HINT)
        else:
            data = self.api.json("POST", "tickets/", json=payload)
        ticket_id = int(data["id"])
        if len(files) > 1:
            try:
                self._follow_up(ticket_id, files=files[1:])
            except PortalError as exc:
                hint = f"add them: portalctl tickets reply {ticket_id} --body ... --attach FILE"
                message = f"ticket #{ticket_id} was created, but its other attachments were not added: {exc.message}"
                raise builtins.type(exc)(message, hint=hint) from exc
            data = self._raw(ticket_id)
        created = self._ticket(data, full=True)
        created.created = True
        return created

    def _open_for_change(self, ticket_id: int, refusal: str) -> dict[str, Any]:
        """The ticket, unless it is closed: closed is final here as on the portal engine."""
        data = self._raw(ticket_id)
        if int(data["status"]) in hm.FINAL:
            raise StateConflict(f"ticket #{ticket_id} is closed; {refusal}", hint=follow_up_hint(ticket_id))
        return data

    def reply(
        self,
        ticket_id: int,
        *,
        body: str,
        internal: bool = False,
        status: str | None = None,
        attachments: Sequence[Upload] = (),
    ) -> Ticket:
        data = self._open_for_change(ticket_id, "it takes no more replies")
        code = hm.new_status(status, int(data["status"])) if status else None
        self._follow_up(ticket_id, comment=body, public=not internal, status=code, files=read_uploads(attachments))
        hold = hold_flag(status, data)
        if hold is not None:
            self.api.request("PATCH", f"tickets/{ticket_id}/", json={"on_hold": hold})
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        if int(data["status"]) in hm.FINAL:
            raise StateConflict(f"ticket #{ticket_id} is already closed", hint=follow_up_hint(ticket_id))
        self._follow_up(ticket_id, status=hm.CLOSED)
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        code = int(data["status"])
        if code in hm.FINAL:
            raise StateConflict(f"ticket #{ticket_id} is closed, and closed is final", hint=follow_up_hint(ticket_id))
        if code != hm.RESOLVED:
            status = hm.state(code, bool(data.get("on_hold")))[0]
            raise StateConflict(f"ticket #{ticket_id} is not resolved (it is {status}); nothing to reopen")
        self._follow_up(ticket_id, status=hm.REOPENED)
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        if changes.type:
            raise Unsupported(f"{PLATFORM} tickets have no type", hint="leave out --type")
        if changes.add_tags or changes.remove_tags:
            raise Unsupported(f"{PLATFORM} tickets have no tags", hint="leave out --tag and --untag")
        data = self._open_for_change(ticket_id, "it cannot change")
        patch: dict[str, Any] = self._custom_fields(changes.fields)
        if changes.subject is not None:
            patch["title"] = changes.subject
        if changes.priority is not None:
            patch["priority"] = hm.priority_code(changes.priority)
        if changes.department is not None:
            patch["queue"] = self.queues.resolve(changes.department)
        if changes.assignee is not None:
            patch["assigned_to"] = assignee_id(changes.assignee)
        hold = hold_flag(changes.status, data)
        if hold is not None:
            patch["on_hold"] = hold
        code = hm.new_status(changes.status, int(data["status"])) if changes.status else None
        if not patch and changes.status is None:
            raise InvalidInput("nothing to change", hint="pass at least one option; see 'tickets update --help'")
        if patch:
            self.api.request("PATCH", f"tickets/{ticket_id}/", json=patch)
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
                said.append(f"priority: {hm.priority_name(value)}")
            elif key == "assigned_to":
                said.append(f"assignee: {'nobody' if value is None else f'user {value}'}")
            elif key == "on_hold":
                said.append("on hold" if value else "no longer on hold")
            else:
                said.append(f"{key.removeprefix(hm.CUSTOM)}: {value}")
        return f"Changed with portalctl: {'; '.join(said)}" if said else ""

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        raise Unsupported(NO_CC, hint="manage CCs on the ticket's page in django-helpdesk")


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
        raise InvalidInput(f"{PLATFORM} takes the assignee's user number, not {value!r}",
                           hint="find it in the Django admin under Users; 'none' unassigns")
    return int(text)


class HelpdeskAccounts:
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

    @staticmethod
    def read_field_defs(api: Api) -> builtins.list[FieldDef]:
        """Custom fields from the API's OPTIONS description of a new ticket (`custom_<name>` entries)."""
        described = api.json("OPTIONS", "tickets/").get("actions", {}).get("POST", {})
        found = []
        for name, spec in described.items():
            if not name.startswith(hm.CUSTOM):
                continue
            kind = FIELD_KINDS.get(str(spec.get("type")), "text")
            found.append(FieldDef(
                key=name[len(hm.CUSTOM):], label=str(spec.get("label") or name), type=kind,
                required=bool(spec.get("required")), choices=[str(c["value"]) for c in spec.get("choices") or []],
                pattern=None, customer_editable=False, department=None, description=spec.get("help_text"),
            ))
        return found

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return self.read_field_defs(self.api)

    def update_me(self, **changes: str) -> User:
        raise Unsupported(f"{PLATFORM}'s API cannot change your profile",
                          hint="change it on the help desk's settings page")

    def users(self, *, role: str | None = None, organization: str | None = None,
              inactive: bool = False) -> builtins.list[User]:
        raise Unsupported(f"{PLATFORM}'s API cannot list users", hint="see them in the Django admin")

    def add_user(self, *, email: str, name: str, role: str = "customer",
                 organization: str | None = None) -> User:
        raise Unsupported(f"{PLATFORM}'s API cannot add a user without a password",
                          hint="add users in the Django admin")

    def set_active(self, email: str, active: bool) -> User:
        raise Unsupported(f"{PLATFORM}'s API cannot deactivate users", hint="untick 'Active' in the Django admin")

    def reset_password(self, email: str) -> str:
        raise Unsupported(f"{PLATFORM}'s API cannot reset passwords", hint="use the help desk's password reset page")

    def organizations(self) -> builtins.list[Organization]:
        raise Unsupported(f"{PLATFORM} has no organisations")

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        raise Unsupported(f"{PLATFORM} has no organisations")

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        raise Unsupported(f"{PLATFORM}'s API cannot add queues", hint="add them in the Django admin under Queues")

    def add_field(self, definition: FieldDef) -> FieldDef:
        raise Unsupported(f"{PLATFORM}'s API cannot add custom fields",
                          hint="add them in the Django admin under Custom fields")


class HelpdeskBackend:
    def __init__(self, profile: Profile, secret: str | None) -> None:
        try:
            page_size = int(profile.options.get("page_size") or PAGE_SIZE)
        except ValueError:
            raise InvalidInput(f"profile {profile.name!r}: page_size must be a number",
                               hint="fix it in the profile's options") from None
        self.api = Api(profile, secret)
        queues = Queues(self.api, page_size)
        self.tickets: TicketsAPI = HelpdeskTickets(self.api, queues, profile, page_size)
        self.articles: ArticlesAPI = NoKnowledgeBase(NO_KB, hint="read it in the browser at the help desk's /kb/ page")
        self.accounts: AccountsAPI = HelpdeskAccounts(self.api, queues, profile)


def open_backend(profile: Profile) -> HelpdeskBackend:
    from portalctl.secrets import SecretStore

    return HelpdeskBackend(profile, SecretStore().get(profile.name))
