"""Every text of the mail the portal sends about tickets, in English and Spanish, picked by the recipient's
profile language (`me update --language es`). Kept together and keyed, so they can move into the message catalog
as they are."""

from __future__ import annotations

from collections.abc import Mapping

TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "subject": "[#{id}] {subject}",
        "greeting": "Hello {name},",
        "intro": "there is news on ticket #{id} \"{subject}\":",
        "created": "- {actor} opened it.",
        "status": "- Its state changed from {old} to {new}.",
        "auto_closed": "- It was closed automatically, {hours} hours after it was resolved.",
        "reply": "- {actor} replied:",
        "attachment": "- {actor} attached {filename}.",
        "link": "Open the ticket: {link}\nor from a terminal: portalctl tickets show {id}",
        "footer": "You get this mail because you can see this ticket. To stop these mails: "
                  "portalctl me notifications --off {kind}",
        "portal": "the portal",
    },
    "es": {
        "subject": "[#{id}] {subject}",
        "greeting": "Hola, {name}:",
        "intro": "hay novedades en el ticket #{id} \"{subject}\":",
        "created": "- {actor} lo abrió.",
        "status": "- Su estado pasó de {old} a {new}.",
        "auto_closed": "- Se cerró automáticamente {hours} horas después de resolverse.",
        "reply": "- {actor} respondió:",
        "attachment": "- {actor} adjuntó {filename}.",
        "link": "Abra el ticket: {link}\no desde una terminal: portalctl tickets show {id}",
        "footer": "Recibe este correo porque puede ver este ticket. Para no recibir más correos así: "
                  "portalctl me notifications --off {kind}",
        "portal": "el portal",
    },
}
STATE_NAMES: Mapping[str, Mapping[str, str]] = {
    "en": {"new": "New", "open": "Open", "pending": "Awaiting your reply", "on_hold": "On hold",
           "resolved": "Resolved", "closed": "Closed"},
    "es": {"new": "Nuevo", "open": "Abierto", "pending": "Esperando su respuesta", "on_hold": "En espera",
           "resolved": "Resuelto", "closed": "Cerrado"},
}


def language_of(profile_language: str | None) -> str:
    """The texts' language for a profile's language ("es", "es-CO", "es_MX" are Spanish; anything else English)."""
    code = (profile_language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in TEXTS else "en"


def text(language: str, key: str, **values: object) -> str:
    return TEXTS[language][key].format(**values)


def state_name(language: str, state: str) -> str:
    return STATE_NAMES[language].get(state, state)
