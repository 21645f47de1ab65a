"""Column kinds are declared once (portalctl/cells.py); every writer's cell rule covers each kind, and each kind's
fast CSV function says what the general rule says for that kind's values."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

import pytest
from openpyxl import Workbook

from portalctl.cells import ARTICLE_COLUMNS, COMMENT_COLUMNS, CSV_CELLS, KINDS, TICKET_COLUMNS, csv_cell
from portalctl.contract import TicketRowsAPI
from portalctl.engine.portal import Portal
from portalctl.output.render import render
from portalctl.output.xlsx import CellXml
from tests.conftest import ADMIN

SAMPLES: dict[str, list[Any]] = {
    "int": [None, 0, 7, 123456],
    "enum": [None, "open", "on_hold", "Esperando respuesta"],
    "time": [None, "2025-03-01T09:30:00Z"],
    "text": [None, "", "Plain", "=SUM(A1)", "+34", "-2", "@x", "\tx", "\rx", "a, b"],
    "list": [None, [], ["a"], ["=a", "b"], ["b", "-c"], [1, 2], [True, None]],
    "bool": [None, True, False],
    "map": [None, {}, {"a": 1}, {"=a": "b"}, {"x": [1, True]}],
    "number": [None, 0, -3, 12.5, "-3", "=1"],
    "date": [None, "2025-03-01", "=x"],
    "any": [None, "x", "-x", 3, -3, 2.5, True, ["a", "b"], {"k": "v"}],
}


def written(cell: Any) -> str:
    """A cell as csv.writer writes it."""
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerow([cell])
    return stream.getvalue()


def test_every_column_has_a_declared_kind() -> None:
    assert {c.kind for c in TICKET_COLUMNS + ARTICLE_COLUMNS + COMMENT_COLUMNS} <= set(KINDS)
    assert set(CSV_CELLS) == set(KINDS) == set(SAMPLES)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_writes_what_the_general_rule_writes(kind: str) -> None:
    convert = CSV_CELLS[kind]
    for value in SAMPLES[kind]:
        assert written(convert(value) if convert else value) == written(csv_cell(value)), (kind, value)


@pytest.mark.parametrize("kind", KINDS)
def test_excel_has_a_cell_for_every_kind(kind: str) -> None:
    sheet = Workbook(write_only=True).create_sheet("t")
    encode = CellXml(sheet, UTC).encoder(kind)
    for value in SAMPLES[kind][1:]:  # None gets no cell at all
        xml = encode("A1", value)
        assert xml == "" or xml.startswith('<c r="A1"'), (kind, value)


def test_the_embedded_portal_declares_its_fast_paths(portal: Portal) -> None:
    assert isinstance(portal.session(ADMIN).tickets, TicketRowsAPI)


def test_listings_write_csv_by_the_exports_rule() -> None:
    """`-o csv` of any listing: the same cells as an export (numbers stay numbers, text neutralised)."""
    stream = io.StringIO()
    render([{"n": -3, "text": "=x", "tags": ["a", "-b"], "flag": True, "none": None, "map": {"k": 1}}], "csv", stream)
    assert stream.getvalue() == "n,text,tags,flag,none,map\r\n-3,'=x,\"a, -b\",yes,,k=1\r\n"
