"""The change feed over HTTP: GET /events?after=CURSOR, answered at once when there is news, else held open (a
long poll) until there is some or `wait` seconds pass (rules: engine.events).

A waiting request holds no database connection and no request slot: each look borrows a portal for a moment and
signs the token in again, so a token revoked while a client waits is refused at its next look.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from portalctl.contract import TicketQuery
from portalctl.engine.auth import Unauthenticated
from portalctl.engine.events import LOOK_EVERY
from portalctl.i18n import _
from portalctl.model import EventPage
from portalctl.server.deps import bearer, sign_in
from portalctl.server.pool import PortalPool
from portalctl.server.schemas import MAX_ID
from portalctl.server.tickets import ticket_filters

router = APIRouter(tags=["events"])
WAIT_MAX = 20.0  # seconds a request may be held; below uvicorn's 20 s graceful stop plus a look
PATH = "/events"


@router.get(PATH, response_model=EventPage)
async def events(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    query: Annotated[TicketQuery, Depends(ticket_filters)],
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="The `cursor` of the previous answer; "
                                       "without it, the answer is the cursor of now, with no events.")] = None,
    wait: Annotated[float, Query(ge=0, le=WAIT_MAX, description="Seconds to hold the request open while there is "
                                 "nothing new.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    """Changes to the tickets you may see, oldest first, after a cursor (never an internal note for customers, nor
    a note's text for anyone). Filters are those of GET /tickets (every state by default). Resume with the
    answer's `cursor`: no change is skipped or repeated."""
    if credentials is None:
        raise Unauthenticated(_("this endpoint needs a token"),
                              hint=_("sign in (POST /api/v1/auth/login) and send 'Authorization: Bearer TOKEN'"))
    token = credentials.credentials
    deadline = time.monotonic() + wait
    while True:
        page = await run_in_threadpool(look, request, token, after, query, limit)
        remaining = deadline - time.monotonic()
        if page.items or after is None or remaining <= 0:
            return page
        await asyncio.sleep(min(LOOK_EVERY, remaining))


def look(request: Request, token: str, after: int | None, query: TicketQuery, limit: int) -> EventPage:
    pool: PortalPool = request.app.state.portals
    portal = pool.take()
    try:
        return sign_in(request.scope, portal, token).tickets.events(after, query, limit=limit)
    finally:
        pool.give(portal)
