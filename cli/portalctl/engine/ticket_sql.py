"""The SQL of ticket listings: the selects, sort keys and export cells the ticket rules read tickets with.

Kept apart from the rules in tickets.py: this is how tickets are read fast, not what may be done with them.
"""

from __future__ import annotations

import re
from typing import Any

from portalctl.model import PRIORITIES, STATE_LABELS, STATES, Ticket

SELECT = (
    "SELECT t.*, r.email AS requester, r.name AS requester_name, o.slug AS org, a.email AS assignee,"
    " d.slug AS dept FROM tickets t JOIN users r ON r.id = t.requester_id"
    " LEFT JOIN organizations o ON o.id = t.org_id LEFT JOIN users a ON a.id = t.assignee_id"
    " LEFT JOIN departments d ON d.id = t.department_id"
)
SORT_SQL = {
    "updated": "t.updated_at",
    "created": "t.created_at",
    "id": "t.id",
    "due": "t.due_at",
    "status": "CASE t.status WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'pending' THEN 2 WHEN 'on_hold' THEN 3"
    " WHEN 'resolved' THEN 4 ELSE 5 END",
    "priority": "CASE t.priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END",
}
LATE_STATES = ("new", "open")  # overdue counts the team's time only, not time spent waiting on the customer
# Listings name their columns and read rows as plain tuples by position: sqlite3.Row's lookup by name, 20 times
# a ticket, was most of what a 100,000-ticket export spent in Python.
LIST_SELECT = (
    "SELECT t.id, t.subject, t.status, t.priority, t.type, d.slug, r.email, r.name, o.slug, a.email, t.tags,"
    " t.fields, t.created_at, t.updated_at, t.due_at, t.resolved_at, t.closed_at, t.follow_up_of, t.dedupe_key"
    " FROM tickets t JOIN users r ON r.id = t.requester_id"
    " LEFT JOIN organizations o ON o.id = t.org_id LEFT JOIN users a ON a.id = t.assignee_id"
    " LEFT JOIN departments d ON d.id = t.department_id"
)
_LABEL = "CASE t.status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATE_LABELS.items()) + " END"
# Ticket.to_dict() as SQLite builds it, key for key (the first parameter is "now", for overdue).
JSON_SELECT = (
    "SELECT json_object('id', t.id, 'subject', t.subject, 'status', t.status, 'status_label', " + _LABEL + ","
    " 'priority', t.priority, 'type', t.type, 'department', d.slug, 'requester', r.email, 'requester_name', r.name,"
    " 'organization', o.slug, 'assignee', a.email,"
    " 'ccs', (SELECT json_group_array(email) FROM (SELECT u.email FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
    " WHERE c.ticket_id = t.id ORDER BY u.email)),"
    " 'tags', json(t.tags), 'fields', json(t.fields), 'created_at', t.created_at, 'updated_at', t.updated_at,"
    " 'due_at', t.due_at, 'overdue', json(CASE WHEN t.due_at < ?1 AND t.status IN " + repr(LATE_STATES) + " THEN 'true'"
    " ELSE 'false' END), 'resolved_at', t.resolved_at, 'closed_at', t.closed_at, 'follow_up_of', t.follow_up_of,"
    " 'comments', NULL, 'attachments', NULL, 'dedupe_key', t.dedupe_key, 'created', NULL)"
    + LIST_SELECT[LIST_SELECT.index(" FROM tickets t"):]
)

# Export columns as SQLite computes them (lists joined with ", ", overdue as yes/no), for CSV exports that skip
# building Ticket objects: ~6 us a ticket of a 100,000-ticket export. A test holds them to the object path's CSV.
_JOINED_CCS = ("(SELECT group_concat(email, ', ') FROM (SELECT u.email FROM ticket_ccs c JOIN users u"
               " ON u.id = c.user_id WHERE c.ticket_id = t.id ORDER BY u.email))")
ROW_SQL = {
    "id": "t.id", "subject": "t.subject", "status": "t.status", "status_label": _LABEL, "priority": "t.priority",
    "type": "t.type", "department": "d.slug", "organization": "o.slug", "requester": "r.email",
    "requester_name": "r.name", "assignee": "a.email", "ccs": _JOINED_CCS,
    "tags": "(SELECT group_concat(value, ', ') FROM json_each(t.tags))", "created_at": "t.created_at",
    "updated_at": "t.updated_at", "due_at": "t.due_at",
    "overdue": "CASE WHEN t.due_at < '{now}' AND t.status IN " + repr(LATE_STATES) + " THEN 'yes' ELSE 'no' END",
    "resolved_at": "t.resolved_at", "closed_at": "t.closed_at", "follow_up_of": "t.follow_up_of",
    "dedupe_key": "t.dedupe_key",
}
FIELD_KEY = re.compile(r"^\w+$")


def field_sql(key: str) -> str:
    """A custom field's cell: yes/no for booleans, a joined list for multichoice, else the value."""
    path = f"'$.\"{key}\"'"
    return (f"CASE json_type(t.fields, {path}) WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no'"
            f" WHEN 'array' THEN (SELECT group_concat(value, ', ') FROM json_each(t.fields, {path}))"
            f" ELSE json_extract(t.fields, {path}) END")


def sort_value(ticket: Ticket, key: str) -> Any:
    """What SORT_SQL orders `ticket` by: where a keyset page that ends with it resumes."""
    values = {"updated": ticket.updated_at, "created": ticket.created_at, "id": ticket.id, "due": ticket.due_at,
              "status": STATES.index(ticket.status), "priority": PRIORITIES.index(ticket.priority)}
    return values[key]
