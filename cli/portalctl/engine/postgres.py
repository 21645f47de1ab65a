"""The portal on PostgreSQL (psycopg 3): a connection that reads the engine's SQL as SQLite's module does.

The engine writes its SQL once, in the part both databases share (placeholders `?`, `ON CONFLICT`, `RETURNING`);
this module turns `?` into psycopg's `%s`, hands out rows that answer by position and by name like sqlite3.Row,
and keeps one connection pool per database so a server request borrows a connection instead of opening one.
Writers serialise on one advisory lock, as SQLite's BEGIN IMMEDIATE makes them: the rules (de-duplication above
all) were written for writers that queue.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool, PoolTimeout

from portalctl.engine.db import IntegrityError, safe_url
from portalctl.engine.schema import VERSIONS_BEFORE_FIRST, Migration
from portalctl.errors import PortalError, Unavailable
from portalctl.i18n import _

WRITE_LOCK = 0x706F7274  # pg_advisory_xact_lock key every portal writer takes ("port")
MIGRATION_LOCK = WRITE_LOCK + 1
POOL_SIZE = 40  # per process; the server lets POOL_SIZE // 2 requests in at a time (server/concurrency.py)
CONNECT_TIMEOUT = 10  # seconds
BATCH = 500
_cursor_numbers = itertools.count()
_pools: dict[str, ConnectionPool[psycopg.Connection[Any]]] = {}
_pools_lock = threading.Lock()
PLACEHOLDER = re.compile(r"%|\?")


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, like sqlite3.Row (and `dict(row)` works)."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def row_factory(cursor: psycopg.Cursor[Any]) -> RowMaker[Row]:
    kind = row_class(tuple(column.name for column in cursor.description or ()))

    def make(values: Sequence[Any]) -> Row:
        return kind(values)

    return make


@lru_cache(maxsize=512)
def row_class(names: tuple[str, ...]) -> type[Row]:
    """One Row class per column list, made once: the engine runs the same few hundred statements again and again."""
    made: type[Row] = type("Row", (Row,), {"names": {name: i for i, name in enumerate(names)}, "__slots__": ()})
    return made


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (and a literal % doubled)."""
    return PLACEHOLDER.sub(lambda m: "%s" if m[0] == "?" else "%%", sql)


class PgConnection:
    """The slice of sqlite3.Connection the engine uses, on a pooled psycopg connection in autocommit mode."""

    def __init__(self, raw: psycopg.Connection[Any], pool: ConnectionPool[psycopg.Connection[Any]] | None) -> None:
        self.raw = raw
        self.pool = pool  # where the connection goes back on close (None: it is closed)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        try:
            if not parameters:  # without parameters psycopg reads no placeholders (nor doubled %)
                return self.raw.execute(sql.encode())
            return self.raw.execute(translate(sql).encode(), parameters)
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc).splitlines()[0]) from exc

    def stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[Any]:
        """A listing's rows fetched BATCH at a time from a server-side cursor: memory stays flat however many
        match, and the connection is free between batches for the queries a listing makes as it goes (CCs).
        WITH HOLD, because in autocommit mode the cursor outlives the statement's transaction."""
        cursor = self.raw.cursor(name=f"listing_{next(_cursor_numbers)}", withhold=True)
        cursor.itersize = BATCH
        try:
            cursor.execute(translate(sql).encode(), parameters or None)
            yield from cursor
        finally:
            cursor.close()

    def changes(self) -> None:
        """PostgreSQL cannot say cheaply whether anything changed: nothing is remembered between requests."""
        return None

    def begin(self) -> None:
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def commit(self) -> None:
        if self.in_transaction:
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        if self.raw is not None:
            if self.in_transaction:
                self.raw.rollback()
            if self.pool is None:
                self.raw.close()
            else:
                self.pool.putconn(self.raw)
            self.raw = None  # type: ignore[assignment]


def connect(url: str, migrations: Sequence[str | Migration]) -> PgConnection:
    """A connection from this process's pool for `url`. The first one is made directly, so a wrong URL fails at
    once saying why; it brings the schema up to `migrations` (dialect.PostgreSQL's), then the pool is made."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            try:
                first = psycopg.connect(url, autocommit=True, row_factory=row_factory, connect_timeout=CONNECT_TIMEOUT)
            except psycopg.OperationalError as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise Unavailable(_("cannot reach the PostgreSQL portal {safe_url}: {reason}").format(
                    safe_url=safe_url(url), reason=reason),
                                  hint=_("is the server running, and the URL (user, host, database) right?")) from exc
            conn = PgConnection(first, None)
            try:
                migrate(conn, migrations)
            finally:
                conn.close()
            pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=False, timeout=30,
                                  kwargs={"autocommit": True, "row_factory": row_factory}, name="portalctl")
            try:
                pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            except PoolTimeout as exc:
                pool.close()
                raise Unavailable(_("cannot reach the PostgreSQL portal {safe_url}").format(
                    safe_url=safe_url(url))) from exc
            _pools[url] = pool
    try:
        return PgConnection(pool.getconn(), pool)
    except PoolTimeout as exc:
        raise Unavailable(_("the PostgreSQL portal is busy: no free connection within 30 s"),
                          hint=_("retry in a moment")) from exc


def migrate(conn: PgConnection, migrations: Sequence[str | Migration]) -> None:
    """Apply missing migrations under a lock, so several server processes starting together migrate once."""
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        version = row[0] if row else 0
        applied = version + VERSIONS_BEFORE_FIRST if version else 0
        if applied > len(migrations):
            raise PortalError(_("this portal was written by a newer portalctl (schema {version})").format(
                version=version),
                              hint=_("upgrade portalctl"))
        for number in range(applied, len(migrations)):
            step = migrations[number]
            conn.raw.execute((step if isinstance(step, str) else step.sql).encode())
            if not isinstance(step, str):
                step.then(conn)
            if number >= VERSIONS_BEFORE_FIRST:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number + 1 - VERSIONS_BEFORE_FIRST,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
