"""The one HTTP session every networked backend uses: pooled, timed out, retried with care, never leaking secrets.

Retries (bounded exponential backoff with jitter, or exactly what `Retry-After` asks) happen only where repeating
the request cannot do the work twice: safe methods (GET, HEAD, OPTIONS), a request its caller declares idempotent
(a PUT that sets fields; not Zendesk's PUT that adds a comment, whatever HTTP says of PUT), a POST that carries an
`Idempotency-Key` (the server replays its first answer), and a 429 of any method (the server refused it before
doing anything). TLS certificates are always verified. The `portalctl.http` logger traces method, URL and status,
never headers or bodies.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from portalctl import __version__
from portalctl.config import Profile, RetryPolicy
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, Unavailable
from portalctl.i18n import N_, _, ngettext, translated
from portalctl.model import Attachment
from portalctl.ratelimit import Pacer

log = logging.getLogger("portalctl.http")

USER_AGENT = f"portalctl/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
UNSURE_HINT = N_("the change may or may not have been made: look before repeating it")


def retry_after(response: requests.Response) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class BearerAuth(requests.auth.AuthBase):
    """The token as an auth object: requests then never swaps in ~/.netrc, and repr() never shows it. A subclass
    names another scheme (django-helpdesk's DRF says `Token`)."""

    scheme = "Bearer"

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self.scheme} {self._token}"
        return request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<hidden>)"


def reason(exc: requests.RequestException) -> str:
    """A few words on why a request failed, for people rather than for a traceback."""
    if isinstance(exc, requests.exceptions.SSLError):
        return _("the TLS certificate could not be verified")
    if isinstance(exc, requests.ConnectTimeout):
        return _("timed out connecting")
    if isinstance(exc, requests.ReadTimeout):
        return _("timed out waiting for an answer")
    text = str(exc)
    if "refused" in text.lower():
        return _("connection refused")
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return _("unknown host name")
    return _("the connection failed or was dropped")


