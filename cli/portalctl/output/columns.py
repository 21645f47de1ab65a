"""The columns an export can hold, and reading a record's values for them quickly.

Tabular exports (CSV, Excel) need their columns before the first row: a write-only Excel sheet cannot grow a
column later. Custom fields therefore come from the portal's field definitions, one column per key
(`field:user_code`), not from whatever the first tickets happen to carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, NamedTuple

from portalctl.errors import InvalidInput
from portalctl.model import Article, Comment, FieldDef, Ticket

# kinds: int, number, text, enum (a fixed vocabulary), time (ISO UTC), date, bool, list, map (a dict), any.
# Custom field values are typed by their definition but come from any backend: "any" copes with whatever arrives.
FIELD_KINDS = {"date": "date"}


@dataclass(frozen=True)
class Column:
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
status_label   text   Status label
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
TICKET_OPTIONAL = ("status_label", "fields", "dedupe_key")  # selectable with --columns, not exported by default

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
ARTICLE_OPTIONAL = ("body",)


class CommentRow(NamedTuple):
    """One comment of one ticket, as a row of the comments sheet or file."""

    ticket_id: int
    id: int
    created_at: str
    author: str
    author_name: str
    author_role: str
    internal: bool
    body: str
    attachments: list[str]

    @classmethod
    def of(cls, ticket_id: int, comment: Comment) -> CommentRow:
        return cls(ticket_id, comment.id, comment.created_at, comment.author, comment.author_name,
                   comment.author_role, comment.internal, comment.body, [a.filename for a in comment.attachments])


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


def ticket_columns(definitions: Sequence[FieldDef], wanted: Sequence[str] | None) -> list[Column]:
    """The default ticket columns plus one per custom field, or exactly `wanted`, checked before any output."""
    custom: dict[str, Column] = {}
    for definition in definitions:  # a key defined per department appears once
        custom.setdefault(f"field:{definition.key}", field_column(definition))
    available = {c.name: c for c in TICKET_COLUMNS} | custom
    if not wanted:
        return [c for c in TICKET_COLUMNS if c.name not in TICKET_OPTIONAL] + list(custom.values())
    return pick(available, wanted)


def article_columns(wanted: Sequence[str] | None, *, body: bool) -> list[Column]:
    available = {c.name: c for c in ARTICLE_COLUMNS}
    if not wanted:
        return [c for c in ARTICLE_COLUMNS if c.name not in ARTICLE_OPTIONAL or (body and c.name == "body")]
    return pick(available, wanted)


def pick(available: dict[str, Column], wanted: Sequence[str]) -> list[Column]:
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise InvalidInput(f"unknown column {', '.join(unknown)}", hint=f"columns: {', '.join(available)}")
    return [available[name] for name in dict.fromkeys(wanted)]


def parse_columns(flag: str | None) -> list[str] | None:
    if not flag:
        return None
    return [name.strip() for name in flag.split(",") if name.strip()] or None


class RowReader:
    """A record's raw values for a list of columns, in one attrgetter call plus a lookup per custom field."""

    def __init__(self, columns: Sequence[Column]) -> None:
        attrs = [c.attr for c in columns]
        getter = attrgetter(*attrs)
        self._get: Callable[[Any], tuple[Any, ...]] = (
            getter if len(attrs) > 1 else lambda record: (getter(record),)
        )
        self._keys = [(index, c.key) for index, c in enumerate(columns) if c.key is not None]

    def __call__(self, record: Any) -> list[Any]:
        values = list(self._get(record))
        for index, key in self._keys:
            values[index] = values[index].get(key)
        return values


def record_fields(kind: type[Ticket] | type[Article]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


TICKET_FIELDS = record_fields(Ticket)
ARTICLE_FIELDS = record_fields(Article)
