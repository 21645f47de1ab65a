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


def test_writers_queue_on_the_lock_file_and_commit_lets_the_next_in(tmp_path: Path) -> None:
    """Another process holding the writers' lock (a second server worker, a CLI) keeps a writer waiting, even
    though SQLite's own lock is free; the writer goes ahead once it is let go, and its commit lets the next in."""
    import fcntl
    import os
    import subprocess
    import sys
    import threading

    from portalctl.engine.db import transaction

    conn = connect(tmp_path / "p.db", create=True)
    lock = tmp_path / "p.db-lock"
    with transaction(conn):  # the first write makes the lock file, as private as the portal
        conn.execute("INSERT INTO settings (key, value) VALUES ('business_hours', 'mon-fri 08:00-17:00')")
    assert os.stat(lock).st_mode & 0o777 == 0o600
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a');"
                               " fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
                               str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline() == "held\n"
    wrote = threading.Event()

    def write() -> None:
        with transaction(conn):
            conn.execute("INSERT INTO settings (key, value) VALUES ('timezone', 'UTC')")
        wrote.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not wrote.wait(0.5)  # queued behind the other process
    holder.stdin.close()
    holder.wait(10)
    assert wrote.wait(10)
    writer.join()
    with lock.open("a") as probe:  # the commit let go of the lock
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    conn.close()
