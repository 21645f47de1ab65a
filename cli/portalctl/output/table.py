"""The plain table people read: columns two spaces apart, fitted to the terminal's width.

Cells arrive as text already made safe (safetext.cell: one line, no control characters). On a terminal the table
fits `width` columns: the widest cells are cut with `…` until the row fits, so a long subject never wraps onto
the next line (gh's tables); off a terminal, and with --wide, nothing is cut.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

GAP = "  "
ELLIPSIS = "…"
MIN_CUT = 6  # a column is never cut narrower than this (or its header)


def char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Columns `text` takes on a terminal: wide East Asian characters take two, combining marks none."""
    if text.isascii() or max(text) < "\u0300":  # Latin text: no combining marks (U+0300 on), no wide characters
        return len(text)
    return sum(char_width(char) for char in text)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in `…` when it had to be cut (after a whole word if one ends
    in the last third)."""
    if text_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        size = char_width(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    shown = "".join(kept)
    space = shown.rfind(" ")
    if space >= len(shown) * 2 // 3 and not text[len(shown)].isspace():  # end on a whole word when one is near
        shown = shown[:space]
    return shown.rstrip() + ELLIPSIS


def fitted_widths(natural: list[int], floors: list[int], width: int | None) -> list[int]:
    """Column widths that fit `width`: the widest column gives way first, never below its floor."""
    widths = list(natural)
    if width is None:
        return widths
    room = width - len(GAP) * (len(widths) - 1)
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i] - floors[i])
        spare = widths[widest] - floors[widest]
        if spare <= 0:
            break  # nothing can give way: the terminal is too narrow for these columns
        widths[widest] -= min(spare, sum(widths) - room)
    return widths


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int | None,
                styles: dict[int, list[str]] | None = None) -> str:
    """The table as text. `styles` maps a column to each row's styled cell, shown when the cell is not cut
    (colour codes take no room on screen, so widths are measured on the plain text)."""
    natural = [max([text_width(h), *(text_width(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    floors = [min(n, max(MIN_CUT, text_width(h))) for n, h in zip(natural, headers, strict=True)]
    widths = fitted_widths(natural, floors, width)
    lines = []
    for number, row in enumerate([list(headers), *rows]):
        cells = []
        for i, text in enumerate(row):
            shown = cut(text, widths[i])
            pad = " " * (widths[i] - text_width(shown))
            if number and styles and i in styles and shown == text:
                shown = styles[i][number - 1]
            cells.append(shown + pad)
        lines.append(GAP.join(cells).rstrip())
    return "\n".join(lines) + "\n"
