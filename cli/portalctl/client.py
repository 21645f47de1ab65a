"""The client facade scripts import: `Client().tickets.create(subject=..., body=...)`.

It picks the backend from a profile (the current one by default) and exposes its namespaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portalctl.backends import open_backend
from portalctl.config import Profile, Settings
from portalctl.contract import NativeState, StatesAPI, portal_states

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

    def states(self) -> list[NativeState]:
        """The backend's own ticket states and the canonical state each maps to (`portalctl tickets states`)."""
        if isinstance(self.backend, StatesAPI):
            return self.backend.states()
        return portal_states()
