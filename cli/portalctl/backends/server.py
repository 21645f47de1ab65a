"""The server backend: a portalctl server (`portalctl serve`) reached over its HTTP API, v1.

It speaks the same model as the embedded backend and raises the same errors: the server sends engine failures as
problem+json with a stable `code`, and they come back here as the portalctl.errors class they started as, with the
server's detail and hint. Every POST carries an Idempotency-Key (one per logical call, kept across its retries), so
a create retried after a dropped connection never makes a second ticket. Listings are generators that follow
`next_cursor`; `limit=None` streams the NDJSON export instead, with no paging round trips. The HTTP under it is
the connectors' (portalctl.http: JsonApi, its session and retries, Download).
"""

from __future__ import annotations

import builtins
import codecs
import contextlib
import dataclasses
import io
import itertools
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, fields
from typing import IO, Any, BinaryIO, TypeVar
from urllib.parse import quote

import requests

from portalctl import errors
from portalctl.backends.connector import follow
from portalctl.config import Profile
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, Unavailable, no_attachment
from portalctl.http import RETRY_STATUSES, Download, JsonApi, retry_after, status_line
from portalctl.i18n import _, language
from portalctl.model import (
    Article,
    ArticleRefs,
    Attachment,
    Collection,
    Comment,
    Department,
    Event,
    EventPage,
    FieldDef,
    Folder,
    Notice,
    NotificationSettings,
    Organization,
    Record,
    SignupSettings,
    Ticket,
    User,
)

API_PREFIX = "/api/v1"
DEFAULT_ATTACHMENT_LIMIT = 95_000_000  # the portal's documented default, for a server that does not say its own
TICKET_PAGE_MAX = 500  # the API's largest page
ARTICLE_PAGE = 100
CHUNK = 1 << 16

R = TypeVar("R", bound=Record)
_FIELD_NAMES: dict[type[Record], frozenset[str]] = {}


