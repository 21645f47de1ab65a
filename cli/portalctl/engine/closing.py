"""Resolved tickets close by themselves once their grace period has passed (GUIDE section 3). Apart from the ticket
rules in tickets.py because every command on the embedded portal runs it first, an article search too."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from portalctl.engine.db import iso, transaction

if TYPE_CHECKING:
    from portalctl.engine.portal import Portal


def auto_close(portal: Portal) -> int:
    """Close resolved tickets whose grace period has passed; each closes at the moment its grace ended.

    A write the front ends run where it shows: the CLI when it opens the embedded portal, `portalctl serve` on a
    timer. Never on reading: a look at a ticket does not change it. Skipped on a portal file opened read-only."""
    if portal.read_only:
        return 0
    hours = int(portal.setting("auto_close_hours"))
    cutoff = iso(portal.clock() - timedelta(hours=hours))
    due = "status = 'resolved' AND resolved_at <= ?"
    if not portal.conn.execute(f"SELECT EXISTS (SELECT 1 FROM tickets WHERE {due})", (cutoff,)).fetchone()[0]:
        return 0
    closed_at = portal.dialect.plus_hours("resolved_at", hours)
    with transaction(portal.conn):
        portal.conn.execute(
            f"INSERT INTO events (ticket_id, kind, detail, created_at) SELECT id, 'auto_closed',"
            f" '{{\"after_hours\": {hours}}}', {closed_at} FROM tickets WHERE {due}",
            (cutoff,),
        )
        cursor = portal.conn.execute(
            f"UPDATE tickets SET status = 'closed', closed_at = {closed_at}, updated_at = {closed_at} WHERE {due}",
            (cutoff,),
        )
    return cursor.rowcount
