"""Jira Service Management's customer REST API (/rest/servicedeskapi/) over one session, and what a site defines:
its service desks, their request types and each type's fields (read once, lazily).

Paging is JSM's everywhere: `start` and `limit` in, `start`, `limit`, `size`, `isLastPage` and `values` out. A
method may serve fewer than the `limit` asked for ("Pagination": a page whose size is below its limit while
isLastPage is false), so the next page starts at start + size, not start + limit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Any

import requests

from portalctl.backends import jsm_map as jm
from portalctl.backends.connector import api_root, follow
from portalctl.config import Profile
from portalctl.contract import folded
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError
from portalctl.http import JsonApi, status_line
from portalctl.i18n import N_, _, formatted, translated
from portalctl.model import TICKET_TYPES

PLATFORM = jm.PLATFORM
EXAMPLE_URL = "https://SITE.atlassian.net"
BURST_WINDOW = 1.0  # seconds: Jira Cloud's request rate limits are "per-second" ("Rate limiting" page)
TOKEN_HINT = formatted("sign in with an Atlassian API token: echo TOKEN | portalctl auth login --backend jsm --url "
                       "{url} --user you@company.com --with-token (id.atlassian.com > Security > API tokens)",
                       url=EXAMPLE_URL)


def error_text(data: Any) -> str:
    """JSM's ErrorResponse {"errorMessage", "i18nErrorMessage"}, with a form's validation details where sent."""
    if not isinstance(data, dict):
        return " ".join(str(data).split())
    parts = [str(data.get("errorMessage") or "")]
    parts += [str(e.get("detail") or e.get("title") or "") for e in data.get("errors") or [] if isinstance(e, dict)]
    return " - ".join(p for p in parts if p) or str(data)


class Api(JsonApi):
    platform = PLATFORM
    token_hint = TOKEN_HINT
    credential = "API token"
    forbidden_hint = N_("your account cannot do this in that service desk (customers see only their own requests)")
    busy_hint = N_("Jira Service Management is rate limiting or failing; try again later")

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, EXAMPLE_URL, "/rest/servicedeskapi/",
                                           ("/rest/servicedeskapi", "/rest")))
        self.address_hint = _("is {url} your Atlassian site ({example})?").format(url=profile.url, example=EXAMPLE_URL)
        try:
            self.session.pacer.window = float(profile.options.get("rate_window") or BURST_WINDOW)
        except ValueError:
            raise InvalidInput(_("profile {name!r}: rate_window must be a number of seconds").format(
                name=profile.name)) from None
        if secret and profile.user and "@" in profile.user:
            self.session.auth = requests.auth.HTTPBasicAuth(profile.user, secret)

    def not_signed_in(self) -> PortalError:
        if not (self.profile.user and "@" in self.profile.user):
            return PermissionDenied(_("profile {name!r} has no Atlassian e-mail to sign in with").format(
                name=self.profile.name),
                                    hint=translated(TOKEN_HINT))
        return super().not_signed_in()

    def describe(self, response: requests.Response, data: Any) -> str:
        return error_text(data) if data else (error_text(response.text[:300]) or status_line(response))

    def after_retries(self, response: requests.Response) -> str:
        if response.status_code != 429:
            return " " + _("(after retries)")
        reason = response.headers.get("RateLimit-Reason")
        reset = response.headers.get("X-RateLimit-Reset")
        return (" " + _("(after retries)") + (f"; {reason}" if reason else "")
                + (_(", the limit resets at {reset}").format(reset=reset) if reset else ""))

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every value of a paged list. The first page is read now, so a refused token fails before a caller
        writes anything."""
        query = dict(params or {})
        first = self.json("GET", path, params=query)

        def after(page: dict[str, Any]) -> str | None:
            size = len(page.get("values") or [])
            if page.get("isLastPage", True) or size == 0:
                return None
            return str(int(page.get("start") or 0) + size)

        return follow(first, lambda page: page.get("values") or [], after,
                      lambda start: self.json("GET", path, params={**query, "start": start}))


