"""Request Tracker's REST2 API (`/REST/2.0/`, built into RT 5) over one session.

Facts from RT's own documentation (the RT::REST2 POD, lib/RT/REST2.pm in RT 5.0.3): an auth token goes in
`Authorization: token ...` (basic auth with an RT user's password works too); plural resources page with `page` and
`per_page` (20 by default, 100 at most) and answer `total`, `pages`, `next_page`; `fields=` adds fields to search
rows and `fields[Role]=` expands a related record; errors come as `{"message": ...}`. A PUT answers 200 with a list of
messages even where RT refused a change ("Status 'x' isn't a valid status ..."), so callers read the ticket back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from portalctl.backends import rt_map as rm
from portalctl.backends.connector import api_root, follow
from portalctl.config import Profile
from portalctl.http import BearerAuth, JsonApi, status_line

PLATFORM = rm.PLATFORM
PAGE_MAX = 100  # "it may be increased up to 100"
TOKEN_HINT = ("pass an auth token: echo TOKEN | portalctl auth login --backend rt --url URL --with-token "
              "(create one in RT under Logged in as ... > Settings > Auth Tokens)")


class TokenAuth(BearerAuth):
    """RT::Authen::Token's scheme, in core since RT 5."""

    scheme = "token"


class Api(JsonApi):
    """One RT, one session: every call goes through `request`, which maps HTTP failures to portal errors."""

    platform = PLATFORM
    token_hint = TOKEN_HINT
    credential = "auth token"
    forbidden_hint = "the RT user behind the token lacks the right (ShowTicket, CreateTicket, ModifyTicket...)"
    busy_hint = "RT is busy or failing; try again later"
    invalid_statuses = frozenset({400})

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, "with the address RT is served at, e.g. "
                                           "https://rt.example.com", "/REST/2.0/", ("/REST/2.0", "/REST")))
        self.address_hint = f"is {profile.url} the address RT is served at (REST2 under /REST/2.0/)?"
        if secret and ":" in secret and not secret.split(":", 1)[0].isdigit():  # tokens read "1-14-<hex>"
            self.session.auth = requests.auth.HTTPBasicAuth(*secret.split(":", 1))
        elif secret:
            self.session.auth = TokenAuth(secret)

    def describe(self, response: requests.Response, data: Any) -> str:
        message = data.get("message") if isinstance(data, dict) else None
        return str(message).strip().split(" at /")[0] if message else status_line(response)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every row of a plural resource, page after page to the last (`next_page`). The first page is read now,
        so a refused token or a bad query fails before a caller writes anything."""
        first = self.json("GET", path, params=params)
        return follow(first, lambda page: page.get("items") or [], lambda page: page.get("next_page"),
                      lambda link: self.json("GET", self.on_origin(link)))
