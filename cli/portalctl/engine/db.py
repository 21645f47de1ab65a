"""Opening the portal's database (a SQLite file, or PostgreSQL for a server), migrations, and the clock.

The engine speaks to either through `Connection`: sqlite3's own connection (nothing in between on the hot paths
of the embedded portal) or portalctl.engine.postgres.PgConnection, which reads the same SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias
from urllib.parse import urlsplit, urlunsplit

from portalctl.engine.schema import MIGRATIONS
from portalctl.errors import PortalError, Unavailable

if TYPE_CHECKING:
    from portalctl.engine.postgres import PgConnection

Row: TypeAlias = Any  # sqlite3.Row or postgres.Row: by position and by column name
IntegrityError = sqlite3.IntegrityError  # a refused row, on either database (postgres.PgConnection raises it too)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the engine asks of a database connection: sqlite3.Connection and postgres.PgConnection both are one."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def close(self) -> None: ...


def is_postgres(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def safe_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def open_database(location: Path | str, *, create: bool = False) -> Connection:
    """The portal at `location`: a SQLite file path, or a postgresql:// URL (the `postgresql` extra)."""
    if is_postgres(location):
        try:
            from portalctl.engine import postgres
        except ImportError as exc:
            raise Unavailable(f"PostgreSQL needs the postgresql extra ({exc.name} is missing)",
                              hint="pip install 'portalctl[server,postgresql]'") from exc
        return postgres.connect(str(location))
    return connect(Path(location), create=create)


def tuples(conn: Connection, sql: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """A listing's rows as plain tuples, streamed: sqlite3 steps its cursor, PostgreSQL sends rows as it finds them."""
    if isinstance(conn, sqlite3.Connection):
        cursor = conn.cursor()
        cursor.row_factory = None  # tuples: sqlite3.Row's lookups by name cost more than the rest of a listing
        return cursor.execute(sql, parameters)
    return postgres(conn).stream(sql, parameters)


def postgres(conn: Connection) -> PgConnection:
    """`conn` as the PostgreSQL connection it is, for what only PostgreSQL's side does."""
    from portalctl.engine.postgres import PgConnection

    assert isinstance(conn, PgConnection)
    return conn


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Stored and shown form of a time: UTC, seconds, trailing Z (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def plus_hours(column: str, hours: int, *, postgres: bool) -> str:
    """SQL for the ISO time in `column` plus `hours`, in the same ISO form (the databases' date functions differ)."""
    if postgres:
        return (f"to_char(({column})::timestamptz AT TIME ZONE 'UTC' + make_interval(hours => {int(hours)}),"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {column}, '+{int(hours)} hours')"


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open (and migrate) the portal at `path`; refuse a missing file unless `create`."""
    if not create and not path.exists():
        raise PortalError(
            f"no portal at {path}",
            hint="run 'portalctl init' to create one (or 'portalctl demo' for a guided tour)",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise Unavailable(f"cannot open the portal at {path}: {exc}", hint="is it a portalctl portal file?") from exc
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise PortalError(
            f"this portal was written by a newer portalctl (schema {version})", hint="upgrade portalctl"
        )
    for number in range(version, len(MIGRATIONS)):
        try:
            conn.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; PRAGMA user_version = {number + 1}; COMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                continue  # another process applied this migration first
            raise


class transaction:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: writers take the lock up front, so racing writers queue (on PostgreSQL
    they queue on one advisory lock)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        if isinstance(self.conn, sqlite3.Connection):
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            postgres(self.conn).begin()
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
