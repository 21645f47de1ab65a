"""Every text of the mail the portal sends about tickets, keyed. Each is a message of the catalog (locale/), so a
mail reads in its recipient's profile language (`me update --language es`) whatever language the request that
caused it spoke."""

from __future__ import annotations

from collections.abc import Mapping

from portalctl.i18n import N_, SOURCE, _, using
from portalctl.i18n import language_of as spoken
from portalctl.model import STATE_LABELS

TEXTS: Mapping[str, str] = {
    "subject": N_("[#{id}] {subject}"),
    "greeting": N_("Hello {name},"),
    "intro": N_("there is news on ticket #{id} \"{subject}\":"),
    "created": N_("- {actor} opened it."),
    "status": N_("- Its state changed from {old} to {new}."),
    "auto_closed": N_("- It was closed automatically, {hours} hours after it was resolved."),
    "reply": N_("- {actor} replied:"),
    "attachment": N_("- {actor} attached {filename}."),
    "link": N_("Open the ticket: {link}\nor from a terminal: portalctl tickets show {id}"),
    "footer": N_("You get this mail because you can see this ticket. To stop these mails: "
                 "portalctl me notifications --off {kind}"),
    "portal": N_("the portal"),
}


def language_of(profile_language: str | None) -> str:
    """The texts' language for a profile's language ("es", "es-CO", "es_MX" are Spanish; anything else English)."""
    return spoken(profile_language) or SOURCE


def text(language: str, key: str, **values: object) -> str:
    with using(language):
        return _(TEXTS[key]).format(**values)


def state_name(language: str, state: str) -> str:
    """A state as the mail names it: the portal's label ("Awaiting your reply"), in the recipient's language."""
    with using(language):
        return _(STATE_LABELS[state]) if state in STATE_LABELS else state
