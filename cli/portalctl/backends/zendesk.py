"""The Zendesk connector: your own requests through the end-user Requests API, and the Help Center.

Profile: backend "zendesk", url https://SUBDOMAIN.zendesk.com, user your e-mail there; the secret is an API token
(HTTP Basic `{email}/token:{api_token}`), or an OAuth access token with the option auth=oauth (`Bearer`).
Options: label_<status>=TEXT (the label a state shows, e.g. label_pending="Esperando su respuesta"; the account's
custom statuses are read where the API lets you), field_<name>=NUMBER (names a custom ticket field, e.g.
field_incident_status=360001234), page_size (at most 100).

Server-side: the state filter and the order by created or updated time. Client-side (over the pages the API
sends): priority, type, requester, dates, --search (subject and description) and --overdue. An end user cannot
write internal notes, tags, groups, change a request's fields after creating it, or remove CCs: those raise
Unsupported. Close marks the request solved (only when Zendesk says `can_be_solved_by_me`); reopen of a solved
request adds a comment (Zendesk reopens a solved request on a new comment); a closed request takes nothing more:
open a follow-up (`via_followup_source_id`).
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from portalctl.backends import zendesk_map as zm
from portalctl.backends.connector import Connector
from portalctl.backends.refusals import NoAccountAdmin
from portalctl.backends.zendesk_agent import AgentTickets
from portalctl.backends.zendesk_requests import PAGE_SIZE, PLATFORM, ROLES, Api, ZendeskTickets
from portalctl.config import Profile
from portalctl.contract import NativeState
from portalctl.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unsupported,
)
from portalctl.i18n import N_, _
from portalctl.model import Article, Collection, Department, FieldDef, Folder, User
from portalctl.times import normal_iso


def article(data: dict[str, Any]) -> Article:
    count, total = int(data.get("vote_count") or 0), int(data.get("vote_sum") or 0)
    return Article(
        id=int(data["id"]), title=str(data.get("title") or ""), collection="",
        folder=str(data.get("section_id") or ""), locale=str(data.get("locale") or ""),
        labels=[str(x) for x in data.get("label_names") or []],
        created_at=normal_iso(data.get("created_at")) or "", updated_at=normal_iso(data.get("updated_at")) or "",
        helpful=(count + total) // 2, not_helpful=(count - total) // 2, body=data.get("body"),
        snippet=data.get("snippet"),
    )


class ZendeskArticles:
    """The Help Center: search, read, list and vote. Writing articles needs an agent's Guide role."""

    def __init__(self, api: Api, profile: Profile) -> None:
        self.api = api
        self.locale = profile.options.get("locale")

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None,
               locale: str | None = None, limit: int = 10) -> builtins.list[Article]:
        params: dict[str, Any] = {"query": query, "per_page": min(max(limit, 1), 100)}
        if locale or self.locale:
            params["locale"] = locale or self.locale
        if folder:
            params["section"] = folder
        if collection:
            params["category"] = collection
        data = self.api.json("GET", "help_center/articles/search", params=params)
        return [article(a) for a in data.get("results") or []][:limit]

    def get(self, article_id: int) -> Article:
        data = self.api.json("GET", f"help_center/articles/{int(article_id)}", missing=f"article {article_id}")
        return article(data["article"])

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        path = f"help_center/sections/{folder}/articles" if folder else "help_center/articles"
        rows = self.api.pages(path, "articles", {"page[size]": PAGE_SIZE})
        return itertools.islice((article(a) for a, _ in rows), limit)

    def collections(self) -> builtins.list[Collection]:
        sections: dict[str, builtins.list[Folder]] = {}
        for item, _page in self.api.pages("help_center/sections", "sections", {"page[size]": PAGE_SIZE}):
            sections.setdefault(str(item.get("category_id")), []).append(
                Folder(id=int(item["id"]), name=str(item.get("name") or ""), slug=str(item["id"]), articles=0))
        return [Collection(id=int(item["id"]), name=str(item.get("name") or ""), slug=str(item["id"]),
                           folders=sections.get(str(item["id"]), []))
                for item, _ in self.api.pages("help_center/categories", "categories", {"page[size]": PAGE_SIZE})]

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        self.api.request("POST", f"help_center/articles/{int(article_id)}/{'up' if helpful else 'down'}",
                         missing=f"article {article_id}")
        return self.get(article_id)

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        raise Unsupported(_("{platform} articles are written in Guide by agents").format(
            platform=PLATFORM), hint=_("write it in Zendesk Guide"))

    def edit(self, article_id: int, **changes: Any) -> Article:
        raise Unsupported(_("{platform} articles are edited in Guide by agents").format(
            platform=PLATFORM), hint=_("edit it in Zendesk Guide"))


class ZendeskAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = N_("do it in Zendesk's Admin Center")

    def __init__(self, api: Api) -> None:
        self.api = api

    def me(self) -> User:
        data = self.api.json("GET", "users/me")["user"]
        role = {"end-user": "customer", "agent": "agent", "admin": "admin"}.get(str(data.get("role")), "customer")
        return User(id=int(data.get("id") or 0), email=str(data.get("email") or ""), name=str(data.get("name") or ""),
                    role=role, organization=None if data.get("organization_id") is None
                    else str(data["organization_id"]), active=bool(data.get("active", True)), title=None,
                    phone=data.get("phone"), language=data.get("locale"), timezone=data.get("time_zone"),
                    created_at=normal_iso(data.get("created_at")) or "")

    def departments(self) -> builtins.list[Department]:
        self._refuse(N_("portalctl cannot list groups on {platform}"))

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        self._refuse(N_("portalctl cannot list ticket fields (name them with --option field_NAME=NUMBER) on "
                        "{platform}"))


def custom_status_labels(api: Api) -> dict[int, str]:
    """The account's custom statuses (end-user labels), where the token may read them; {} otherwise."""
    try:
        data = api.json("GET", "custom_statuses")
    except (PermissionDenied, NotFound):
        return {}
    return {int(s["id"]): str(s.get("end_user_label") or s.get("agent_label") or "")
            for s in data.get("custom_statuses") or []}


class ZendeskBackend(Connector):
    platform = PLATFORM
    page_default = page_max = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        self.api = Api(profile, secret)
        self.labels = LazyLabels(self.api, profile)
        self.role = str(profile.options.get("role") or "").strip().lower() or None
        if self.role not in (None, *ROLES):
            raise InvalidInput(_("profile {name!r}: role must be one of {ROLES}").format(
                name=profile.name, ROLES=', '.join(ROLES)),
                               hint=_("agents and admins read every ticket: --option role=agent"))
        self._tickets: ZendeskTickets | None = None
        self.articles = ZendeskArticles(self.api, profile)
        self.accounts = ZendeskAccounts(self.api)

    @property
    def tickets(self) -> ZendeskTickets:  # type: ignore[override]  # chosen on first use, then fixed
        """The Requests API for an end user, the Tickets API (zendesk_agent.py) for an agent or admin: the profile's
        role option, else the token's own role (GET /users/me, asked once, on first use)."""
        if self._tickets is None:
            role = self.role or self.accounts.me().role
            if role in ("agent", "admin"):
                self._tickets = AgentTickets(self.api, self.labels, self.profile, self.size)
            else:
                self._tickets = ZendeskTickets(self.api, self.labels, self.profile, self.size)
        return self._tickets

    def states(self) -> builtins.list[NativeState]:
        """Zendesk's request statuses as this profile labels them (an account's custom statuses show their own
        label on each ticket; each belongs to one of these)."""
        return [NativeState(id=native, label=self.labels.label(native, None), state=zm.CANONICAL[native])
                for native in zm.NATIVE.values()]


class LazyLabels(zm.Labels):
    """Labels whose custom statuses are read from the account on first use (one request, when needed)."""

    def __init__(self, api: Api, profile: Profile) -> None:
        super().__init__(profile.options)
        self.api = api
        self.read = str(profile.options.get("custom_statuses", "yes")).lower() not in ("no", "0", "false")

    def label(self, status: str, custom_status_id: Any) -> str:
        if custom_status_id is not None and self.read:
            self.read = False
            self.custom.update(custom_status_labels(self.api))
        return super().label(status, custom_status_id)


open_backend = ZendeskBackend.open_backend
