"""The portal in a SQLite file: opening it (WAL, migrations) and the two things its connection adds to sqlite3's.

sqlite3's own connection class, extended rather than wrapped: nothing stands between the engine and SQLite on the
hot paths of the embedded portal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from portalctl.errors import PortalError, Unavailable


class SQLiteConnection(sqlite3.Connection):
    """sqlite3's connection with what engine.db.Connection asks beyond it (postgres.PgConnection has the same)."""

    def begin(self) -> None:
        """Writers take the lock up front, so racing writers queue instead of failing at their first write."""
        self.execute("BEGIN IMMEDIATE")

    def stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """A listing's rows as plain tuples, stepped through the cursor: sqlite3.Row's lookups by name cost more
        than the rest of a listing."""
        cursor = self.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, parameters)


def connect(path: Path, migrations: Sequence[str], *, create: bool = False) -> SQLiteConnection:
    """Open the portal at `path` and bring it up to `migrations` (dialect.SQLite's); refuse a missing file unless
    `create`."""
    if not create and not path.exists():
        raise PortalError(f"no portal at {path}", about="portal")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False,
                               factory=SQLiteConnection)
        conn.row_factory = sqlite3.Row
        refuse_stranger(conn, path, create)  # before WAL mode writes the file's header
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, migrations)
    except sqlite3.DatabaseError as exc:
        raise Unavailable(f"cannot open the portal at {path}: {exc}", hint="is it a portalctl portal file?") from exc
    return conn


def refuse_stranger(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """A file that is not yet a portal becomes one only when asked to create one (`init`, `serve`), and only if it
    holds nothing (a new or empty file): an empty file or someone else's database is never turned into a portal."""
    if conn.execute("PRAGMA user_version").fetchone()[0]:
        return
    if create and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return
    conn.close()
    what = "an empty file" if path.stat().st_size == 0 else "a SQLite database of something else"
    raise Unavailable(f"{path} is {what}, not a portalctl portal", about=None if create else "portal",
                      hint="give the path of a portal, or a new file name to create one")


def migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> None:
    """Apply the migrations the file lacks; PRAGMA user_version counts those it has."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise PortalError(
            f"this portal was written by a newer portalctl (schema {version})", hint="upgrade portalctl"
        )
    for number in range(version, len(migrations)):
        try:
            conn.executescript(f"BEGIN IMMEDIATE; {migrations[number]}; PRAGMA user_version = {number + 1}; COMMIT;")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                continue  # another process applied this migration first
            raise