def api_base(url: str) -> str:
    """The API root for what a user typed: `http://host:8000`, with or without `/api/v1` and a trailing slash."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(_("not a portal URL: {url!r}").format(
            url=url), hint=_("use http://HOST:PORT or https://HOST"))
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


def segment(value: object) -> str:
    """One path segment (an e-mail, an id) with anything that could change the path escaped."""
    return quote(str(value), safe="@")


def record(cls: type[R], data: dict[str, Any]) -> R:
    """A model record from JSON (a dict it may keep), ignoring fields a newer server may add.

    When the keys are exactly the record's fields, as they are from a server of the same version, the record is
    filled without calling __init__: a plain dataclass's __init__ only assigns them, and for a 100,000-ticket
    export that call is a third of the client's time (9 us of 26 kwargs against 1 us).
    """
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    if data.keys() == names:
        item = cls.__new__(cls)
        item.__dict__.update(data)
        return item
    return cls(**{key: value for key, value in data.items() if key in names})


def attachment(data: dict[str, Any]) -> Attachment:
    return record(Attachment, data)


def comment(data: dict[str, Any]) -> Comment:
    item = record(Comment, data)
    item.attachments = [attachment(a) for a in data.get("attachments") or []]
    return item


def ticket(data: dict[str, Any]) -> Ticket:
    item = record(Ticket, data)
    if item.comments is not None:
        item.comments = [comment(c) for c in data["comments"]]
    if item.attachments is not None:
        item.attachments = [attachment(a) for a in data["attachments"]]
    return item


def collection(data: dict[str, Any]) -> Collection:
    item = record(Collection, data)
    item.folders = [record(Folder, f) for f in data.get("folders") or []]
    return item


def error_class(code: object, status: int) -> type[PortalError]:
    """The portalctl.errors class for a problem's `code`, else for a bare status (a proxy's page): a busy or absent
    portal (429, 502-504) is Unavailable, 400 Bad Request is InvalidInput, any other status is the class answered
    with it, or PortalError.

    The engine's refinements (401 Unauthenticated, 413, 415, 429) are imported here, on the error path only, so the
    classes know every code the server sends; a command then gets the public class each refines.
    """
    from portalctl.engine import auth, uploads  # noqa: F401

    found = errors.by_code(code)
    if found is None:
        if status in RETRY_STATUSES:
            found = Unavailable
        else:
            found = errors.by_status(status) or (InvalidInput if status == 400 else PortalError)
    return errors.public(found)


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """A request body without its None values: the server's defaults then apply, as the engine's do."""
    return {key: value for key, value in values.items() if value is not None}


def label_list(labels: Sequence[str] | str) -> builtins.list[str]:
    """Labels as a list; "a, b" from a script means two labels, as the engine reads it."""
    return labels.split(",") if isinstance(labels, str) else builtins.list(labels)


def ticket_params(query: TicketQuery) -> builtins.list[tuple[str, str]]:
    """A TicketQuery as the query string GET /tickets and GET /export/tickets read (lists repeat their key)."""
    params: builtins.list[tuple[str, str]] = []
    for key, values in (("status", query.statuses or ()), ("priority", query.priorities),
                        ("type", query.types), ("department", query.departments),
                        ("assignee", query.assignees), ("tag", query.tags)):
        params.extend((key, str(value)) for value in values)
    for key, value in (("requester", query.requester), ("organization", query.organization),
                       ("created_since", query.created_since), ("created_until", query.created_until),
                       ("updated_since", query.updated_since), ("search", query.search)):
        if value:
            params.append((key, value))
    if query.overdue:
        params.append(("overdue", "true"))
    if query.mine:
        params.append(("mine", "true"))
    params.append(("sort", query.sort))
    return params


class Api(JsonApi):
    """A portalctl server's API v1: errors arrive as problem+json and leave as the class they started as, every
    POST carries an Idempotency-Key, and calls without a token go out (signing in is one)."""

    needs_credentials = False
    idempotency_keys = True

    def __init__(self, profile: Profile, url: str, token: str | None) -> None:
        super().__init__(profile, api_base(url), token=token)
        self.url = url.strip().rstrip("/")
        self._attachment_limit: int | None = None
        self.address_hint = _("is {url} a portalctl server ('portalctl serve')?").format(url=self.url)
        self.session.headers["Accept-Language"] = language()  # the server's errors come back in the user's

    def describe(self, response: requests.Response, data: Any) -> str:
        problem = data if isinstance(data, dict) else {}
        return str(problem.get("detail") or problem.get("title")
                   or _("the portal answered {status}").format(status=status_line(response)))

    def special(self, response: requests.Response, data: Any, detail: str, missing: str | None) -> PortalError:
        """Every failure is read here: the problem's code names the class, its hint stands, or one is given."""
        problem = data if isinstance(data, dict) else {}
        status = response.status_code
        hint = problem.get("hint")
        if hint is None:
            hint = self.hint(response, "code" in problem)
        if status in RETRY_STATUSES:
            detail = _("{detail} (HTTP {status}, after retries)").format(detail=detail, status=status)
        about = problem.get("about")  # what the error is about: the CLI words its own hint from it
        error = error_class(problem.get("code"), status)
        return error(detail, hint=hint, about=about if isinstance(about, str) else None)

    def hint(self, response: requests.Response, problem: bool) -> str | None:
        """What to do about a failure the server sent no hint for."""
        status = response.status_code
        if status == 401:
            return _("sign in again: portalctl auth login --url {url} (or set PORTALCTL_TOKEN)").format(url=self.url)
        if status == 429:
            wait = retry_after(response)
            return (_("the portal asks to wait {wait:.0f} s; try again then").format(wait=wait) if wait
                    else _("try again in a minute"))
        if status in RETRY_STATUSES:
            return _("the portal is busy or down; try again later")
        if status == 404 and not problem:
            return self.address_hint
        return None

    def items(self, path: str, params: Any = None) -> builtins.list[Any]:
        return list(self.json("GET", path, params=params)["items"])

    def pages(self, path: str, params: builtins.list[tuple[str, str]], limit: int | None,
              page_size: int) -> Iterator[Any]:
        """Items across pages, following `next_cursor`. The first page is fetched now, so a bad filter fails before
        anything is written."""
        size = [("limit", str(min(limit or page_size, page_size)))]
        first = self.json("GET", path, params=[*params, *size])
        found = follow(first, lambda page: page["items"], lambda page: page.get("next_cursor"),
                       lambda cursor: self.json("GET", path, params=[*params, *size, ("cursor", cursor)]))
        return found if limit is None else itertools.islice(found, limit)

    def attachment_limit(self) -> int:
        """The largest file the server accepts (GET /health says it; an older server that does not gets the
        documented default, 95 MB), asked once per command."""
        if self._attachment_limit is None:
            try:
                said = self.json("GET", "/health").get("max_attachment_bytes")
            except (PortalError, AttributeError):
                said = None
            self._attachment_limit = said if isinstance(said, int) and said > 0 else DEFAULT_ATTACHMENT_LIMIT
        return self._attachment_limit

    def check_sizes(self, files: Sequence[Upload]) -> None:
        """Refuse an over-limit file before any is sent (exit 2), rather than after uploading it."""
        if not files:
            return
        limit = self.attachment_limit()
        for upload in files:
            try:
                size = upload.path.stat().st_size if upload.path.is_file() else 0  # a pipe is measured as spooled
            except OSError:
                continue  # reading it fails with its own message
            if size > limit:
                raise too_large(upload.filename, limit)

    def upload(self, upload: Upload) -> str:
        """POST /uploads, streamed from disk; a pipe is spooled first, so a retry can send it again."""
        try:
            handle = upload.path.open("rb")
        except OSError as exc:
            raise InvalidInput(_("cannot read attachment {path}: {strerror}").format(
                path=upload.path, strerror=exc.strerror)) from exc
        with contextlib.ExitStack() as stack:
            source: IO[bytes] = stack.enter_context(handle)
            if not upload.path.is_file():
                spool = stack.enter_context(tempfile.TemporaryFile())
                limit = self.attachment_limit()
                while chunk := source.read(CHUNK):
                    spool.write(chunk)
                    if spool.tell() > limit:
                        raise too_large(upload.filename, limit)
                spool.seek(0)
                source = spool
            result = self.json("POST", "/uploads", params={"filename": upload.filename}, data=source,
                               headers={"Content-Type": "application/octet-stream"})
        return str(result["id"])


