"""The portal in a SQLite file: opening it (WAL, migrations) and what its connection adds to sqlite3's.

sqlite3's own connection class, extended rather than wrapped: nothing stands between the engine and SQLite on the
hot paths of the embedded portal.

A portal file that cannot be written (its mode, its folder's, a read-only mount, a backup) is opened read-only:
reads work, migrations are not attempted, and a write is refused saying the file is read-only (exit 6).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from portalctl.engine.schema import Migration
from portalctl.errors import PortalError, Unavailable
from portalctl.i18n import _
from portalctl.private import create_file, make_dirs, repair


class ReadOnlyPortal(Unavailable):
    """A write to a portal file opened read-only."""


class SQLiteConnection(sqlite3.Connection):
    """sqlite3's connection with what engine.db.Connection asks beyond it (postgres.PgConnection has the same)."""

    read_only = False
    path: Path
    writer: int | None = None  # this connection's descriptor of the writers' lock file, once it has written

    def begin(self) -> None:
        """Writers take the lock up front, so racing writers queue instead of failing at their first write.

        They queue first on an flock of the lock file beside the portal (PORTAL-lock), and only then BEGIN
        IMMEDIATE: the kernel wakes the next writer the moment the lock is let go, where SQLite's busy handler
        polls in sleeps of up to 100 ms, so a writer of another server process (or a CLI) could wait through
        many others' turns. SQLite's own lock stays the guarantee; a writer that does not take the flock (an
        older portalctl) is still waited for by the busy timeout.
        """
        if self.read_only:
            raise read_only(self.path)
        if self.writer is None:
            self.writer = os.open(writers_lock(self.path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.writer, fcntl.LOCK_EX)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self.writer, fcntl.LOCK_UN)
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_writers_in()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_writers_in()

    def close(self) -> None:
        if self.writer is not None:
            os.close(self.writer)  # lets go of the flock, if held
            self.writer = None
        super().close()

    def _let_writers_in(self) -> None:
        if self.writer is not None and not self.in_transaction:
            fcntl.flock(self.writer, fcntl.LOCK_UN)

    def changes(self) -> tuple[int, int]:
        """SQLite's data_version (moves when another connection, of any process, commits) and this connection's
        own count of changed rows."""
        return self.execute("PRAGMA data_version").fetchone()[0], self.total_changes

    def stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """A listing's rows as plain tuples, stepped through the cursor: sqlite3.Row's lookups by name cost more
        than the rest of a listing."""
        cursor = self.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, parameters)


def connect(path: Path, migrations: Sequence[str | Migration], *, create: bool = False) -> SQLiteConnection:
    """Open the portal at `path` and bring it up to `migrations` (dialect.SQLite's); refuse a missing file unless
    `create`. A file that cannot be written is opened read-only."""
    exists = path.exists()
    if not create and not exists:
        raise PortalError(_("no portal at {path}").format(path=path), about="portal")
    # WAL mode writes two files beside the portal: a portal in a folder that cannot be written is read-only too
    readonly = exists and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    if not readonly:
        try:
            make_dirs(path.parent)
            create_file(path)  # 0600 before SQLite writes a byte; its WAL and SHM files take the portal file's mode
        except OSError:
            pass  # SQLite says why it cannot open it, below
    for kept in (path, wal(path), shm(path), writers_lock(path)):
        repair(kept)
    try:
        conn = open_read_only(path) if readonly else open_writable(path)
        conn.path = path
        conn.row_factory = sqlite3.Row
        if not conn.read_only:
            refuse_stranger(conn, path, create)  # before WAL mode writes the file's header
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, migrations)
    except sqlite3.DatabaseError as exc:
        raise Unavailable(_("cannot open the portal at {path}: {exc}").format(
            path=path, exc=exc), hint=_("is it a portalctl portal file?")) from exc
    return conn


def refuse_stranger(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    """A file that is not yet a portal becomes one only when asked to create one (`init`, `serve`), and only if it
    holds nothing (a new or empty file): an empty file or someone else's database is never turned into a portal."""
    if conn.execute("PRAGMA user_version").fetchone()[0]:
        return
    if create and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        return
    conn.close()
    what = _("an empty file") if path.stat().st_size == 0 else _("a SQLite database of something else")
    raise Unavailable(_("{path} is {what}, not a portalctl portal").format(
        path=path, what=what), about=None if create else "portal",
                      hint=_("give the path of a portal, or a new file name to create one"))


def open_writable(path: Path) -> SQLiteConnection:
    return sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False, factory=SQLiteConnection)


def open_read_only(path: Path) -> SQLiteConnection:
    """`mode=ro`; where SQLite cannot keep its shared-memory file beside a WAL portal (a read-only folder or mount
    without one), `immutable=1`: nothing is locked, as nothing can change the file there."""
    uri = path.resolve().as_uri()
    for flags in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=30, isolation_level=None,
                               check_same_thread=False, factory=SQLiteConnection)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the file (and its WAL) now
        except sqlite3.OperationalError:
            conn.close()
            if flags == "immutable=1":
                raise
            continue
        conn.read_only = True
        return conn
    raise AssertionError("unreachable")


def read_only(path: Path) -> ReadOnlyPortal:
    return ReadOnlyPortal(_("the portal file {path} is read-only; nothing was changed").format(path=path),
                          hint=_("reads work; to change it, make the file and its folder writable, or work on a copy"))


def wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def shm(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def writers_lock(path: Path) -> Path:
    """The file writers queue on (SQLiteConnection.begin): empty, 0600 like the portal."""
    return path.with_name(path.name + "-lock")


def schema_behind(path: Path, known: int) -> int | None:
    """The schema version of the portal file at `path` when it is an existing portal older than the `known`
    migrations (opening it will upgrade it); None otherwise. Read without opening the file for writing."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None  # no file, or not one SQLite can read: opening it says why
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return version if 0 < version < known else None


def migrate(conn: SQLiteConnection, migrations: Sequence[str | Migration]) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise PortalError(
            _("this portal was written by a newer portalctl (schema {version})").format(
                version=version), hint=_("upgrade portalctl")
        )
    if conn.read_only and version < len(migrations):
        raise ReadOnlyPortal(_("the portal file {path} is read-only and needs an upgrade first "
                               "(schema {version} of {count})").format(
                                   path=conn.path, version=version, count=len(migrations)),
                             hint=_("open it once with portalctl where it can be written"))
    for number in range(version, len(migrations)):
        step = migrations[number]
        try:
            if isinstance(step, str):
                conn.executescript(f"BEGIN IMMEDIATE; {step}; PRAGMA user_version = {number + 1}; COMMIT;")
                continue
            conn.executescript(f"BEGIN IMMEDIATE; {step.sql};")  # executescript would commit an open transaction
            step.then(conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                continue  # another process applied this migration first
            raise
        except BaseException:  # a Python step failed (or was interrupted): nothing of the migration stays
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
