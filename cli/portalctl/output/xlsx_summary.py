"""The Excel export's Summary sheet: totals by state, priority, department and month, with bar charts.

The counts were gathered while the ticket rows streamed (a Tally), so the sheet is written once, at the end.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from portalctl.i18n import N_, _
from portalctl.output.summary import Tally, key_word
from portalctl.output.xlsx_style import DATETIME_FORMAT, header_cell

SECTIONS = (("state", N_("State")), ("priority", N_("Priority")), ("department", N_("Department")),
            ("month", N_("Month")))
CHART_COLUMN = "D"


def write_summary(ws: WriteOnlyWorksheet, tally: Tally, zone: tzinfo, zone_name: str, exported_at: datetime) -> None:
    """Rows: the total, when, then one two-column table per dimension; charts to the right of the tables."""
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 17
    ws.append([header_cell(ws, _("Tickets")), tally.total])
    exported = WriteOnlyCell(ws, value=exported_at.astimezone(zone).replace(tzinfo=None, microsecond=0))
    exported.number_format = DATETIME_FORMAT
    ws.append([_("Exported ({zone})").format(zone=zone_name), exported])
    ws.append([])
    row = 4
    spans: dict[str, tuple[int, int]] = {}
    for dimension, title in SECTIONS:
        ws.append([header_cell(ws, _(title)), header_cell(ws, _("Tickets"))])
        rows = tally.rows(dimension)
        for key, count in rows:
            ws.append([key_word(dimension, key), count])
        spans[dimension] = (row, row + len(rows))
        row += len(rows) + 2
        ws.append([])
    anchor = 2
    for dimension, title, kind in (("state", _("Tickets by state"), "bar"), ("month", _("Tickets by month"), "col")):
        first, last = spans[dimension]
        if last == first:
            continue
        ws.add_chart(bar_chart(ws, title, kind, first, last), f"{CHART_COLUMN}{anchor}")
        anchor += 18


def bar_chart(ws: WriteOnlyWorksheet, title: str, kind: str, header_row: int, last_row: int) -> BarChart:
    chart = BarChart()
    chart.type = kind  # "bar": horizontal bars, "col": vertical columns
    chart.title = title
    chart.legend = None
    chart.style = 10
    chart.height = 8.5
    chart.width = 16 if kind == "bar" else max(16.0, min(40.0, 1.0 * (last_row - header_row)))
    chart.add_data(Reference(ws, min_col=2, min_row=header_row, max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.delete = False  # openpyxl 3.1 hides both axes unless told
    chart.y_axis.delete = False
    if kind == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # first state at the top, as in the table
    return chart
