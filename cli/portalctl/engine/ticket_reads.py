"""Reading tickets as one user may see them: visibility, listings (and their export fast paths), one ticket
with its conversation and files.

Customers see their own tickets, those they are CC'd on and, where their organisation shares tickets, the
organisation's; staff see all. Internal notes, and files attached to them, never reach customers. Another
organisation's ticket answers "not found", like one that does not exist. The writing rules build on this
(engine/tickets.py).
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Sequence
from functools import cached_property
from itertools import islice
from typing import TYPE_CHECKING, Any, BinaryIO

from portalctl.contract import LATE_STATES, ME, TicketQuery, choice, is_overdue, listed_states, sort_order, tag_key
from portalctl.engine.attachments import BlobStore
from portalctl.engine.db import Row, tuples
from portalctl.engine.lookups import department_id, org_id, user_row
from portalctl.engine.ticket_sql import (
    LIST_SELECT,
    SELECT,
    SORT_SQL,
    json_select,
    row_select,
)
from portalctl.errors import InvalidInput, NotFound, no_attachment
from portalctl.i18n import _
from portalctl.model import PRIORITIES, STATE_LABELS, STATES, TICKET_TYPES, Attachment, Comment, EventPage, Ticket

if TYPE_CHECKING:
    from portalctl.engine.portal import Session

BATCH = 500
_json = json.JSONDecoder().raw_decode  # what json.loads calls, without its checks: this JSON is our own


class TicketReader:
    """What a session may read; TicketService adds what it may do."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.portal = session.portal
        self.conn = session.conn
        self.actor = session.actor

    @cached_property
    def blobs(self) -> BlobStore:
        """Only writes and downloads need it: reads skip the settings query."""
        return BlobStore(self.portal.blob_dir, int(self.portal.setting("max_attachment_mb")) * 1_000_000)

    def visibility(self) -> tuple[str, builtins.list[Any]]:
        """SQL that limits tickets to those the actor may see: staff all; customers own, CC'd, and their whole
        organisation's where it shares tickets or they are its contact manager."""
        if self.actor.is_staff:
            return "TRUE", []
        clause = "(t.requester_id = ? OR EXISTS (SELECT 1 FROM ticket_ccs c WHERE c.ticket_id = t.id AND c.user_id = ?)"
        params: builtins.list[Any] = [self.actor.id, self.actor.id]
        if self.actor.sees_org_tickets:
            clause += " OR t.org_id = ?"
            params.append(self.actor.org_id)
        return clause + ")", params

    def can_see(self, ticket_id: int) -> bool:
        """Whether the actor may see this ticket: the rule every read applies, for those who act on it elsewhere
        (notifications mail only those who could open the ticket)."""
        clause, params = self.visibility()
        found = self.conn.execute(f"SELECT 1 FROM tickets t WHERE t.id = ? AND {clause}", (ticket_id, *params))
        return found.fetchone() is not None

    def where(self, query: TicketQuery) -> tuple[builtins.list[str], builtins.list[Any]]:
        """The terms over tickets `t` that `query` and the actor's visibility make, and their parameters."""
        return self._filters(query)

    def events(self, after: int | None = None, query: TicketQuery | None = None, *, limit: int = 100,
               wait: float = 0) -> EventPage:
        """The change feed after a cursor (None: from now on, an empty page with the cursor), looking again every
        half second for up to `wait` seconds while there is nothing new (engine/events.py)."""
        import time

        from portalctl.engine import events

        if after is None:
            return EventPage(items=[], cursor=events.head(self))
        deadline = time.monotonic() + wait
        while not (page := events.events_after(self, after, query, limit=limit)).items:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(events.LOOK_EVERY, remaining))
        return page

    def _row(self, ticket_id: int) -> Row:
        clause, params = self.visibility()
        row: Row | None = self.conn.execute(
            f"{SELECT} WHERE t.id = ? AND {clause}", (ticket_id, *params)
        ).fetchone()
        if row is None:  # not there and not yours look the same: no leak of what exists
            raise NotFound(_("no ticket #{ticket_id}").format(ticket_id=ticket_id), about="ticket")
        return row

    def list(self, query: TicketQuery, *, after: tuple[Any, int] | None = None) -> Iterator[Ticket]:
        """`after`: the (sort_value, id) of the last ticket of the previous page, for keyset paging."""
        sql, params = self._listing(LIST_SELECT, query, after)
        return self._stream(tuples(self.conn, sql, params))

    def count(self, query: TicketQuery) -> int:
        """How many tickets `query` lists, limit aside: the total of an export's progress bar."""
        where, params = self._filters(query)
        row = self.conn.execute(f"SELECT COUNT(*) FROM tickets t WHERE {' AND '.join(where)}", params).fetchone()
        return int(row[0])

    def list_json(self, query: TicketQuery, *, after: tuple[Any, int] | None = None) -> Iterator[str]:
        """The same listing as `list`, each ticket already as its JSON text (`Ticket.to_dict()`), built by the
        database.

        For the server's pages and NDJSON export: Python objects and json.dumps cost ~20 µs a ticket, SQLite's
        json_object or PostgreSQL's json_build_object a fraction of that. A test holds the two paths to the same
        output on both databases.
        """
        built_by = self.portal.dialect.json_listing
        if built_by is None:
            return (json.dumps(ticket.to_dict(), ensure_ascii=False, separators=(",", ":"))
                    for ticket in self.list(query, after=after))
        sql, params = self._listing(json_select(self.portal.now(), postgres=built_by == "postgresql"), query, after)
        return (row[0] for row in tuples(self.conn, sql, params))

    def list_rows(self, query: TicketQuery, columns: Sequence[str]) -> Iterator[tuple[Any, ...]] | None:
        """The listing as plain rows of CSV cells for `columns` (names as in CSV headers, `field:KEY` for custom
        fields), user text already neutralised against formulas (ROW_SQL), or None when a column has no SQL form
        here and the caller must use `list`."""
        built_by = self.portal.dialect.json_listing  # the databases whose SQL builds rows builds cells too
        if built_by is None:
            return None
        select = row_select(columns, self.portal.now(), postgres=built_by == "postgresql")
        if select is None:
            return None
        sql, params = self._listing(select, query, None)
        return tuples(self.conn, sql, params)

    def _listing(
        self, select: str, query: TicketQuery, after: tuple[Any, int] | None
    ) -> tuple[str, builtins.list[Any]]:
        where, params = self._filters(query)
        key, descending = sort_order(query.sort)
        if after is not None:
            where.append(f"({SORT_SQL[key]}, t.id) {'<' if descending else '>'} (?, ?)")
            params.extend(after)
        order = f"{SORT_SQL[key]} {'DESC' if descending else 'ASC'}, t.id {'DESC' if descending else 'ASC'}"
        # Pick the page from `tickets` alone, then join names: SQLite then stops at the limit instead of joining
        # and sorting every match (30 ms -> 0.5 ms for a page of 100,000 tickets).
        page = f"SELECT t.* FROM tickets t WHERE {' AND '.join(where)} ORDER BY {order}"
        if query.limit is not None:
            page += f" LIMIT {int(query.limit)}"
        return select.replace("FROM tickets t", f"FROM ({page}) t", 1) + f" ORDER BY {order}", params

    def _stream(self, rows_in: Iterator[tuple[Any, ...]]) -> Iterator[Ticket]:
        """Rows in batches, with each batch's CCs in one query: memory stays flat however many match.

        The hot loop of every listing and export: rows are LIST_SELECT tuples unpacked by position, the clock is
        read once (every ticket's overdue is judged at the same moment), and the JSON parser is skipped for the
        empty tags and fields most tickets have.
        """
        now = self.portal.now()
        while rows := builtins.list(islice(rows_in, BATCH)):
            ccs = self._ccs([row[0] for row in rows])
            for (ticket_id, subject, status, priority, type_, dept, requester, requester_name, org, assignee, tags,
                 fields, created_at, updated_at, due_at, resolved_at, closed_at, follow_up_of, dedupe_key) in rows:
                yield Ticket(
                    id=ticket_id, subject=subject, status=status, status_label=STATE_LABELS[status],
                    priority=priority, type=type_, department=dept, requester=requester,
                    requester_name=requester_name, organization=org, assignee=assignee,
                    ccs=ccs.get(ticket_id, []), tags=[] if tags == "[]" else _json(tags)[0],
                    fields={} if fields == "{}" else _json(fields)[0], created_at=created_at,
                    updated_at=updated_at, due_at=due_at,
                    overdue=is_overdue(due_at, status, now), resolved_at=resolved_at,
                    closed_at=closed_at, follow_up_of=follow_up_of, dedupe_key=dedupe_key,
                )

    def _filters(self, query: TicketQuery) -> tuple[builtins.list[str], builtins.list[Any]]:
        clause, params = self.visibility()
        where = [clause]

        def any_of(column: str, values: Sequence[Any]) -> None:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)

        statuses = listed_states(query.statuses)
        if set(statuses) != set(STATES):
            any_of("t.status", statuses)
        if query.priorities:
            any_of("t.priority", [choice(p, PRIORITIES, _("priority")) for p in query.priorities])
        if query.types:
            any_of("t.type", [choice(t, TICKET_TYPES, _("type")) for t in query.types])
        if query.departments:
            any_of("t.department_id", [department_id(self.conn, d) for d in query.departments])
        if query.assignees:
            any_of("t.assignee_id", [self._user_id(a) for a in query.assignees])
        if query.tags:
            tags = list(dict.fromkeys(tag_key(t) for t in query.tags))
            where.append(f"({' OR '.join([self.portal.dialect.has_tag] * len(tags))})")
            params.extend(tags)
        if query.requester:
            where.append("t.requester_id = ?")
            params.append(self._user_id(query.requester))
        if query.organization:
            where.append("t.org_id = ?")
            params.append(org_id(self.conn, query.organization, list_known=self.actor.is_staff))
        for column, op, value in (
            ("created_at", ">=", query.created_since),
            ("created_at", "<", query.created_until),
            ("updated_at", ">=", query.updated_since),
        ):
            if value:
                where.append(f"t.{column} {op} ?")
                params.append(value)
        if query.overdue:
            any_of("t.status", LATE_STATES)
            where.append("t.due_at < ?")
            params.append(self.portal.now())
        if query.mine:
            if self.actor.is_staff:
                where.append("(t.assignee_id = ? OR t.requester_id = ?)")
                params.extend([self.actor.id, self.actor.id])
            else:
                where.append("t.requester_id = ?")
                params.append(self.actor.id)
        if query.search:
            expression = self.portal.dialect.search_words(query.search)
            if expression is None:
                raise InvalidInput(_("--search needs at least one word"))
            where.append(self.portal.dialect.ticket_search)
            params.append(expression)
        return where, params

    def _user_id(self, email: str) -> int:
        """The id of the user `email` names (ME: the actor). Staff hear of an unknown address; customers get
        no match, so they cannot probe who has an account."""
        if email.strip().lower() == ME:
            return int(self.actor.id)
        found = self.conn.execute("SELECT id FROM users WHERE email = ?", (email.strip(),)).fetchone()
        if found is None and self.actor.is_staff:
            user_row(self.conn, email)  # raises NotFound with a hint
        return int(found["id"]) if found else -1

    def _ccs(self, ids: Sequence[int]) -> dict[int, builtins.list[str]]:
        result: dict[int, builtins.list[str]] = {}
        rows = self.conn.execute(
            f"SELECT c.ticket_id, u.email FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
            f" WHERE c.ticket_id IN ({', '.join('?' * len(ids))}) ORDER BY u.email",
            list(ids),
        )
        for ticket_id, email in rows:
            result.setdefault(ticket_id, []).append(email)
        return result

    def _ticket(self, row: Row, ccs: builtins.list[str]) -> Ticket:
        due = row["due_at"]
        return Ticket(
            id=row["id"], subject=row["subject"], status=row["status"], status_label=STATE_LABELS[row["status"]],
            priority=row["priority"], type=row["type"], department=row["dept"], requester=row["requester"],
            requester_name=row["requester_name"], organization=row["org"], assignee=row["assignee"], ccs=ccs,
            tags=json.loads(row["tags"]), fields=json.loads(row["fields"]), created_at=row["created_at"],
            updated_at=row["updated_at"], due_at=due,
            overdue=is_overdue(due, row["status"], self.portal.now()),
            resolved_at=row["resolved_at"], closed_at=row["closed_at"], follow_up_of=row["follow_up_of"],
            dedupe_key=row["dedupe_key"],
        )

    def get(self, ticket_id: int) -> Ticket:
        """The ticket with its conversation and attachments, as the actor may see them."""
        row = self._row(ticket_id)
        ticket = self._ticket(row, self._ccs([ticket_id]).get(ticket_id, []))
        internal = "" if self.actor.is_staff else " AND c.internal = 0"
        comments = {
            r["id"]: Comment(
                id=r["id"], author=r["email"], author_name=r["name"], author_role=r["role"], body=r["body"],
                internal=bool(r["internal"]), created_at=r["created_at"],
            )
            for r in self.conn.execute(
                "SELECT c.*, u.email, u.name, u.role FROM comments c JOIN users u ON u.id = c.author_id"
                f" WHERE c.ticket_id = ?{internal} ORDER BY c.id",
                (ticket_id,),
            )
        }
        ticket.attachments = self._attachments(ticket_id)  # visible: _row said so above
        for attachment in ticket.attachments:
            if attachment.comment_id in comments:
                comments[attachment.comment_id].attachments.append(attachment)
        ticket.comments = list(comments.values())
        return ticket

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        self._row(ticket_id)
        return self._attachments(ticket_id)

    def _attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        hidden = "" if self.actor.is_staff else " AND COALESCE(c.internal, 0) = 0"
        rows = self.conn.execute(
            "SELECT a.* FROM attachments a LEFT JOIN comments c ON c.id = a.comment_id"
            f" WHERE a.ticket_id = ?{hidden} ORDER BY a.id",
            (ticket_id,),
        )
        return [
            Attachment(id=r["id"], filename=r["filename"], content_type=r["content_type"], size=r["size"],
                       sha256=r["sha256"], comment_id=r["comment_id"], created_at=r["created_at"])
            for r in rows
        ]

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for attachment in self.attachments(ticket_id):
            if attachment.id == attachment_id:
                return attachment, self.blobs.open(attachment.sha256)
        raise no_attachment(ticket_id, attachment_id)
