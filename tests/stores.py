"""Where a test's portal lives: a SQLite file, or a new database on the test PostgreSQL server.

The server's tests run on both (`KINDS`). PostgreSQL comes from PORTALCTL_TEST_POSTGRES, an admin URL that
scripts/test.sh sets after starting a throwaway cluster; without it the PostgreSQL cases are skipped on a
developer's machine and fail under CI, where a quiet skip would prove nothing.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from portalctl.engine.portal import Portal

KINDS = ("sqlite", "postgresql")
ADMIN_URL = "PORTALCTL_TEST_POSTGRES"


@dataclass(frozen=True)
class Store:
    """A portal's database and the folder beside it for attachments, logs and the server's home."""

    kind: str
    location: Path | str
    folder: Path

    @property
    def blob_dir(self) -> Path:
        return self.folder / "attachments"

    def open(self) -> Portal:
        return Portal(self.location, create=True, blob_dir=self.blob_dir)

    def serve_args(self) -> list[str]:
        return ["--db", str(self.location), "--attachments", str(self.blob_dir)]


def new_store(kind: str, folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        return Store(kind, folder / "portal.db", folder)
    return Store(kind, new_database(), folder)


def new_database() -> str:
    """The URL of a new, empty database on the test PostgreSQL server."""
    admin = os.environ.get(ADMIN_URL)
    if not admin:
        message = f"PostgreSQL tests need {ADMIN_URL}=postgresql://USER@HOST:PORT/postgres (scripts/test.sh sets it)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    import psycopg

    name = "portal_" + uuid.uuid4().hex[:16]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    return admin.rsplit("/", 1)[0] + "/" + name
