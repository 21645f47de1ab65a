"""The process's terminal as one object: its streams, which of them are terminals, width, colour, prompts, clock.

Commands and renderers reach stdin, stdout, stderr and the current time only through an `IOStreams`, so a test
can hand in a fake one ("a 60-column colour terminal at 2026-12-04 10:00 UTC") and read what was written, without
a real terminal (httpie's `Environment`, gh's `iostreams.Test()`). What click does itself is the one exception:
its prompts, its usage errors and `-` file arguments (click.File) use click's own streams; the I/O object only
decides whether a prompt is offered.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from typing import IO, Any

import click

from portalctl.terminal import terminal_width


def is_tty(stream: IO[str] | IO[bytes] | None) -> bool:
    try:
        return bool(stream and stream.isatty())
    except (AttributeError, ValueError):
        return False


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IOStreams:
    """Where a command reads and writes, and what the terminal allows: colour and prompts only where a person is."""

    stdin: IO[str]
    out: IO[str]
    err: IO[str]
    stdin_tty: bool = False
    out_tty: bool = False
    err_tty: bool = False
    width: int | None = None  # stdout's columns; None off a terminal
    color_allowed: bool = True  # neither NO_COLOR nor TERM=dumb
    ci: bool = False  # CI=true: never prompt
    clock: Callable[[], datetime] = utc_now
    can_page: bool = True  # a fake terminal's stdout is a buffer a pager could not write to

    @classmethod
    def system(cls) -> IOStreams:
        """The running process's streams, read now: CliRunner swaps sys.stdout per invocation."""
        out_tty = is_tty(sys.stdout)
        return cls(
            stdin=sys.stdin, out=sys.stdout, err=sys.stderr,
            stdin_tty=is_tty(sys.stdin), out_tty=out_tty, err_tty=is_tty(sys.stderr),
            width=terminal_width() if out_tty else None,
            color_allowed="NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb",
            ci=os.environ.get("CI", "").lower() in ("1", "true", "yes"),
        )

    @classmethod
    def fake(cls, *, tty: bool = False, stdin: str = "", stdin_tty: bool | None = None, err_tty: bool | None = None,
             width: int = 80, color: bool = True, ci: bool = False, now: datetime | None = None) -> IOStreams:
        """A terminal (tty=True) or pipes, over StringIO buffers: read what was written with `out.getvalue()`.

        `width` counts only on a terminal; `color=False` is NO_COLOR; `now` fixes the clock (UTC).
        """
        moment = now or utc_now()
        return cls(
            stdin=StringIO(stdin), out=StringIO(), err=StringIO(),
            stdin_tty=tty if stdin_tty is None else stdin_tty, out_tty=tty, err_tty=tty if err_tty is None else err_tty,
            width=width if tty else None, color_allowed=color, ci=ci, clock=lambda: moment, can_page=False,
        )

    @property
    def color(self) -> bool:
        """Colour on stdout: a terminal, and the environment does not say otherwise."""
        return self.out_tty and self.color_allowed

    @property
    def err_color(self) -> bool:
        """Colour and control codes (progress redrawn with \\r) on stderr."""
        return self.err_tty and self.color_allowed

    def can_prompt(self, no_input: bool) -> bool:
        """Prompts only when stdin is a TTY and neither --no-input nor CI=true says otherwise."""
        return not no_input and not self.ci and self.stdin_tty

    def now(self) -> datetime:
        """The current time, in UTC."""
        return self.clock()

    def echo(self, text: Any = "", *, err: bool = False, nl: bool = True) -> None:
        """One line to stdout (stderr with err=True), flushed at once, as click.echo does."""
        stream = self.err if err else self.out
        stream.write(f"{text}\n" if nl else str(text))
        stream.flush()

    def style(self, text: str, **styles: Any) -> str:
        """`text` in click's styles when stdout shows colour, else as it is."""
        return click.style(text, **styles) if self.color else text

    @contextmanager
    def paging(self, command: str | None) -> Iterator[None]:
        """stdout through a pager `command` while the block runs, on a terminal only; never on a pipe."""
        if not command or not self.out_tty or not self.can_page:
            yield
            return
        import subprocess

        self.out.flush()
        env = {**os.environ, "LESSCHARSET": os.environ.get("LESSCHARSET", "utf-8")}
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env, text=True, encoding="utf-8",
                                 errors="replace")
        assert pager.stdin is not None
        terminal, self.out = self.out, pager.stdin
        try:
            yield
        except BrokenPipeError:
            pass  # the reader quit the pager before the end: nothing more to show
        finally:
            self.out = terminal
            with suppress(BrokenPipeError):
                pager.stdin.close()
            pager.wait()


def pager_command() -> str | None:
    """The pager for long output: PORTALCTL_PAGER, then PAGER, else `less -FRX` (git's and gh's convention); an
    empty value or `cat` means none."""
    command = os.environ.get("PORTALCTL_PAGER", os.environ.get("PAGER", "less -FRX")).strip()
    return None if command in ("", "cat") else command

