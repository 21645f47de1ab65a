"""The Excel export: a styled workbook from openpyxl's write-only mode, with the data rows streamed by us.

openpyxl (write-only) builds the workbook: the styled header rows, column widths, frozen panes, autofilters, the
styles, the Summary sheet and its charts. The data rows themselves, often 100,000 of them, do not go through
openpyxl's cell objects: at about 15 µs a cell they made an export slower than pandas. Each row is written as
sheet XML straight to an anonymous temporary file (gone even if the process is killed), and at the end those
rows are spliced into openpyxl's sheet between the header row and `</sheetData>` while the final zip is written.
Memory holds one row at a time.

Cells follow the rules of the export: text that a spreadsheet would run (=, +, -, @, tab, CR, or an error value
such as #N/A) is written as text with Excel's quote prefix, never as a formula; times are real datetimes on the
reader's wall clock (Excel has no zones: the header names it); control characters Excel refuses are dropped.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portalctl.cells import COMMENT_COLUMNS, Column, flat
from portalctl.formulas import FORMULA_PREFIXES
from portalctl.i18n import _
from portalctl.model import Comment
from portalctl.output.columns import CommentRow, RowReader
from portalctl.output.summary import Tally
from portalctl.output.xlsx_style import DATE_FORMAT, DATETIME_FORMAT, header_cell
from portalctl.output.xlsx_summary import write_summary

SIZING_ROWS = 50  # column widths come from the header and this many first rows
MAX_WIDTH = 60
MAX_CELL = 32_767  # Excel's limit on the characters of one cell
KIND_WIDTHS = {"time": 17, "date": 11, "bool": 6}
EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (1900 date system)
UNSAFE = frozenset(FORMULA_PREFIXES)
ERRORS = frozenset(ERROR_CODES)
BLANKS = " \t\n"
# XML text escapes; characters XML 1.0 cannot hold (and Excel refuses) are dropped.
XML_TEXT: dict[int, str | None] = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("\r"): "&#13;"}
XML_TEXT.update({code: None for code in [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF]})
NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # translate() is slow: only when needed
EPOCH_UTC = EPOCH.replace(tzinfo=UTC)
ZERO = timedelta(0)


def style_id(ws: WriteOnlyWorksheet, **style: Any) -> int:
    """The workbook's index for a cell style (registered so openpyxl writes it to styles.xml)."""
    cell = WriteOnlyCell(ws)
    for name, value in style.items():
        setattr(cell, name, value)
    return int(cell.style_id)


class CellXml:
    """Sheet XML for one cell of each kind of value. Empty values get no cell at all."""

    def __init__(self, ws: WriteOnlyWorksheet, zone: tzinfo) -> None:
        self.zone = zone
        self.quoted = style_id(ws, quotePrefix=True)
        self.when = style_id(ws, number_format=DATETIME_FORMAT)
        self.day_style = style_id(ws, number_format=DATE_FORMAT)

    def text(self, ref: str, value: Any) -> str:
        if not isinstance(value, str):
            value = str(value)
        if not value:
            return ""
        if len(value) > MAX_CELL:
            value = value[:MAX_CELL]
        style = f' s="{self.quoted}"' if value[0] in UNSAFE or value in ERRORS else ""
        space = ' xml:space="preserve"' if value[0] in BLANKS or value[-1] in BLANKS else ""
        if NEEDS_ESCAPE.search(value):
            value = value.translate(XML_TEXT)
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>'

    def number(self, ref: str, value: Any) -> str:
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value!r}</v></c>'
        return self.any(ref, value)

    def time(self, ref: str, value: Any) -> str:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):  # not an ISO time after all: keep what the portal said
            return self.any(ref, value)
        since = moment - EPOCH_UTC  # days since Excel's day 0 on the reader's wall clock
        if self.zone is not UTC:
            since += moment.astimezone(self.zone).utcoffset() or ZERO
        return f'<c r="{ref}" s="{self.when}"><v>{since.total_seconds() / 86400!r}</v></c>'

    def day(self, ref: str, value: Any) -> str:
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return f'<c r="{ref}" s="{self.day_style}"><v>{(date.fromisoformat(value) - EPOCH.date()).days}</v></c>'
        return self.any(ref, value)

    def items(self, ref: str, value: Any) -> str:
        if isinstance(value, list):
            return self.text(ref, flat(value))
        return self.any(ref, value)

    def any(self, ref: str, value: Any) -> str:
        if isinstance(value, bool | int | float):
            return self.number(ref, value)
        if isinstance(value, list):
            return self.items(ref, value)
        return self.text(ref, value if isinstance(value, str) else flat(value))

    def encoder(self, kind: str) -> Callable[[str, Any], str]:
        """The cell of a value of `kind` (cells.KINDS)."""
        return {
            "int": self.number, "number": self.number, "bool": self.number, "enum": self.text, "text": self.text,
            "time": self.time, "date": self.day, "list": self.items, "map": self.any, "any": self.any,
        }[kind]


