"""Pacing from the rate-limit headers a portal sends: slow down before the limit, not after a 429.

Help desks say how much of their limit is left on every answer:

- Zendesk: `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` (seconds to the window's end) and the older
  `X-Rate-Limit` / `X-Rate-Limit-Remaining` (per minute);
- Freshdesk: `X-RateLimit-Total`, `X-RateLimit-Remaining` (per minute);
- HubSpot: `X-HubSpot-RateLimit-Max`, `X-HubSpot-RateLimit-Remaining`,
  `X-HubSpot-RateLimit-Interval-Milliseconds` (the window's length);
- Jira Service Management: `X-RateLimit-Limit`, `X-RateLimit-Remaining` (Jira Cloud's "Rate limiting" page; its
  request limits are per second, a window its connector names, since no header does).

While more than `low` (a fifth) of the window's requests are left, nothing waits. Below that, the requests left are
spread evenly over the time to the reset, so the last one lands as the window ends and the next window starts
full; at none left, the next request waits for the reset. Without a reset time the window's length stands in (a
minute unless the portal or its connector names it), which spaces requests at the limit's own sustained rate. A
`ratelimit-reset` in whole seconds is read as "at most this long"; the pacer narrows it with every answer in the same
window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_WINDOW = 60.0  # seconds: Zendesk and Freshdesk count per minute
LOW = 0.2  # start spreading requests when less than this share of the window's limit is left

# (limit, remaining, reset-in-seconds or None, window-in-seconds or None) header names, first match wins
LIMIT_HEADERS = ("ratelimit-limit", "x-rate-limit", "x-ratelimit-total", "x-hubspot-ratelimit-max",
                 "x-ratelimit-limit")
REMAINING_HEADERS = ("ratelimit-remaining", "x-rate-limit-remaining", "x-ratelimit-remaining",
                     "x-hubspot-ratelimit-remaining")


@dataclass(frozen=True)
class Budget:
    """What one answer said about the limit."""

    limit: int
    remaining: int
    reset: float | None  # seconds until the window resets, when the portal says
    window: float | None  # the window's length, when the portal says


def _number(headers: Mapping[str, str], names: tuple[str, ...]) -> float | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        text = str(raw).split(",")[0].split(";")[0].strip()  # "700" or "700, 700;w=60"
        try:
            return float(text)
        except ValueError:
            continue
    return None


def read_budget(headers: Mapping[str, str]) -> Budget | None:
    """The limit, what is left and when it resets, from any of the known header families; None when absent.

    `headers` must look names up case-insensitively (requests' CaseInsensitiveDict does)."""
    limit = _number(headers, LIMIT_HEADERS)
    remaining = _number(headers, REMAINING_HEADERS)
    if limit is None or remaining is None or limit <= 0:
        return None
    reset = _number(headers, ("ratelimit-reset",))
    interval = _number(headers, ("x-hubspot-ratelimit-interval-milliseconds",))
    window = interval / 1000.0 if interval else None
    return Budget(limit=int(limit), remaining=max(0, int(remaining)), reset=reset, window=window)


class Pacer:
    """Spaces one session's requests from the budget its last answers reported. Thread-safe."""

    def __init__(self, *, low: float = LOW, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.low = low
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._not_before = 0.0  # clock time before which the next request should not go
        self._window_end: float | None = None  # the tightest estimate of the current window's end
        self._remaining: int | None = None
        self.waited = 0.0  # total seconds slept, for benchmarks and --debug
        self.window: float | None = None  # the limit's window where no header says it (a connector knows it)

    def wait(self) -> None:
        """Sleep until the next request may go (and reserve that slot)."""
        with self._lock:
            now = self.clock()
            delay = self._not_before - now
            if self._remaining is not None and self._remaining > 0:
                self._remaining -= 1  # a request in flight uses one; concurrent callers see fewer left
        if delay > 0:
            self.waited += delay
            self.sleep(delay)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Plan the next request from an answer's rate-limit headers (no headers: no pacing)."""
        budget = read_budget(headers)
        if budget is None:
            return
        with self._lock:
            now = self.clock()
            if budget.reset is not None:
                end = now + budget.reset
                # A whole-second reset means "ends within (reset - 1, reset]": keep the earliest upper bound seen
                # in this window; a remaining count that grew means a new window began.
                fresh = (self._window_end is None or now >= self._window_end
                         or (self._remaining is not None and budget.remaining > self._remaining + 1))
                self._window_end = end if fresh else min(self._window_end or end, end)
                left = max(0.0, self._window_end - now)
            else:
                # No reset time: space requests at the limit's sustained rate (limit per window); past the
                # limit, the 429's Retry-After says how long to wait.
                self._window_end = None
                left = (budget.window or self.window or DEFAULT_WINDOW) * (budget.remaining + 1) / budget.limit
            self._remaining = budget.remaining
            if budget.remaining >= budget.limit * self.low:
                self._not_before = now
            elif budget.remaining <= 0 and budget.reset is not None:
                self._not_before = now + left
            else:
                self._not_before = now + left / (budget.remaining + 1)


class Spacing:
    """At most `rate` requests a second, evenly spaced, for a limit a portal documents but announces in no header
    (HubSpot's search: five requests a second per account, and its answers carry no X-HubSpot-RateLimit-*), so
    `Pacer` never sees it. `margin` widens the gap a little, as requests reach the portal with some jitter."""

    def __init__(self, rate: float, *, margin: float = 0.1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.gap = (1.0 + margin) / rate
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0  # clock time of the next free slot
        self.waited = 0.0

    def wait(self) -> None:
        """Sleep until this request's slot (slots are handed out in order, so threads share the rate)."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.gap
        if slot > now:
            self.waited += slot - now
            self.sleep(slot - now)
