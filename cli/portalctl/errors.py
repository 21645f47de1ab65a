"""Typed failures shared by every layer. Each carries its exit code and a hint saying what to do next.

The engine and backends raise these; only the command line turns them into messages and exit codes.
"""

from portalctl.exitcodes import ExitCode


class PortalError(Exception):
    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None, *, about: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.about = about  # the input the error is about, e.g. "subject": the command line words its hint from it


class InvalidInput(PortalError):
    exit_code = ExitCode.USAGE


class NotFound(PortalError):
    exit_code = ExitCode.NOT_FOUND


class PermissionDenied(PortalError):
    exit_code = ExitCode.AUTH


class StateConflict(PortalError):
    exit_code = ExitCode.CONFLICT


class Unavailable(PortalError):
    exit_code = ExitCode.UNAVAILABLE


class TimedOut(PortalError):
    exit_code = ExitCode.TIMED_OUT


class Unsupported(PortalError):
    """The portal behind this profile cannot do what was asked (never a silent no-op)."""

    exit_code = ExitCode.ERROR


def follow_up_hint(ticket_id: int) -> str:
    """What to do about a closed ticket, on every backend: open a follow-up that links it."""
    return f"open a follow-up: portalctl tickets create --follow-up-of {ticket_id} --subject ... --body ..."
