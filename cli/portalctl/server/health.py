"""/healthz and /readyz, for process supervisors, load balancers and orchestrators; no sign-in.

/healthz: the process is up and answering (no database call: a slow database must not get a live server killed).
/readyz: the database answers and holds every migration this portalctl knows; 503 otherwise, so a proxy sends
requests elsewhere while a database is down or a newer schema is being rolled out.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from portalctl import __version__
from portalctl.errors import PortalError, Unavailable
from portalctl.i18n import _
from portalctl.server.pool import PortalPool
from portalctl.server.problems import from_portal_error

router = APIRouter(include_in_schema=False)  # for machines, beside the versioned API (like /metrics)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    pool: PortalPool = request.app.state.portals
    try:
        await run_in_threadpool(check, pool)
    except PortalError as exc:
        return from_portal_error(exc)
    except Exception as exc:  # a driver's own error: the database is not there
        return from_portal_error(Unavailable(_("the database does not answer: {name}").format(name=type(exc).__name__)))
    return JSONResponse({"status": "ready", "version": __version__})


def check(pool: PortalPool) -> None:
    portal = pool.take()
    try:
        if not portal.dialect.schema_current(portal.conn):
            raise Unavailable(_("the database's schema is not this portalctl's"),
                              hint=_("start this version's `portalctl serve` once to migrate it, or upgrade"))
    finally:
        pool.give(portal)
