"""The README's capability table ("Help desks you already have") as data: which operation each platform can do.

The shared connector suite reads its support matrix from here, so the table users read and the behaviour the tests
check cannot drift apart: a `yes` is run, a `no` must be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Help desks you already have"


@dataclass(frozen=True)
class Cell:
    able: bool
    note: str  # what the README says beyond yes or no


def read_table(text: str | None = None) -> dict[str, dict[str, Cell]]:
    """{row label: {backend kind: Cell}} from the section's first table. A column is named by its backend kind
    (its header's first word: "django-helpdesk", "Zendesk" -> zendesk, "embedded / `portalctl serve`" -> embedded)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    if len(lines) < 3:
        raise ValueError(f"no capability table under {SECTION!r} in the README")
    header, _, *rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    kinds = [name.split()[0].strip("`").lower() for name in header[1:]]
    table: dict[str, dict[str, Cell]] = {}
    for label, *cells in rows:
        if len(cells) != len(kinds):
            raise ValueError(f"README capability row {label!r} has {len(cells)} cells for {len(kinds)} platforms")
        table[label] = {kind: parse_cell(label, kind, cell) for kind, cell in zip(kinds, cells, strict=True)}
    return table


def parse_cell(label: str, kind: str, cell: str) -> Cell:
    """"yes", "no", or either followed by a note ("yes (a note)", "no: closed is final")."""
    word, rest = [*cell.split(None, 1), ""][:2]
    answer = word.strip(":,;").lower()
    if answer not in ("yes", "no"):
        raise ValueError(f"README capability {label!r} for {kind} must start with yes or no, not {cell!r}")
    return Cell(answer == "yes", (word[len(answer):] + " " + rest).strip(" :,;"))
