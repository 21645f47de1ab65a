"""Opening the portal's SQLite file: WAL, foreign keys, migrations, and the clock every rule reads."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from portalctl.engine.schema import MIGRATIONS
from portalctl.errors import PortalError, Unavailable


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Stored and shown form of a time: UTC, seconds, trailing Z (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: writers take the lock up front, so racing writers queue."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
