"""Tickets: the lifecycle rules of the portal (GUIDE section 3); who sees what is in ticket_reads.py.

- a customer reply on pending or resolved reopens the ticket; an agent reply sets pending unless told otherwise;
- internal notes never reach customers (not in show, attachments or search);
- resolved is reopenable, closed is final: replies are refused with a hint to open a follow-up;
- resolved tickets close by themselves after a grace period (closing.py);
- each ticket is due a number of business hours after it was opened, on its organisation's calendar.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from portalctl.contract import ON_DUPLICATE, choice, state_of, tag_key
from portalctl.engine import search_index
from portalctl.engine.db import Row, iso, parse_iso, transaction
from portalctl.engine.fields import check_values, field_record
from portalctl.engine.limits import body_text, subject_text
from portalctl.engine.lookups import check_email, department_id, user_row
from portalctl.engine.ticket_reads import TicketReader
from portalctl.errors import InvalidInput, PermissionDenied, StateConflict
from portalctl.i18n import _
from portalctl.model import PRIORITIES, TICKET_TYPES, FieldDef, Ticket

if TYPE_CHECKING:
    from portalctl.contract import Upload
    from portalctl.drafts import TicketChanges, TicketDraft


def closed(ticket_id: int, message: str) -> StateConflict:
    """The refusal of a change to a closed ticket: closed is final, the way on is a follow-up that links it."""
    return StateConflict(message, hint=_("open a follow-up ticket with follow_up_of {ticket_id}").format(
        ticket_id=ticket_id),
                         about=f"ticket:{ticket_id}")


class TicketService(TicketReader):
    """The ticket lifecycle rules, acting as the session's user."""

    # --- writing
    def create(self, draft: TicketDraft) -> Ticket:
        """Open a ticket; with a dedupe key that an active ticket carries, reply to it or skip instead.

        The look-up and the insert share one write transaction, so racing pipelines end with one ticket.
        """
        if draft.on_duplicate not in ON_DUPLICATE:
            raise InvalidInput(_("unknown --on-duplicate {on_duplicate!r}").format(on_duplicate=draft.on_duplicate),
                               hint=_("one of: {ON_DUPLICATE}").format(ON_DUPLICATE=', '.join(ON_DUPLICATE)))
        if draft.dedupe_key is not None and not draft.dedupe_key.strip():
            raise InvalidInput(_("the dedupe key is empty"))
        subject_text(draft.subject)
        body_text(draft.body)
        if draft.requester and draft.requester.lower() != self.actor.email.lower():
            self.actor.require_staff(_("open tickets for someone else"))
            requester_row = user_row(self.conn, draft.requester)
            if not requester_row["active"]:
                raise InvalidInput(_("{requester} is deactivated").format(requester=draft.requester))
        else:
            requester_row = user_row(self.conn, self.actor.email)
        dept = department_id(self.conn, draft.department) if draft.department else None
        values = check_values(
            self._field_defs(dept), draft.fields or {}, customer=not self.actor.is_staff, creating=True
        )
        if draft.follow_up_of is not None:
            self._row(draft.follow_up_of)
        cc_emails = [check_email(e) for e in draft.ccs]
        now = self.portal.now()
        stored = self._stored(draft.attachments)
        with transaction(self.conn):
            wanted = draft.dedupe_key if draft.on_duplicate != "new" else None
            duplicate = self._active_with_key(wanted) if wanted else None
            if duplicate is not None:
                if draft.on_duplicate == "reply":
                    self._add_to_duplicate(duplicate, draft.body, stored, now)
                ticket_id = duplicate["id"]
            else:
                ticket_id = self._insert(draft, dept=dept, requester=requester_row, values=values, now=now,
                                         stored=stored, ccs=cc_emails)
        ticket = self.get(ticket_id)
        ticket.created = duplicate is None
        return ticket

    def _active_with_key(self, key: str) -> Row | None:
        clause, params = self.visibility()
        row: Row | None = self.conn.execute(
            f"SELECT t.* FROM tickets t WHERE t.dedupe_key = ? AND t.status IN ('new', 'open', 'pending', 'on_hold')"
            f" AND {clause} ORDER BY t.id DESC LIMIT 1",
            (key, *params),
        ).fetchone()
        return row

    def _add_to_duplicate(self, row: Row, body: str, stored: builtins.list[tuple[str, str, str, int]],
                          now: str) -> None:
        """The repeat becomes a public comment; a ticket awaiting the reporter is open again."""
        comment_id = self._comment(row["id"], body, internal=False, now=now)
        self._event(row["id"], "reply", {"comment_id": comment_id}, now)
        self._store_attachments(row["id"], comment_id, stored, now)
        if row["status"] == "pending":
            self._set_status(row, "open", now)
        search_index.add_comment(self.conn, row["id"], body)

    def _insert(self, draft: TicketDraft, *, dept: int | None, requester: Row, values: dict[str, Any], now: str,
                stored: builtins.list[tuple[str, str, str, int]], ccs: Sequence[str]) -> int:
        """The rows of a new ticket: the ticket, its first comment and files, CCs, search text, an event."""
        cursor = self.conn.execute(
            "INSERT INTO tickets (subject, status, priority, type, department_id, requester_id, org_id, tags,"
            " fields, follow_up_of, dedupe_key, created_at, updated_at, due_at) VALUES (?, 'new', ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                draft.subject.strip(), choice(draft.priority or "medium", PRIORITIES, _("priority")),
                choice(draft.type, TICKET_TYPES, _("type")) if draft.type else None, dept, requester["id"],
                requester["org_id"], json.dumps(_tags(draft.tags), ensure_ascii=False),
                json.dumps(values, ensure_ascii=False), draft.follow_up_of, draft.dedupe_key, now, now,
                self._due(now, requester["org_id"]),
            ),
        )
        ticket_id = int(cursor.fetchone()[0])
        comment_id = self._comment(ticket_id, draft.body, internal=False, now=now, touch=False)  # inserted at `now`
        for email in ccs:
            self._add_cc(ticket_id, email)
        search_index.add_ticket(self.conn, ticket_id, draft.subject, draft.body)
        follow_up = {"follow_up_of": draft.follow_up_of} if draft.follow_up_of else {}
        self._event(ticket_id, "created", follow_up, now)
        self._store_attachments(ticket_id, comment_id, stored, now)
        return ticket_id

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        row = self._row(ticket_id)
        body_text(body, _("reply"))
        if row["status"] == "closed":
            raise closed(ticket_id, _("ticket #{ticket_id} is closed; it takes no more replies").format(
                ticket_id=ticket_id))
        if internal:
            self.actor.require_staff(_("write internal notes"))
        if status is not None:
            self.actor.require_staff(_("set the status while replying"))
            new_status = state_of(status)
        elif internal:
            new_status = row["status"]
        elif self.actor.is_staff:
            new_status = "pending"
        else:
            new_status = "open" if row["status"] in ("pending", "resolved") else row["status"]
        stored = self._stored(attachments)
        now = self.portal.now()
        with transaction(self.conn):
            # a change of status moves updated_at itself
            comment_id = self._comment(ticket_id, body, internal=internal, now=now, touch=new_status == row["status"])
            self._event(ticket_id, "note" if internal else "reply", {"comment_id": comment_id}, now, internal=internal)
            self._store_attachments(ticket_id, comment_id, stored, now, internal=internal)
            self._set_status(row, new_status, now)
            if not internal:
                search_index.add_comment(self.conn, ticket_id, body)
        return self.get(ticket_id)

    def close(self, ticket_id: int) -> Ticket:
        row = self._row(ticket_id)
        if row["status"] == "closed":
            raise closed(ticket_id, _("ticket #{ticket_id} is already closed").format(ticket_id=ticket_id))
        with transaction(self.conn):
            self._set_status(row, "closed", self.portal.now())
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        row = self._row(ticket_id)
        if row["status"] == "closed":
            raise closed(ticket_id, _("ticket #{ticket_id} is closed, and closed is final").format(ticket_id=ticket_id))
        if row["status"] != "resolved":
            raise StateConflict(_("ticket #{ticket_id} is not resolved (it is {status}); nothing to reopen").format(
                ticket_id=ticket_id, status=row['status']))
        with transaction(self.conn):
            self._set_status(row, "open", self.portal.now())
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        row = self._row(ticket_id)
        staff_only = {
            "subject": changes.subject, "priority": changes.priority, "type": changes.type,
            "department": changes.department, "status": changes.status, "assignee": changes.assignee,
            "tags": changes.add_tags or changes.remove_tags or None,
        }
        asked = [name for name, value in staff_only.items() if value]
        if not self.actor.is_staff and asked:
            raise PermissionDenied(_("you may not edit {asked}").format(
                asked=', '.join(asked)), hint=_("ask your support team to change it"))
        if row["status"] == "closed":
            raise closed(ticket_id, _("ticket #{ticket_id} is closed and cannot change").format(ticket_id=ticket_id))
        if not asked and not changes.fields:
            raise InvalidInput(_("nothing to change"), about="changes")
        sets: dict[str, Any] = {}
        if changes.subject is not None:
            sets["subject"] = subject_text(changes.subject)
        if changes.priority:
            sets["priority"] = choice(changes.priority, PRIORITIES, _("priority"))
        if changes.type:
            sets["type"] = choice(changes.type, TICKET_TYPES, _("type"))
        if changes.department:
            sets["department_id"] = department_id(self.conn, changes.department)
        if changes.assignee:
            assignee = user_row(self.conn, changes.assignee)
            if assignee["role"] == "customer":
                raise InvalidInput(_("{assignee} is a customer; tickets are assigned to agents").format(
                    assignee=changes.assignee))
            sets["assignee_id"] = assignee["id"]
        if changes.add_tags or changes.remove_tags:
            current = json.loads(row["tags"])
            removed = set(_tags(changes.remove_tags))
            sets["tags"] = json.dumps([t for t in _tags([*current, *changes.add_tags]) if t not in removed])
        if changes.fields:
            dept = sets.get("department_id", row["department_id"])
            values = check_values(self._field_defs(dept), changes.fields, customer=not self.actor.is_staff,
                                  creating=False)
            sets["fields"] = json.dumps({**json.loads(row["fields"]), **values}, ensure_ascii=False)
        now = self.portal.now()
        with transaction(self.conn):
            if sets:
                sets["updated_at"] = now
                assignments = ", ".join(f"{column} = ?" for column in sets)
                self.conn.execute(f"UPDATE tickets SET {assignments} WHERE id = ?", (*sets.values(), ticket_id))
                if "subject" in sets:
                    search_index.set_subject(self.conn, ticket_id, sets["subject"])
                self._event(ticket_id, "updated", {k: v for k, v in sets.items() if k != "updated_at"}, now)
            if changes.status:
                self._set_status(row, state_of(changes.status), now)
        return self.get(ticket_id)

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        row = self._row(ticket_id)
        if row["status"] == "closed":
            raise closed(ticket_id, _("ticket #{ticket_id} is closed and cannot change").format(ticket_id=ticket_id))
        current = self._ccs([ticket_id]).get(ticket_id, [])
        missing = [e for e in remove if e.lower() not in {c.lower() for c in current}]
        if missing:
            raise InvalidInput(_("{missing} is not CC'd on ticket #{ticket_id}").format(
                missing=', '.join(missing), ticket_id=ticket_id))
        emails = [check_email(e) for e in add]
        now = self.portal.now()
        with transaction(self.conn):
            for email in emails:
                self._add_cc(ticket_id, email)
            for email in remove:
                self.conn.execute(
                    "DELETE FROM ticket_ccs WHERE ticket_id = ? AND user_id = (SELECT id FROM users WHERE email = ?)",
                    (ticket_id, email),
                )
            self.conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))
            self._event(ticket_id, "ccs", {"added": emails, "removed": list(remove)}, now)
        return self.get(ticket_id)

    # --- helpers
    def _field_defs(self, dept: int | None) -> builtins.list[FieldDef]:
        rows = self.conn.execute(
            "SELECT f.*, d.slug AS dept FROM field_defs f LEFT JOIN departments d ON d.id = f.department_id"
            " WHERE f.department_id IS NULL OR f.department_id = ? ORDER BY f.id",
            (dept,),
        )
        return [field_record(r) for r in rows]

    def _stored(self, files: Sequence[Upload]) -> builtins.list[tuple[str, str, str, int]]:
        """The files checked and in the blob store: (name, content type, sha256, size) each. Without files the
        attachment limit is not even read (on PostgreSQL each query is a round trip in the write lock)."""
        if not files:
            return []
        self.blobs.check_sizes((upload.filename, upload.path) for upload in files)
        return [(upload.filename, *self.blobs.add(upload.path, upload.filename)) for upload in files]

    def _due(self, now: str, org: int | None) -> str:
        from portalctl.engine.calendar import add_business_hours  # zoneinfo: only creating a ticket needs it

        portal = self.portal
        if org is not None:
            calendar = self.conn.execute(
                "SELECT timezone, business_hours, holidays, resolution_hours FROM organizations WHERE id = ?", (org,)
            ).fetchone()
            timezone, hours_spec = calendar["timezone"], calendar["business_hours"]
            holidays, hours = json.loads(calendar["holidays"]), calendar["resolution_hours"]
        else:
            timezone, hours_spec, resolution = portal.settings("timezone", "business_hours", "resolution_hours")
            holidays, hours = [], int(resolution)
        due = add_business_hours(parse_iso(now), hours, spec=hours_spec, timezone=timezone, holidays=holidays)
        return iso(due)

    def _comment(self, ticket_id: int, body: str, *, internal: bool, now: str, touch: bool = True) -> int:
        """A comment; its ticket's `updated_at` moves unless the caller writes it anyway (`touch=False`)."""
        cursor = self.conn.execute(
            "INSERT INTO comments (ticket_id, author_id, body, internal, created_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (ticket_id, self.actor.id, body, int(internal), now),
        )
        comment_id = int(cursor.fetchone()[0])
        if touch and not internal:  # an internal note is no activity a customer may notice (nor --updated-since)
            self.conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))
        return comment_id

    def _store_attachments(self, ticket_id: int, comment_id: int, stored: builtins.list[tuple[str, str, str, int]],
                           now: str, *, internal: bool = False) -> None:
        """The files of a comment, each with its event (marked internal with an internal note's files)."""
        from portalctl.engine.attachments import safe_name

        for filename, content_type, sha, size in stored:
            name = safe_name(filename)
            attachment_id = self.conn.execute(
                "INSERT INTO attachments (ticket_id, comment_id, filename, content_type, size, sha256, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (ticket_id, comment_id, name, content_type, size, sha, now),
            ).fetchone()[0]
            self._event(ticket_id, "attachment", {"attachment_id": attachment_id, "filename": name}, now,
                        internal=internal)

    def _add_cc(self, ticket_id: int, email: str) -> None:
        """CC someone; an address the portal does not know becomes a customer account with no organisation."""
        row = self.conn.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        if row is None:
            cursor = self.conn.execute(
                "INSERT INTO users (email, name, role, created_at) VALUES (?, ?, 'customer', ?) RETURNING id",
                (email, email.split("@")[0], self.portal.now()),
            )
            user_id = int(cursor.fetchone()[0])
        else:
            user_id = row["id"]
        self.conn.execute("INSERT INTO ticket_ccs (ticket_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          (ticket_id, user_id))

    def _set_status(self, row: Row, new: str, now: str) -> None:
        old = row["status"]
        if new == old:
            return
        resolved_at = now if new == "resolved" else (None if new != "closed" else row["resolved_at"])
        closed_at = now if new == "closed" else None
        self.conn.execute(
            "UPDATE tickets SET status = ?, resolved_at = ?, closed_at = ?, updated_at = ? WHERE id = ?",
            (new, resolved_at, closed_at, now, row["id"]),
        )
        self._event(row["id"], "status", {"from": old, "to": new}, now)

    def _event(self, ticket_id: int, kind: str, detail: dict[str, Any], now: str, *, internal: bool = False) -> None:
        """One entry of the change feed (engine/events.py), written in the transaction of the change it records:
        the feed and the mail it drives never miss a change nor tell of one that was rolled back."""
        self.conn.execute(
            "INSERT INTO events (ticket_id, actor_id, kind, detail, internal, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (ticket_id, self.actor.id, kind, json.dumps(detail, ensure_ascii=False, default=str), int(internal), now),
        )


def _tags(tags: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = tag_key(tag)
        if cleaned:
            seen[cleaned] = None
    return list(seen)
