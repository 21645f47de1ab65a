"""Printing records: one function per format, streaming where the format allows it.

Records arrive as dicts (a model record's `to_dict()`); `columns` picks and orders fields. JSON keeps every field
and its type; table and CSV cells follow portalctl/cells.py (`flat`, `csv_cell`), as the exports' do.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from portalctl.cells import csv_cell, flat
from portalctl.errors import InvalidInput

if TYPE_CHECKING:
    from _csv import Writer

FORMATS = ("table", "json", "jsonl", "csv", "yaml")
STATE_COLOURS = {"new": "cyan", "open": "yellow", "pending": "magenta", "on_hold": "blue", "resolved": "green",
                 "closed": "bright_black"}


def csv_table(stream: IO[str], header: Sequence[str]) -> Writer:
    """A CSV writer that has written its header row. CRLF ends rows as RFC 4180 says; it also makes the writer
    quote a field holding a lone CR, which a bare LF terminator would leave for a reader to split the row at."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    return writer


def pick(record: dict[str, Any], columns: Sequence[str] | None) -> dict[str, Any]:
    if not columns:
        return record
    return {column: record.get(column) for column in columns}


def render(
    records: Iterable[dict[str, Any]],
    fmt: str,
    stream: IO[str],
    *,
    columns: Sequence[str] | None = None,
    color: bool = False,
) -> int:
    """Write records in `fmt`; returns how many were written. Unknown columns fail before anything is written."""
    writer = {"table": _table, "json": _json, "jsonl": _jsonl, "csv": _csv, "yaml": _yaml}[fmt]
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        if fmt == "csv" and columns:  # an empty nightly export still has its header row
            csv_table(stream, columns)
        return writer(iter(()), stream, color)
    unknown = [c for c in columns or () if c not in first]
    if unknown:
        raise InvalidInput(f"unknown column {', '.join(unknown)}", hint=f"columns: {', '.join(first)}")
    rows = (pick(r, columns) for r in itertools.chain([first], iterator))
    return writer(rows, stream, color)


def render_one(record: dict[str, Any], fmt: str, stream: IO[str], *, color: bool = False) -> None:
    """One record: JSON as an object (not a list), a table as field/value lines."""
    if fmt == "json":
        stream.write(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "table":
        width = max((len(k) for k in record), default=0)
        for key, value in record.items():
            stream.write(f"{key.ljust(width)}  {flat(value)}\n")
    else:
        render([record], fmt, stream, color=color)


def _json(rows: Iterator[dict[str, Any]], stream: IO[str], _color: bool) -> int:
    count = 0
    stream.write("[")
    for row in rows:
        stream.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False, default=str))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _jsonl(rows: Iterator[dict[str, Any]], stream: IO[str], _color: bool) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


def _csv(rows: Iterator[dict[str, Any]], stream: IO[str], _color: bool) -> int:
    writer = None
    count = 0
    for row in rows:
        if writer is None:
            writer = csv_table(stream, list(row))
        writer.writerow([csv_cell(v) for v in row.values()])  # the exports' CSV rule (cells.py)
        count += 1
    return count


def _yaml(rows: Iterator[dict[str, Any]], stream: IO[str], _color: bool) -> int:
    import yaml

    items = list(rows)
    yaml.safe_dump(items, stream, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return len(items)


def _table(rows: Iterator[dict[str, Any]], stream: IO[str], color: bool) -> int:
    items = list(rows)
    if not items:
        return 0
    from tabulate import tabulate

    headers = [h.upper().replace("_", " ") for h in items[0]]
    body = []
    for item in items:
        cells = []
        for key, value in item.items():
            text = flat(value)
            if color and key == "status" and value in STATE_COLOURS:
                import click

                text = click.style(text, fg=STATE_COLOURS[value])
            cells.append(text)
        body.append(cells)
    stream.write(tabulate(body, headers=headers, tablefmt="plain", disable_numparse=True) + "\n")
    return len(items)
