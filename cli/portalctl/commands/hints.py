"""Hints in command-line terms. An engine error says what went wrong and names the input it is about (`about`);
which flag or command puts it right is the command line's to know, so that advice is worded here, not in the engine
(whose errors reach HTTP clients too, through the server)."""

from __future__ import annotations

from collections.abc import Callable

from portalctl.errors import InvalidInput, NotFound, PermissionDenied, PortalError, StateConflict, follow_up_hint
from portalctl.i18n import N_, _

# (kind of error, what it is about) -> the hint. `about` is "name" or "name:value" (e.g. "field:user_code");
# {value} is that value, {hint} the error's own hint.
HINTS: dict[tuple[type[PortalError], str], str | Callable[[str], str]] = {
    (InvalidInput, "subject"): N_("pass --subject TEXT"),
    (InvalidInput, "body"): N_("pass --body TEXT or --body-file FILE"),
    (InvalidInput, "changes"): N_("pass at least one option; see 'tickets update --help'"),
    (InvalidInput, "field"): N_("pass --field {value}=VALUE"),
    (InvalidInput, "field_pattern"): N_("see 'portalctl admin fields list' for {value}"),
    (InvalidInput, "fields"): N_("{hint} (see 'portalctl admin fields list')"),
    (InvalidInput, "search"): N_('e.g. portalctl articles search "factura"'),
    (NotFound, "ticket"): N_("see 'portalctl tickets list'"),
    (NotFound, "attachments"): N_("see 'portalctl tickets attachments {value}'"),
    (NotFound, "user"): N_("see 'portalctl admin users list'"),
    (NotFound, "article"): N_("find one with 'portalctl articles search WORDS'"),
    (PermissionDenied, "user"): N_("an admin can run 'admin users reactivate'"),
    (StateConflict, "ticket"): lambda ticket_id: follow_up_hint(int(ticket_id)),
    (StateConflict, "article"): N_("change it with 'portalctl admin articles edit {value}'"),
    (NotFound, "contact"): N_("see 'portalctl contacts list'"),
    (PortalError, "reset_link"): N_("set a temporary password instead: portalctl contacts reset EMAIL --temporary"),
    (InvalidInput, "verification"): N_("register again for a new link: portalctl auth register --url URL --email "
                                       "EMAIL"),
    (PortalError, "portal"): N_("run 'portalctl init' to create one (or 'portalctl demo' for a guided tour)"),
}


def cli_hint(error: PortalError) -> str | None:
    """The hint to print under `error`: the command line's own for what it is about, else the error's."""
    if error.about is None:
        return error.hint
    name, _colon, value = error.about.partition(":")
    for (kind, about), hint in HINTS.items():
        if about == name and isinstance(error, kind):
            return hint(value) if callable(hint) else _(hint).format(value=value, hint=error.hint)
    return error.hint
