"""Backends: the embedded portal, a portalctl server over HTTP, and (as they land) help-desk connectors."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from portalctl.errors import InvalidInput
from portalctl.i18n import _

if TYPE_CHECKING:
    from portalctl.config import Profile
    from portalctl.contract import Backend

# kind -> module with `open_backend(profile) -> Backend`
KINDS: dict[str, str] = {
    "embedded": "portalctl.backends.embedded",
    "server": "portalctl.backends.server",
    "django-helpdesk": "portalctl.backends.django_helpdesk",
    "zendesk": "portalctl.backends.zendesk",
    "freshdesk": "portalctl.backends.freshdesk",
    "hubspot": "portalctl.backends.hubspot",
    "whmcs": "portalctl.backends.whmcs",
    "rt": "portalctl.backends.rt",
    "jsm": "portalctl.backends.jsm",
}


def open_backend(profile: Profile) -> Backend:
    module = KINDS.get(profile.backend)
    if module is None:
        raise InvalidInput(
            _("profile {name!r} uses unknown backend {backend!r}").format(name=profile.name, backend=profile.backend),
            hint=_("known backends: {KINDS}").format(KINDS=', '.join(KINDS)),
        )
    backend: Backend = importlib.import_module(module).open_backend(profile)
    return backend
