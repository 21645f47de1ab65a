"""Progress a person watches on a terminal, never on a pipe: an export's bar (count, total, ETA) and `tickets
wait`'s line (the ticket's state, time elapsed). Callers pass a stream only when stderr is a terminal that takes
control codes; given None, everything here is silent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import IO

from portalctl.i18n import N_, _, ngettext
from portalctl.output.localformat import number

BAR = 24  # cells
NOUNS = {"tickets": N_("tickets"), "articles": N_("articles")}


def clock(seconds: float) -> str:
    """1:05 or 1:02:05."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


class Progress:
    """A running count on `stream`, with a bar and an ETA when the total is known, redrawn at most ten times a
    second. `now` is the clock (tests pass their own)."""

    def __init__(self, noun: str, stream: IO[str] | None, total: int | None = None,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.noun = noun
        self.stream = stream
        self.total = total
        self.now = now
        self.started = now()
        self.shown = 0.0

    @property
    def enabled(self) -> bool:
        return self.stream is not None

    def tick(self, count: int) -> None:
        if self.stream is None or count % 200:
            return
        moment = self.now()
        if moment - self.shown >= 0.1:
            self.shown = moment
            self.stream.write(f"\r{self.line(count, moment)}\033[K")
            self.stream.flush()

    def line(self, count: int, moment: float) -> str:
        if not self.total:
            exported = (ngettext("{count} article exported…", "{count} articles exported…", count)
                        if self.noun == "articles" else
                        ngettext("{count} ticket exported…", "{count} tickets exported…", count))
            return "  " + exported.format(count=number(count))
        share = min(1.0, count / self.total)
        filled = round(share * BAR)
        elapsed = moment - self.started
        eta = clock(elapsed / share - elapsed) if share > 0 else "?"
        return (f"  [{'#' * filled}{'-' * (BAR - filled)}] {number(count)}/{number(self.total)} "
                f"{_(NOUNS.get(self.noun, self.noun))} {share:4.0%}  " + _("ETA {eta}").format(eta=eta))

    def done(self) -> None:
        if self.stream is not None and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


class Waiting:
    """`tickets wait`'s status line: what it waits for, the state last seen, and the time elapsed, redrawn each
    second while it sleeps between looks."""

    def __init__(self, what: str, stream: IO[str] | None, now: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.what = what
        self.stream = stream
        self.now = now
        self.sleep_for = sleep
        self.started = now()

    def sleep(self, seconds: float, state: str) -> None:
        """Sleep `seconds` (as one sleep when nobody watches), showing `state` and the time elapsed."""
        if self.stream is None:
            self.sleep_for(seconds)
            return
        end = self.now() + seconds
        while (left := end - self.now()) > 0:
            line = _("{what}: {state} · {elapsed} elapsed").format(what=self.what, state=state,
                                                                   elapsed=clock(self.now() - self.started))
            self.stream.write(f"\r  {line}\033[K")
            self.stream.flush()
            self.sleep_for(min(1.0, left))

    def done(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
