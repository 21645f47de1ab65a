"""Turning what a person types into a safe full-text query: every word a quoted prefix term, so no input is syntax.

Each word also matches its Spanish and English word forms (engine/stemming.py): "contraseñas" searches for
`contraseñas* OR contraseñ*`, which finds "contraseña". SQLite's FTS5 and PostgreSQL's tsquery spell it
differently; both fold case and accents.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)


def word_forms(text: str) -> list[tuple[str, ...]]:
    """For each word in `text`, the prefixes any of which it matches: the word as typed, and its stems."""
    from portalctl.engine.stemming import forms

    return [forms(word) for word in WORD.findall(text)]


def match_expression(text: str, *, operator: str = "AND") -> str | None:
    """`("word1"* OR "stem1"*) AND "word2"*` for the words in `text`, or None when it has no words."""
    terms = [" OR ".join(f'"{form}"*' for form in forms) for forms in word_forms(text)]
    if not terms:
        return None
    return f" {operator} ".join(f"({term})" for term in terms)


def tsquery(text: str, *, operator: str = "AND") -> str | None:
    """PostgreSQL's `('word1':* | 'stem1':*) & 'word2':*` for the words in `text`, or None (the 'portal'
    configuration folds it)."""
    terms = [" | ".join(f"'{form}':*" for form in forms) for forms in word_forms(text)]
    if not terms:
        return None
    joiner = " & " if operator == "AND" else " | "
    return joiner.join(f"({term})" for term in terms)
