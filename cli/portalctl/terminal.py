"""What the terminal allows: colour, prompts and progress only where a person is watching."""

from __future__ import annotations

import os
import sys
from typing import IO


def is_tty(stream: IO[str] | IO[bytes] | None) -> bool:
    try:
        return bool(stream and stream.isatty())
    except (AttributeError, ValueError):
        return False


def color_enabled(stream: IO[str] | None = None) -> bool:
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return is_tty(stream or sys.stdout)


def ci_mode() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def can_prompt(no_input: bool) -> bool:
    """Prompts only when stdin is a TTY and neither --no-input nor CI=true says otherwise."""
    return not no_input and not ci_mode() and is_tty(sys.stdin)
