"""What differs between the portal's two databases, SQLite and PostgreSQL, answered in one place.

The engine writes its SQL once, in the part both databases share. Where they differ (opening one, the schema's
terms, full-text search, date arithmetic, the SQL of the export fast paths) it asks `portal.dialect`, one of the two
classes here. Adding a
database means adding a class here and a connection module beside sqlite.py and postgres.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from portalctl.engine import schema, sqlite
from portalctl.engine.db import Connection
from portalctl.engine.search import match_expression, tsquery
from portalctl.errors import Unavailable
from portalctl.i18n import _

SQLITE_REQUEST_SLOTS = 32


class Dialect(ABC):
    """The questions whose answer depends on the database; each subclass answers them for one."""

    # Listings as JSON and CSV rows built by the database (ticket_sql.json_select, row_select): SQLite's
    # json_object, PostgreSQL's json_build_object, and each one's cell rules. A database without them takes the
    # object path.
    json_listing: ClassVar[str | None] = None
    # Connections come from a pool of the driver's: the server keeps no idle ones of its own (server/pool.py).
    pooled: ClassVar[bool] = False
    # Tickets whose text matches one parameter, search_words(text): a WHERE clause on `t`.
    ticket_search: ClassVar[str]
    # Articles best first: format with columns, parents, filters and `filtered` (the joins the filters need, or
    # nothing); the parameters are search_words(text), the filters' values and the limit. Columns `snippet` and
    # `rank` (lower is better).
    article_search: ClassVar[str]
    # What fills each `{term}` of schema.MIGRATIONS (the list is in schema.py's docstring).
    schema_terms: ClassVar[Mapping[str, str]]

    def migrations(self) -> list[str | schema.Migration]:
        """The schema's migrations in this database's SQL."""
        return schema.render(self.schema_terms, self)

    # An article's index entry from the stems of its (title, body, labels) and its id (engine/search_index.py);
    # where the index keeps what it was given, `article_unindex` takes the old entry out first.
    article_index: ClassVar[str]
    article_unindex: ClassVar[str | None] = None

    # A ticket `t` carrying the tag of one parameter (tags are a JSON array in text on both databases).
    has_tag: ClassVar[str]

    @abstractmethod
    def connect(self, location: Path | str, *, create: bool) -> Connection:
        """A connection to the portal at `location`, migrated to the current schema."""

    def request_slots(self) -> int | None:
        """How many server requests may use the database at once (None: no limit beyond the server's own)."""
        return None

    def schema_current(self, conn: Connection) -> bool:
        """Whether the database holds every migration this portalctl knows (a server's readiness check)."""
        return bool(conn.execute(self.schema_version).fetchone()[0] == len(self.migrations()))

    # One row, one column: the number of migrations the database holds.
    schema_version: ClassVar[str]

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
    json_listing = "sqlite"
    schema_version = "PRAGMA user_version"
    ticket_search = "t.id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)"
    has_tag = "EXISTS (SELECT 1 FROM json_each(t.tags) WHERE json_each.value = ?)"
    # bm25 weights per FTS column (title, body, labels): a word in the title says more than one in the body.
    # The best are picked from the index alone, then joined and given snippets: ranked whole, a common word's
    # thousands of matches were each joined and each had a snippet cut (7.8 ms against 4.8 for "configuración").
    article_search = (
        "SELECT {columns}, snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet,"
        " bm25(articles_fts, 10.0, 1.0, 5.0) AS rank FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
        " {parents} WHERE articles_fts MATCH ?1 AND articles_fts.rowid IN (SELECT articles_fts.rowid FROM articles_fts"
        "{filtered} WHERE articles_fts MATCH ?1{filters} ORDER BY bm25(articles_fts, 10.0, 1.0, 5.0) LIMIT ?)"
        " ORDER BY rank"
    )
    # Written as the first schema wrote them, indentation and all: SQLite keeps each statement's text, and a file
    # made today has the same schema, to the letter, as one made before the schema was shared (tests/test_schema).
    schema_terms: ClassVar[Mapping[str, str]] = {
        "id": "INTEGER PRIMARY KEY",
        "citext": "TEXT",
        "nocase": " COLLATE NOCASE",
        "bytes": "TEXT",
        "setup": "",
        "tickets_fts": "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, body,"
                       " tokenize = 'unicode61 remove_diacritics 2');",
        # An external-content table over articles, kept up to date by triggers.
        "articles_fts": """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, labels, content = 'articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body, labels) VALUES (new.id, new.title, new.body, new.labels);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, labels)
        VALUES ('delete', old.id, old.title, old.body, old.labels);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title, body, labels ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, labels)
        VALUES ('delete', old.id, old.title, old.body, old.labels);
        INSERT INTO articles_fts(rowid, title, body, labels) VALUES (new.id, new.title, new.body, new.labels);
    END;""",
        "stemmed_index": """
    DROP TRIGGER articles_ai;
    DROP TRIGGER articles_ad;
    DROP TRIGGER articles_au;
    INSERT INTO articles_fts (articles_fts) VALUES ('delete-all');""",
    }

    # The index holds stems; the snippet comes from the article's own text, the words at the positions that matched.
    article_index = "INSERT INTO articles_fts (title, body, labels, rowid) VALUES (?, ?, ?, ?)"
    article_unindex = ("INSERT INTO articles_fts (articles_fts, title, body, labels, rowid)"
                       " VALUES ('delete', ?, ?, ?, ?)")

    def connect(self, location: Path | str, *, create: bool) -> Connection:
        return sqlite.connect(Path(location), self.migrations(), create=create)

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
    pooled = True
    json_listing = "postgresql"
    # Its version 1 holds the shared migrations 1-3 (schema.VERSIONS_BEFORE_FIRST): counted here as applied ones.
    schema_version = (f"SELECT CASE WHEN max(version) > 0 THEN max(version) + {schema.VERSIONS_BEFORE_FIRST} ELSE 0 END"
                      " FROM schema_version")
    ticket_search = "t.id IN (SELECT rowid FROM tickets_fts WHERE document @@ to_tsquery('portal', ?))"
    has_tag = "EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.tags::jsonb) AS tag WHERE tag = ?)"
    # The same weights as tsvector classes (title A, labels B, body D; see schema_terms), ranked by ts_rank (negated:
    # the rank is lower-is-better, as bm25's), the snippet by ts_headline.
    article_search = (
        "SELECT {columns}, ts_headline('portal', a.body, q.query, 'StartSel=[, StopSel=], MaxWords=12, MinWords=4,"
        " MaxFragments=1, FragmentDelimiter=…') AS snippet,"
        " -ts_rank('{{0.1, 0.2, 0.5, 1.0}}', a.document, q.query) AS rank"
        " FROM (SELECT to_tsquery('portal', ?) AS query) q JOIN articles a ON a.document @@ q.query"
        " {parents} WHERE TRUE{filters} ORDER BY rank, a.id LIMIT ?"
    )
    schema_terms: ClassVar[Mapping[str, str]] = {
        "id": "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "citext": "CITEXT",
        "nocase": "",
        "bytes": "BYTEA",
        # Words folded as FTS5's unicode61 remove_diacritics folds them: without accents, in lower case. Queries
        # and ts_headline use the same configuration, so "electronica" finds and highlights "electrónica".
        "setup": """
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE EXTENSION IF NOT EXISTS unaccent;
    CREATE TEXT SEARCH CONFIGURATION portal (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION portal ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword,
        hword_part WITH public.unaccent, pg_catalog.simple;""",
        # A table, not a column of tickets: its column is named rowid, as in the FTS5 table, so the statements
        # that keep it up to date are the same on both.
        "tickets_fts": """CREATE TABLE tickets_fts (
        rowid INTEGER PRIMARY KEY REFERENCES tickets(id),
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        document tsvector GENERATED ALWAYS AS (to_tsvector('portal', subject || ' ' || body)) STORED
    );
    CREATE INDEX tickets_fts_document ON tickets_fts USING gin (document);""",
        # Titles weigh most (A), then labels (B), then bodies (D): the weights FTS5's bm25 gives them on SQLite.
        "articles_fts": """ALTER TABLE articles ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('portal', title), 'A')
        || setweight(to_tsvector('portal', labels), 'B')
        || setweight(to_tsvector('portal', body), 'D')
    ) STORED;
    CREATE INDEX articles_document ON articles USING gin (document);""",
        # The document is written by the engine, from stems (article_index).
        "stemmed_index": """
    ALTER TABLE articles DROP COLUMN document;
    ALTER TABLE articles ADD COLUMN document tsvector;
    CREATE INDEX articles_document ON articles USING gin (document);""",
    }
    article_index = ("UPDATE articles SET document = setweight(to_tsvector('portal', ?), 'A')"
                     " || setweight(to_tsvector('portal', ?), 'D') || setweight(to_tsvector('portal', ?), 'B')"
                     " WHERE id = ?")

    def connect(self, location: Path | str, *, create: bool) -> Connection:
        """A pooled connection (tables are created on first use whatever `create` says); the `postgresql` extra."""
        try:
            from portalctl.engine import postgres
        except ImportError as exc:
            raise Unavailable(_("PostgreSQL needs the postgresql extra ({name} is missing)").format(name=exc.name),
                              hint=_("pip install 'portalctl[server,postgresql]'")) from exc
        return postgres.connect(str(location), self.migrations())

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
