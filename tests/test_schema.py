"""One schema for both databases, and the portals made before it was shared still open and migrate on.

The expected schemas are dumps of portals built by the code of commit 9703879 (tests/schema_dump.py says how),
the last with a separate schema for each database.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.config import default_db
from portalctl.engine import postgres, sqlite
from portalctl.engine.dialect import PostgreSQL, SQLite
from portalctl.errors import PortalError
from tests.schema_dump import expected, postgres_schema, sqlite_schema
from tests.stores import new_store


def test_a_sqlite_file_at_each_earlier_version_is_what_it_was_and_migrates_on(tmp_path: Path) -> None:
    """A file the earlier code left at version k has the same schema as one migrated to k today, and opening it
    brings it to the schema of a file made today, keeping its rows."""
    migrations = SQLite().migrations()
    today = sqlite_schema(SQLite().connect(tmp_path / "new.db", create=True))
    for version, schema in expected()["sqlite"].items():
        path = tmp_path / f"v{version}.db"
        conn = sqlite3.connect(path, isolation_level=None, factory=sqlite.SQLiteConnection)
        sqlite.migrate(conn, migrations[:int(version)])
        assert sqlite_schema(conn) == schema, f"version {version}"
        conn.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
        conn.close()
        opened = SQLite().connect(path, create=False)
        assert sqlite_schema(opened) == today
        assert opened.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
        opened.close()


def test_a_postgresql_database_of_the_earlier_code_is_what_it_was_and_opens(tmp_path: Path) -> None:
    """Migrated as far as the earlier code went, a database has the same columns, types, identities, generated
    search columns, indexes, constraints, text-search configuration and schema_version (1); so one the earlier
    code made opens today as one made today does."""
    import psycopg

    store = new_store("postgresql", tmp_path)
    migrations = PostgreSQL().migrations()
    conn = postgres.PgConnection(psycopg.connect(str(store.location), autocommit=True,
                                                 row_factory=postgres.row_factory), None)
    try:
        postgres.migrate(conn, migrations[:3])
        assert postgres_schema(conn) == expected()["postgresql"]
        conn.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
    finally:
        conn.close()
    portal = store.open()
    try:
        assert portal.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == len(migrations) - 2
        assert portal.conn.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
    finally:
        portal.close()


def test_postgresql_counts_migrations_as_the_earlier_code_did(tmp_path: Path) -> None:
    """The first PostgreSQL migration was the shared 1-3, so the shared list's migration n is its version n - 2 (the
    4th is 2); a database that has one more is refused by code that does not."""
    portal = new_store("postgresql", tmp_path).open()
    try:
        shipped = PostgreSQL().migrations()
        postgres.migrate(portal.conn, [*shipped, "CREATE TABLE later (id INTEGER)"])
        assert portal.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == len(shipped) + 1 - 2
        assert portal.conn.execute("SELECT count(*) FROM later").fetchone()[0] == 0
        postgres.migrate(portal.conn, [*shipped, "CREATE TABLE later (id INTEGER)"])  # nothing left to apply
        with pytest.raises(PortalError, match="newer portalctl"):
            postgres.migrate(portal.conn, shipped)
    finally:
        portal.close()


def test_a_command_says_so_before_upgrading_an_older_portal_file(cli: Callable[..., Result], home: Path) -> None:
    """A newer portalctl upgrades the file on first use, which on a large portal takes minutes: it says so first,
    once, on stderr, and the command's own output is unchanged."""
    path = default_db()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, factory=sqlite.SQLiteConnection)
    sqlite.migrate(conn, SQLite().migrations()[:5])
    conn.execute("INSERT INTO users (email, name, role, created_at) VALUES ('lead@example.com', 'Lead', 'admin',"
                 " '2026-01-01T00:00:00Z')")
    conn.close()
    first = cli("tickets", "list", "--status", "all", "-o", "json")
    assert first.exit_code == 0, first.output
    assert "Upgrading the portal" in first.stderr and "(schema 5 to" in first.stderr
    assert json.loads(first.stdout) == []
    again = cli("tickets", "list", "--status", "all", "-o", "json")
    assert again.exit_code == 0 and again.stderr == ""
