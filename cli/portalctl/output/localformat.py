"""Dates and numbers as the reader's language writes them in tables and sentences: English `2026-12-04 15:30`
and `1,234`; Spanish `4 dic 2026 15:30` and `1.234`.

A small table rather than a locale library: two languages need twelve month abbreviations (CLDR's Spanish
abbreviated month names, without their final dot) and a separator, and a table costs nothing at start-up.
"""

from __future__ import annotations

from datetime import datetime

from portalctl.i18n import language

SPANISH_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")


def date_time(moment: datetime) -> str:
    """A local date and time to the minute."""
    if language() == "es":
        return f"{moment.day} {SPANISH_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}"
    return moment.strftime("%Y-%m-%d %H:%M")


def number(value: int) -> str:
    """A whole number with its thousands grouped."""
    text = f"{value:,}"
    return text.replace(",", ".") if language() == "es" else text
