"""The server backend: a portalctl server (`portalctl serve`) reached over its HTTP API, v1.

It speaks the same model as the embedded backend and raises the same errors. This module puts the backend
together, one namespace per module (server_tickets, server_articles, server_accounts) over one Api (server_api:
problem+json errors back as their classes, Idempotency-Keys, paging, uploads; server_map: JSON to records), and
holds the calls made before there is a token: signing in, the sign-up policy, registering and verifying.
"""

from __future__ import annotations

from typing import Any

from portalctl.backends.server_accounts import ServerAccounts, ServerContacts, ServerTokens
from portalctl.backends.server_api import Api, given
from portalctl.backends.server_articles import ServerArticles
from portalctl.backends.server_map import record
from portalctl.backends.server_tickets import ServerTickets
from portalctl.config import Profile
from portalctl.errors import InvalidInput, PermissionDenied
from portalctl.i18n import _
from portalctl.model import SignupSettings


class ServerBackend:
    """The namespaces of the Backend protocol, plus `tokens`, over one Api."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.tickets = ServerTickets(api)
        self.articles = ServerArticles(api)
        self.accounts = ServerAccounts(api)
        self.contacts = ServerContacts(api)
        self.tokens = ServerTokens(api)


def connect(profile: Profile, token: str | None) -> ServerBackend:
    """A backend for `profile` acting with `token` (None: only the unauthenticated calls will work)."""
    if not profile.url:
        raise InvalidInput(_("profile {name!r} has no portal URL").format(name=profile.name),
                           hint=_("run 'portalctl auth login --url URL' for it"))
    return ServerBackend(Api(profile, profile.url, token))


def open_backend(profile: Profile) -> ServerBackend:
    """The backend for a saved profile: its token from PORTALCTL_TOKEN, else the keyring or credentials file."""
    from portalctl.secrets import SecretStore

    token = SecretStore().get(profile.name)
    if not token:
        raise PermissionDenied(
            _("not signed in to {url} (profile {name!r})").format(url=profile.url, name=profile.name),
            hint=_("run 'portalctl auth login --name {name} --url {url}' or set PORTALCTL_TOKEN").format(
                name=profile.name, url=profile.url),
        )
    return connect(profile, token)


def login(backend: ServerBackend, *, email: str, password: str, token_name: str,
          new_password: str | None = None) -> dict[str, Any]:
    """POST /auth/login: a new token for these credentials, with its id, expiry and user. `new_password` replaces
    a temporary password in the same call (the answer's `must_change_password` says when one is due).

    A throttled sign-in is not slept on: a person is waiting, so the error says how long to wait instead.
    """
    session = backend.api.session
    session.policy = session.policy._replace(retry_after_max=0.0)
    body = given({"email": email, "password": password, "token_name": token_name, "new_password": new_password})
    result: dict[str, Any] = backend.api.json("POST", "/auth/login", json=body)
    return result


def signup_settings(backend: ServerBackend) -> SignupSettings:
    """GET /auth/signup: the policy and the terms a registration accepts (no sign-in needed)."""
    return record(SignupSettings, backend.api.json("GET", "/auth/signup"))


def register(backend: ServerBackend, *, email: str, password: str, terms_version: str, name: str | None) -> None:
    """POST /auth/register: the same answer whether or not the address has an account; a throttled registration
    is not slept on (a person is waiting), so the error says how long to wait."""
    session = backend.api.session
    session.policy = session.policy._replace(retry_after_max=0.0)
    body = given({"email": email, "password": password, "accept_terms": terms_version, "name": name})
    backend.api.json("POST", "/auth/register", json=body)


def verify(backend: ServerBackend, token: str) -> dict[str, Any]:
    """POST /auth/verify: the account of a registration is made; its e-mail and organisation."""
    result: dict[str, Any] = backend.api.json("POST", "/auth/verify", json={"token": token})
    return result
