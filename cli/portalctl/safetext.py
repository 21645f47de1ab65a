"""Portal text made safe to show on a terminal: control characters and escape sequences visible and inert.

Subjects, bodies, names, file names, article text and a server's or vendor's error details are written by other
people. Printed as they are, `\\e[2J` clears the agent's screen, `\\e]0;...\\a` retitles the window and `\\r` or
backspaces overwrite what was printed before. Everything a person reads from a portal goes through `visible` (or
`cell`, for a table cell) on its way to a terminal; machine formats (-o json, jsonl, csv, yaml) and files keep the
data as it is. ESC shows as `\\e`, the other C0 controls and DEL in caret notation (`^G`, `^M`), C1 controls as
`\\x9b`, and the invisible direction overrides (which can make text read backwards) as `\\u202e`: once ESC and
CSI are plain characters, no sequence can start.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1, and Unicode's bidirectional embeddings, overrides and isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_CELL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NEWLINE_MARK = "⏎"


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\x1b":
        return "\\e"
    if code < 0x20 or code == 0x7F:
        return "^" + chr(code ^ 0x40)
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: object) -> str:
    """`text` with every control character shown as an escape, keeping newlines and tabs (the layout)."""
    value = text if isinstance(text, str) else str(text)
    if value.isprintable() or not _UNSAFE.search(value):
        return value
    return _UNSAFE.sub(_shown, value.replace("\r\n", "\n"))


def _cell_char(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n":
        return NEWLINE_MARK
    if char == "\t":
        return " "
    return _shown(match)


def cell(text: str) -> str:
    """One line of a table or a field: like `visible`, with a newline shown as ⏎ and a tab as a space."""
    if text.isprintable():
        return text
    return _UNSAFE_CELL.sub(_cell_char, text.replace("\r\n", "\n"))