def origin(url: str) -> str:
    """scheme://host:port of a URL: what error messages name (paths and queries add nothing there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def status_line(response: requests.Response) -> str:
    """"HTTP 503 Service Unavailable": what an error says when the portal sent no words of its own."""
    return f"HTTP {response.status_code} {response.reason}"


def repeatable(method: str, headers: Mapping[str, str], idempotent: bool) -> bool:
    """Whether sending a request again cannot do its work twice: a safe method, one its caller declares idempotent
    (setting fields to values, deleting a thing), or a POST the server deduplicates by its Idempotency-Key."""
    return method.upper() in SAFE_METHODS or idempotent or IDEMPOTENCY_HEADER in headers


class PortalSession(requests.Session):
    """A requests session whose every call gets a timeout and the retry policy (zenpy's one-method rule)."""

    def __init__(self, *, token: str | None, policy: RetryPolicy, connect_timeout: float = 5.0) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        self.auth = BearerAuth(token) if token else None
        self.verify = True
        self.connect_timeout = connect_timeout
        self.policy = policy
        self.pacer = Pacer()  # slows down before the portal's rate limit, from its rate-limit headers
        self.asked_pause: float | None = None  # Retry-After on the last answer, even a 200: for pollers
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, idempotent: bool = False,
                **kwargs: Any) -> requests.Response:
        """Send, retrying what is safe to retry (`idempotent`: the caller knows repeating this one does no harm).
        Connection failures that outlast the retries raise Unavailable; an HTTP error status is returned for the
        caller to interpret."""
        verb = method.decode() if isinstance(method, bytes) else method
        verb = verb.upper()
        target = url.decode() if isinstance(url, bytes) else url
        kwargs.setdefault("timeout", (self.connect_timeout, self.policy.timeout))
        again = repeatable(verb, kwargs.get("headers") or {}, idempotent)
        body: Any = kwargs.get("data")
        rewind = body.tell() if hasattr(body, "seek") and hasattr(body, "tell") else None
        attempt = 0
        while True:
            if rewind is not None:
                body.seek(rewind)  # a retried upload sends the whole file again
            try:
                self.pacer.wait()
                response = super().request(verb, target, *args, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise Unavailable(
                    _("cannot reach {origin}: {reason}").format(origin=origin(target), reason=reason(exc)),
                    hint=_("portalctl always verifies TLS; point REQUESTS_CA_BUNDLE at your organisation's CA file"),
                ) from exc
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or "refused" in str(exc).lower()
                log.debug("%s %s -> %s", verb, target, type(exc).__name__)
                if (again or never_sent) and attempt < self.policy.retries:
                    self._pause(attempt, None)
                    attempt += 1
                    continue
                hint = _("check the URL and that the portal is running, then try again")
                if not again and not never_sent:
                    hint = _(UNSURE_HINT)
                raise Unavailable(ngettext("cannot reach {origin}: {reason} ({count} attempt)",
                                           "cannot reach {origin}: {reason} ({count} attempts)", attempt + 1).format(
                    origin=origin(target), reason=reason(exc), count=attempt + 1),
                                  hint=hint) from exc
            log.debug("%s %s -> %s", verb, target, response.status_code)
            self.pacer.observe(response.headers)
            self.asked_pause = retry_after(response)
            status = response.status_code
            if status in RETRY_STATUSES and (again or status == 429) and attempt < self.policy.retries:
                wait = retry_after(response)
                if wait is None or wait <= self.policy.retry_after_max:
                    response.close()
                    self._pause(attempt, wait)
                    attempt += 1
                    continue
            return response

    def _pause(self, attempt: int, wait: float | None) -> None:
        seconds = self.policy.delay(attempt, wait)
        log.debug("retry %d/%d in %.1f s", attempt + 1, self.policy.retries, seconds)
        time.sleep(seconds)


def new_session(*, policy: RetryPolicy, token: str | None = None) -> PortalSession:
    """The session a backend keeps for its life: one connection pool, one policy, the token (if any) attached."""
    return PortalSession(token=token, policy=policy)


class NoAuth(requests.auth.AuthBase):
    """For a file a help desk serves from another host (a CDN, signed storage): its credentials stay home."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class Download(io.RawIOBase):
    """An attachment's bytes as they arrive. A short file (a dropped connection) or, where the portal stored one, a
    sha256 that does not match is an error at the end, not a quiet save."""

    def __init__(self, response: requests.Response, expected: Attachment) -> None:
        self.response = response
        self.raw: urllib3.HTTPResponse = response.raw
        self.raw.decode_content = True
        self.expected = expected
        self.count = 0
        self.digest = hashlib.sha256() if expected.sha256 else None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            count = int(self.raw.readinto(buffer))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise Unavailable(_("the download of {filename} was cut off").format(filename=self.expected.filename),
                              hint=_("run the command again")) from exc
        self.count += count
        if count and self.digest is not None:
            self.digest.update(memoryview(buffer)[:count])
        if not count:
            self.check()
        return count

    def check(self) -> None:
        name, size = self.expected.filename, self.expected.size
        if size and self.count != size:
            raise PortalError(_("{name} arrived with {count} of {size} bytes").format(
                name=name, count=self.count, size=size), hint=_("run the command again"))
        if self.digest is not None and self.digest.hexdigest() != self.expected.sha256:
            raise PortalError(_("{name} arrived damaged (its sha256 does not match the portal's)").format(name=name),
                              hint=_("run the command again"))

    def close(self) -> None:
        self.response.close()
        super().close()


class JsonApi:
    """A help desk's JSON API over one session, the base of the connectors' `Api` classes.

    Every call goes through `request`: it refuses to run without credentials, keeps them from other hosts (file
    links on a CDN), asks for JSON, and turns an HTTP failure into a portal error through `error`, whose wording a
    subclass fills in (its name, its hints, how it writes errors) so every connector fails alike.
    """

    platform = ""  # the help desk's name in messages
    token_hint = ""  # how to sign in, for the refusal when the profile has no credentials (and for a 401)
    address_hint = ""  # what to check when an answer is not JSON (usually the profile's URL)
    path_hint = ""  # what to check on a 404 for an API path (not a record); address_hint when empty
    credential = "credentials"  # what a 401 says was refused: "the API key", "the token"
    forbidden_hint = ""  # what a 403 usually means on this platform
    busy_hint = ""  # what to do about a 429 or 5xx that outlasted the retries
    invalid_statuses = frozenset({400, 422})  # how the platform refuses a request it finds invalid
    untyped_json_errors = False  # True: an error body is read as JSON whatever its Content-Type says
    needs_credentials = True  # False: calls go out without them too (a portalctl server's sign-in)
    idempotency_keys = False  # True: the API replays a POST's answer by its Idempotency-Key, so each POST has one

    def __init__(self, profile: Profile, root: str, *, token: str | None = None) -> None:
        self.profile = profile
        self.root = root
        self.origin = origin(root)
        self.session = new_session(token=token, policy=profile.retry)

    @property
    def where(self) -> str:
        return f"{self.platform} at {self.origin}"

    def not_signed_in(self) -> PortalError:
        return PermissionDenied(_("profile {name!r} has no token for {origin}").format(
            name=self.profile.name, origin=self.origin), hint=translated(self.token_hint))

    def describe(self, response: requests.Response, data: Any) -> str:
        """The platform's own words for a failure, from its JSON error body `data` (None when there is none)."""
        return status_line(response)

    def special(self, response: requests.Response, data: Any, detail: str, missing: str | None) -> PortalError | None:
        """A platform's own reading of a status, ahead of the common one (None: read it the common way)."""
        return None

    def after_retries(self, response: requests.Response) -> str:
        """How a 429 or 5xx message ends: that the retries ran out, and any rate-limit figures the platform sent."""
        return " " + _("(after retries)")

    def error(self, response: requests.Response, missing: str | None, error_hint: str | None,
              unsure: bool = False) -> PortalError:
        """The portal error for a failed answer; `missing` names what a 404 means, `error_hint` what a 5xx does,
        `unsure` that the request was not repeated because it may have done its work already."""
        status = response.status_code
        data: Any = None
        if self.untyped_json_errors or "json" in response.headers.get("Content-Type", ""):
            try:
                data = response.json()
            except ValueError:
                data = None
        detail = self.describe(response, data)
        own = self.special(response, data, detail, missing)
        if own is not None:
            return own
        if status in self.invalid_statuses:
            return InvalidInput(_("{platform} refused the request: {detail}").format(
                platform=self.platform, detail=detail))
        if status == 401:
            return PermissionDenied(_("{where} refused the {credential}: {detail}").format(
                where=self.where, credential=self.credential, detail=detail), hint=translated(self.token_hint))
        if status == 403:
            return PermissionDenied(_("{where} refused access: {detail}").format(
                where=self.where, detail=detail), hint=translated(self.forbidden_hint))
        if status == 404:
            if missing:
                return NotFound(_("{missing} not found on {origin}").format(
                    missing=missing, origin=self.origin), hint=_("see 'portalctl tickets list'"))
            return NotFound(_("{where} has no {path}").format(where=self.where, path=urlsplit(response.url).path),
                            hint=self.path_hint or self.address_hint)
        if status == 429 or status >= 500:
            hint = error_hint or translated(UNSURE_HINT if unsure and status != 429 else self.busy_hint)
            return Unavailable(_("{where} answered {status_line}{after_retries}").format(
                where=self.where, status_line=status_line(response), after_retries=self.after_retries(response)),
                               hint=hint)
        return PortalError(_("{where} answered HTTP {status}: {detail}").format(
            where=self.where, status=status, detail=detail))

    def on_origin(self, link: str) -> str:
        """A link the API sent, moved back onto our origin when a proxy rewrote its host (keeping path and query):
        credentials go only to the origin the profile names."""
        if origin(link) == self.origin:
            return link
        parts, base = urlsplit(link), urlsplit(self.root)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def request(self, method: str, path: str, *, missing: str | None = None, error_hint: str | None = None,
                idempotent: bool = False, **options: Any) -> requests.Response:
        """`path` under the API root, or a link the API sent. `idempotent`: sending it twice does no more than
        sending it once (it sets fields to values, deletes a thing), so it may be retried like a GET."""
        if self.session.auth is None and self.needs_credentials:
            raise self.not_signed_in()
        url = path if path.startswith(("http://", "https://")) else self.root + path
        if origin(url) != self.origin:
            options["auth"] = NoAuth()
        headers = {"Accept": "application/json", **options.pop("headers", {})}
        if self.idempotency_keys and method == "POST":
            headers[IDEMPOTENCY_HEADER] = str(uuid.uuid4())  # one per logical call, resent by every retry
        response = self.session.request(method, url, headers=headers, idempotent=idempotent, **options)
        if response.status_code >= 400:
            try:
                raise self.error(response, missing, error_hint, unsure=not repeatable(method, headers, idempotent))
            finally:
                response.close()
        return response

    def json(self, method: str, path: str, **options: Any) -> Any:
        response = self.request(method, path, **options)
        try:
            return response.json()
        except ValueError as exc:
            raise Unavailable(_("{origin} answered {method} {path} with something other "
                                "than JSON").format(
                                    origin=self.origin, method=method, path=urlsplit(response.url).path),
                                        hint=self.address_hint) from exc
