"""The change feed: every change to a ticket is an event (engine/tickets.py writes it in the change's own
transaction), read in the order the portal made them, after a cursor, as one user may see them.

A user reads only events of tickets they can see now (the listing's visibility rule, ticket_reads.py); customers
never read internal notes' events nor those of files attached to them, and no event carries a note's text. Event
ids grow in commit order (writers queue on one lock on both databases), so "after id N" never skips a change that
commits later with a smaller id: a reader resuming from its cursor gets every change once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from portalctl.contract import TicketQuery
from portalctl.engine.db import Connection
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import STATES, Event, EventPage

if TYPE_CHECKING:
    from portalctl.engine.ticket_reads import TicketReader

PAGE_MAX = 500
LOOK_EVERY = 0.5  # seconds between looks at the table while a reader waits for news
SELECT = ("SELECT e.id, e.ticket_id, e.kind, u.email, t.subject, t.status, e.detail, e.created_at"
          " FROM events e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN users u ON u.id = e.actor_id")


def head(reader: TicketReader) -> int:
    """The newest event's id: where a reader that wants only what happens from now on starts."""
    return int(reader.conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])


def events_after(reader: TicketReader, after: int, query: TicketQuery | None = None, *,
                 limit: int = 100) -> EventPage:
    """The events after `after` that the reader may see (and `query` keeps: by default every state), oldest first,
    at most `limit`; the page's cursor is where the next read starts, past events this reader may not see."""
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(_("an events page holds 1 to {PAGE_MAX} events").format(PAGE_MAX=PAGE_MAX), about="limit")
    newest = head(reader)
    if after < 0 or after > newest:
        raise InvalidInput(_("cursor {after} is not a position in this portal's change feed (0 to {newest})").format(
            after=after, newest=newest),
                           hint=_("start again without a cursor"), about="cursor")
    query = query or TicketQuery(limit=None)
    where, params = reader.where(query.but(statuses=query.statuses or STATES))
    if not reader.actor.is_staff:
        where.append("e.internal = 0")
    rows = reader.conn.execute(
        f"{SELECT} WHERE e.id > ? AND e.id <= ? AND {' AND '.join(where)} ORDER BY e.id LIMIT ?",
        (after, newest, *params, limit),
    ).fetchall()
    details: list[dict[str, Any]] = [json.loads(row["detail"]) for row in rows]
    texts = reply_texts(reader.conn, [d.get("comment_id") for row, d in zip(rows, details, strict=True)
                                      if row["kind"] == "reply"])
    items = []
    for row, detail in zip(rows, details, strict=True):
        items.append(Event(id=row["id"], ticket_id=row["ticket_id"], kind=row["kind"], actor=row["email"],
                           subject=row["subject"], status=row["status"], detail=detail,
                           text=texts.get(detail.get("comment_id", 0)) if row["kind"] == "reply" else None,
                           created_at=row["created_at"]))
    cursor = items[-1].id if len(items) == limit else newest
    return EventPage(items=items, cursor=cursor)


def reply_texts(conn: Connection, comment_ids: list[Any]) -> dict[int, str]:
    """The text of these public replies (an internal note's is never read here, whoever asks)."""
    ids = [int(i) for i in comment_ids if isinstance(i, int)]
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT id, body FROM comments WHERE internal = 0 AND id IN ({', '.join('?' * len(ids))})", ids)
    return {row["id"]: row["body"] for row in rows}