def shown_width(kind: str, value: Any) -> int:
    if value is None:
        return 0
    if kind in KIND_WIDTHS:
        return KIND_WIDTHS[kind]
    return max((len(line) for line in flat(value).splitlines()), default=0)


class DataSheet:
    """One data sheet: openpyxl holds its header and settings, the rows stream to a temporary file."""

    def __init__(self, wb: Workbook, title: str, columns: Sequence[Column], zone: tzinfo, zone_name: str,
                 scratch: Path) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(title)
        self.ws.freeze_panes = "A2"
        self.columns = list(columns)
        self.headers = [f"{_(c.label)} ({zone_name})" if c.kind == "time" else _(c.label) for c in columns]
        self.read = RowReader(columns)
        cells = CellXml(self.ws, zone)
        self.encoders = [(get_column_letter(i + 1), cells.encoder(c.kind)) for i, c in enumerate(columns)]
        self.widths = [len(header) + 3 for header in self.headers]  # room for the filter button
        self.rows = 0
        # Unlinked at once where the OS allows: nothing is left behind, even after SIGKILL.
        self.file: IO[str] = tempfile.TemporaryFile(  # noqa: SIM115 (closed by close())
            "w+", encoding="utf-8", errors="replace", newline="", dir=scratch)

    def append(self, record: Any) -> None:
        values = self.read(record)
        self.rows += 1
        n = self.rows + 1  # the header is row 1
        if self.rows <= SIZING_ROWS:
            for index, (column, value) in enumerate(zip(self.columns, values, strict=True)):
                self.widths[index] = max(self.widths[index], shown_width(column.kind, value) + 1)
        cells = "".join(
            encode(f"{letter}{n}", value)
            for (letter, encode), value in zip(self.encoders, values, strict=True)
            if value is not None and value != ""
        )
        self.file.write(f'<row r="{n}">{cells}</row>')

    def finish(self) -> None:
        """The header, widths and autofilter, now that the rows are counted (openpyxl writes them at save)."""
        for index, width in enumerate(self.widths):
            self.ws.column_dimensions[get_column_letter(index + 1)].width = min(width, MAX_WIDTH)
        self.ws.append([header_cell(self.ws, header) for header in self.headers])
        self.ws.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{self.rows + 1}"
        self.file.flush()

    def copy_rows(self, out: IO[bytes]) -> None:
        self.file.seek(0)
        shutil.copyfileobj(self.file.buffer, out, 1 << 20)  # type: ignore[attr-defined]

    def size(self) -> int:
        return self.file.seek(0, io.SEEK_END)

    def close(self) -> None:
        self.file.close()


class XlsxWriter:
    def __init__(self, path: Path, columns: Sequence[Column], *, sheet: str, zone: tzinfo, zone_name: str,
                 comments: bool, tally: Tally | None, exported_at: datetime) -> None:
        self.path = path
        self.exported_at = exported_at  # the Summary sheet's "Exported" time
        self.zone, self.zone_name = zone, zone_name
        self.wb = Workbook(write_only=True)
        self.sheets = [DataSheet(self.wb, sheet, columns, zone, zone_name, path.parent)]
        self.comments = None
        if comments:
            self.comments = DataSheet(self.wb, _("Comments"), COMMENT_COLUMNS, zone, zone_name, path.parent)
            self.sheets.append(self.comments)
        self.tally = tally
        self.summary = self.wb.create_sheet(_("Summary")) if tally is not None else None

    def write(self, record: Any, comments: Sequence[Comment] | None) -> None:
        self.sheets[0].append(record)
        if self.tally is not None:
            self.tally.add(record)
        if self.comments is not None:
            for comment in comments or ():
                self.comments.append(CommentRow.of(record.id, comment))

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.finish()
        if self.summary is not None and self.tally is not None:
            write_summary(self.summary, self.tally, self.zone, self.zone_name, self.exported_at)
        skeleton = io.BytesIO()
        self.wb.save(skeleton)  # small: headers, styles, summary, charts
        try:
            splice(skeleton, self.path, {sheet.ws.path.lstrip("/"): sheet for sheet in self.sheets})
        finally:
            self.abort()

    def abort(self) -> None:
        for sheet in self.sheets:
            sheet.close()


def splice(skeleton: IO[bytes], path: Path, sheets: dict[str, DataSheet]) -> None:
    """Copy openpyxl's workbook to `path`, each data sheet's streamed rows inserted before `</sheetData>`."""
    with zipfile.ZipFile(skeleton) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for info in source.infolist():
            body = source.read(info)
            sheet = sheets.get(info.filename)
            if sheet is None:
                target.writestr(info, body)
                continue
            head, end, tail = body.rpartition(b"</sheetData>")
            if not end:
                raise RuntimeError(f"unexpected sheet XML in {info.filename}")
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            big = sheet.size() + len(body) > 0x7FFF0000
            with target.open(entry, "w", force_zip64=big) as out:
                out.write(head)
                sheet.copy_rows(out)
                out.write(end + tail)
