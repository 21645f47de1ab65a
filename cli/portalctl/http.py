"""The one HTTP session every networked backend uses: pooled, timed out, retried with care, never leaking secrets.

Retries (bounded exponential backoff with jitter, or exactly what `Retry-After` asks) happen only where repeating
the request cannot do the work twice: safe methods, a POST that carries an `Idempotency-Key` (the server replays
its first answer), and a 429 of any method (the server refused it before doing anything). TLS certificates are
always verified. The `portalctl.http` logger traces method, URL and status, never headers or bodies.
"""

from __future__ import annotations

import email.utils
import io
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from portalctl import __version__
from portalctl.config import Profile, Settings
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, Unavailable
from portalctl.model import Attachment
from portalctl.ratelimit import Pacer

log = logging.getLogger("portalctl.http")

USER_AGENT = f"portalctl/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before giving up on a portal that is busy or away."""

    retries: int = 4
    backoff: float = 0.5  # the first wait (without Retry-After); it doubles on each retry
    backoff_max: float = 10.0  # no single wait grows beyond this
    retry_after_max: float = 120.0  # a server that asks for a longer pause gets an error, not a hung command

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before retry number `attempt + 1`: what the server asked for, or a jittered exponential step.

        Jitter spreads clients that failed together (50 pipelines after a restart) so they do not return together.
        """
        if retry_after is not None:
            return retry_after + random.uniform(0, min(1.0, self.backoff))
        step = min(self.backoff_max, self.backoff * 2.0**attempt)
        return step / 2 + random.uniform(0, step / 2)


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
        return "the TLS certificate could not be verified"
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.ReadTimeout):
        return "timed out waiting for an answer"
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "unknown host name"
    return "the connection failed or was dropped"


def origin(url: str) -> str:
    """scheme://host:port of a URL: what error messages name (paths and queries add nothing there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def status_line(response: requests.Response) -> str:
    """"HTTP 503 Service Unavailable": what an error says when the portal sent no words of its own."""
    return f"HTTP {response.status_code} {response.reason}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class PortalSession(requests.Session):
    """A requests session whose every call gets a timeout and the retry policy (zenpy's one-method rule)."""

    def __init__(self, *, token: str | None, timeout: tuple[float, float], policy: RetryPolicy) -> None:
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT
        self.auth = BearerAuth(token) if token else None
        self.verify = True
        self.default_timeout = timeout
        self.policy = policy
        self.pacer = Pacer()  # slows down before the portal's rate limit, from its rate-limit headers
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send, retrying what is safe to retry. Connection failures that outlast the retries raise Unavailable;
        an HTTP error status is returned for the caller to interpret."""
        verb = method.decode() if isinstance(method, bytes) else method
        verb = verb.upper()
        target = url.decode() if isinstance(url, bytes) else url
        kwargs.setdefault("timeout", self.default_timeout)
        headers: Mapping[str, str] = kwargs.get("headers") or {}
        repeatable = verb in SAFE_METHODS or IDEMPOTENCY_HEADER in headers
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
                    f"cannot reach {origin(target)}: {reason(exc)}",
                    hint="portalctl always verifies TLS; point REQUESTS_CA_BUNDLE at your organisation's CA file",
                ) from exc
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or "refused" in str(exc).lower()
                log.debug("%s %s -> %s", verb, target, type(exc).__name__)
                if (repeatable or never_sent) and attempt < self.policy.retries:
                    self._pause(attempt, None)
                    attempt += 1
                    continue
                hint = "check the URL and that the portal is running, then try again"
                if not repeatable and not never_sent:
                    hint = "the change may or may not have been made: look before repeating it"
                raise Unavailable(f"cannot reach {origin(target)}: {reason(exc)} ({plural(attempt + 1, 'attempt')})",
                                  hint=hint) from exc
            log.debug("%s %s -> %s", verb, target, response.status_code)
            self.pacer.observe(response.headers)
            status = response.status_code
            if status in RETRY_STATUSES and (repeatable or status == 429) and attempt < self.policy.retries:
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


def new_session(
    *, token: str | None = None, timeout: float = 30.0, connect_timeout: float = 5.0,
    policy: RetryPolicy | None = None,
) -> PortalSession:
    """The session a backend keeps for its life: one connection pool, one policy, the token (if any) attached."""
    return PortalSession(token=token, timeout=(connect_timeout, timeout), policy=policy or RetryPolicy())


def tuning(profile: Profile) -> tuple[RetryPolicy, float]:
    """Retries, backoff and timeout: flags/env/.env/project (PORTALCTL_RETRIES...), then the profile, then defaults."""
    settings = Settings()
    defaults = RetryPolicy()

    def number(key: str, default: float) -> float:
        raw = settings.get(key)
        if raw in (None, ""):
            raw = profile.options.get(key)
        if raw in (None, ""):
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{key} must be a number, not {raw!r}",
                               hint=f"fix PORTALCTL_{key.upper()} or the profile's {key!r} option") from exc
        if value < 0:
            raise InvalidInput(f"{key} cannot be negative")
        return value

    policy = RetryPolicy(retries=int(number("retries", defaults.retries)),
                         backoff=number("backoff", defaults.backoff))
    return policy, number("timeout", 30.0)


class NoAuth(requests.auth.AuthBase):
    """For a file a help desk serves from another host (a CDN, signed storage): its credentials stay home."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class Download(io.RawIOBase):
    """An attachment's bytes as they arrive; a short file (a dropped connection) is an error, not a quiet save."""

    def __init__(self, response: requests.Response, expected: Attachment) -> None:
        self.response = response
        self.raw: urllib3.HTTPResponse = response.raw
        self.raw.decode_content = True
        self.expected = expected
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            count = int(self.raw.readinto(buffer))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise Unavailable(f"the download of {self.expected.filename} was cut off",
                              hint="run the command again") from exc
        self.count += count
        if not count and self.expected.size and self.count != self.expected.size:
            raise PortalError(f"{self.expected.filename} arrived with {self.count} of {self.expected.size} bytes",
                              hint="run the command again")
        return count

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

    def __init__(self, profile: Profile, root: str, *, token: str | None = None) -> None:
        self.profile = profile
        self.root = root
        self.origin = origin(root)
        policy, timeout = tuning(profile)  # PORTALCTL_RETRIES, _BACKOFF, _TIMEOUT, as for a portalctl server
        self.session = new_session(token=token, policy=policy, timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.platform} at {self.origin}"

    def not_signed_in(self) -> PortalError:
        return PermissionDenied(f"profile {self.profile.name!r} has no token for {self.origin}", hint=self.token_hint)

    def describe(self, response: requests.Response, data: Any) -> str:
        """The platform's own words for a failure, from its JSON error body `data` (None when there is none)."""
        return status_line(response)

    def special(self, response: requests.Response, data: Any, detail: str, missing: str | None) -> PortalError | None:
        """A platform's own reading of a status, ahead of the common one (None: read it the common way)."""
        return None

    def after_retries(self, response: requests.Response) -> str:
        """How a 429 or 5xx message ends: that the retries ran out, and any rate-limit figures the platform sent."""
        return " (after retries)"

    def error(self, response: requests.Response, missing: str | None, error_hint: str | None) -> PortalError:
        """The portal error for a failed answer; `missing` names what a 404 means, `error_hint` what a 5xx does."""
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
            return InvalidInput(f"{self.platform} refused the request: {detail}")
        if status == 401:
            return PermissionDenied(f"{self.where} refused the {self.credential}: {detail}", hint=self.token_hint)
        if status == 403:
            return PermissionDenied(f"{self.where} refused access: {detail}", hint=self.forbidden_hint)
        if status == 404:
            if missing:
                return NotFound(f"{missing} not found on {self.origin}", hint="see 'portalctl tickets list'")
            return NotFound(f"{self.where} has no {urlsplit(response.url).path}",
                            hint=self.path_hint or self.address_hint)
        if status == 429 or status >= 500:
            return Unavailable(f"{self.where} answered {status_line(response)}{self.after_retries(response)}",
                               hint=error_hint or self.busy_hint)
        return PortalError(f"{self.where} answered HTTP {status}: {detail}")

    def on_origin(self, link: str) -> str:
        """A link the API sent, moved back onto our origin when a proxy rewrote its host (keeping path and query):
        credentials go only to the origin the profile names."""
        if origin(link) == self.origin:
            return link
        parts, base = urlsplit(link), urlsplit(self.root)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def request(self, method: str, path: str, *, missing: str | None = None, error_hint: str | None = None,
                **options: Any) -> requests.Response:
        """`path` under the API root, or a link the API sent."""
        if self.session.auth is None:
            raise self.not_signed_in()
        url = path if path.startswith(("http://", "https://")) else self.root + path
        if origin(url) != self.origin:
            options["auth"] = NoAuth()
        headers = {"Accept": "application/json", **options.pop("headers", {})}
        response = self.session.request(method, url, headers=headers, **options)
        if response.status_code >= 400:
            try:
                raise self.error(response, missing, error_hint)
            finally:
                response.close()
        return response

    def json(self, method: str, path: str, **options: Any) -> Any:
        response = self.request(method, path, **options)
        try:
            return response.json()
        except ValueError as exc:
            raise Unavailable(f"{self.origin} answered {method} {urlsplit(response.url).path} with something other "
                              "than JSON", hint=self.address_hint) from exc
