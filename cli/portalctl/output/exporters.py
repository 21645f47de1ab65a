"""Export files: CSV, JSON Lines, JSON and Excel, written while records stream, replaced all-or-nothing.

`export()` drives one export: it opens the writer for the format on temporary files beside the targets (or on
stdout), feeds it one record at a time with that record's comments when asked, shows progress on a terminal,
and renames the files into place only when everything was written. Nothing here holds more than one record (or a
batch of ready CSV rows, and Excel's first rows, to size its columns), so memory does not grow with the number of
tickets.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import islice
from pathlib import Path
from typing import IO, Any, Protocol

from portalctl.cells import COMMENT_COLUMNS, CSV_CELLS, Column
from portalctl.i18n import _
from portalctl.model import Comment
from portalctl.output.atomic import atomic_paths
from portalctl.output.columns import CommentRow, RowReader
from portalctl.output.progress import NOUNS, Progress
from portalctl.output.render import csv_table
from portalctl.output.summary import Tally

FORMATS = ("csv", "xlsx", "jsonl", "json")
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
STDOUT_FORMATS = ("csv", "jsonl", "json")


class Writer(Protocol):
    def write(self, record: Any, comments: Sequence[Comment] | None) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


@dataclass
class ExportSpec:
    """What to write and where; `target` None means stdout."""

    fmt: str
    target: Path | None
    columns: list[Column]
    noun: str  # "tickets", "articles": progress and the sheet's name
    zone: tzinfo
    zone_name: str
    exported_at: datetime  # the I/O object's clock when the export started (Excel's Summary sheet)
    columns_chosen: bool = False  # JSON: only these columns, not the whole record
    record_fields: Sequence[str] = ()  # JSON: the record's documented fields, in order
    comments: bool = False
    tally: Tally | None = None  # Excel: counts for the Summary sheet
    bom: bool = False
    rows: bool = False  # CSV: records are the backend's ready rows (`list_rows`), not records
    targets: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.target is not None:
            self.targets = [self.target]
            if self.comments and self.fmt == "csv":
                self.targets.append(comments_path(self.target))


def comments_path(target: Path) -> Path:
    """tickets.csv -> tickets.comments.csv, beside it."""
    return target.with_name(f"{target.stem}.comments{target.suffix or '.csv'}")


def format_for(target: Path | None, fmt: str | None) -> str | None:
    """--format wins; else the extension; stdout defaults to CSV. None when neither says."""
    if fmt:
        return fmt
    if target is None:
        return "csv"
    return EXTENSIONS.get(target.suffix.lower())


# --- CSV ---------------------------------------------------------------------------------------------------------
class CsvFile:
    """One CSV file: its header is written at once, so an export of nothing still names its columns."""

    def __init__(self, stream: IO[str], columns: Sequence[Column]) -> None:
        self.writer = csv_table(stream, [c.name for c in columns])

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class CsvTable(CsvFile):
    """Records as CSV rows: each value made a cell by its column's kind (cells.CSV_CELLS).

    This is the hot loop of a 100,000-ticket export from objects, so only the columns whose kind needs it are
    converted, each with its kind's own function: ids, fixed words and ISO times go to csv.writer as they are.
    """

    def __init__(self, stream: IO[str], columns: Sequence[Column]) -> None:
        super().__init__(stream, columns)
        self.read = RowReader(columns)
        self.cells = [(index, cell) for index, c in enumerate(columns) if (cell := CSV_CELLS[c.kind]) is not None]

    def write(self, record: Any, comments: Sequence[Comment] | None = None) -> None:
        values = self.read(record)
        for index, cell in self.cells:
            values[index] = cell(values[index])
        self.writer.writerow(values)


class CsvRows(CsvFile):
    """CSV from the backend's ready rows (`list_rows`): SQLite made their cells by the same rules (cells.csv_sql),
    so they go to csv.writer as they are, a batch at a time, without Python per row or per cell."""

    def write(self, record: Any, comments: Sequence[Comment] | None = None) -> None:
        self.writer.writerow(record)

    def write_batch(self, rows: Sequence[Any]) -> None:
        self.writer.writerows(rows)


class CsvWriter(CsvTable):
    """The records' table, and with comments a second table of (ticket, comment) rows in its own file."""

    def __init__(self, stream: IO[str], columns: Sequence[Column], comments: IO[str] | None) -> None:
        super().__init__(stream, columns)
        self.comments = CsvTable(comments, COMMENT_COLUMNS) if comments is not None else None

    def write(self, record: Any, comments: Sequence[Comment] | None = None) -> None:
        super().write(record)
        if self.comments is not None:
            for comment in comments or ():
                self.comments.write(CommentRow.of(record.id, comment))


