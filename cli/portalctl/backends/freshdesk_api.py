"""Freshdesk's API v2 over one session: API-key auth, `link` header pages, error bodies, multipart forms, downloads."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from portalctl.backends.freshdesk_map import PLATFORM
from portalctl.config import Profile
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, Unavailable
from portalctl.http import JsonApi, origin

TOKEN_HINT = ("pass your API key (Freshdesk > Profile settings > View API key): echo KEY | portalctl auth login "
              "--backend freshdesk --url https://ACCOUNT.freshdesk.com --user EMAIL --with-token")


def api_root(url: str | None) -> str:
    text = (url or "").strip().rstrip("/")
    if not text.startswith(("http://", "https://")):
        raise InvalidInput(f"not a Freshdesk URL: {url!r}", hint="pass --url https://ACCOUNT.freshdesk.com")
    for suffix in ("/api/v2", "/api"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text + "/api/v2/"


def problem(data: Any) -> str:
    """Freshdesk's error body ({"description", "errors": [{"field", "message", "code"}]} or {"code",
    "message"}) as one line."""
    if not isinstance(data, dict):
        return str(data)
    parts = [f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
             for e in data.get("errors") or [] if isinstance(e, dict)]
    head = str(data.get("description") or data.get("message") or data.get("code") or "")
    return f"{head}: {'; '.join(parts)}" if parts and head else "; ".join(parts) or head



class KeyAuth(requests.auth.HTTPBasicAuth):
    def __init__(self, key: str) -> None:
        super().__init__(key, "X")

    def __repr__(self) -> str:
        return "KeyAuth(<hidden>)"


class Api(JsonApi):
    token_hint = TOKEN_HINT

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url))
        self.address_hint = f"is {profile.url} your Freshdesk address?"
        if secret:
            self.session.auth = KeyAuth(secret)

    def not_signed_in(self) -> PortalError:
        return PermissionDenied(f"profile {self.profile.name!r} has no API key for {self.origin}", hint=TOKEN_HINT)

    def pages(self, path: str, params: dict[str, Any], **options: Any) -> Iterator[dict[str, Any]]:
        """Every item across pages, following the `link: <...>; rel="next"` header. The first page is read now,
        so a refused key fails before a caller writes anything."""
        first = self.request("GET", path, params=params, **options)
        return self._walk(first, options)

    def _walk(self, response: requests.Response, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            try:
                items = response.json()
            except ValueError as exc:
                raise Unavailable(f"{self.origin} sent a page that is not JSON") from exc
            yield from items if isinstance(items, list) else []
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            if origin(link) != self.origin:  # a proxy that rewrote the host: stay on ours
                parts = urlsplit(link)
                link = f"{self.origin}{parts.path}?{parts.query}"
            response = self.request("GET", link, **options)

    def error(self, response: requests.Response, missing: str | None, error_hint: str | None) -> PortalError:
        status = response.status_code
        data: Any = None
        if "json" in response.headers.get("Content-Type", ""):
            try:
                data = response.json()
            except ValueError:
                data = None
        detail = problem(data) if data else f"HTTP {status} {response.reason}"
        where = f"{PLATFORM} at {self.origin}"
        if status in (400, 409, 422):
            return InvalidInput(f"{PLATFORM} refused the request: {detail}")
        if status == 401:
            return PermissionDenied(f"{where} refused the API key: {detail}", hint=TOKEN_HINT)
        if status == 403:
            return PermissionDenied(f"{where} refused access: {detail}",
                                    hint="the agent behind this API key lacks the permission (or the feature is off)")
        if status == 404:
            if missing:
                return NotFound(f"{missing} not found on {self.origin}", hint="see 'portalctl tickets list'")
            return NotFound(f"{where} has no {urlsplit(response.url).path}",
                            hint=f"is {self.profile.url} your Freshdesk address?")
        if status == 429 or status >= 500:
            left = response.headers.get("X-RateLimit-Remaining")
            extra = f" (rate limit remaining: {left})" if left is not None else ""
            return Unavailable(f"{where} answered HTTP {status} {response.reason} after retries{extra}",
                               hint=error_hint or "Freshdesk limits API calls per minute per account; try again "
                                                  "later")
        return PortalError(f"{where} answered HTTP {status}: {detail}")



def form(payload: dict[str, Any]) -> builtins.list[tuple[str, str]]:
    """A JSON payload as multipart form fields, the way Freshdesk reads them: `tags[]`, `custom_fields[key]`."""
    fields: builtins.list[tuple[str, str]] = []
    for key, value in payload.items():
        if isinstance(value, list):
            fields += [(f"{key}[]", str(v)) for v in value]
        elif isinstance(value, dict):
            fields += [(f"{key}[{k}]", str(v)) for k, v in value.items()]
        elif isinstance(value, bool):
            fields.append((key, str(value).lower()))
        else:
            fields.append((key, str(value)))
    return fields



class Download(io.RawIOBase):
    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.raw = response.raw
        self.raw.decode_content = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self.raw.readinto(buffer))
        except OSError as exc:
            raise Unavailable("the download was cut off", hint="run the command again") from exc

    def close(self) -> None:
        self.response.close()
        super().close()
