"""A portalctl server's HTTP API v1 as calls: the base URL, path segments, request bodies, and failures read back.

It exists so that every namespace of the server backend (tickets, articles, accounts) sends and reads the same way:
the server sends engine failures as problem+json with a stable `code`, and they come back here as the
portalctl.errors class they started as, with the server's detail and hint; every POST carries an Idempotency-Key
(one per logical call, kept across its retries), so a create retried after a dropped connection never makes a
second ticket; listings follow `next_cursor`; files are refused over the server's limit before any is sent. The
HTTP under it is the connectors' (portalctl.http: JsonApi, its session and retries).
"""

from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any
from urllib.parse import quote

import requests

from portalctl import errors
from portalctl.backends.connector import follow
from portalctl.config import Profile
from portalctl.contract import Upload
from portalctl.errors import InvalidInput, PortalError, Unavailable
from portalctl.http import RETRY_STATUSES, JsonApi, retry_after, status_line
from portalctl.i18n import _, language

API_PREFIX = "/api/v1"
DEFAULT_ATTACHMENT_LIMIT = 95_000_000  # the portal's documented default, for a server that does not say its own
CHUNK = 1 << 16


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

    def items(self, path: str, params: Any = None) -> list[Any]:
        return list(self.json("GET", path, params=params)["items"])

    def pages(self, path: str, params: list[tuple[str, str]], limit: int | None,
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
