"""Exit codes: one enum, documented in the README, shared by every command."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2  # bad usage or invalid input
    NOT_FOUND = 3
    AUTH = 4  # authentication or permission
    CONFLICT = 5  # conflicts with the ticket's state
    UNAVAILABLE = 6  # portal unavailable or rate limited after retries
    TIMED_OUT = 7  # `tickets wait` gave up before the ticket reached the state
    INTERRUPTED = 130
