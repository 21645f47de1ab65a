"""Turning what a person types into a safe FTS5 query: every word a quoted prefix term, so no input is syntax."""

from __future__ import annotations

import re

WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(text: str, *, operator: str = "AND") -> str | None:
    """`"word1"* AND "word2"*` for the words in `text`, or None when it has no words."""
    words = WORD.findall(text)
    if not words:
        return None
    return f" {operator} ".join(f'"{word}"*' for word in words)