def too_large(filename: str, limit: int) -> InvalidInput:
    return InvalidInput(_("{filename} is larger than the portal's {limit:,}-byte ({value:.0f} MB) attachment "
                          "limit; nothing was sent").format(
                              filename=filename, limit=limit, value=limit / 1000000.0),
                                  hint=_("compress it or share a link instead"))


class ServerTickets:
    def __init__(self, api: Api) -> None:
        self.api = api

    def create(self, draft: TicketDraft) -> Ticket:
        self.api.check_sizes(draft.attachments)
        payload = given({
            "subject": draft.subject, "body": draft.body, "priority": draft.priority, "type": draft.type,
            "department": draft.department, "ccs": list(draft.ccs), "fields": dict(draft.fields),
            "tags": list(draft.tags), "uploads": [self.api.upload(u) for u in draft.attachments],
            "follow_up_of": draft.follow_up_of, "requester": draft.requester, "dedupe_key": draft.dedupe_key,
            "on_duplicate": draft.on_duplicate,
        })
        return ticket(self.api.json("POST", "/tickets", json=payload))

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        params = ticket_params(query)
        if query.limit is None:
            return self._export(params)
        return (ticket(item) for item in self.api.pages("/tickets", params, query.limit, TICKET_PAGE_MAX))

    def count(self, query: TicketQuery) -> int | None:
        """GET /tickets/count; None from a server older than it, which reads `count` as a ticket id (422). Asked after
        a listing with the same filters, so those are known to be good."""
        try:
            return int(self.api.json("GET", "/tickets/count", params=ticket_params(query))["total"])
        except (InvalidInput, NotFound):
            return None

    def _export(self, params: builtins.list[tuple[str, str]]) -> Iterator[Ticket]:
        """Every match in one streamed NDJSON answer (the request is sent now, so filters fail early)."""
        response = self.api.request("GET", "/export/tickets", params=params, stream=True)
        return self._lines(response)

    def _lines(self, response: requests.Response) -> Iterator[Ticket]:
        """Tickets from NDJSON as chunks arrive: each chunk is decoded once and its objects are read in place
        (JSONDecoder.raw_decode at an offset), 15-20% faster than splitting it into lines and parsing each."""
        decoder, text_of = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")()
        count, pending = 0, ""
        with response:
            try:
                for chunk in response.iter_content(CHUNK):
                    text = pending + text_of.decode(chunk)
                    end = text.rfind("\n") + 1
                    pending, at = text[end:], 0
                    while at < end:
                        if text[at].isspace():  # blank lines and stray whitespace between objects
                            at += 1
                            continue
                        item, at = decoder.raw_decode(text, at)
                        yield ticket(item)
                        count += 1
                        at = text.index("\n", at) + 1
                pending += text_of.decode(b"", final=True)
                if pending.strip():  # a last line without its newline
                    yield ticket(decoder.decode(pending))
            except requests.RequestException as exc:
                raise Unavailable(_("the ticket listing was cut off after {count} tickets").format(count=count),
                                  hint=_("run the command again")) from exc
            except ValueError as exc:
                raise Unavailable(_("the portal sent a ticket listing that is not NDJSON (after {count} tickets)")
                                  .format(count=count),
                                  hint=_("is {url} a portalctl server ('portalctl serve')?").format(
                                      url=self.api.url)) from exc

    def get(self, ticket_id: int) -> Ticket:
        return ticket(self.api.json("GET", f"/tickets/{segment(ticket_id)}"))

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        self.api.check_sizes(attachments)
        payload = given({"body": body, "internal": internal, "status": status,
                         "uploads": [self.api.upload(u) for u in attachments]})
        return ticket(self.api.json("POST", f"/tickets/{segment(ticket_id)}/replies", json=payload))

    def close(self, ticket_id: int) -> Ticket:
        return ticket(self.api.json("POST", f"/tickets/{segment(ticket_id)}/close"))

    def reopen(self, ticket_id: int) -> Ticket:
        return ticket(self.api.json("POST", f"/tickets/{segment(ticket_id)}/reopen"))

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        payload = {key: value for key, value in asdict(changes).items() if value not in (None, (), [], {})}
        return ticket(self.api.json("PATCH", f"/tickets/{segment(ticket_id)}", json=payload))

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        return ticket(self.api.json("POST", f"/tickets/{segment(ticket_id)}/ccs",
                                  json={"add": list(add), "remove": list(remove)}))

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return [attachment(a) for a in self.api.items(f"/tickets/{segment(ticket_id)}/attachments")]

    def events(self, after: int | None = None, query: TicketQuery | None = None, *, limit: int = 100,
               wait: float = 0) -> EventPage:
        """GET /events: a long poll of up to `wait` seconds (the read timeout allows for it)."""
        params = [(k, v) for k, v in ticket_params(query or TicketQuery()) if k != "sort"]
        params += [("limit", str(limit)), ("wait", str(wait))] + ([("after", str(after))] if after is not None else [])
        timeout = (self.api.session.connect_timeout, self.api.session.policy.timeout + wait)
        data = self.api.json("GET", "/events", params=params, timeout=timeout)
        return EventPage(items=[record(Event, e) for e in data["items"]], cursor=int(data["cursor"]))

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for found in self.attachments(ticket_id):
            if found.id == attachment_id:
                break
        else:
            raise no_attachment(ticket_id, attachment_id)
        response = self.api.request(
            "GET", f"/tickets/{segment(ticket_id)}/attachments/{segment(attachment_id)}", stream=True
        )
        return found, io.BufferedReader(Download(response, found), CHUNK)


