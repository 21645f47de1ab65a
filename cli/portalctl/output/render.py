"""Printing records: one function per format, streaming where the format allows it.

Records arrive as dicts (a model record's `to_dict()`); `columns` picks and orders fields. JSON keeps every field
and its type; table and CSV cells follow portalctl/cells.py (`flat`, `csv_cell`), as the exports' do. Tables are
for people: portal text made inert (safetext), times in the reader's zone and relative on a terminal, rows fitted
to the terminal's width. JSON, JSONL and YAML keep the data and ISO 8601 UTC; CSV keeps the data, times local.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from portalctl.cells import csv_cell, flat
from portalctl.errors import InvalidInput
from portalctl.i18n import N_, SOURCE, _, language
from portalctl.output.localtime import TimeView, is_time
from portalctl.safetext import cell

if TYPE_CHECKING:
    from _csv import Writer

FORMATS = ("table", "json", "jsonl", "csv", "yaml")
# Table headers: a column's key upper-cased, in the reader's language (a key not listed here shows as it is).
HEADERS = (
    N_("ABOUT"), N_("ACTIVE"), N_("ACTOR"), N_("ARTICLES"), N_("ASSIGNEE"), N_("ATTACHMENT"), N_("ATTACHMENTS"),
    N_("AUTHOR"), N_("AUTHOR NAME"), N_("AUTHOR ROLE"), N_("BACKEND"), N_("BODY"), N_("BUSINESS HOURS"), N_("CCS"),
    N_("CHOICES"), N_("CLOSED AT"), N_("COLLECTION"), N_("COMMENT ID"), N_("COMMENTS"), N_("CONTENT TYPE"),
    N_("COUNT"), N_("COUNTRIES"), N_("COUNTRY"), N_("CREATED"), N_("CREATED AT"), N_("CURRENT"), N_("CURSOR"),
    N_("CUSTOMER EDITABLE"), N_("DB"), N_("DEDUPE KEY"), N_("DEPARTMENT"), N_("DESCRIPTION"), N_("DETAIL"),
    N_("DOMAINS"), N_("DUE AT"), N_("EMAIL"), N_("ENDS AT"), N_("EXPIRES AT"), N_("FIELDS"), N_("FILENAME"),
    N_("FOLDER"), N_("FOLDERS"), N_("FOLLOW UP OF"), N_("HELPFUL"), N_("ID"), N_("INTERNAL"), N_("ITEMS"),
    N_("KEY"), N_("KIND"), N_("LABEL"), N_("LABELS"), N_("LANGUAGE"), N_("LAST USED AT"), N_("LOCALE"),
    N_("MANAGER"), N_("NAME"), N_("NEW TICKET"), N_("NOT HELPFUL"), N_("ORGANIZATION"), N_("OVERDUE"), N_("PATH"),
    N_("PATTERN"), N_("PHONE"), N_("PHOTO SHA256"), N_("PIPELINE"), N_("POLICY"), N_("PRIORITY"), N_("PROFILE"),
    N_("RELATED"), N_("REPLY"), N_("REQUESTER"), N_("REQUESTER NAME"), N_("REQUIRED"), N_("RESOLUTION HOURS"),
    N_("RESOLVED AT"), N_("ROLE"), N_("SCORE"), N_("SEVERITY"), N_("SHA256"), N_("SHARED TICKETS"), N_("SIZE"),
    N_("SLUG"), N_("SNIPPET"), N_("SOURCE"), N_("STARTS AT"), N_("STATE"), N_("STATUS"), N_("STATUS LABEL"),
    N_("SUBJECT"), N_("TAGS"), N_("TERMS"), N_("TERMS VERSION"), N_("TEXT"), N_("TICKET ID"), N_("TIMEZONE"),
    N_("TITLE"), N_("TOKEN"), N_("TYPE"), N_("UPDATED AT"), N_("URL"), N_("USER"), N_("USERS"), N_("VALUE"),
)
COUNTS = ("count", "size", "helpful", "not_helpful", "users", "folders", "shared_tickets")  # grouped: 1.234
STATE_COLOURS = {"new": "cyan", "open": "yellow", "pending": "magenta", "on_hold": "blue", "resolved": "green",
                 "closed": "bright_black"}


def csv_table(stream: IO[str], header: Sequence[str]) -> Writer:
    """A CSV writer that has written its header row. CRLF ends rows as RFC 4180 says; it also makes the writer
    quote a field holding a lone CR, which a bare LF terminator would leave for a reader to split the row at."""
    import csv  # loaded for CSV output only

    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    return writer


def pick(record: dict[str, Any], columns: Sequence[str] | None) -> dict[str, Any]:
    if not columns:
        return record
    return {column: record.get(column) for column in columns}


class Look(NamedTuple):
    """What a human format may do with the terminal: colour, its width (None: cut nothing), how times read."""

    color: bool = False
    width: int | None = None
    times: TimeView | None = None


PLAIN = Look()  # no colour, nothing cut, times as stored


def render(
    records: Iterable[dict[str, Any]],
    fmt: str,
    stream: IO[str],
    *,
    columns: Sequence[str] | None = None,
    look: Look = PLAIN,
) -> int:
    """Write records in `fmt`; returns how many were written. Unknown columns fail before anything is written."""
    writer = {"table": _table, "json": _json, "jsonl": _jsonl, "csv": _csv, "yaml": _yaml}[fmt]
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        if fmt == "csv" and columns:  # an empty nightly export still has its header row
            csv_table(stream, columns)
        return writer(iter(()), stream, look)
    unknown = [c for c in columns or () if c not in first]
    if unknown:
        raise InvalidInput(_("unknown column {unknown}").format(unknown=', '.join(unknown)),
            hint=_("columns: {first}").format(first=', '.join(first)))
    rows = (pick(r, columns) for r in itertools.chain([first], iterator))
    return writer(rows, stream, look)


def render_one(record: dict[str, Any], fmt: str, stream: IO[str], *, look: Look = PLAIN) -> None:
    """One record: JSON and YAML as an object (not a list), a table as field/value lines."""
    if fmt == "json":
        stream.write(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "yaml":
        import yaml

        yaml.safe_dump(record, stream, allow_unicode=True, sort_keys=False, default_flow_style=False)
    elif fmt == "table":
        names = {key: field_name(key) for key in record}
        width = max((len(name) for name in names.values()), default=0)
        for key, value in record.items():
            text = look.times.when(value) if look.times and is_time(key, value) else shown(key, value)
            stream.write(f"{names[key].ljust(width)}  {cell(text)}\n")
    else:
        render([record], fmt, stream, look=look)


def _json(rows: Iterator[dict[str, Any]], stream: IO[str], _look: Look) -> int:
    count = 0
    stream.write("[")
    for row in rows:
        stream.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _jsonl(rows: Iterator[dict[str, Any]], stream: IO[str], _look: Look) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


def _csv(rows: Iterator[dict[str, Any]], stream: IO[str], look: Look) -> int:
    writer = None
    count = 0
    times = look.times if look.times and look.times.zone_name != "UTC" else None
    for row in rows:
        if writer is None:
            writer = csv_table(stream, list(row))
        writer.writerow([times.iso_local(v) if times and is_time(k, v) else csv_cell(v)  # the exports' CSV rule
                         for k, v in row.items()])
        count += 1
    return count


def _yaml(rows: Iterator[dict[str, Any]], stream: IO[str], _look: Look) -> int:
    import yaml

    items = list(rows)
    yaml.safe_dump(items, stream, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return len(items)


def _table(rows: Iterator[dict[str, Any]], stream: IO[str], look: Look) -> int:
    items = list(rows)
    if not items:
        return 0
    from portalctl.output.table import plain_table

    times = look.times
    keys = list(items[0])
    body = [[cell(times.cell(v) if times and is_time(k, v) else shown(k, v)) for k, v in item.items()]
            for item in items]
    styles = None
    if look.color and "status" in keys:
        import click

        column = keys.index("status")
        styles = {column: [click.style(row[column], fg=STATE_COLOURS.get(item["status"])) for row, item in
                           zip(body, items, strict=True)]}
    stream.write(plain_table([header(k, times) for k in keys], body, look.width, styles))
    return len(items)


def shown(key: str, value: Any) -> str:
    """A value as a person reads it in a table: a vocabulary's word, yes or no, a count grouped, in the reader's
    language. In English, the value itself (scripts that read tables see what they always saw)."""
    if language() == SOURCE:
        return flat(value)
    from portalctl.labels import cell as word

    value = word(key, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in COUNTS and isinstance(value, int):
        from portalctl.output.localformat import number

        return number(value)
    return flat(value)


def field_name(key: str) -> str:
    """A field's name in a one-record view: its key in English, its header's words in sentence case otherwise."""
    return key if language() == SOURCE else _(key.upper().replace("_", " ")).capitalize()


def header(key: str, times: TimeView | None) -> str:
    """A column's header, in the reader's language; a column of absolute times names their zone."""
    text = _(key.upper().replace("_", " "))
    if times and times.now is None and key.endswith("_at"):
        return f"{text} ({times.zone_name})"
    return text
