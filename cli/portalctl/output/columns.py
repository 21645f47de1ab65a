"""Which columns an export holds, and reading a record's values for them quickly (the columns and their kinds are
declared in portalctl/cells.py).

Tabular exports (CSV, Excel) need their columns before the first row: a write-only Excel sheet cannot grow a
column later. Custom fields therefore come from the portal's field definitions, one column per key
(`field:user_code`), not from whatever the first tickets happen to carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any, NamedTuple

from portalctl.cells import ARTICLE_COLUMNS, TICKET_COLUMNS, Column, field_column
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import Article, Comment, FieldDef, Ticket

TICKET_OPTIONAL = ("status_label", "fields", "dedupe_key")  # selectable with --columns, not exported by default

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
        raise InvalidInput(_("unknown column {unknown}").format(unknown=', '.join(unknown)),
            hint=_("columns: {available}").format(available=', '.join(available)))
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
