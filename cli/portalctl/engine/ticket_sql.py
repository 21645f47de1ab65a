"""The SQL of ticket listings: the selects, sort keys, export cells and JSON the ticket rules read tickets with.

Kept apart from the rules in tickets.py: this is how tickets are read fast, not what may be done with them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields

from portalctl.cells import TICKET_COLUMNS, ListSql, csv_sql, json_sql
from portalctl.contract import LATE_STATES
from portalctl.model import STATE_LABELS, Ticket

FROM = (
    " FROM tickets t JOIN users r ON r.id = t.requester_id"
    " LEFT JOIN organizations o ON o.id = t.org_id LEFT JOIN users a ON a.id = t.assignee_id"
    " LEFT JOIN departments d ON d.id = t.department_id"
)
SELECT = (
    "SELECT t.*, r.email AS requester, r.name AS requester_name, o.slug AS org, a.email AS assignee,"
    " d.slug AS dept" + FROM
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
    + FROM
)
NOW = "{now}"  # replaced by the portal's ISO time (our own text, never the user's) when a select is run
# Where each field of a Ticket is stored, over FROM's joins, in the form portalctl/cells.py's rules for its kind
# take: those rules make the export cells (ROW_SQL) and the JSON (JSON_SELECT) from these, so the fast paths read
# tickets as `list` does. Tests hold them to the object path byte for byte.
FIELD_SQL: dict[str, str | ListSql] = {
    "id": "t.id", "subject": "t.subject", "status": "t.status",
    "status_label": "CASE t.status " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in STATE_LABELS.items()) + " END",
    "priority": "t.priority", "type": "t.type", "department": "d.slug", "requester": "r.email",
    "requester_name": "r.name", "organization": "o.slug", "assignee": "a.email",
    # The IN test probes ticket_ccs's primary key: only the few tickets with CCs run the sorted subquery.
    "ccs": ListSql("(SELECT u.email AS value FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
                   " WHERE c.ticket_id = t.id ORDER BY u.email)", "t.id IN (SELECT ticket_id FROM ticket_ccs)"),
    "tags": ListSql.json_array("t.tags"), "fields": "t.fields", "created_at": "t.created_at",
    "updated_at": "t.updated_at", "due_at": "t.due_at",
    "overdue": f"t.due_at < '{NOW}' AND t.status IN {LATE_STATES!r}",
    "resolved_at": "t.resolved_at", "closed_at": "t.closed_at", "follow_up_of": "t.follow_up_of",
    "dedupe_key": "t.dedupe_key",
}
NOT_LISTED = ("comments", "attachments", "created")  # come with one ticket, never in a listing: null there
_KINDS = {column.name: column.kind for column in TICKET_COLUMNS}

# Export cells as SQLite computes them, for CSV exports that skip building Ticket objects: the rows go to
# csv.writer untouched. Python per cell was most of the export's own time; these cost SQLite a comparison a cell.
# A column missing here (fields) has no SQL form.
ROW_SQL = {name: sql for name, source in FIELD_SQL.items() if (sql := csv_sql(_KINDS[name], source)) is not None}
# The same cells as PostgreSQL computes them: its own forms of the stored lists (JSON text cast, CCs joined in order).
PG_FIELD_SQL: dict[str, str | ListSql] = {
    **FIELD_SQL,
    "ccs": ListSql("(SELECT u.email::text AS value FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
                   " WHERE c.ticket_id = t.id ORDER BY u.email) AS ccs", "t.id IN (SELECT ticket_id FROM ticket_ccs)"),
    "tags": ListSql("json_array_elements_text(t.tags::json)", "t.tags <> '[]'"),
}
PG_ROW_SQL = {name: sql for name, source in PG_FIELD_SQL.items()
              if (sql := csv_sql(_KINDS[name], source, postgres=True)) is not None}
# Ticket.to_dict() as SQLite builds it, key for key in the dataclass's field order.
JSON_SELECT = "SELECT json_object(" + ", ".join(
    f"'{field.name}', " + ("NULL" if field.name in NOT_LISTED else json_sql(_KINDS[field.name], FIELD_SQL[field.name]))
    for field in fields(Ticket)
) + ")" + FROM
# The same object as PostgreSQL builds it (json_build_object keeps the key order; its text has spaces after ':'
# and ',', which JSON readers ignore). Text columns holding JSON are cast; overdue is false, not null, without a due.
PG_JSON = {
    "ccs": "COALESCE((SELECT json_agg(u.email ORDER BY u.email) FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
           " WHERE c.ticket_id = t.id), '[]'::json)",
    "tags": "t.tags::json", "fields": "t.fields::json",
    "overdue": f"COALESCE(t.due_at < '{NOW}' AND t.status IN {LATE_STATES!r}, false)",
}
PG_JSON_SELECT = "SELECT json_build_object(" + ", ".join(
    f"'{field.name}', " + ("NULL" if field.name in NOT_LISTED else str(PG_JSON.get(field.name, FIELD_SQL[field.name])))
    for field in fields(Ticket)
) + ")::text" + FROM
FIELD_KEY = re.compile(r"^\w+$")


def row_select(columns: Sequence[str], now: str, *, postgres: bool = False) -> str | None:
    """The SELECT of CSV cells for `columns` (names as in CSV headers, `field:KEY` for custom fields), or None
    when a column has no SQL form here."""
    expressions = []
    for name in columns:
        key = name.removeprefix("field:")  # a custom field is kind any: its value comes typed by its JSON
        value = f"t.fields::json -> '{key}'" if postgres else f"t.fields, '$.\"{key}\"'"
        cells = PG_ROW_SQL if postgres else ROW_SQL
        sql = csv_sql("any", value, postgres=postgres) if key != name and FIELD_KEY.match(key) else cells.get(name)
        if sql is None:
            return None
        expressions.append(sql)
    return ("SELECT " + ", ".join(expressions) + FROM).replace(NOW, now)


def json_select(now: str, *, postgres: bool = False) -> str:
    return (PG_JSON_SELECT if postgres else JSON_SELECT).replace(NOW, now)
