"""A portal database's schema as plain data, to compare one built today with one built by an earlier portalctl.

tests/data/schema_9703879.json holds these dumps for portals made by the code of commit 9703879, the last with a
separate schema per database (SQLite after each of its migrations 1-3, PostgreSQL after its migration 1). It was
made once by running that commit's code (`git archive 9703879 cli`) and dumping what it built with these
functions: SQLite files migrated to each version by its sqlite.migrate, and a new PostgreSQL portal.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "data" / "schema_9703879.json"

POSTGRES_CATALOG = {
    "columns": "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default,"
               " is_identity, identity_generation, generation_expression FROM information_schema.columns"
               " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
               " ORDER BY tablename, indexname",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                   " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "text search": "SELECT m.maptokentype, m.mapseqno, d.dictname FROM pg_ts_config_map m"
                   " JOIN pg_ts_config c ON c.oid = m.mapcfg JOIN pg_ts_dict d ON d.oid = m.mapdict"
                   " WHERE c.cfgname = 'portal' ORDER BY 1, 2",
    "version": "SELECT max(version) FROM schema_version",
}


def sqlite_schema(conn: sqlite3.Connection) -> list[list[Any]]:
    """Every object SQLite keeps, with the text it was created by (columns and constraints are in that text)."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    return [list(row) for row in rows] + [["user_version", conn.execute("PRAGMA user_version").fetchone()[0]]]


def postgres_schema(conn: Any) -> dict[str, list[list[Any]]]:
    """Columns (types, defaults, identity, generated expressions), indexes, constraints, extensions, the `portal`
    text-search configuration and the recorded schema version, as PostgreSQL's catalog describes them."""
    return {name: [list(row) for row in conn.execute(sql).fetchall()] for name, sql in POSTGRES_CATALOG.items()}


def expected() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded
