"""Freshdesk's API v2 over one session: API-key auth, `link` header pages, error bodies, multipart forms."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

import requests

from portalctl.backends.connector import api_root, follow
from portalctl.backends.freshdesk_map import PLATFORM
from portalctl.config import Profile
from portalctl.errors import PermissionDenied, PortalError, Unavailable
from portalctl.http import JsonApi, status_line
from portalctl.i18n import N_, _

LAST_PAGE = 300  # List Tickets answers page 301 with 400 "You cannot access tickets beyond the 300th page"
TOKEN_HINT = N_("pass your API key (Freshdesk > Profile settings > View API key): echo KEY | portalctl auth login "
                "--backend freshdesk --url https://ACCOUNT.freshdesk.com --user EMAIL --with-token")


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
    platform = PLATFORM
    token_hint = TOKEN_HINT
    credential = "API key"
    forbidden_hint = N_("the agent behind this API key lacks the permission (or the feature is off)")
    busy_hint = N_("Freshdesk limits API calls per minute per account; try again later")
    invalid_statuses = frozenset({400, 409, 422})

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, "https://ACCOUNT.freshdesk.com", "/api/v2/",
                                           ("/api/v2", "/api")))
        self.address_hint = _("is {url} your Freshdesk address?").format(url=profile.url)
        if secret:
            self.session.auth = KeyAuth(secret)

    def not_signed_in(self) -> PortalError:
        return PermissionDenied(_("profile {name!r} has no API key for {origin}").format(
            name=self.profile.name, origin=self.origin), hint=_(TOKEN_HINT))

    def pages(self, path: str, params: dict[str, Any], **options: Any) -> Iterator[dict[str, Any]]:
        """Every item across pages, following the `link: <...>; rel="next"` header. The first page is read now,
        so a refused key fails before a caller writes anything."""
        first = self.request("GET", path, params=params, **options)
        return follow(first, self._items, lambda page: page.links.get("next", {}).get("url"),
                      lambda link: self.request("GET", self.on_origin(link), **options))

    def tickets(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every ticket updated since `params`' updated_since, the oldest update first, however many there are.

        List Tickets serves 300 pages at most, so the walk starts again from the last update time it reached,
        skipping the tickets already seen at that time (a time filter, ordered by it: the documented way past the
        cap, https://developers.freshdesk.com/api/#list_all_tickets). The first page is read now."""
        params = {**params, "order_by": "updated_at", "order_type": "asc"}
        first = self.request("GET", "tickets", params=params)

        def walk(response: requests.Response) -> Iterator[dict[str, Any]]:
            since, skip = str(params["updated_since"]), set[int]()
            while True:
                last, at_last = since, set(skip)
                for number in range(1, LAST_PAGE + 1):
                    for row in self._items(response):
                        stamp = str(row.get("updated_at") or "")
                        if stamp == since and int(row["id"]) in skip:
                            continue
                        if stamp != last:
                            last, at_last = stamp, set()
                        at_last.add(int(row["id"]))
                        yield row
                    link = response.links.get("next", {}).get("url")
                    if not link:
                        return
                    if number < LAST_PAGE:
                        response = self.request("GET", self.on_origin(link))
                if last == since:
                    raise PortalError(_("{where} holds more than {pages} pages of tickets updated at {since}").format(
                                          where=self.where, pages=LAST_PAGE, since=since),
                                      hint=_("narrow the listing (--requester, --org) and try again"))
                since, skip = last, at_last
                response = self.request("GET", "tickets", params={**params, "updated_since": since})

        return walk(first)

    def _items(self, response: requests.Response) -> builtins.list[dict[str, Any]]:
        try:
            items = response.json()
        except ValueError as exc:
            raise Unavailable(_("{origin} sent a page that is not JSON").format(origin=self.origin)) from exc
        return items if isinstance(items, list) else []

    def describe(self, response: requests.Response, data: Any) -> str:
        return problem(data) if data else status_line(response)

    def after_retries(self, response: requests.Response) -> str:
        left = response.headers.get("X-RateLimit-Remaining")
        return " " + _("after retries") + (" " + _("(rate limit remaining: {left})").format(left=left)
                                           if left is not None else "")


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
