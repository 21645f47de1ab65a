"""The WHMCS connector: support tickets through the WHMCS API (`POST <url>/includes/api.php`).

Profile: backend "whmcs", url the WHMCS address (where /includes/api.php lives), user the client's e-mail (tickets
are opened as that client), options {"department": id or name for new tickets, "accesskey": the install's API
access key where it uses one instead of an IP allow-list, "page_size": n, "attachment_max_mb": n,
"status.<WHMCS status>": canonical state}. The secret is the API credential as "IDENTIFIER:SECRET" (Configuration >
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
import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import requests

from portalctl.backends.base import (
    SORT_KEYS,
    AccountsAPI,
    ArticlesAPI,
    TicketChanges,
    TicketQuery,
    TicketsAPI,
    Upload,
)
from portalctl.backends.refusals import NoAccountAdmin, NoKnowledgeBase
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
from portalctl.http import new_session, origin, tuning
from portalctl.model import (
    PRIORITIES,
    STATES,
    Attachment,
    Comment,
    Department,
    FieldDef,
    Ticket,
    User,
    canonical_state,
)

PLATFORM = "WHMCS"
PAGE_SIZE = 100  # GetTickets' limitnum (default 25 when not sent)
ATTACHMENT_MAX_MB = 8.0  # the install's own limit applies too (PHP post_max_size, allowed file types)
NO_KB = f"{PLATFORM}'s API has no knowledge-base action"
CREDENTIAL_HINT = ("pass the API credential: echo IDENTIFIER:SECRET | portalctl auth login --backend whmcs --url URL "
                   "--user CLIENT_EMAIL --with-token (WHMCS admin: Manage API Credentials)")
AUTH_MESSAGES = ("authentication failed", "invalid ip", "invalid access key", "access denied")
DEFAULT_STATES = {"Open": "open", "Customer-Reply": "open", "In Progress": "open", "Answered": "pending",
                  "On Hold": "on_hold", "Closed": "closed"}
WRITE_LABELS = {"open": "Open", "pending": "Answered", "on_hold": "On Hold", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "High"}
KINDS = {"ticket": 1, "reply": 2, "note": 3}  # attachment ids: relatedid * 1000 + index * 10 + kind


def api_url(url: str | None) -> str:
    text = (url or "").strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(f"not a WHMCS URL: {url!r}", hint="pass --url with the WHMCS address, e.g. "
                           "https://billing.example.com")
    if text.endswith("/includes/api.php"):
        return text
    return text + "/includes/api.php"


def timestamp(value: Any) -> str:
    """A WHMCS time ("Y-m-d H:i:s", the install's clock, taken as UTC) as the portal writes times."""
    text = str(value or "").strip()
    if not text or text.startswith("0000"):
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def items(data: Any, outer: str, inner: str) -> builtins.list[dict[str, Any]]:
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
        raise InvalidInput(f"unknown priority {name!r}", hint=f"priorities: {', '.join(PRIORITIES)}")
    return label


class Api:
    """One WHMCS install: every action goes through `call`, which maps failures to portal errors."""

    def __init__(self, profile: Profile, secret: str | None) -> None:
        self.profile = profile
        self.url = api_url(profile.url)
        self.origin = origin(self.url)
        policy, timeout = tuning(profile)
        self.session = new_session(policy=policy, timeout=timeout)
        self._credential: tuple[str, str] | None = None
        if secret:
            if ":" not in secret:
                raise PermissionDenied(f"profile {profile.name!r}: the WHMCS secret must be IDENTIFIER:SECRET",
                                       hint=CREDENTIAL_HINT)
            identifier, key = secret.split(":", 1)
            self._credential = (identifier, key)
        self.accesskey = str(profile.options.get("accesskey") or "") or None

    def __repr__(self) -> str:
        return f"Api({self.url!r}, <credentials hidden>)"

    def call(self, action: str, *, missing: str | None = None, **params: Any) -> dict[str, Any]:
        """POST one action; `missing` names what a "not found" answer means (a ticket)."""
        if self._credential is None:
            raise PermissionDenied(f"profile {self.profile.name!r} has no API credential for {self.origin}",
                                   hint=CREDENTIAL_HINT)
        form = {k: v for k, v in params.items() if v is not None}
        form.update(identifier=self._credential[0], secret=self._credential[1], action=action, responsetype="json")
        if self.accesskey:
            form["accesskey"] = self.accesskey
        response = self.session.request("POST", self.url, data=form, headers={"Accept": "application/json"})
        try:
            data = self._decode(response, action)
        finally:
            response.close()
        if response.status_code >= 400 or data.get("result") != "success":
            raise self.error(response.status_code, response.reason, data, missing)
        return data

    def _decode(self, response: requests.Response, action: str) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        if response.status_code >= 400:
            return {}
        raise Unavailable(f"{self.origin} answered {action} with something other than JSON",
                          hint=f"is {self.profile.url} the WHMCS address (its API at /includes/api.php)?")

    def error(self, status: int, reason: str, data: dict[str, Any], missing: str | None) -> PortalError:
        message = " ".join(str(data.get("message") or f"HTTP {status} {reason}").split())
        where = f"{PLATFORM} at {self.origin}"
        lowered = message.lower()
        if status in (401, 403) or any(m in lowered for m in AUTH_MESSAGES):
            hint = CREDENTIAL_HINT
            if "ip" in lowered.split():
                hint = ("allow this machine's address (WHMCS: Setup > General Settings > Security > API IP Access "
                        "Restriction) or set the install's access key: --option accesskey=KEY")
            return PermissionDenied(f"{where} refused the request: {message}", hint=hint)
        if status == 429 or status >= 500:
            return Unavailable(f"{where} answered HTTP {status} {reason} (after retries)",
                               hint="WHMCS is busy or failing; try again later")
        if status == 404:
            return NotFound(f"{where} has no API at {self.url}",
                            hint=f"is {self.profile.url} the WHMCS address (its API at /includes/api.php)?")
        if "not found" in lowered and missing:
            return NotFound(f"{missing} not found on {self.origin}", hint="see 'portalctl tickets list'")
        if "not found" in lowered:
            return NotFound(f"{where}: {message}")
        return InvalidInput(f"{PLATFORM} refused the request: {message}")

    def pages(self, action: str, outer: str, inner: str, params: dict[str, Any],
              page_size: int) -> Iterator[dict[str, Any]]:
        """Every row across `limitstart`/`limitnum` pages; the first page is read now, so a refused credential fails
        before a caller writes anything."""
        first = self.call(action, limitstart=0, limitnum=page_size, **params)

        def walk(page: dict[str, Any]) -> Iterator[dict[str, Any]]:
            start = 0
            while True:
                rows = items(page, outer, inner)
                yield from rows
                start += len(rows)
                total = int(page.get("totalresults") or 0)
                if not rows or start >= total:
                    return
                page = self.call(action, limitstart=start, limitnum=page_size, **params)

        return walk(first)


class Statuses:
    """The install's ticket statuses and their canonical states (read once, overridable by profile options)."""

    def __init__(self, api: Api, profile: Profile) -> None:
        self.api = api
        self.overrides: dict[str, str] = {}
        for key, value in profile.options.items():
            if key.startswith("status."):
                state = canonical_state(str(value))
                if state is None:
                    raise InvalidInput(f"profile option {key}={value!r} names no state",
                                       hint=f"states: {', '.join(STATES)}")
                self.overrides[key[len("status."):].strip().casefold()] = state
        self._labels: builtins.list[str] | None = None

    def labels(self) -> builtins.list[str]:
        if self._labels is None:
            data = self.api.call("GetSupportStatuses")
            self._labels = [str(s.get("title")) for s in items(data, "statuses", "status") if s.get("title")]
        return self._labels

    def state(self, label: str) -> str:
        key = label.strip().casefold()
        if key in self.overrides:
            return self.overrides[key]
        for native, state in DEFAULT_STATES.items():
            if native.casefold() == key:
                return state
        return canonical_state(label) or "open"

    def labels_for(self, states: set[str]) -> builtins.list[str]:
        return [label for label in self.labels() if self.state(label) in states]

    def write_label(self, target: str) -> str:
        """The native status a change to `target` (canonical or native) writes."""
        for label in self.labels():
            if label.casefold() == target.strip().casefold():
                return label
        state = canonical_state(target)
        if state is None:
            raise InvalidInput(f"unknown status {target!r}",
                               hint=f"statuses: {', '.join(STATES)} or one of {', '.join(self.labels())}")
        preferred = WRITE_LABELS.get(state)
        if preferred and preferred in self.labels() and self.state(preferred) == state:
            return preferred
        for label in self.labels():
            if self.state(label) == state:
                return label
        raise Unsupported(f"{PLATFORM} has no status for {state!r} on this install",
                          hint=f"its statuses: {', '.join(self.labels())}")


class Departments:
    def __init__(self, api: Api) -> None:
        self.api = api
        self._all: builtins.list[Department] | None = None

    def all(self) -> builtins.list[Department]:
        if self._all is None:
            data = self.api.call("GetSupportDepartments", ignore_dept_assignments="true")
            self._all = [Department(id=int(d["id"]), name=str(d.get("name") or ""), slug=str(d["id"]),
                                    description=None) for d in items(data, "departments", "department")]
        return self._all

    def name(self, deptid: Any) -> str:
        """A department's name for a GetTickets row, which carries only its id."""
        if deptid in (None, ""):
            return ""
        for department in self.all():
            if str(department.id) == str(deptid):
                return department.name
        return str(deptid)

    def resolve(self, name: str) -> int:
        text = str(name).strip()
        wanted = text.casefold()
        for department in self.all():
            if wanted in (str(department.id), department.name.casefold()):
                return department.id
        known = ", ".join(f"{d.id} {d.name}" for d in self.all()) or "none"
        raise InvalidInput(f"unknown department {name!r}", hint=f"{PLATFORM} departments: {known}")


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
                raise InvalidInput(f"{upload.filename} is {size / 1048576:.1f} MB; {PLATFORM} takes up to "
                                   f"{max_mb:g} MB a file here",
                                   hint="raise the profile's attachment_max_mb option if your install allows more")
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read attachment {upload.path}: {exc.strerror}") from exc
        files.append({"name": upload.filename, "data": base64.b64encode(content).decode("ascii")})
    return base64.b64encode(json.dumps(files).encode()).decode("ascii")


def sort_value(ticket: Ticket, key: str) -> Any:
    if key == "priority":
        return PRIORITIES.index(ticket.priority)
    if key == "status":
        return STATES.index(ticket.status)
    if key == "due":
        return ticket.due_at or ""
    return {"updated": ticket.updated_at, "created": ticket.created_at, "id": ticket.id}[key]


class WhmcsTickets:
    def __init__(self, api: Api, statuses: Statuses, departments: Departments, profile: Profile,
                 page_size: int, max_mb: float) -> None:
        self.api = api
        self.statuses = statuses
        self.departments = departments
        self.page_size = page_size
        self.max_mb = max_mb
        self.default_department = profile.options.get("department")
        self.email = profile.user if profile.user and "@" in profile.user else None
        self._client_id: int | None = None

    def client_id(self) -> int:
        """The WHMCS client the profile acts as (GetClientsDetails by e-mail)."""
        if self._client_id is None:
            if not self.email:
                raise InvalidInput("the profile names no WHMCS client",
                                   hint="set your client e-mail: portalctl auth login --backend whmcs --user EMAIL ...")
            client = client_details(self.api.call("GetClientsDetails", email=self.email,
                                                  missing=f"client {self.email}"))
            self._client_id = int(client.get("id") or client.get("userid") or 0)
        return self._client_id

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> dict[str, Any]:
        return self.api.call("GetTicket", ticketid=int(ticket_id), repliessort="ASC",
                             missing=f"ticket #{ticket_id}")

    def _ticket(self, data: dict[str, Any], *, full: bool) -> Ticket:
        ticket_id = int(data.get("ticketid") or data.get("id") or 0)
        label = str(data.get("status") or "")
        state = self.statuses.state(label)
        created, updated = timestamp(data.get("date")), timestamp(data.get("lastreply")) or timestamp(data.get("date"))
        comments: builtins.list[Comment] | None = None
        if full:
            comments = [self._reply(ticket_id, r) for r in items(data, "replies", "reply")]
            comments += [self._note(n) for n in items(data, "notes", "note")]
            comments.sort(key=lambda c: (c.created_at, c.internal))
        requester = str(data.get("email") or data.get("requestor_email") or "")
        return Ticket(
            id=ticket_id, subject=str(data.get("subject") or ""), status=state, status_label=label,
            priority=priority_name(data.get("priority")), type=None,
            department=str(data.get("deptname") or self.departments.name(data.get("deptid"))) or None,
            requester=requester, requester_name=str(data.get("name") or data.get("requestor_name") or requester),
            organization=None, assignee=None,
            ccs=[c.strip() for c in str(data.get("cc") or "").split(",") if c.strip()], tags=[],
            fields={"number": str(data["tid"])} if data.get("tid") else {},
            created_at=created, updated_at=updated, due_at=None, overdue=False, resolved_at=None,
            closed_at=updated if state == "closed" else None, follow_up_of=None,
            comments=comments,
            attachments=[a for c in comments for a in c.attachments] if comments is not None else None,
        )

    @staticmethod
    def _attachments(data: dict[str, Any], kind: str, related: int, comment_id: int,
                     when: str) -> builtins.list[Attachment]:
        """`attachments` [{filename, index}] (WHMCS 7.5+), else the older `attachment` "name|name" string."""
        files = data.get("attachments")
        if not isinstance(files, list):
            files = [n.split("_", 1)[-1] for n in str(data.get("attachment") or "").split("|") if n]
        found = []
        for position, item in enumerate(files):
            index = int(item.get("index", position)) if isinstance(item, dict) else position
            name = str(item.get("filename") if isinstance(item, dict) else item)
            found.append(Attachment(id=related * 1000 + index * 10 + KINDS[kind], filename=name,
                                    content_type="application/octet-stream", size=0, sha256="",
                                    comment_id=comment_id, created_at=when))
        return found

    def _reply(self, ticket_id: int, data: dict[str, Any]) -> Comment:
        reply_id = int(data.get("replyid") or 0)  # 0: the ticket's opening message
        when = timestamp(data.get("date"))
        admin = str(data.get("admin") or "")
        author = str(data.get("email") or data.get("requestor_email") or admin)
        kind, related = ("ticket", ticket_id) if reply_id == 0 else ("reply", reply_id)
        return Comment(
            id=reply_id, author=author, author_name=admin or str(data.get("name") or author),
            author_role="agent" if admin else "customer", body=str(data.get("message") or ""), internal=False,
            created_at=when, attachments=self._attachments(data, kind, related, reply_id, when),
        )

    def _note(self, data: dict[str, Any]) -> Comment:
        note_id = int(data.get("noteid") or data.get("id") or 0)
        when = timestamp(data.get("date"))
        admin = str(data.get("admin") or "staff")
        return Comment(id=-note_id, author=admin, author_name=admin, author_role="agent",
                       body=str(data.get("message") or ""), internal=True, created_at=when,
                       attachments=self._attachments(data, "note", note_id, -note_id, when))

    def get(self, ticket_id: int) -> Ticket:
        return self._ticket(self._raw(ticket_id), full=True)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Tickets matching `query`. One department, one native status, the requester and (with --mine) the client
        narrow on the server; everything else is filtered here over the pages."""
        if query.types:
            raise Unsupported(f"{PLATFORM} tickets have no type", hint="leave out --type")
        if query.organization:
            raise Unsupported(f"{PLATFORM} has no organisations in its ticket API", hint="leave out --org")
        if query.overdue:
            raise Unsupported(f"{PLATFORM} tickets have no due time", hint="leave out --overdue")
        descending, key = query.sort.startswith("-"), query.sort.lstrip("-+")
        if key not in SORT_KEYS:
            raise InvalidInput(f"unknown sort key {key!r}",
                               hint=f"sort by: {', '.join(SORT_KEYS)} (prefix - for descending)")
        params: dict[str, Any] = {}
        wanted_states: set[str] | None = None
        wanted_labels: set[str] = set()
        if query.statuses is None:
            wanted_states = set(STATES) - {"closed"}
        elif not any(s.strip().lower() == "all" for s in query.statuses):
            wanted_states = set()
            natives = {label.casefold(): label for label in self.statuses.labels()}
            for name in query.statuses:
                if name.strip().casefold() in natives:
                    wanted_labels.add(natives[name.strip().casefold()])
                    continue
                state = canonical_state(name)
                if state is None:
                    raise InvalidInput(f"unknown status {name!r}",
                                       hint=f"statuses: {', '.join(STATES)}, all, or one of "
                                            f"{', '.join(self.statuses.labels())}")
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
        requester = (query.requester or "").strip().casefold()  # GetTickets' email matches non-clients only
        if query.mine:
            params["clientid"] = self.client_id()
        words = query.search.casefold().split() if query.search is not None else []
        if query.search is not None and not words:
            raise InvalidInput("--search needs at least one word")
        priorities = {p.lower() if p.lower() != "urgent" else "high" for p in query.priorities}
        check_status = wanted_states is not None or bool(wanted_labels)

        def keep(row: dict[str, Any], ticket: Ticket) -> bool:
            return ((not check_status or str(row.get("status") or "") in wanted_labels)
                    and (not dept_ids or int(row.get("deptid") or 0) in dept_ids)
                    and (not priorities or ticket.priority in priorities)
                    and (not requester or ticket.requester.casefold() == requester)
                    and (not query.created_since or ticket.created_at >= query.created_since)
                    and (not query.created_until or ticket.created_at < query.created_until)
                    and (not query.updated_since or ticket.updated_at >= query.updated_since)
                    and all(w in ticket.subject.casefold() for w in words))

        def matching(rows: Iterator[dict[str, Any]]) -> Iterator[Ticket]:
            for row in rows:
                ticket = self._ticket(row, full=False)
                if keep(row, ticket):
                    yield ticket

        found = matching(self.api.pages("GetTickets", "tickets", "ticket", params, self.page_size))
        if key == "updated" and descending:  # GetTickets' own order (last reply first): streamed
            return itertools.islice(found, query.limit)
        ordered = sorted(found, key=lambda t: (sort_value(t, key), t.id), reverse=descending)
        return iter(ordered[: query.limit] if query.limit is not None else ordered)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for found in self.attachments(ticket_id):
            if found.id == attachment_id:
                kind = {v: k for k, v in KINDS.items()}[attachment_id % 10]
                data = self.api.call("GetTicketAttachment", relatedid=attachment_id // 1000, type=kind,
                                     index=(attachment_id % 1000) // 10,
                                     missing=f"attachment {attachment_id} of ticket #{ticket_id}")
                content = base64.b64decode(str(data.get("data") or ""))
                found.size = len(content)
                return found, cast(BinaryIO, io.BytesIO(content))
        raise NotFound(f"ticket #{ticket_id} has no attachment {attachment_id}",
                       hint=f"see 'portalctl tickets attachments {ticket_id}'")

    # -- writing -------------------------------------------------------------------------------------------------

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
        if tags:
            raise Unsupported(f"{PLATFORM} tickets have no tags", hint="leave out --tag")
        if fields:
            raise Unsupported(f"{PLATFORM} custom fields are not supported by this connector",
                              hint="leave out --field; set them on the ticket in WHMCS")
        if dedupe_key:
            raise Unsupported(f"{PLATFORM} cannot find a ticket by a dedupe key", hint="leave out --dedupe-key")
        files = read_uploads(attachments, self.max_mb)
        chosen = department or self.default_department
        if not chosen:
            raise InvalidInput("no department to open the ticket in",
                               hint="pass --department NAME (or its id), or set the profile's department option")
        message = body
        if follow_up_of is not None:
            self._raw(follow_up_of)
            message = f"Follow-up of ticket #{follow_up_of}\n\n{body}"
        params: dict[str, Any] = {"deptid": self.departments.resolve(str(chosen)), "subject": subject,
                                  "message": message, "priority": priority_label(priority or "medium"),
                                  "markdown": "true", "attachments": files}
        if requester and (not self.email or requester.casefold() != self.email.casefold()):
            params.update(name=requester, email=requester)
        else:
            params["clientid"] = self.client_id()
        data = self.api.call("OpenTicket", **params)
        if ccs:  # OpenTicket takes no CCs; UpdateTicket does
            try:
                self.api.call("UpdateTicket", ticketid=int(data["id"]), cc=",".join(ccs))
            except PortalError as exc:
                raise builtins.type(exc)(f"ticket #{data['id']} was created, but its CCs were not set: {exc.message}",
                                         hint=f"add them: portalctl tickets cc {data['id']} --add EMAIL") from exc
        created = self.get(int(data["id"]))
        created.follow_up_of = follow_up_of
        created.created = True
        return created

    def reply(
        self,
        ticket_id: int,
        *,
        body: str,
        internal: bool = False,
        status: str | None = None,
        attachments: Sequence[Upload] = (),
    ) -> Ticket:
        label = self.statuses.write_label(status) if status else None
        files = read_uploads(attachments, self.max_mb)
        if internal:
            self._raw(ticket_id)
            self.api.call("AddTicketNote", ticketid=int(ticket_id), message=body, markdown="true",
                          attachments=files, missing=f"ticket #{ticket_id}")
            if label:
                self.api.call("UpdateTicket", ticketid=int(ticket_id), status=label, missing=f"ticket #{ticket_id}")
        else:
            self.api.call("AddTicketReply", ticketid=int(ticket_id), message=body, markdown="true",
                          clientid=self.client_id(), status=label, attachments=files,
                          missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id)
        if self.statuses.state(str(data.get("status") or "")) == "closed":
            raise StateConflict(f"ticket #{ticket_id} is already closed", hint=follow_up_hint(ticket_id))
        self.api.call("UpdateTicket", ticketid=int(ticket_id), status=self.statuses.write_label("closed"),
                      missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        """WHMCS lets a closed ticket be opened again (as a client reply does): set it back to Open."""
        data = self._raw(ticket_id)
        state = self.statuses.state(str(data.get("status") or ""))
        if state != "closed":
            raise StateConflict(f"ticket #{ticket_id} is not closed (it is {data.get('status')}); nothing to reopen")
        self.api.call("UpdateTicket", ticketid=int(ticket_id), status=self.statuses.write_label("open"),
                      missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        if changes.type:
            raise Unsupported(f"{PLATFORM} tickets have no type", hint="leave out --type")
        if changes.add_tags or changes.remove_tags:
            raise Unsupported(f"{PLATFORM} tickets have no tags", hint="leave out --tag and --untag")
        if changes.fields:
            raise Unsupported(f"{PLATFORM} custom fields are not supported by this connector",
                              hint="set them on the ticket in WHMCS")
        if changes.assignee is not None:
            raise Unsupported(f"{PLATFORM} assigns tickets by flagging them to an admin, which this connector "
                              "does not do", hint="flag the ticket in WHMCS")
        params: dict[str, Any] = {}
        if changes.subject is not None:
            params["subject"] = changes.subject
        if changes.priority is not None:
            params["priority"] = priority_label(changes.priority)
        if changes.department is not None:
            params["deptid"] = self.departments.resolve(changes.department)
        if changes.status is not None:
            params["status"] = self.statuses.write_label(changes.status)
        if not params:
            raise InvalidInput("nothing to change", hint="pass at least one option; see 'tickets update --help'")
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
    admin_hint = 'do it in the WHMCS admin area'

    def __init__(self, api: Api, departments: Departments, tickets: WhmcsTickets, profile: Profile) -> None:
        self.api = api
        self._departments = departments
        self.tickets = tickets
        self.profile = profile

    def me(self) -> User:
        """The client the profile acts as (checks the credential and the e-mail)."""
        if not self.tickets.email:
            raise InvalidInput("the profile names no WHMCS client",
                               hint="pass --user with the client's e-mail in WHMCS")
        client = client_details(self.api.call("GetClientsDetails", email=self.tickets.email,
                                              missing=f"client {self.tickets.email}"))
        name = " ".join(str(client.get(k) or "") for k in ("firstname", "lastname")).strip()
        return User(id=int(client.get("id") or client.get("userid") or 0), email=str(client.get("email") or ""),
                    name=name or str(client.get("email") or ""), role="customer",
                    organization=str(client.get("companyname") or "") or None, active=True, title=None,
                    phone=str(client.get("phonenumber") or "") or None, language=None, timezone=None,
                    created_at=timestamp(client.get("datecreated")))

    def departments(self) -> builtins.list[Department]:
        return list(self._departments.all())

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return []


def number_option(profile: Profile, key: str, default: float) -> float:
    raw = profile.options.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"profile {profile.name!r}: {key} must be a number",
                           hint="fix it in the profile's options") from None
    if value <= 0:
        raise InvalidInput(f"profile {profile.name!r}: {key} must be positive")
    return value


class WhmcsBackend:
    def __init__(self, profile: Profile, secret: str | None) -> None:
        page_size = int(number_option(profile, "page_size", PAGE_SIZE))
        max_mb = number_option(profile, "attachment_max_mb", ATTACHMENT_MAX_MB)
        self.api = Api(profile, secret)
        statuses = Statuses(self.api, profile)
        departments = Departments(self.api)
        tickets = WhmcsTickets(self.api, statuses, departments, profile, page_size, max_mb)
        self.tickets: TicketsAPI = tickets
        self.articles: ArticlesAPI = NoKnowledgeBase(NO_KB, hint='read it in the WHMCS client area at /knowledgebase')
        self.accounts: AccountsAPI = WhmcsAccounts(self.api, departments, tickets, profile)


def open_backend(profile: Profile) -> WhmcsBackend:
    from portalctl.secrets import SecretStore

    return WhmcsBackend(profile, SecretStore().get(profile.name))
