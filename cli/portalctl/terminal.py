"""The terminal's width, read without loading much: every command and `--help` need it, and `shutil`, which reads
it too, pulls in the compression modules (bz2, lzma, zlib), a few ms of a start-up that takes 50."""

from __future__ import annotations

import os
import sys


def terminal_width() -> int:
    """The terminal's columns, as `shutil.get_terminal_size` finds them: COLUMNS first, then stdout's terminal,
    else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (OSError, ValueError):
            columns = 0
    return columns or 80