# --- JSON ---------------------------------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """Nested records (comments, attachments) as dicts; everything else is JSON already."""
    if isinstance(value, list) and value and hasattr(value[0], "to_dict"):
        return [item.to_dict() for item in value]
    return value


class JsonRecords:
    """A record as the documented JSON object (every field), or just the chosen columns."""

    def __init__(self, spec: ExportSpec) -> None:
        self.names = [c.name for c in spec.columns] if spec.columns_chosen else list(spec.record_fields)
        self.read = RowReader(spec.columns) if spec.columns_chosen else None
        self.comments = spec.comments

    def __call__(self, record: Any, comments: Sequence[Comment] | None) -> str:
        if self.read is not None:
            data = dict(zip(self.names, self.read(record), strict=True))
        else:
            data = {name: plain(getattr(record, name)) for name in self.names}
        if self.comments:
            data["comments"] = [c.to_dict() for c in comments or ()]
        return json.dumps(data, ensure_ascii=False, default=str)


class JsonlWriter:
    def __init__(self, stream: IO[str], spec: ExportSpec) -> None:
        self.stream = stream
        self.encode = JsonRecords(spec)

    def write(self, record: Any, comments: Sequence[Comment] | None) -> None:
        self.stream.write(self.encode(record, comments) + "\n")

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class JsonWriter(JsonlWriter):
    """One JSON array, written element by element (the same layout as `-o json` listings)."""

    def __init__(self, stream: IO[str], spec: ExportSpec) -> None:
        super().__init__(stream, spec)
        self.count = 0
        stream.write("[")

    def write(self, record: Any, comments: Sequence[Comment] | None) -> None:
        self.stream.write(("," if self.count else "") + "\n  " + self.encode(record, comments))
        self.count += 1

    def close(self) -> None:
        self.stream.write("\n]\n" if self.count else "]\n")


# --- the run ------------------------------------------------------------------------------------------------------
ROWS_BATCH = 200  # ready CSV rows held at a time; Progress redraws at most every 200 records anyway


def open_writer(spec: ExportSpec, paths: Sequence[Path], stack: contextlib.ExitStack, stdout: IO[str]) -> Writer:
    """The writer for `spec.fmt` on `paths` (temporary files), or on stdout when there are none."""
    if spec.fmt == "xlsx":
        from portalctl.output.xlsx import XlsxWriter

        return XlsxWriter(paths[0], spec.columns, sheet=_(NOUNS[spec.noun]).capitalize(), zone=spec.zone,
                          zone_name=spec.zone_name, comments=spec.comments, tally=spec.tally,
                          exported_at=spec.exported_at)
    encoding = "utf-8-sig" if spec.bom else "utf-8"
    streams: list[IO[str]] = [
        stack.enter_context(open(path, "w", encoding=encoding, newline=""))  # noqa: SIM115 (the stack closes it)
        for path in paths
    ] or [stdout]
    if spec.fmt == "csv" and len(streams) > 1:
        return CsvWriter(streams[0], spec.columns, streams[1])
    if spec.fmt == "csv":
        return (CsvRows if spec.rows else CsvTable)(streams[0], spec.columns)  # no comments: one call less a row
    return (JsonWriter if spec.fmt == "json" else JsonlWriter)(streams[0], spec)


def pump(records: Iterable[Any], writer: Writer, comments_of: Callable[[Any], Sequence[Comment]] | None,
         progress: Progress) -> int:
    count = 0
    write = writer.write
    try:
        if isinstance(writer, CsvRows):  # ready rows (never with comments): csv.writer loops over a batch in C
            rows = iter(records)
            while batch := list(islice(rows, ROWS_BATCH)):
                writer.write_batch(batch)
                count += len(batch)
                progress.tick(count)
        elif comments_of is None and not progress.enabled:  # the common case, kept to one call per record
            for count, record in enumerate(records, 1):  # noqa: B007 (count is read after the loop)
                write(record, None)
        else:
            for count, record in enumerate(records, 1):
                write(record, comments_of(record) if comments_of else None)
                progress.tick(count)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        progress.done()
    return count


def export(records: Iterable[Any], spec: ExportSpec, stdout: IO[str], *,
           comments_of: Callable[[Any], Sequence[Comment]] | None = None, progress: IO[str] | None = None,
           total: int | None = None) -> int:
    """Write every record (to `stdout` when there is no target); returns how many; progress goes to `progress`
    (a bar and an ETA when the `total` is known).

    The targets change only if the whole export succeeds.
    """
    meter = Progress(spec.noun, progress, total)
    if spec.target is None:
        with contextlib.ExitStack() as stack:
            count = pump(records, open_writer(spec, [], stack, stdout), comments_of, meter)
            stdout.flush()
        return count
    with atomic_paths(spec.targets) as paths, contextlib.ExitStack() as stack:
        return pump(records, open_writer(spec, paths, stack, stdout), comments_of, meter)
