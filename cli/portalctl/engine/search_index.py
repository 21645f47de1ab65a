"""What the full-text index holds, and writing it: every text as its words' stems (engine/stemming.py).

The engine writes the index itself, on both databases, because only Python has the stemmer: tickets_fts holds the
stems of a ticket's subject and public comments; articles are indexed by their dialect's `article_index` (SQLite:
the external-content FTS5 table, whose snippets still come from the article's own text; PostgreSQL: the article's
`document` tsvector). `rebuild` re-indexes a whole portal, for the migration that brought stems in.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portalctl.engine.db import Connection
    from portalctl.engine.dialect import Dialect

BATCH = 500


def stems(text: str, lang: str | None = None) -> str:
    from portalctl.engine.stemming import stems as stemmed

    return stemmed(text, lang)


def add_ticket(conn: Connection, ticket_id: int, subject: str, body: str) -> None:
    conn.execute("INSERT INTO tickets_fts (rowid, subject, body) VALUES (?, ?, ?)",
                 (ticket_id, stems(subject), stems(body)))


def add_comment(conn: Connection, ticket_id: int, body: str) -> None:
    """A public comment joins its ticket's searchable text (internal notes never do)."""
    conn.execute("UPDATE tickets_fts SET body = body || ? WHERE rowid = ?", ("\n" + stems(body), ticket_id))


def set_subject(conn: Connection, ticket_id: int, subject: str) -> None:
    conn.execute("UPDATE tickets_fts SET subject = ? WHERE rowid = ?", (stems(subject), ticket_id))


def article_terms(title: str, body: str, labels: str, locale: str) -> tuple[str, str, str]:
    from portalctl.engine.stemming import language

    lang = language(locale)
    return stems(title, lang), stems(body, lang), stems(labels, lang)


def index_article(conn: Connection, dialect: Dialect, article_id: int, new: Sequence[str],
                  old: Sequence[str] | None = None) -> None:
    """Index an article's (title, body, labels, locale), in place of its `old` ones."""
    if old is not None and dialect.article_unindex is not None:
        conn.execute(dialect.article_unindex, (*article_terms(*old), article_id))
    conn.execute(dialect.article_index, (*article_terms(*new), article_id))


def rebuild(conn: Connection, dialect: Dialect) -> None:
    """Every ticket's and article's text as stems (the articles' old entries already cleared by the migration's
    SQL), read in batches, so a large portal is re-indexed in flat memory."""
    for rowid, subject, body in batches(conn, "SELECT rowid, subject, body FROM tickets_fts", "rowid"):
        conn.execute("UPDATE tickets_fts SET subject = ?, body = ? WHERE rowid = ?",
                     (stems(subject), stems(body), rowid))
    for article_id, *text in batches(conn, "SELECT id, title, body, labels, locale FROM articles", "id"):
        conn.execute(dialect.article_index, (*article_terms(*text), article_id))


def batches(conn: Connection, select: str, key: str) -> Iterator[Any]:
    """The rows of `select`, read BATCH at a time by `key`: each batch is read whole before it is written over."""
    last = 0
    while True:
        rows = conn.execute(f"{select} WHERE {key} > ? ORDER BY {key} LIMIT {BATCH}", (last,)).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]
