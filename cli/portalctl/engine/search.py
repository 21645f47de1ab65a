"""Turning what a person types into a safe full-text query: every word a quoted prefix term, so no input is syntax.

SQLite's FTS5 and PostgreSQL's tsquery spell it differently; both fold case and accents.
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(text: str, *, operator: str = "AND") -> str | None:
    """`"word1"* AND "word2"*` for the words in `text`, or None when it has no words."""
    words = WORD.findall(text)
    if not words:
        return None
    return f" {operator} ".join(f'"{word}"*' for word in words)


def tsquery(text: str, *, operator: str = "AND") -> str | None:
    """PostgreSQL's `'word1':* & 'word2':*` for the words in `text`, or None (the 'portal' configuration folds it)."""
    words = WORD.findall(text)
    if not words:
        return None
    joiner = " & " if operator == "AND" else " | "
    return joiner.join(f"'{word}':*" for word in words)
