"""The words a person reads for the values of fixed vocabularies: states, priorities, types and roles.

Values stay what they are in every machine format (JSON, CSV keys, exit codes); tables, messages and spreadsheets
show `label(kind, value)`. English shows the values themselves (they are English words); each other
language has its words in its catalog, the kind as context (scripts/i18n.py reads VOCABULARIES).
"""

from __future__ import annotations

from typing import Any

from portalctl.config import SOURCES
from portalctl.i18n import SOURCE, _, language, pgettext
from portalctl.model import PRIORITIES, ROLES, STATE_LABELS, STATES, TICKET_TYPES

VOCABULARIES: dict[str, tuple[str, ...]] = {"status": STATES, "priority": PRIORITIES, "type": TICKET_TYPES,
                                             "role": ROLES, "source": SOURCES}
COLUMNS = {"status": "status", "state": "status", "priority": "priority", "type": "type", "role": "role",
           "author_role": "role", "source": "source"}
STATE_LABEL_COLUMNS = ("status_label", "label")  # the embedded portal's English labels; a help desk's own stay


def label(kind: str, value: Any) -> Any:
    """The word for `value` in this run's language; a value the vocabulary lacks (a portal's own) as it is."""
    if language() == SOURCE or value not in VOCABULARIES.get(kind, ()):
        return value
    return pgettext(kind, value)


def cell(key: str, value: Any) -> Any:
    """A table cell's value in the reader's language, where its column holds words of a vocabulary."""
    if key in COLUMNS:
        return label(COLUMNS[key], value)
    if key in STATE_LABEL_COLUMNS and value in STATE_LABELS.values():
        return _(value)
    return value


def status(value: Any) -> Any:
    """A ticket state as a sentence names it: "(now open)", "(ahora Abierto)"."""
    return label("status", value)
