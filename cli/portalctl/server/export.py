"""GET /export/tickets: every ticket the user may see, one JSON object per line, streamed as it is read.

The stream outlives the request's dependencies, so it reads through a connection of its own, closed when the
stream ends (or the client goes away).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from portalctl.engine.portal import Portal
from portalctl.server.deps import ConfigDep, SessionDep
from portalctl.server.tickets import Filters

router = APIRouter(tags=["tickets"])
LINES_PER_CHUNK = 200
NDJSON = "application/x-ndjson"


@router.get(
    "/export/tickets", response_class=StreamingResponse,
    responses={200: {"description": "One Ticket (as in GET /tickets) per line.",
                     "content": {NDJSON: {"schema": {"type": "string"}}}}},
)
def export_tickets(session: SessionDep, query: Filters, settings: ConfigDep) -> StreamingResponse:
    """The same filters as GET /tickets, no paging: the whole listing in one response, in constant memory."""
    portal = settings.open()
    try:
        tickets = portal.session(session.actor.email).tickets.list_json(query)  # filters checked here, not mid-stream
    except BaseException:
        portal.close()
        raise
    return StreamingResponse(lines(portal, tickets), media_type=NDJSON)


def lines(portal: Portal, tickets: Iterator[str]) -> Iterator[bytes]:
    try:
        chunk: list[str] = []
        for ticket in tickets:
            chunk.append(ticket)
            if len(chunk) == LINES_PER_CHUNK:
                yield ("\n".join(chunk) + "\n").encode()
                chunk = []
        if chunk:
            yield ("\n".join(chunk) + "\n").encode()
    finally:
        portal.close()
