"""Every failure as `application/problem+json` (RFC 9457) with a stable `code` clients can switch on.

Engine errors keep their message, hint (never one naming a CLI flag: the CLI words those) and `about`, and are sent
with the status and code their class declares (portalctl.errors); the `server` backend maps the codes back to the
same error classes.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from portalctl.engine.attachments import UnsupportedType
from portalctl.engine.auth import RateLimited, Unauthenticated
from portalctl.engine.uploads import PayloadTooLarge
from portalctl.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    PortalError,
    StateConflict,
    TimedOut,
    Unavailable,
    by_status,
)
from portalctl.i18n import N_, _

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://portalctl.dev/problems/"
log = logging.getLogger("portalctl.server")

TITLES = {
    InvalidInput.code: N_("Invalid input"),
    Unauthenticated.code: N_("Authentication required"),
    PermissionDenied.code: N_("Permission denied"),
    NotFound.code: N_("Not found"),
    "method_not_allowed": N_("Method not allowed"),
    StateConflict.code: N_("Conflict with the current state"),
    PayloadTooLarge.code: N_("Payload too large"),
    UnsupportedType.code: N_("Unsupported media type"),
    RateLimited.code: N_("Too many requests"),
    Unavailable.code: N_("Portal unavailable"),
    TimedOut.code: N_("Timed out"),
    "internal_error": N_("Internal server error"),
}


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    hint: str | None = None
    about: str | None = None  # the input the error is about, e.g. "subject" or "field:user_code"


def problem(status: int, code: str, detail: str, hint: str | None = None,
            headers: dict[str, str] | None = None, about: str | None = None) -> JSONResponse:
    body = Problem(type=TYPE_BASE + code, title=_(TITLES.get(code, code)), status=status, detail=detail, code=code,
                   hint=hint, about=about)
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def code_for(status: int) -> str:
    """The problem code of an HTTP error the framework raised (no such route, a body too large...): the code of
    the error class answered with that status, else a generic one."""
    if status == 405:
        return "method_not_allowed"  # a routing failure no portal error stands for
    cls = by_status(status)
    if cls is not None:
        return cls.code
    return InvalidInput.code if status < 500 else Unavailable.code


def from_portal_error(exc: PortalError) -> JSONResponse:
    headers = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(exc.status, exc.code, exc.message, exc.hint, headers, exc.about)


async def _portal_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PortalError)
    return from_portal_error(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, InvalidInput.code, _("the request body is not valid JSON"), _("send a JSON object"))
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return problem(InvalidInput.status, InvalidInput.code, _("the request body must be a JSON object"),
                       _("send JSON with 'Content-Type: application/json'"))
    parts = []
    for error in errors[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())[1:])  # after the source (body, query, path...)
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    more = " " + _("(and {count} more)").format(count=len(errors) - 3) if len(errors) > 3 else ""
    return problem(InvalidInput.status, InvalidInput.code, "; ".join(parts) + more,
                   _("see the API reference at /openapi.json"))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = code_for(exc.status_code)
    detail = _("no such endpoint") if exc.status_code == 404 else str(exc.detail)
    return problem(exc.status_code, code, detail, headers=dict(exc.headers or {}))


async def _bad_text(request: Request, exc: Exception) -> JSONResponse:
    """Text SQLite cannot store (lone surrogates) or a number out of its range: the client's input, not a crash."""
    return problem(InvalidInput.status, InvalidInput.code, _("a value cannot be stored: {error}").format(error=exc),
                   _("send valid UTF-8 text and 64-bit numbers"))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal_error", _("the server failed unexpectedly; the error is in its log"),
                   _("try again; report it to the portal's administrators if it persists"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(PortalError, _portal_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(UnicodeEncodeError, _bad_text)
    app.add_exception_handler(OverflowError, _bad_text)
    app.add_exception_handler(Exception, _unexpected)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses, all with the Problem schema."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {status: {"description": TITLES[code_for(status)], "content": {MEDIA_TYPE: {"schema": schema}}}
            for status in statuses}
