"""The SQL of ticket listings: the selects, sort keys and export cells the ticket rules read tickets with.

Kept apart from the rules in tickets.py: this is how tickets are read fast, not what may be done with them.
"""

from __future__ import annotations

import re

from portalctl.contract import LATE_STATES
from portalctl.formulas import neutralise_sql
from portalctl.model import STATE_LABELS

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

# Export cells as SQLite computes them, for CSV exports that skip building Ticket objects: lists joined with ", ",
# flags as yes/no, and every cell that can hold user text (subjects, names, e-mails, slugs, tags, custom fields,
# dedupe keys) neutralised as portalctl/formulas.py says, so the rows go to csv.writer untouched. Ids, states, state
# labels, ISO times and yes/no never begin with a formula character. A test holds the cells to the object path's CSV
# byte for byte. Python per cell was most of the export's own time; these cost SQLite a comparison a cell.
_JOINED_VALUES = "(SELECT " + neutralise_sql("group_concat(value, ', ')") + " FROM json_each({}))"
# The IN test probes ticket_ccs's primary key: only the few tickets with CCs run the sorted subquery.
_JOINED_CCS = ("CASE WHEN t.id IN (SELECT ticket_id FROM ticket_ccs) THEN (SELECT "
               + neutralise_sql("group_concat(email, ', ')") + " FROM (SELECT u.email FROM ticket_ccs c JOIN users u"
               " ON u.id = c.user_id WHERE c.ticket_id = t.id ORDER BY u.email)) END")
_JOINED_TAGS = "CASE t.tags WHEN '[]' THEN NULL ELSE " + _JOINED_VALUES.format("t.tags") + " END"  # json_each if any
ROW_SQL = {
    "id": "t.id", "subject": neutralise_sql("t.subject"), "status": "t.status", "status_label": _LABEL,
    "priority": "t.priority", "type": "t.type", "department": neutralise_sql("d.slug"),
    "organization": neutralise_sql("o.slug"), "requester": neutralise_sql("r.email"),
    "requester_name": neutralise_sql("r.name"), "assignee": neutralise_sql("a.email"), "ccs": _JOINED_CCS,
    "tags": _JOINED_TAGS, "created_at": "t.created_at", "updated_at": "t.updated_at", "due_at": "t.due_at",
    "overdue": "CASE WHEN t.due_at < '{now}' AND t.status IN " + repr(LATE_STATES) + " THEN 'yes' ELSE 'no' END",
    "resolved_at": "t.resolved_at", "closed_at": "t.closed_at", "follow_up_of": "t.follow_up_of",
    "dedupe_key": neutralise_sql("t.dedupe_key"),
}
FIELD_KEY = re.compile(r"^\w+$")


def field_sql(key: str) -> str:
    """A custom field's cell: yes/no for booleans, a joined list for multichoice, text neutralised, numbers as
    numbers (-3 is a number to a spreadsheet, not a formula). A missing key costs one JSON lookup, not two."""
    path = f"'$.\"{key}\"'"
    value = f"json_extract(t.fields, {path})"
    items = _JOINED_VALUES.format(f"t.fields, {path}")
    return (f"CASE ifnull(json_type(t.fields, {path}), 'null') WHEN 'text' THEN {neutralise_sql(value)}"
            f" WHEN 'null' THEN NULL WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no' WHEN 'array' THEN {items}"
            f" ELSE {value} END")

