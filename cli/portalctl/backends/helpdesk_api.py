"""django-helpdesk's REST API over one session, and what a desk defines that the API lets us read: queues and custom
fields."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator
from typing import Any

import requests

from portalctl.backends import helpdesk_map as hm
from portalctl.backends.connector import api_root, follow
from portalctl.config import Profile
from portalctl.errors import InvalidInput
from portalctl.http import BearerAuth, JsonApi, status_line
from portalctl.i18n import N_, _
from portalctl.model import Department, FieldDef

PLATFORM = hm.PLATFORM
TOKEN_HINT = N_("pass a token: echo TOKEN | portalctl auth login --backend django-helpdesk --url URL --with-token "
                "(create one in the Django admin under Tokens, or with 'manage.py drf_create_token USER')")
FIELD_KINDS = {"string": "text", "email": "text", "url": "text", "integer": "number", "decimal": "number",
               "float": "number", "date": "date", "datetime": "date", "choice": "choice",
               "multiple choice": "multichoice", "boolean": "boolean"}


def field_errors(data: Any) -> str:
    """DRF's 400 body ({"field": ["message"]}, {"detail": ...} or a list) as one line."""
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            text = field_errors(value)
            parts.append(text if key in ("detail", "non_field_errors") else f"{key}: {text}")
        return "; ".join(parts)
    if isinstance(data, list):
        return " ".join(field_errors(item) for item in data)
    return str(data)


class TokenAuth(BearerAuth):
    """DRF's token scheme."""

    scheme = "Token"


class Api(JsonApi):
    """One help desk, one session: every call goes through `request`, which maps HTTP failures to portal errors."""

    platform = PLATFORM
    token_hint = TOKEN_HINT
    invalid_statuses = frozenset({400})
    forbidden_hint = N_("its API serves staff users only: tick 'Staff status' for the account in the Django admin")
    busy_hint = N_("the help desk is busy or failing; try again later")

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, "with the address django-helpdesk is served at, "
                                           "e.g. https://help.example.com", "/api/", ("/api",)))
        self.address_hint = _("is {url} the address django-helpdesk is served at (its API under /api/)?").format(
            url=profile.url)
        self.path_hint = _("is {url} where django-helpdesk is served (its API under /api/)?").format(url=profile.url)
        self.username: str | None = None
        if secret and ":" in secret:  # a DRF token never holds a colon
            self.username, password = secret.split(":", 1)
            self.session.auth = requests.auth.HTTPBasicAuth(self.username, password)
        elif secret:
            self.session.auth = TokenAuth(secret)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result across DRF's pages (`count/next/previous/results`). The first page is read now, so a
        refused token fails before a caller writes anything."""
        first = self.json("GET", path, params=params)
        return follow(first, lambda page: page.get("results") or [], lambda page: page.get("next"),
                      lambda link: self.json("GET", self.on_origin(link)))

    def describe(self, response: requests.Response, data: Any) -> str:
        return field_errors(data) if data else status_line(response)


class Queues:
    """Queue ids, slugs and titles. The API names queues only in /api/user_tickets/ (tickets you submitted), read
    lazily, page by page, until the queue asked for turns up."""

    def __init__(self, api: Api, page_size: int) -> None:
        self.api = api
        self.page_size = page_size
        self.known: dict[int, Department] = {}
        self._rows: Iterator[dict[str, Any]] | None = None

    def _learn(self) -> bool:
        """Read one more submitted ticket; False when there are none left."""
        if self._rows is None:
            self._rows = self.api.pages("user_tickets/", {"page_size": self.page_size})
        for row in self._rows:
            queue = row.get("queue") or {}
            if "id" in queue and int(queue["id"]) not in self.known:
                slug = re.search(r"\[(.+)-\d+\]$", str(row.get("ticket") or ""))
                self.known[int(queue["id"])] = Department(id=int(queue["id"]), name=str(queue.get("title") or ""),
                                                          slug=slug[1] if slug else str(queue["id"]),
                                                          description=None)
                return True
        return False

    def slug(self, queue_id: int) -> str:
        """The queue's slug, or its number when no ticket of yours names it."""
        while queue_id not in self.known:
            if not self._learn():
                return str(queue_id)
        return self.known[queue_id].slug

    def resolve(self, name: str) -> int:
        """A queue number, slug or title as the queue's id."""
        text = str(name).strip()
        if text.isdigit():
            return int(text)
        wanted = text.casefold()
        while True:
            for queue in self.known.values():
                if wanted in (queue.slug.casefold(), queue.name.casefold()):
                    return queue.id
            if not self._learn():
                known = ", ".join(sorted(q.slug for q in self.known.values())) or "none yet"
                raise InvalidInput(
                    _("unknown queue {name!r} (queues named by your tickets: {known})").format(name=name, known=known),
                    hint=_("{platform}'s API lists no queues: pass the queue's number (Django admin > Queues)").format(
                        platform=PLATFORM))

    def all(self) -> builtins.list[Department]:
        while self._learn():
            pass
        return sorted(self.known.values(), key=lambda q: q.name.casefold())



def field_defs(api: Api) -> builtins.list[FieldDef]:
    """Custom fields from the API's OPTIONS description of a new ticket (`custom_<name>` entries)."""
    described = api.json("OPTIONS", "tickets/").get("actions", {}).get("POST", {})
    found = []
    for name, spec in described.items():
        if not name.startswith(hm.CUSTOM):
            continue
        kind = FIELD_KINDS.get(str(spec.get("type")), "text")
        found.append(FieldDef(
            key=name[len(hm.CUSTOM):], label=str(spec.get("label") or name), type=kind,
            required=bool(spec.get("required")), choices=[str(c["value"]) for c in spec.get("choices") or []],
            pattern=None, customer_editable=False, department=None, description=spec.get("help_text"),
        ))
    return found
