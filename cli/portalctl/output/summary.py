"""Ticket counts by state, priority, department and month, gathered while tickets stream past.

Used by the Excel export's Summary sheet and by `tickets stats`. Memory holds one counter per key (a few states,
departments and months), never the tickets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo

from portalctl.i18n import N_, _
from portalctl.labels import label
from portalctl.model import PRIORITIES, STATES, Ticket
from portalctl.output.localtime import month_of

DIMENSIONS = ("state", "priority", "department", "month")
NO_DEPARTMENT = N_("(none)")  # a key in data; tables and charts show its translation
VOCABULARY = {"state": "status", "priority": "priority"}  # the dimensions whose keys are words of a vocabulary


class Tally:
    def __init__(self, zone: tzinfo, states: Sequence[str] = STATES) -> None:
        self.zone = zone
        self.states = list(states)  # the states the query asked for: they show even with no tickets
        self.total = 0
        self.counts: dict[str, Counter[str]] = {dimension: Counter() for dimension in DIMENSIONS}

    def add(self, ticket: Ticket) -> None:
        self.total += 1
        counts = self.counts
        counts["state"][ticket.status] += 1
        counts["priority"][ticket.priority] += 1
        counts["department"][ticket.department or NO_DEPARTMENT] += 1
        counts["month"][month_of(ticket.created_at, self.zone)] += 1

    def rows(self, by: str) -> list[tuple[str, int]]:
        """(key, count) in a reader's order: states and priorities in their lifecycle order (zeros included, so a
        chart shows what is missing), departments by name, months in time order with empty months filled in."""
        counts = self.counts[by]
        if by == "state":
            keys = [s for s in STATES if s in self.states or counts[s]]
        elif by == "priority":
            keys = [p for p in PRIORITIES] + sorted(set(counts) - set(PRIORITIES))
        elif by == "month":
            keys = month_range(min(counts), max(counts)) if counts else []
        else:
            keys = sorted(counts, key=lambda k: (k == NO_DEPARTMENT, k.lower()))
        return [(key, counts[key]) for key in keys]


def month_range(first: str, last: str) -> list[str]:
    """Every YYYY-MM from `first` to `last`, inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while (current := f"{year:04d}-{month:02d}") <= last:
        months.append(current)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def key_word(dimension: str, key: str) -> str:
    """A row's key as a chart or the Summary sheet shows it: in the reader's language where it is a word."""
    if dimension in VOCABULARY:
        return str(label(VOCABULARY[dimension], key))
    return _(key) if key == NO_DEPARTMENT else key