class ServerArticles:
    def __init__(self, api: Api) -> None:
        self.api = api

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
               limit: int = 10) -> builtins.list[Article]:
        params = {"q": query, "collection": collection, "folder": folder, "locale": locale, "limit": limit}
        return [record(Article, a) for a in self.api.items("/articles/search", params)]

    def get(self, article_id: int) -> Article:
        return record(Article, self.api.json("GET", f"/articles/{segment(article_id)}"))

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        params = [(key, value) for key, value in (("collection", collection), ("folder", folder),
                                                  ("locale", locale)) if value]
        return (record(Article, a) for a in self.api.pages("/articles", params, limit, ARTICLE_PAGE))

    def collections(self) -> builtins.list[Collection]:
        return [collection(c) for c in self.api.items("/collections")]

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        return record(Article, self.api.json("POST", f"/articles/{segment(article_id)}/votes",
                                           json={"helpful": helpful}))

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        payload = given({"collection": collection, "folder": folder, "title": title, "body": body,
                         "locale": locale, "labels": label_list(labels), "slug": slug})
        return record(Article, self.api.json("POST", "/articles", json=payload))

    def related(self, article_id: int) -> ArticleRefs:
        data = self.api.json("GET", f"/articles/{segment(article_id)}/related")
        return ArticleRefs(folder=[record(Article, a) for a in data["folder"]],
                           related=[record(Article, a) for a in data["related"]])

    def edit(self, article_id: int, **changes: Any) -> Article:
        payload = given(changes)
        if "labels" in payload:
            payload["labels"] = label_list(payload["labels"])
        return record(Article, self.api.json("PATCH", f"/articles/{segment(article_id)}", json=payload))


