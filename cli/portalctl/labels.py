"""The words a person reads for the values of fixed vocabularies: states, priorities, types and roles.

Values stay what they are in every machine format (JSON, CSV keys, exit codes); tables, messages and spreadsheets
show `label(kind, value)`. English shows the values themselves (they are English words); each other
language has its words in its catalog, the kind as context (scripts/i18n.py reads VOCABULARIES).
"""

from __future__ import annotations

from typing import Any

from portalctl.config import SOURCES
from portalctl.i18n import SOURCE, language, pgettext
from portalctl.model import PRIORITIES, ROLES, STATES, TICKET_TYPES

VOCABULARIES: dict[str, tuple[str, ...]] = {"status": STATES, "priority": PRIORITIES, "type": TICKET_TYPES,
                                             "role": ROLES, "source": SOURCES}
COLUMNS = {"status": "status", "priority": "priority", "type": "type", "role": "role", "author_role": "role",
           "source": "source"}


def label(kind: str, value: Any) -> Any:
    """The word for `value` in this run's language; a value the vocabulary lacks (a portal's own) as it is."""
    if language() == SOURCE or value not in VOCABULARIES.get(kind, ()):
        return value
    return pgettext(kind, value)


def status(value: Any) -> Any:
    """A ticket state as a sentence names it: "(now open)", "(ahora Abierto)"."""
    return label("status", value)
