"""The client facade scripts import: `Client().tickets.create(subject=..., body=...)`.

It picks the backend from a profile (the current one by default) and exposes its namespaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portalctl.backends import open_backend
from portalctl.config import Profile, Settings
from portalctl.contract import (
    ContactsAPI,
    EventFeedAPI,
    NativeState,
    NotificationsAPI,
    PortalAccountsAPI,
    StatesAPI,
    portal_states,
)
from portalctl.errors import Unsupported
from portalctl.i18n import _

if TYPE_CHECKING:
    from portalctl.contract import AccountsAPI, ArticlesAPI, Backend, TicketsAPI


class Client:
    def __init__(self, profile: Profile | str | None = None) -> None:
        if profile is None or isinstance(profile, str):
            profile = Settings({"profile": profile}).profile()
        self.profile = profile
        self.backend: Backend = open_backend(profile)

    @property
    def tickets(self) -> TicketsAPI:
        return self.backend.tickets

    @property
    def articles(self) -> ArticlesAPI:
        return self.backend.articles

    @property
    def accounts(self) -> AccountsAPI:
        return self.backend.accounts

    @property
    def portal_accounts(self) -> PortalAccountsAPI:
        """Accounts as a portalctl portal keeps them (managers, countries, domains, photos, sign-up); a help desk
        refuses, naming itself."""
        accounts = self.backend.accounts
        if not isinstance(accounts, PortalAccountsAPI):
            raise self._unsupported(_("contact managers, countries, e-mail domains, photos and sign-up"))
        return accounts

    @property
    def contacts(self) -> ContactsAPI:
        """The organisation's contacts, for its contact manager."""
        contacts = getattr(self.backend, "contacts", None)
        if not isinstance(contacts, ContactsAPI):
            raise self._unsupported(_("company contacts"))
        return contacts

    @property
    def notifications(self) -> NotificationsAPI:
        """The user's e-mail notification switches."""
        accounts = self.backend.accounts
        if not isinstance(accounts, NotificationsAPI):
            raise self._unsupported("notification switches")
        return accounts

    @property
    def feed(self) -> EventFeedAPI:
        """The change feed of the tickets the user may see (`tickets watch`)."""
        tickets = self.backend.tickets
        if not isinstance(tickets, EventFeedAPI):
            raise self._unsupported(_("change feed to watch"))
        return tickets

    def _unsupported(self, what: str) -> Unsupported:
        return Unsupported(_("profile {name!r} ({backend}) has no {what}").format(
            name=self.profile.name, backend=self.profile.backend, what=what),
                           hint=_("they belong to a portalctl portal: the embedded one or 'portalctl serve'"))

    def asked_pause(self) -> float | None:
        """Seconds the portal asked a poller to wait (Retry-After on its last answer), if it did: `tickets wait`
        waits at least that long before looking again. None for the embedded portal, which never asks."""
        session = getattr(getattr(self.backend, "api", None), "session", None)
        pause = getattr(session, "asked_pause", None)
        return pause if isinstance(pause, float) else None

    def close(self) -> None:
        """Let go of the portal. The embedded portal's file takes its write-ahead log back in when its last
        connection closes, so that portal.db alone is a whole copy again; the commands close their client as they
        end, and so can a script (or use `with Client() as client:`)."""
        portal = getattr(self.backend, "portal", None)  # the embedded backend: a session on its own Portal
        if portal is not None:
            portal.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def states(self) -> list[NativeState]:
        """The backend's own ticket states and the canonical state each maps to (`portalctl tickets states`)."""
        if isinstance(self.backend, StatesAPI):
            return self.backend.states()
        return portal_states()