class ServerAccounts:
    def __init__(self, api: Api) -> None:
        self.api = api

    def notices(self, *, unseen: bool = False) -> builtins.list[Notice]:
        return [record(Notice, n) for n in self.api.items("/notices", {"unseen": "true" if unseen else None})]

    def all_notices(self) -> builtins.list[Notice]:
        return [record(Notice, n) for n in self.api.items("/admin/notices")]

    def add_notice(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
                   organization: str | None = None, countries: Sequence[str] = ()) -> Notice:
        payload = given({"title": title, "body": body, "severity": severity, "starts": starts, "ends": ends,
                         "organization": organization, "countries": list(countries) or None})
        return record(Notice, self.api.json("POST", "/admin/notices", json=payload))

    def end_notice(self, notice_id: int) -> Notice:
        return record(Notice, self.api.json("POST", f"/admin/notices/{segment(notice_id)}/end"))

    def mark_notices_seen(self, notice_ids: Sequence[int]) -> None:
        self.api.request("POST", "/notices/seen", json={"ids": list(notice_ids)}, idempotent=True).close()

    def notification_settings(self) -> NotificationSettings:
        return record(NotificationSettings, self.api.json("GET", "/me/notifications"))

    def set_notifications(self, *, on: Sequence[str] = (), off: Sequence[str] = ()) -> NotificationSettings:
        return record(NotificationSettings,
                      self.api.json("PATCH", "/me/notifications", json={"on": list(on), "off": list(off)}))

    def me(self) -> User:
        return record(User, self.api.json("GET", "/me"))

    def update_me(self, **changes: str) -> User:
        return record(User, self.api.json("PATCH", "/me", json=changes))

    def users(
        self, *, role: str | None = None, organization: str | None = None, inactive: bool = False
    ) -> builtins.list[User]:
        params = {"role": role, "organization": organization, "inactive": "true" if inactive else None}
        return [record(User, u) for u in self.api.items("/users", params)]

    def add_user(
        self, *, email: str, name: str, role: str = "customer", organization: str | None = None,
        manager: bool = False, country: str | None = None,
    ) -> User:
        body = given({"email": email, "name": name, "role": role, "organization": organization,
                      "manager": manager or None, "country": country})
        return record(User, self.api.json("POST", "/users", json=body))

    def update_user(self, email: str, *, manager: bool | None = None, country: str | None = None) -> User:
        body = given({"manager": manager, "country": country})
        return record(User, self.api.json("PATCH", f"/users/{segment(email)}", json=body))

    def update_organization(self, name: str, *, country: str | None = None, add_domains: Sequence[str] = (),
                            remove_domains: Sequence[str] = ()) -> Organization:
        body = given({"country": country, "add_domains": list(add_domains), "remove_domains": list(remove_domains)})
        return record(Organization, self.api.json("PATCH", f"/organizations/{segment(name)}", json=body))

    def set_photo(self, upload: Upload) -> User:
        """Uploaded as an attachment is (POST /uploads: streamed, checked on arrival), then made the photo."""
        return record(User, self.api.json("POST", "/me/photo", json={"upload": self.api.upload(upload)}))

    def photo(self, email: str) -> tuple[str, str, BinaryIO]:
        response = self.api.request("GET", f"/users/{segment(email)}/photo")
        sha = response.headers.get("ETag", "").strip('"')
        return response.headers.get("Content-Type", "application/octet-stream"), sha, io.BytesIO(response.content)

    def signup_settings(self) -> SignupSettings:
        return record(SignupSettings, self.api.json("GET", "/admin/signup"))

    def set_signup(self, *, policy: str | None = None, terms: str | None = None,
                   terms_version: str | None = None) -> SignupSettings:
        body = given({"policy": policy, "terms": terms, "terms_version": terms_version})
        return record(SignupSettings, self.api.json("POST", "/admin/signup", json=body))

    def set_active(self, email: str, active: bool) -> User:
        action = "reactivate" if active else "deactivate"
        return record(User, self.api.json("POST", f"/users/{segment(email)}/{action}"))

    def reset_password(self, email: str) -> str:
        return str(self.api.json("POST", f"/users/{segment(email)}/temporary-password")["password"])

    def organizations(self) -> builtins.list[Organization]:
        return [record(Organization, o) for o in self.api.items("/organizations")]

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        return record(Organization, self.api.json("POST", "/organizations", json=given({"name": name, **options})))

    def departments(self) -> builtins.list[Department]:
        return [record(Department, d) for d in self.api.items("/departments")]

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        body = given({"name": name, "description": description})
        return record(Department, self.api.json("POST", "/departments", json=body))

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return [record(FieldDef, f) for f in self.api.items("/fields", {"department": department})]

    def add_field(self, definition: FieldDef) -> FieldDef:
        return record(FieldDef, self.api.json("POST", "/fields", json=definition.to_dict()))


