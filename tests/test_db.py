"""The portal file: WAL, a versioned schema, and refusal of files from a newer portalctl."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from portalctl.engine.db import Connection
from portalctl.engine.dialect import SQLite
from portalctl.engine.schema import MIGRATIONS
from portalctl.errors import PortalError


def connect(path: Path, *, create: bool = False) -> Connection:
    """The portal file at `path`, opened as the embedded portal opens it."""
    return SQLite().connect(path, create=create)


def test_new_portal_is_wal_and_at_the_latest_schema(tmp_path: Path) -> None:
    conn = connect(tmp_path / "p.db", create=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    indexed = {r[0] for r in conn.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'index'")}
    assert {"tickets", "comments", "ticket_ccs", "articles"} <= indexed


def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    connect(tmp_path / "p.db", create=True).close()
    conn = connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_file_from_a_newer_portalctl_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(PortalError, match="newer portalctl"):
        connect(path)
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0


def test_a_file_that_is_not_a_portal_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite " * 100)
    with pytest.raises(PortalError, match="cannot open the portal"):
        connect(path)