class Site:
    """The site's service desks, their request types and fields, as this profile names them (read on first use)."""

    def __init__(self, api: Api, profile: Profile, page_size: int) -> None:
        self.api = api
        self.options = profile.options
        self.page_size = page_size
        self._desks: list[dict[str, Any]] | None = None
        self._types: dict[str, list[dict[str, Any]]] = {}
        self._fields: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.states = jm.StateMap(jm.status_overrides(profile.options))
        self.field_ids = {key[6:]: str(value).strip() for key, value in profile.options.items()
                          if key.startswith("field_")}

    def desks(self) -> list[dict[str, Any]]:
        if self._desks is None:
            self._desks = list(self.api.pages("servicedesk", {"limit": self.page_size}))
        return self._desks

    def desk(self, name: str | None = None) -> dict[str, Any]:
        """A service desk by id, project key or name; None: the profile's service_desk option, else the first."""
        wanted = name or self.options.get("service_desk")
        desks = self.desks()
        if not desks:
            raise InvalidInput(_("your {platform} account sees no service desk").format(platform=PLATFORM),
                               hint=_("ask the site's admin to add you as a customer of one"))
        if not wanted:
            return desks[0]
        key = str(wanted).strip().casefold()
        for desk in desks:
            if key in (str(desk.get("id")), str(desk.get("projectKey") or "").casefold(),
                       str(desk.get("projectName") or "").casefold()):
                return desk
        known = ", ".join(f"{d.get('projectName')} ({d.get('projectKey')}, {d.get('id')})" for d in desks)
        raise InvalidInput(_("unknown {platform} service desk {wanted!r}").format(platform=PLATFORM, wanted=wanted),
            hint=_("service desks: {known}").format(known=known))

    def request_types(self, desk_id: str) -> list[dict[str, Any]]:
        if desk_id not in self._types:
            self._types[desk_id] = list(self.api.pages(f"servicedesk/{desk_id}/requesttype",
                                                       {"limit": self.page_size}))
        return self._types[desk_id]

    def canonical_type(self, request_type: dict[str, Any]) -> str | None:
        """The portal type a request type stands for: a `type.<type>=<id or name>` option, else the type's word in
        its name or practice ("Report an incident" is an incident)."""
        rid, name = str(request_type.get("id")), str(request_type.get("name") or "").casefold()
        for canonical in TICKET_TYPES:
            chosen = self.options.get(f"type.{canonical}")
            if chosen is not None and str(chosen).strip().casefold() in (rid, name):
                return canonical
        words = set(folded(f"{request_type.get('name') or ''} {request_type.get('practice') or ''}").split())
        return next((t for t in TICKET_TYPES if t in words and not self.options.get(f"type.{t}")), None)

    def request_type(self, desk: dict[str, Any], type_: str | None) -> dict[str, Any]:
        """The request type a new request takes: the one --type names (a `type.<type>` option, else a request type
        of that word), else the profile's request_type option, else the desk's first that you may create."""
        found = self.request_types(str(desk["id"]))
        wanted = self.options.get(f"type.{type_}") if type_ else self.options.get("request_type")
        candidates: builtins.list[dict[str, Any]] = []
        if wanted:
            key = str(wanted).strip().casefold()
            candidates = [t for t in found if key in (str(t.get("id")), str(t.get("name") or "").casefold())]
        elif type_:
            candidates = [t for t in found if self.canonical_type(t) == type_]
        else:
            candidates = [t for t in found if t.get("canCreateRequest", True)]
        if candidates:
            return candidates[0]
        known = ", ".join(f"{t.get('name')} ({t.get('id')})" for t in found) or "none"
        refusal = (_("{platform} service desk {desk!r} has no request type for --type {type}") if type_ and not wanted
                   else _("{platform} service desk {desk!r} has no request type {wanted!r}") if wanted
                   else _("{platform} service desk {desk!r} has no request type you may create"))
        option = f"type.{type_}" if type_ else "request_type"
        raise InvalidInput(refusal.format(platform=PLATFORM, desk=desk.get("projectName"), type=type_, wanted=wanted),
                           hint=_("its request types: {known}; choose one with auth login ... --option {option}=ID")
                           .format(known=known, option=option))

    def fields(self, desk_id: str, type_id: str) -> list[dict[str, Any]]:
        key = (desk_id, type_id)
        if key not in self._fields:
            data = self.api.json("GET", f"servicedesk/{desk_id}/requesttype/{type_id}/field",
                                 missing=f"request type {type_id}")
            self._fields[key] = list(data.get("requestTypeFields") or [])
        return self._fields[key]

    def field_id(self, key: str, fields: list[dict[str, Any]], type_name: str) -> dict[str, Any]:
        """The request type's field a --field key names: its id, the profile's `field_<name>` option, or its
        label; anything else is refused naming the fields the request type has."""
        text = key.strip()
        wanted = self.field_ids.get(text, text).casefold()
        for field in fields:
            if wanted in (str(field.get("fieldId")).casefold(), str(field.get("name") or "").casefold()):
                return field
        known = ", ".join(f"{f.get('fieldId')} ({f.get('name')})" for f in fields
                          if f.get("fieldId") not in jm.OWN_FIELDS)
        raise InvalidInput(_("{platform} request type {type_name!r} has no field {key!r}").format(
            platform=PLATFORM, type_name=type_name, key=key),
                           hint=_("its fields: {value}").format(
                               value=known or _("none besides summary and description")))

    def context(self, desk_ids: list[str] | None = None) -> jm.Context:
        """Names for the desks and request types of `desk_ids` (every desk when None)."""
        desks = {str(d["id"]): str(d.get("projectName") or d.get("projectKey") or d["id"]) for d in self.desks()}
        types: dict[str, str] = {}
        canonical: dict[str, str] = {}
        for desk_id in desk_ids if desk_ids is not None else list(desks):
            if desk_id not in desks:
                continue
            try:
                found = self.request_types(desk_id)
            except NotFound:
                continue
            for item in found:
                types[str(item.get("id"))] = str(item.get("name") or "")
                kind = self.canonical_type(item)
                if kind:
                    canonical[str(item.get("id"))] = kind
        names = {fid: name for name, fid in self.field_ids.items()}
        return jm.Context(self.states, desks, types, canonical, names)
