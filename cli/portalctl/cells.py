"""Columns and their cells: the kind of value each column of a record holds, and one rule per kind for its cell.

Declared once, read by every writer: the CSV exports and `-o csv` listings (output/), the Excel export
(output/xlsx.py), tables (`flat`), and the SQL that the embedded portal computes cells with on its fast paths
(engine/ticket_sql.py). It sits at the bottom of the package, beside formulas.py, so the engine may import it.

The CSV rule is `csv_cell`: a value's table cell, neutralised against formulas, except that numbers stay numbers
(-3 is a number to a spreadsheet, not a formula) and nothing stays nothing. `CSV_CELLS` is the same rule narrowed
to each kind's values, so the hot loops skip the type tests; `csv_sql` and `json_sql` are the rules as SQLite
expressions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from portalctl.formulas import neutralise, neutralise_sql
from portalctl.model import FieldDef

# int, number, text, enum (a fixed vocabulary), time (ISO UTC), date, bool, list, map (a dict), any. Custom field
# values are typed by their definition but come from any backend: "any" copes with whatever arrives.
KINDS = ("int", "number", "text", "enum", "time", "date", "bool", "list", "map", "any")
FIELD_KINDS = {"date": "date"}  # a custom field's kind by its type; "any" otherwise


class Column(NamedTuple):
    """One column a listing or an export can show: its key, its header, where its value comes from."""

    name: str  # what --columns and CSV headers call it
    label: str  # the Excel header
    attr: str  # the record attribute it reads
    kind: str
    key: str | None = None  # for custom fields: the key inside record.fields


def _columns(spec: str) -> list[Column]:
    result = []
    for line in spec.strip().splitlines():
        name, kind, label = line.split(None, 2)
        result.append(Column(name, label, name, kind))
    return result


TICKET_COLUMNS = _columns("""
id             int    ID
subject        text   Subject
status         enum   Status
status_label   enum   Status label
priority       enum   Priority
type           enum   Type
department     text   Department
organization   text   Organization
requester      text   Requester
requester_name text   Requester name
assignee       text   Assignee
ccs            list   CCs
tags           list   Tags
created_at     time   Created
updated_at     time   Updated
due_at         time   Due
overdue        bool   Overdue
resolved_at    time   Resolved
closed_at      time   Closed
follow_up_of   int    Follow-up of
fields         map    Fields
dedupe_key     text   Dedupe key
""")

ARTICLE_COLUMNS = _columns("""
id          int   ID
title       text  Title
collection  text  Collection
folder      text  Folder
locale      enum  Locale
labels      list  Labels
created_at  time  Created
updated_at  time  Updated
helpful     int   Helpful votes
not_helpful int   Not helpful votes
body        text  Body
""")

COMMENT_COLUMNS = _columns("""
ticket_id   int   Ticket
id          int   Comment
created_at  time  Created
author      text  Author
author_name text  Author name
author_role enum  Role
internal    bool  Internal note
body        text  Body
attachments list  Attachments
""")


def field_column(definition: FieldDef) -> Column:
    return Column(f"field:{definition.key}", definition.label or definition.key, "fields",
                  FIELD_KINDS.get(definition.type, "any"), definition.key)


# --- table and CSV cells, in Python -------------------------------------------------------------------------------
def flat(value: Any) -> str:
    """The table cell of any value: lists joined with ", ", dicts as key=value, flags as yes/no, nothing empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(flat(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={flat(v)}" for k, v in value.items())
    return str(value)


def csv_cell(value: Any) -> Any:
    """The CSV cell of any value: its table cell, neutralised; numbers stay numbers and None stays empty."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return neutralise(value if value.__class__ is str else flat(value))


def csv_list(value: Any) -> Any:
    """`csv_cell` of a list: lists of text (nearly all) are joined without a call per item."""
    if value.__class__ is not list:
        return csv_cell(value) if value else ""
    try:
        text = ", ".join(value)
    except TypeError:
        text = flat(value)
    return neutralise(text)


def csv_flag(value: bool | None) -> str:
    """`csv_cell` of a flag."""
    return "" if value is None else ("yes" if value else "no")


# Per kind: the function that makes a value of that kind its CSV cell, or None when the value is its own cell (ids,
# the portal's fixed words and ISO times never begin with a formula character).
CSV_CELLS: dict[str, Callable[[Any], Any] | None] = {
    "int": None, "enum": None, "time": None, "text": neutralise, "list": csv_list, "bool": csv_flag,
    "number": csv_cell, "date": csv_cell, "map": csv_cell, "any": csv_cell,
}


# --- the same cells as SQL expressions (SQLite's, or PostgreSQL's) ----------------------------------------------
class ListSql(NamedTuple):
    """Where a list column's items are stored, in the forms the SQL cell rules need."""

    items: str  # a FROM source of the items in order, one a row, in a column named `value`
    present: str  # a cheap test that there is any item: most rows then skip the subquery
    array: str | None = None  # the items as a stored JSON array, when they are stored so

    @classmethod
    def json_array(cls, column: str) -> ListSql:
        return cls(f"json_each({column})", f"{column} <> '[]'", column)


def _joined_sql(items: str, postgres: bool) -> str:
    joined = "string_agg(value, ', ')" if postgres else "group_concat(value, ', ')"
    return "(SELECT " + neutralise_sql(joined, postgres=postgres) + f" FROM {items})"


def csv_sql(kind: str, source: str | ListSql, *, postgres: bool = False) -> str | None:
    """A column's CSV cell as SQLite (or PostgreSQL) computes it from `source` (where the value is stored), or None
    when the kind has no SQL form (map) and the caller must format the record in Python.

    `source` is, by kind: a scalar expression; for bool a condition; for list a ListSql; for any the arguments
    (document, path) of one JSON value, as json_extract takes them (on PostgreSQL: the json value itself). Cells
    match `csv_cell` byte for byte (tests hold them together).
    """
    if isinstance(source, ListSql):
        return f"CASE WHEN {source.present} THEN {_joined_sql(source.items, postgres)} END"
    if kind == "text":
        return neutralise_sql(source, postgres=postgres)
    if kind == "bool":
        return f"CASE WHEN {source} THEN 'yes' ELSE 'no' END"
    if kind == "any" and postgres:  # #>> '{}': the value as text (a string without its quotes, a number as written)
        value, items = f"({source} #>> '{{}}')", _joined_sql(f"json_array_elements_text({source})", postgres)
        text = neutralise_sql(value, postgres=True)
        return (f"CASE COALESCE(json_typeof({source}), 'null') WHEN 'string' THEN {text}"
                f" WHEN 'null' THEN NULL WHEN 'boolean' THEN CASE {value} WHEN 'true' THEN 'yes' ELSE 'no' END"
                f" WHEN 'array' THEN {items} ELSE {value} END")
    if kind == "any":
        value, items = f"json_extract({source})", _joined_sql(f"json_each({source})", postgres)
        return (f"CASE ifnull(json_type({source}), 'null') WHEN 'text' THEN {neutralise_sql(value)}"
                f" WHEN 'null' THEN NULL WHEN 'true' THEN 'yes' WHEN 'false' THEN 'no' WHEN 'array' THEN {items}"
                f" ELSE {value} END")
    return source if CSV_CELLS[kind] is None else None


def json_sql(kind: str, source: str | ListSql) -> str:
    """A column's value as SQLite's JSON functions take it: lists and maps as JSON, flags as true/false."""
    if isinstance(source, ListSql):
        return f"json({source.array})" if source.array else f"(SELECT json_group_array(value) FROM {source.items})"
    if kind == "map":
        return f"json({source})"
    if kind == "bool":
        return f"json(CASE WHEN {source} THEN 'true' ELSE 'false' END)"
    return source
