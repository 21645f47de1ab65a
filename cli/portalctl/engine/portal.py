"""A portal file and the sessions that act on it as one user.

`Portal(location).session(email)` gives a `Session` whose namespaces (tickets, articles, accounts) enforce what that
user may see and do. The CLI's embedded backend and the server both go through here: one set of rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from portalctl.engine.db import Connection, iso, transaction, utcnow
from portalctl.engine.dialect import dialect_for
from portalctl.errors import NotFound, PermissionDenied
from portalctl.i18n import _
from portalctl.private import repair

if TYPE_CHECKING:
    from portalctl.engine.accounts import AccountService
    from portalctl.engine.articles import ArticleService
    from portalctl.engine.contacts import ContactService
    from portalctl.engine.tickets import TicketService

DEFAULTS = {
    "auto_close_hours": "48",
    "max_attachment_mb": "95",
    "timezone": "UTC",
    "business_hours": "mon-fri 09:00-18:00",
    "resolution_hours": "24",
    "signup_policy": "closed",  # engine.signup: closed, open or domains
    "terms_text": "",
    "terms_version": "",
}


class Actor(NamedTuple):
    """The user a session acts as, with what visibility rules need to know."""

    id: int
    email: str
    name: str
    role: str
    org_id: int | None
    org_shared: bool
    manager: bool = False  # runs their organisation's contacts and sees its tickets

    @property
    def is_staff(self) -> bool:
        return self.role in ("agent", "admin")

    @property
    def sees_org_tickets(self) -> bool:
        """Every ticket of their organisation: where it shares tickets, or as its contact manager."""
        return self.org_id is not None and (self.org_shared or self.manager)

    def require_staff(self, what: str) -> None:
        if not self.is_staff:
            raise PermissionDenied(_("only agents may {what}").format(
                what=what), hint=_("ask your support team to do it"))

    def require_admin(self, what: str) -> None:
        if self.role != "admin":
            raise PermissionDenied(_("only admins may {what}").format(
                what=what), hint=_("ask an administrator of the portal"))


class Portal:
    """One portal: its database connection, settings, attachment store and clock.

    `location` is the portal file, or a postgresql:// URL; attachments live in `blob_dir` (default: the folder
    `attachments` beside the file; a PostgreSQL portal needs one named, shared by every server process).
    """

    def __init__(self, location: Path | str, *, create: bool = False, clock: Callable[[], datetime] = utcnow,
                 blob_dir: Path | None = None) -> None:
        self.location = location
        self.dialect = dialect_for(location)  # what differs between SQLite and PostgreSQL
        self.blob_dir = blob_dir or self.dialect.blob_dir(location)
        self.conn: Connection = self.dialect.connect(location, create=create)
        repair(self.blob_dir)  # attachments are as private as the portal (private.py)
        self.clock = clock
        # Tokens looked up on this connection, by digest, valid while conn.changes() says signed_in_at
        # (engine.auth.token_session).
        self.signed_in: dict[str, tuple[Any, Actor]] = {}
        self.signed_in_at: Any = None

    def setting(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else DEFAULTS[key]

    def settings(self, *keys: str) -> list[str]:
        """Several settings in one query, in the order asked."""
        found = dict(self.conn.execute(f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' * len(keys))})",
                                       keys).fetchall())
        return [found.get(key, DEFAULTS[key]) for key in keys]

    def set_setting(self, key: str, value: str) -> None:
        with transaction(self.conn):
            self.conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    @property
    def read_only(self) -> bool:
        """A portal file opened read-only (engine/sqlite.py): reads work, writes are refused."""
        return bool(getattr(self.conn, "read_only", False))

    def now(self) -> str:
        return iso(self.clock())

    def is_empty(self) -> bool:
        return bool(self.conn.execute("SELECT NOT EXISTS (SELECT 1 FROM users)").fetchone()[0])

    def session(self, email: str) -> Session:
        row = self.conn.execute(
            "SELECT u.id, u.email, u.name, u.role, u.org_id, u.active, COALESCE(o.shared_tickets, 0) AS shared,"
            " u.manager"
            " FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE u.email = ?",
            (email,),
        ).fetchone()
        if row is None:
            raise NotFound(_("no user {email} in this portal").format(email=email), about="user")
        if not row["active"]:
            raise PermissionDenied(_("user {email} is deactivated").format(
                email=email), hint=_("an admin can reactivate the account"),
                                   about="user")
        actor = Actor(row["id"], row["email"], row["name"], row["role"], row["org_id"], bool(row["shared"]),
                      manager=bool(row["manager"]) and row["role"] == "customer")
        return Session(self, actor)

    def close(self) -> None:
        self.conn.close()


class Session:
    """A portal seen and changed by one user."""

    def __init__(self, portal: Portal, actor: Actor) -> None:
        self.portal = portal
        self.actor = actor
        self.conn = portal.conn

    @cached_property
    def tickets(self) -> TicketService:
        from portalctl.engine.tickets import TicketService

        return TicketService(self)

    @cached_property
    def articles(self) -> ArticleService:
        from portalctl.engine.articles import ArticleService

        return ArticleService(self)

    @cached_property
    def accounts(self) -> AccountService:
        from portalctl.engine.accounts import AccountService

        return AccountService(self)

    @cached_property
    def contacts(self) -> ContactService:
        """An organisation's contacts, for its contact manager (on a server, `server.contacts` gives one that can
        mail reset links)."""
        from portalctl.engine.contacts import ContactService

        return ContactService(self)
