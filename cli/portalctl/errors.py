"""Typed failures shared by every layer. Each carries its exit code and a hint saying what to do next.

The engine and backends raise these; only the command line turns them into messages and exit codes. Each class
also declares the HTTP status and problem `code` a portalctl server answers with: the server's problem table and
the server backend's reading of it are both derived from these classes (`by_code`, `by_status`, `public`).
"""

from portalctl.exitcodes import ExitCode
from portalctl.i18n import _


class PortalError(Exception):
    exit_code: ExitCode = ExitCode.ERROR
    status: int = 503  # e.g. a portal file written by a newer portalctl: the portal cannot serve this
    code: str = "unavailable"

    def __init_subclass__(cls, *, exit_code: ExitCode | None = None, status: int | None = None,
                          code: str | None = None) -> None:
        """`class NotFound(PortalError, exit_code=..., status=404, code="not_found")`: what a kind of failure means
        to the command line and to HTTP, declared where the class is."""
        super().__init_subclass__()
        if exit_code is not None:
            cls.exit_code = exit_code
        if status is not None and code is not None:
            cls.status, cls.code = status, code

    def __init__(self, message: str, hint: str | None = None, *, about: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.about = about  # the input the error is about, e.g. "subject": the command line words its hint from it


class InvalidInput(PortalError, exit_code=ExitCode.USAGE, status=422, code="invalid_input"):
    """Bad usage or input: a value the portal refuses (exit 2, HTTP 422)."""


class NotFound(PortalError, exit_code=ExitCode.NOT_FOUND, status=404, code="not_found"):
    """No such record, or one the user may not see: both answer alike, so nothing leaks (exit 3, 404)."""


class PermissionDenied(PortalError, exit_code=ExitCode.AUTH, status=403, code="permission_denied"):
    """Signed in, but not allowed to do this; or not signed in where no finer class says so (exit 4)."""


class StateConflict(PortalError, exit_code=ExitCode.CONFLICT, status=409, code="state_conflict"):
    """The ticket's state forbids it, e.g. a reply to a closed ticket (exit 5, 409)."""


class Unavailable(PortalError, exit_code=ExitCode.UNAVAILABLE, status=503, code="unavailable"):
    """The portal cannot be reached or is busy, after the retries (exit 6, 503)."""


class TimedOut(PortalError, exit_code=ExitCode.TIMED_OUT, status=504, code="timed_out"):
    """`tickets wait` gave up before the ticket reached the state (exit 7, 504)."""


class Unsupported(PortalError):
    """The portal behind this profile cannot do what was asked (never a silent no-op). Its status and code are
    PortalError's (it declares none, so `by_code("unavailable")` stays Unavailable)."""


def declared() -> list[type[PortalError]]:
    """PortalError and every subclass imported so far that declares its own status and code, most derived first:
    a refinement (the engine's Unauthenticated, 401) comes before the class it refines (PermissionDenied, 403)."""
    found, pending = [], [PortalError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "code" in vars(cls):
            found.append(cls)
    return sorted(found, key=lambda cls: len(cls.__mro__), reverse=True)


def by_code(code: object) -> type[PortalError] | None:
    """The class a problem `code` stands for (None: no class imported here declares it)."""
    return next((cls for cls in declared() if cls.code == code), None)


def by_status(status: int) -> type[PortalError] | None:
    """The most specific class answered with this HTTP status (None: no class imported here declares it)."""
    return next((cls for cls in declared() if cls.status == status), None)


def public(cls: type[PortalError]) -> type[PortalError]:
    """The class of this module that `cls` is or refines: what a client raises, as commands know only these."""
    for base in cls.__mro__:
        if base.__module__ == __name__ and issubclass(base, PortalError):
            return base
    return PortalError


def follow_up_hint(ticket_id: int) -> str:
    """What to do about a closed ticket, on every backend: open a follow-up that links it."""
    return _("open a follow-up: portalctl tickets create --follow-up-of {ticket_id} --subject ... --body ...").format(
        ticket_id=ticket_id)


def no_attachment(ticket_id: int, attachment_id: int) -> NotFound:
    """The one answer, on every backend, for an attachment a ticket does not have (or the user may not see)."""
    return NotFound(_("ticket #{ticket_id} has no attachment {attachment_id}").format(
        ticket_id=ticket_id, attachment_id=attachment_id), about=f"attachments:{ticket_id}")
