"""Turning what a person types into a safe full-text query: every word a quoted term, so no input is syntax.

The index holds stems (engine/stemming.py). Each word is searched as its stems, whole ("contraseñas" searches for
"contrasen", which is how "contraseña" is indexed; "válidos" finds "válido" but not "valor"), and as typed, as a
prefix ("factu" finds "facturación"). SQLite's FTS5 and PostgreSQL's tsquery spell the query differently; both
fold case and accents.
"""

from __future__ import annotations


def word_forms(text: str) -> list[tuple[tuple[str, bool], ...]]:
    """For each word in `text` (each once), the (form, is a prefix) pairs any of which it matches (stemming.forms)."""
    from portalctl.engine.stemming import WORD, forms

    return list(dict.fromkeys(forms(word) for word in WORD.findall(text)))


def match_expression(text: str, *, operator: str = "AND") -> str | None:
    """FTS5's `("word1"* OR "stem1") AND ("word2"* OR "stem2")` for the words in `text`, or None when it has
    none."""
    terms = [" OR ".join(f'"{form}"' + ("*" if prefix else "") for form, prefix in forms)
             for forms in word_forms(text)]
    return f" {operator} ".join(f"({term})" for term in terms) if terms else None


def tsquery(text: str, *, operator: str = "AND") -> str | None:
    """PostgreSQL's `('word1':* | 'stem1') & ('word2':* | 'stem2')` for the words in `text`, or None (the 'portal'
    configuration folds it)."""
    terms = [" | ".join(f"'{form}'" + (":*" if prefix else "") for form, prefix in forms)
             for forms in word_forms(text)]
    joiner = " & " if operator == "AND" else " | "
    return joiner.join(f"({term})" for term in terms) if terms else None
