"""HubSpot's CRM v3 API over one session, and what an account defines: ticket pipelines, stages and properties."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import requests

from portalctl.backends import hubspot_map as hs
from portalctl.backends.connector import api_root, follow
from portalctl.config import Profile
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, StateConflict, Unsupported
from portalctl.http import JsonApi, status_line
from portalctl.i18n import N_, _, formatted
from portalctl.ratelimit import Spacing

PLATFORM = hs.PLATFORM
DEFAULT_URL = "https://api.hubapi.com"
SEARCH_CEILING = 10_000  # "CRM API | Search": paging past 10,000 results is refused
SEARCH_PER_SECOND = 5  # "CRM API | Search", Limitations: "rate limited to five requests per second per account"
# tickets: tickets, pipelines, properties; notes (replies, attachments) need crm.objects.contacts.write to be made
# and .read to be read ("CRM API | Notes", Scope requirements); files: uploads; contacts read: requesters.
SCOPES = ("tickets", "files", "crm.objects.contacts.read", "crm.objects.contacts.write")
TOKEN_HINT = formatted("pass a private app token: echo TOKEN | portalctl auth login --backend hubspot "
                       "--url https://api.hubapi.com --with-token (HubSpot: Settings > Integrations > Private apps; "
                       "scopes {scopes})", scopes=", ".join(SCOPES))



def readable(message: str) -> str:
    """HubSpot's message on one line. A validation message embeds a JSON list of per-property errors
    ("Property values were not valid: [{...}]"): their own messages are what a person needs."""
    head, sep, rest = message.partition(": [")
    if sep:
        try:
            errors = json.loads("[" + rest)
        except ValueError:
            errors = None
        if isinstance(errors, list) and all(isinstance(e, dict) for e in errors):
            message = f"{head}: " + "; ".join(str(e.get("message") or e) for e in errors)
    return " ".join(message.split())


def missing_scopes(data: Any) -> list[str]:
    """The scopes a 403 MISSING_SCOPES names: `errors[].context.requiredGranularScopes` (or the older
    `requiredScopes`), e.g. {"category": "MISSING_SCOPES", "errors": [{"message": "One or more of the following
    scopes are required.", "context": {"requiredGranularScopes": ["crm.objects.contacts.write"]}}]}."""
    found: list[str] = []
    details = data.get("errors") if isinstance(data, dict) else None
    for detail in [data, *details] if isinstance(details, list) else [data]:
        context = detail.get("context") if isinstance(detail, dict) else None
        if isinstance(context, dict):
            for key in ("requiredGranularScopes", "requiredScopes"):
                found += [str(s) for s in context.get(key) or [] if str(s) not in found]
    return found



class Api(JsonApi):
    """One HubSpot account, one session: every call goes through `request`, which maps failures to portal errors."""

    platform = PLATFORM
    token_hint = TOKEN_HINT
    credential = "token"
    untyped_json_errors = True
    busy_hint = N_("HubSpot is busy or rate limiting this app; try again later (PORTALCTL_RETRIES raises the retries)")

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url or DEFAULT_URL, f"{PLATFORM} API", DEFAULT_URL, "", ()),
                         token=secret)
        self.address_hint = _("is {root} HubSpot's API ({url})?").format(root=self.root, url=DEFAULT_URL)
        self.path_hint = _("is the URL {url}?").format(url=DEFAULT_URL)
        self.search_spacing = Spacing(SEARCH_PER_SECOND)

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        """Every call; a search waits for its turn first, since search has a per-second limit of its own that no
        answer announces (the pacer, which reads X-HubSpot-RateLimit-*, cannot see it)."""
        if method.upper() == "POST" and path.rstrip("/").endswith("/search"):
            self.search_spacing.wait()
        return super().request(method, path, **options)

    def describe(self, response: requests.Response, data: Any) -> str:
        """HubSpot's error body {"status": "error", "message", "correlationId", "category"}: the message, and the
        id HubSpot's support asks for."""
        message = readable(str(data.get("message") or "")) if isinstance(data, dict) else ""
        detail = message or status_line(response)
        if isinstance(data, dict) and data.get("correlationId"):
            detail += f" (correlationId {data['correlationId']})"
        return detail

    def special(self, response: requests.Response, data: Any, detail: str, missing: str | None) -> PortalError | None:
        """A 403 names HubSpot's category (a missing scope), a 409 is a conflict, a missing record is HubSpot's."""
        status = response.status_code
        if status == 403:
            category = str(data.get("category") or "") if isinstance(data, dict) else ""
            scopes = missing_scopes(data)
            if scopes:
                wanted = " or ".join(scopes)
                return PermissionDenied(_("{where} refused access: the private app lacks the scope {wanted} "
                                          "({value})").format(
                                              where=self.where, wanted=wanted, value=category or 'forbidden'),
                                        hint=_("add the scope {scopes} to the private app (Settings > Integrations "
                                               "> Private apps > Scopes); portalctl needs {SCOPES}").format(
                                                   scopes=scopes[0], SCOPES=', '.join(SCOPES)))
            return PermissionDenied(_("{where} refused access ({value}): {detail}").format(
                where=self.where, value=category or 'forbidden', detail=detail),
                                    hint=_("give the private app the scopes {SCOPES}").format(SCOPES=', '.join(SCOPES)))
        if status == 404 and missing:
            return NotFound(_("{missing} not found on {platform}").format(
                missing=missing, platform=PLATFORM), hint=_("see 'portalctl tickets list'"))
        if status == 409:
            return StateConflict(_("{platform} refused the change: {detail}").format(platform=PLATFORM, detail=detail))
        return None

    def after_retries(self, response: requests.Response) -> str:
        if response.status_code != 429:
            return " " + _("(after retries)")
        left = response.headers.get("X-HubSpot-RateLimit-Remaining")
        limit = _("(after retries); rate limit {most} per {ms} ms").format(
            most=response.headers.get("X-HubSpot-RateLimit-Max", "?"),
            ms=response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds", "?"))
        return " " + limit + (_(", {left} left").format(left=left) if left is not None else "")

    def pages(self, method: str, path: str, *, params: dict[str, Any] | None = None,
              body: dict[str, Any] | None = None, wanted: int | None = None,
              heard: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
        """Every result across HubSpot's cursor pages (`paging.next.after`). The first page is read now, so a
        refused token or filter fails before a caller writes anything. The search API stops at 10,000 results:
        a search that matches more than that, when more than that is `wanted` (None: all), fails here, up front.
        `heard` is told the search's `total` ("CRM API | Search": every search answer has it)."""
        first = self._page(method, path, params, body, None)
        total = first.get("total")
        if heard is not None and isinstance(total, int):
            heard(total)
        if method == "POST" and isinstance(total, int) and total > SEARCH_CEILING \
                and (wanted is None or wanted > SEARCH_CEILING):
            raise InvalidInput(_("{platform}'s search returns at most {SEARCH_CEILING:,} tickets and this listing "
                                 "matches {total:,}").format(
                                     platform=PLATFORM, SEARCH_CEILING=SEARCH_CEILING, total=total),
                               hint=_("narrow it (--created-since/--created-until, --status, --department), or list "
                                      "with --status all and no other filter, which pages without that limit"))
        return follow(first, lambda page: page.get("results") or [], self._after,
                      lambda after: self._page(method, path, params, body, after))

    def _page(self, method: str, path: str, params: dict[str, Any] | None, body: dict[str, Any] | None,
              after: str | None) -> dict[str, Any]:
        if method == "GET":
            query = dict(params or {}, **({"after": after} if after else {}))
            data: dict[str, Any] = self.json("GET", path, params=query)
        else:
            data = self.json("POST", path, json=dict(body or {}, **({"after": after} if after else {})))
        return data

    @staticmethod
    def _after(page: dict[str, Any]) -> str | None:
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        return str(after) if after else None


class Account:
    """What the account defines: pipelines and stages, and custom ticket properties (read once, lazily)."""

    def __init__(self, api: Api, profile: Profile) -> None:
        self.api = api
        self.profile = profile
        self._pipelines: list[hs.Pipeline] | None = None
        self._properties: list[dict[str, Any]] | None = None
        self._priorities: hs.Priorities | None = None

    def pipelines(self) -> list[hs.Pipeline]:
        if self._pipelines is None:
            data = self.api.json("GET", "/crm/v3/pipelines/tickets")
            self._pipelines = hs.pipelines(data, hs.stage_overrides(self.profile.options))
            if not self._pipelines:
                raise InvalidInput(_("the {platform} account has no ticket pipeline").format(platform=PLATFORM),
                                   hint=_("create one in HubSpot: Settings > Objects > Tickets > Pipelines"))
        return self._pipelines

    def stages(self) -> dict[str, hs.Stage]:
        return {s.id: s for p in self.pipelines() for s in p.stages}

    def pipes(self) -> dict[str, hs.Pipeline]:
        return {p.id: p for p in self.pipelines()}

    def pipeline(self, name: str | None) -> hs.Pipeline:
        """A pipeline by id, label or slug; None gives the profile's pipeline option, else the first one."""
        wanted = name or self.profile.options.get("pipeline")
        if not wanted:
            return self.pipelines()[0]
        key = str(wanted).strip().casefold()
        for pipe in self.pipelines():
            if key in (pipe.id.casefold(), pipe.label.casefold(), pipe.slug):
                return pipe
        known = ", ".join(f"{p.slug} ({p.id})" for p in self.pipelines())
        raise InvalidInput(_("unknown {platform} pipeline {wanted!r}").format(platform=PLATFORM, wanted=wanted),
            hint=_("pipelines: {known}").format(known=known))

    def stage_for(self, pipe: hs.Pipeline, state: str, option: str | None = None) -> hs.Stage:
        """The stage of `pipe` a move to canonical `state` goes to: a profile option, else the first stage mapped
        to that state (close falls back to resolved, as VAI's pipeline ends with Resuelto)."""
        chosen = self.profile.options.get(option) if option else None
        if chosen:
            for stage in pipe.stages:
                if stage.id == str(chosen):
                    return stage
            raise InvalidInput(_("the profile's {option} {chosen!r} is no stage of pipeline {label!r}").format(
                option=option, chosen=chosen, label=pipe.label),
                               hint=_("see the stages with: portalctl tickets states"))
        fallbacks = {"closed": ("closed", "resolved"), "resolved": ("resolved", "closed"), "open": ("open", "new"),
                     "new": ("new", "open")}.get(state, (state,))
        for wanted in fallbacks:
            for stage in pipe.stages:
                if stage.state == wanted:
                    return stage
        labels = ", ".join(f"{s.label} ({s.id}) = {s.state}" for s in pipe.stages)
        raise Unsupported(_("{platform} pipeline {label!r} has no stage for {state!r}").format(
            platform=PLATFORM, label=pipe.label, state=state),
                          hint=_("its stages: {labels}; map one with auth login --option stage.ID={state}").format(
                              labels=labels, state=state))

    def properties(self) -> list[dict[str, Any]]:
        if self._properties is None:
            data = self.api.json("GET", "/crm/v3/properties/tickets")
            self._properties = [p for p in data.get("results") or [] if not p.get("hubspotDefined")
                                and not p.get("hidden") and not str(p.get("name", "")).startswith("hs_")
                                and p.get("name") not in hs.BASE_PROPERTIES]
        return self._properties

    def priorities(self) -> hs.Priorities:
        """The account's options of hs_ticket_priority ("CRM API | Properties": GET
        /crm/v3/properties/tickets/{propertyName}); an account without the property gets HubSpot's defaults."""
        if self._priorities is None:
            try:
                data = self.api.json("GET", "/crm/v3/properties/tickets/hs_ticket_priority", missing="property")
            except NotFound:
                data = None
            self._priorities = hs.Priorities.from_property(data)
        return self._priorities

    def custom(self) -> list[str]:
        """The custom properties tickets show: the profile's "properties" option, else the account's own."""
        chosen = self.profile.options.get("properties")
        if chosen:
            return [p.strip() for p in str(chosen).split(",") if p.strip()]
        return [str(p["name"]) for p in self.properties()]
