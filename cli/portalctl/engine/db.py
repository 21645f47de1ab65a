"""What the engine asks of the portal's database, whichever it is, and the clock.

The engine speaks to either database through `Connection`: sqlite.SQLiteConnection (sqlite3's own) or
postgres.PgConnection, which reads the same SQL. Where the SQL itself differs, the portal's dialect says it
(engine/dialect.py); this module sits below all three and imports none of them.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeAlias
from urllib.parse import urlsplit, urlunsplit

from portalctl.errors import Unavailable
from portalctl.i18n import _

Row: TypeAlias = Any  # sqlite3.Row or postgres.Row: by position and by column name
IntegrityError = sqlite3.IntegrityError  # a refused row, on either database (postgres.PgConnection raises it too)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the engine asks of a database connection: sqlite.SQLiteConnection and postgres.PgConnection are one."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def begin(self) -> None:
        """Begin a write transaction, waiting for the portal's write lock (writers queue, never interleave)."""

    def commit(self) -> None:
        """End the transaction `begin` opened, keeping its work, and let the next writer in."""

    def rollback(self) -> None:
        """End the transaction, if one is open, undoing its work, and let the next writer in."""

    def stream(self, sql: str, parameters: Sequence[Any] = ..., /) -> Iterator[tuple[Any, ...]]:
        """A listing's rows as tuples, fetched as they are read, so memory stays flat however many match."""

    def changes(self) -> Any:
        """A value that differs whenever the database may have changed since it was last asked (another
        connection's commit, or a write on this one); None where the database cannot tell cheaply."""

    def close(self) -> None: ...


def safe_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def tuples(conn: Connection, sql: str, parameters: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """A listing's rows as plain tuples, streamed (each connection knows how: see Connection.stream)."""
    return conn.stream(sql, parameters)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Stored and shown form of a time: UTC, seconds, trailing Z (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class transaction:
    """BEGIN ... COMMIT/ROLLBACK: writers take the lock up front, so racing writers queue (SQLite's BEGIN IMMEDIATE;
    on PostgreSQL one advisory lock).

    Inside a transaction someone else opened (the server's idempotency middleware holds one open for a whole
    request, so the request's work and its Idempotency-Key record commit together) it is a savepoint instead: its
    failure undoes only its own part, and the commit is the outer owner's.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.savepoint: str | None = None

    def __enter__(self) -> Connection:
        if self.conn.in_transaction:
            self.savepoint = f"portalctl_{next(_savepoints)}"
            self.conn.execute(f"SAVEPOINT {self.savepoint}")
        else:
            self.conn.begin()
        return self.conn

    def __exit__(self, exc_type: object, exc: BaseException | None, _tb: object) -> None:
        try:
            if self.savepoint is None:
                if exc is None:
                    self.conn.commit()
                else:  # SQLite may have rolled back already (a full disk does): then only the lock is let go
                    self.conn.rollback()
            elif exc is None:
                self.conn.execute(f"RELEASE SAVEPOINT {self.savepoint}")
            elif self.conn.in_transaction:  # the database may have ended the whole transaction (a full disk)
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {self.savepoint}")
                self.conn.execute(f"RELEASE SAVEPOINT {self.savepoint}")
        except Exception as error:
            if (full := disk_full(error)) is None:
                raise
            raise full from error
        if exc is not None and (full := disk_full(exc)):
            raise full from exc


_savepoints = itertools.count(1)


def disk_full(exc: BaseException) -> Unavailable | None:
    """A write refused for want of space (SQLITE_FULL; PostgreSQL's disk_full), as the error a user can act on."""
    if getattr(exc, "sqlite_errorcode", None) == 13 or getattr(exc, "sqlstate", None) == "53100":
        return Unavailable(_("the disk holding the portal is full: this change was not saved (the portal is intact)"),
                           hint=_("free some disk space, then run the command again"))
    return None