class ServerContacts:
    """The organisation's contacts, for its contact manager."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def list(self, *, inactive: bool = False) -> builtins.list[User]:
        return [record(User, u) for u in self.api.items("/contacts", {"inactive": "true" if inactive else None})]

    def add(self, *, email: str, name: str) -> User:
        return record(User, self.api.json("POST", "/contacts", json={"email": email, "name": name}))

    def deactivate(self, email: str) -> User:
        return record(User, self.api.json("POST", f"/contacts/{segment(email)}/deactivate"))

    def temporary_password(self, email: str) -> str:
        return str(self.api.json("POST", f"/contacts/{segment(email)}/temporary-password")["password"])

    def send_reset_link(self, email: str) -> None:
        self.api.json("POST", f"/contacts/{segment(email)}/reset-link")


class ServerTokens:
    """The signed-in user's API tokens (a server-only namespace: the embedded portal has no tokens)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def list(self) -> builtins.list[dict[str, Any]]:
        return self.api.items("/auth/tokens")

    def create(self, *, name: str, expires_days: int) -> dict[str, Any]:
        result: dict[str, Any] = self.api.json("POST", "/auth/tokens",
                                             json={"name": name, "expires_days": expires_days})
        return result

    def revoke(self, token_id: str) -> None:
        self.api.request("DELETE", f"/auth/tokens/{segment(token_id)}", idempotent=True).close()


class ServerBackend:
    """The namespaces of the Backend protocol, plus `tokens`, over one Api."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.tickets = ServerTickets(api)
        self.articles = ServerArticles(api)
        self.accounts = ServerAccounts(api)
        self.contacts = ServerContacts(api)
        self.tokens = ServerTokens(api)

def connect(profile: Profile, token: str | None) -> ServerBackend:
    """A backend for `profile` acting with `token` (None: only the unauthenticated calls will work)."""
    if not profile.url:
        raise InvalidInput(_("profile {name!r} has no portal URL").format(name=profile.name),
                           hint=_("run 'portalctl auth login --url URL' for it"))
    return ServerBackend(Api(profile, profile.url, token))


def open_backend(profile: Profile) -> ServerBackend:
    """The backend for a saved profile: its token from PORTALCTL_TOKEN, else the keyring or credentials file."""
    from portalctl.secrets import SecretStore

    token = SecretStore().get(profile.name)
    if not token:
        raise PermissionDenied(
            _("not signed in to {url} (profile {name!r})").format(url=profile.url, name=profile.name),
            hint=_("run 'portalctl auth login --name {name} --url {url}' or set PORTALCTL_TOKEN").format(
                name=profile.name, url=profile.url),
        )
    return connect(profile, token)


def login(backend: ServerBackend, *, email: str, password: str, token_name: str,
          new_password: str | None = None) -> dict[str, Any]:
    """POST /auth/login: a new token for these credentials, with its id, expiry and user. `new_password` replaces
    a temporary password in the same call (the answer's `must_change_password` says when one is due).

    A throttled sign-in is not slept on: a person is waiting, so the error says how long to wait instead.
    """
    session = backend.api.session
    session.policy = dataclasses.replace(session.policy, retry_after_max=0.0)
    body = given({"email": email, "password": password, "token_name": token_name, "new_password": new_password})
    result: dict[str, Any] = backend.api.json("POST", "/auth/login", json=body)
    return result


def signup_settings(backend: ServerBackend) -> SignupSettings:
    """GET /auth/signup: the policy and the terms a registration accepts (no sign-in needed)."""
    return record(SignupSettings, backend.api.json("GET", "/auth/signup"))


def register(backend: ServerBackend, *, email: str, password: str, terms_version: str, name: str | None) -> None:
    """POST /auth/register: the same answer whether or not the address has an account; a throttled registration
    is not slept on (a person is waiting), so the error says how long to wait."""
    session = backend.api.session
    session.policy = dataclasses.replace(session.policy, retry_after_max=0.0)
    body = given({"email": email, "password": password, "accept_terms": terms_version, "name": name})
    backend.api.json("POST", "/auth/register", json=body)


def verify(backend: ServerBackend, token: str) -> dict[str, Any]:
    """POST /auth/verify: the account of a registration is made; its e-mail and organisation."""
    result: dict[str, Any] = backend.api.json("POST", "/auth/verify", json={"token": token})
    return result
