"""What differs between the portal's two databases, SQLite and PostgreSQL, answered in one place.

The engine writes its SQL once, in the part both databases share. Where they differ (opening one, full-text search,
date arithmetic, SQLite's export fast paths) it asks `portal.dialect`, one of the two classes here. Adding a
database means adding a class here and a connection module beside sqlite.py and postgres.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from portalctl.engine import sqlite
from portalctl.engine.db import Connection
from portalctl.engine.search import match_expression, tsquery
from portalctl.errors import Unavailable

SQLITE_REQUEST_SLOTS = 32


class Dialect(ABC):
    """The questions whose answer depends on the database; each subclass answers them for one."""

    # SQLite builds export rows and JSON in SQL (engine/ticket_sql.py); elsewhere listings take the object path.
    sqlite_fast_paths: ClassVar[bool] = False
    # Tickets whose text matches one parameter, search_words(text): a WHERE clause on `t`.
    ticket_search: ClassVar[str]
    # Articles best first: format with columns, parents and filters; the parameters are search_words(text),
    # the filters' values and the limit. Columns `snippet` and `rank` (lower is better).
    article_search: ClassVar[str]

    @abstractmethod
    def connect(self, location: Path | str, *, create: bool) -> Connection:
        """A connection to the portal at `location`, migrated to the current schema."""

    def request_slots(self) -> int | None:
        """How many server requests may use the database at once (None: no limit beyond the server's own)."""
        return None

    @abstractmethod
    def blob_dir(self, location: Path | str) -> Path:
        """Where attachments are kept when no folder is named."""

    @abstractmethod
    def search_words(self, text: str, *, operator: str = "AND") -> str | None:
        """`text` as this database's full-text query, every word a prefix term; None when it has no words."""

    @abstractmethod
    def plus_hours(self, column: str, hours: int) -> str:
        """SQL for the ISO time in `column` plus `hours`, in the same ISO form."""


class SQLite(Dialect):
    sqlite_fast_paths = True
    ticket_search = "t.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)"
    # bm25 weights per FTS column (title, body, labels): a word in the title says more than one in the body.
    article_search = (
        "SELECT {columns}, snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet,"
        " bm25(articles_fts, 10.0, 1.0, 5.0) AS rank FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
        " {parents} WHERE articles_fts MATCH ?{filters} ORDER BY rank LIMIT ?"
    )

    def connect(self, location: Path | str, *, create: bool) -> Connection:
        return sqlite.connect(Path(location), create=create)

    def request_slots(self) -> int:
        """Fewer requests in progress than the server's worker threads (anyio's 40): a request holding the write
        lock across awaits (an Idempotency-Key's transaction) then always finds a thread to go on with, however
        many other writers are waiting for the lock in theirs."""
        return SQLITE_REQUEST_SLOTS

    def blob_dir(self, location: Path | str) -> Path:
        return Path(location).parent / "attachments"

    def search_words(self, text: str, *, operator: str = "AND") -> str | None:
        return match_expression(text, operator=operator)

    def plus_hours(self, column: str, hours: int) -> str:
        return f"strftime('%Y-%m-%dT%H:%M:%SZ', {column}, '+{int(hours)} hours')"


class PostgreSQL(Dialect):
    ticket_search = "t.id IN (SELECT rowid FROM tickets_fts WHERE document @@ to_tsquery('portal', ?))"
    # The same weights as tsvector classes (title A, labels B, body D; see schema_pg), ranked by ts_rank (negated:
    # the rank is lower-is-better, as bm25's), the snippet by ts_headline.
    article_search = (
        "SELECT {columns}, ts_headline('portal', a.body, q.query, 'StartSel=[, StopSel=], MaxWords=12, MinWords=4,"
        " MaxFragments=1, FragmentDelimiter=…') AS snippet,"
        " -ts_rank('{{0.1, 0.2, 0.5, 1.0}}', a.document, q.query) AS rank"
        " FROM (SELECT to_tsquery('portal', ?) AS query) q JOIN articles a ON a.document @@ q.query"
        " {parents} WHERE TRUE{filters} ORDER BY rank, a.id LIMIT ?"
    )

    def connect(self, location: Path | str, *, create: bool) -> Connection:
        """A pooled connection (tables are created on first use whatever `create` says); the `postgresql` extra."""
        try:
            from portalctl.engine import postgres
        except ImportError as exc:
            raise Unavailable(f"PostgreSQL needs the postgresql extra ({exc.name} is missing)",
                              hint="pip install 'portalctl[server,postgresql]'") from exc
        return postgres.connect(str(location))

    def request_slots(self) -> int:
        """Half the connection pool: a request waiting for a slot then holds no connection."""
        from portalctl.engine.postgres import POOL_SIZE

        return POOL_SIZE // 2

    def blob_dir(self, location: Path | str) -> Path:
        raise ValueError("a PostgreSQL portal needs blob_dir: where its attachments are kept")

    def search_words(self, text: str, *, operator: str = "AND") -> str | None:
        return tsquery(text, operator=operator)

    def plus_hours(self, column: str, hours: int) -> str:
        return (f"to_char(({column})::timestamptz AT TIME ZONE 'UTC' + make_interval(hours => {int(hours)}),"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")


def is_postgres(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def dialect_for(location: Path | str) -> Dialect:
    """The dialect of the portal at `location`: a postgresql:// URL, else a SQLite file."""
    return PostgreSQL() if is_postgres(location) else SQLite()
