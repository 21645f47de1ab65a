"""Open SQLite portals kept between requests: opening one (file, WAL set-up, the migration check) cost more than
the read it served, about a third of a request to show a ticket.

A request borrows a portal for its whole life and gives it back at the end, so a connection is never used by two
requests at once, whichever worker threads FastAPI runs the request's parts on. PostgreSQL portals are not kept:
their connections already come from psycopg's pool, and one kept idle here would be one fewer for the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from portalctl.engine.portal import Portal

IDLE_MAX = 64  # more than the thread pool's 40 workers: a burst never closes what the next burst reopens


class PortalPool:
    def __init__(self, open_portal: Callable[[], Portal], *, keep: bool,
                 counted: Callable[[int], None] | None = None) -> None:
        self.open_portal = open_portal
        self.keep = keep
        self.counted = counted  # told +1 / -1 as requests take and give back portals (server/metrics.py)
        self.idle: list[Portal] = []
        self.lock = threading.Lock()

    def take(self) -> Portal:
        with self.lock:
            portal = self.idle.pop() if self.idle else None
        portal = portal or self.open_portal()
        if self.counted:
            self.counted(1)
        return portal

    def take_idle(self) -> Portal | None:
        """An idle portal, or None; never opens one, so the event loop may call it."""
        with self.lock:
            portal = self.idle.pop() if self.idle else None
        if portal is not None and self.counted:
            self.counted(1)
        return portal

    def keep_clean(self, portal: Portal) -> bool:
        """Back to the idle list if that needs no database call (no transaction left open); False otherwise."""
        if not self.keep or portal.conn.in_transaction:
            return False
        with self.lock:
            if len(self.idle) >= IDLE_MAX:
                return False
            self.idle.append(portal)
        if self.counted:
            self.counted(-1)
        return True

    def give(self, portal: Portal) -> None:
        """Back to the pool, clean: a transaction a failed request left open is rolled back first."""
        if self.counted:
            self.counted(-1)
        if self.keep:
            try:
                portal.conn.rollback()
            except Exception:  # a connection that cannot roll back is not kept
                portal.close()
                return
            with self.lock:
                if len(self.idle) < IDLE_MAX:
                    self.idle.append(portal)
                    return
        portal.close()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for portal in idle:
            portal.close()
