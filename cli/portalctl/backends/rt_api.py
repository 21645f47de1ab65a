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
from urllib.parse import urlencode

import requests

from portalctl.backends import rt_map as rm
from portalctl.backends.connector import api_root, follow
from portalctl.config import Profile
from portalctl.http import BearerAuth, JsonApi, status_line
from portalctl.i18n import N_, _

PLATFORM = rm.PLATFORM
PAGE_MAX = 100  # "it may be increased up to 100"
TOKEN_HINT = N_("pass an auth token: echo TOKEN | portalctl auth login --backend rt --url URL --with-token "
                "(create one in RT under Logged in as ... > Settings > Auth Tokens)")


class TokenAuth(BearerAuth):
    """RT::Authen::Token's scheme, in core since RT 5."""

    scheme = "token"


class Api(JsonApi):
    """One RT, one session: every call goes through `request`, which maps HTTP failures to portal errors."""

    platform = PLATFORM
    token_hint = TOKEN_HINT
    credential = "auth token"
    forbidden_hint = N_("the RT user behind the token lacks the right (ShowTicket, CreateTicket, ModifyTicket...)")
    busy_hint = N_("RT is busy or failing; try again later")
    invalid_statuses = frozenset({400})

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, "with the address RT is served at, e.g. "
                                           "https://rt.example.com", "/REST/2.0/", ("/REST/2.0", "/REST")))
        self.address_hint = _("is {url} the address RT is served at (REST2 under /REST/2.0/)?").format(url=profile.url)
        if secret and ":" in secret:  # an auth token never holds a colon (it reads "1-14-<hex>")
            self.session.auth = requests.auth.HTTPBasicAuth(*secret.split(":", 1))
        elif secret:
            self.session.auth = TokenAuth(secret)

    def describe(self, response: requests.Response, data: Any) -> str:
        message = data.get("message") if isinstance(data, dict) else None
        return str(message).strip().split(" at /")[0] if message else status_line(response)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every row of a plural resource, page after page to the last. The first page is read now, so a refused
        token or a bad query fails before a caller writes anything.

        REST2 links `next_page` only where it counted the rows, and it counts them only for a user who may see them
        all (RT::REST2::Resource::Collection `serialize`: `total` needs CurrentUserCanSeeAll, a SuperUser's right
        for history and attachments). For anyone else the next page number is asked for until a page comes back
        empty; rows the user may not see are left out of a page after it is cut, so callers filter on the server
        to what the user can see (a page of hidden rows alone would end the walk early)."""

        def after(page: dict[str, Any]) -> str | None:
            if page.get("next_page"):
                return self.on_origin(str(page["next_page"]))
            if page.get("total") is None and page.get("items"):
                return self.root + path + "?" + urlencode({**params, "page": int(page.get("page") or 1) + 1},
                                                          doseq=True)
            return None

        first = self.json("GET", path, params=params)
        return follow(first, lambda page: page.get("items") or [], after, lambda link: self.json("GET", link))
