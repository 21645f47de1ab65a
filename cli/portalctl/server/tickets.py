"""Tickets: listing with keyset cursors, create, reply, close, reopen, update, CCs (rules: engine.tickets)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from portalctl.contract import TicketChanges, TicketQuery, expand_all, sort_order, sort_value
from portalctl.engine import uploads
from portalctl.engine.db import iso
from portalctl.engine.portal import Session
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import Ticket
from portalctl.server.deps import IDEMPOTENT, SessionDep, read
from portalctl.server.fastjson import dumps, json_response
from portalctl.server.schemas import CcIn, Count, Page, PathId, ReplyIn, TicketChangesIn, TicketIn

router = APIRouter(tags=["tickets"])
Many = Annotated[list[str] | None, Query()]
PAGE_DEFAULT, PAGE_MAX = 50, 500  # tickets a page
CURSOR_MAX = 2000


def moment(value: str | None, name: str) -> str | None:
    """An ISO date or date-time as the portal stores times (UTC, seconds, Z); date-only means midnight UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(_("{name}: {value!r} is not an ISO date or date-time").format(name=name, value=value),
                           hint=_("e.g. 2025-06-30 or 2025-06-30T08:00:00Z")) from exc
    return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def ticket_filters(
    status: Annotated[list[str] | None, Query(description="Repeatable; 'all' for every state (default: not closed).")]
    = None,
    priority: Many = None,
    type: Many = None,
    department: Many = None,
    assignee: Annotated[list[str] | None, Query(description="Repeatable: e-mails, or @me for you.")] = None,
    tag: Annotated[list[str] | None, Query(description="Repeatable: tickets with any of these tags.")] = None,
    requester: str | None = None,
    organization: str | None = None,
    created_since: str | None = None,
    created_until: str | None = None,
    updated_since: str | None = None,
    search: str | None = None,
    overdue: bool = False,
    mine: bool = False,
    sort: Annotated[str, Query(description="updated, created, priority, due, id or status; - for descending.")]
    = "-updated",
) -> TicketQuery:
    """The listing filters shared by GET /tickets and GET /export/tickets."""
    return TicketQuery(
        statuses=expand_all(status), priorities=priority or (), types=type or (), departments=department or (),
        assignees=assignee or (), tags=tag or (),
        requester=requester, organization=organization, created_since=moment(created_since, "created_since"),
        created_until=moment(created_until, "created_until"), updated_since=moment(updated_since, "updated_since"),
        search=search, overdue=overdue, mine=mine, sort=sort, limit=None,
    )


Filters = Annotated[TicketQuery, Depends(ticket_filters)]


def encode_cursor(sort: str, ticket: Ticket) -> str:
    position = {"sort": sort, "value": sort_value(ticket, sort_order(sort)[0]), "id": ticket.id}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """(sort value, id) to resume after; a cursor only continues the listing (same sort) that made it."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, ticket_id, made_for = position["value"], position["id"], position["sort"]
        valid = isinstance(value, str | int) and isinstance(ticket_id, int) and isinstance(made_for, str)
    except (ValueError, binascii.Error, TypeError, KeyError):
        valid = False
    if not valid:
        raise InvalidInput(_("not a cursor from this server"),
            hint=_("pass next_cursor from the previous page as it is"))
    if made_for != sort:
        raise InvalidInput(_("this cursor continues a listing sorted by {made_for!r}, not {sort!r}").format(
            made_for=made_for, sort=sort))
    return value, ticket_id


@router.get("/tickets", response_model=Page[Ticket])
async def list_tickets(
    session: SessionDep,
    query: Filters,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX, description="next_cursor of the previous page.")]
    = None,
) -> Response:
    """Tickets you may see, a page at a time."""
    return json_response(await read(session.portal, lambda: page_json(session, query, limit, cursor)))


def page_json(session: Session, query: TicketQuery, limit: int, cursor: str | None) -> str:
    """A page of GET /tickets as its JSON text (this route's and the read lane's, server/lane.py)."""
    after = decode_cursor(cursor, query.sort) if cursor else None
    found = list(session.tickets.list_json(query.but(limit=limit + 1), after=after))  # one more: a next page?
    items = found[:limit]
    next_cursor = encode_cursor(query.sort, Ticket(**json.loads(items[-1]))) if len(found) > limit else None
    return '{"items":[' + ",".join(items) + '],"next_cursor":' + json.dumps(next_cursor) + "}"


@router.get("/tickets/count", response_model=Count)
async def count_tickets(session: SessionDep, query: Filters) -> Count:
    """How many tickets GET /tickets would list with these filters, all pages together (for "Showing 30 of 266")."""
    return Count(total=await read(session.portal, lambda: session.tickets.count(query)))


@router.post("/tickets", status_code=201, response_model=Ticket, dependencies=IDEMPOTENT, responses={
    200: {"model": Ticket, "description": "A dedupe key matched an active ticket: no new ticket (created: false)."},
})
def create_ticket(body: TicketIn, session: SessionDep) -> Response:
    files = uploads.claim(session, body.uploads)
    try:
        ticket = session.tickets.create(body.draft(files))
    except BaseException:
        uploads.release(session, body.uploads)
        raise
    return ticket_response(ticket, 200 if ticket.created is False else 201)


def ticket_response(ticket: Ticket, status: int = 200) -> Response:
    """A ticket written by a change as JSON straight from the engine's record (server/fastjson.py): the write
    routes answer in their transaction, so pydantic's second look at the ticket would hold the write lock."""
    return json_response(dumps(ticket.to_dict()), status)


@router.get("/tickets/{ticket_id}", response_model=Ticket)
async def get_ticket(ticket_id: PathId, session: SessionDep) -> Response:
    """The ticket with its conversation and attachments (customers never see internal notes)."""
    return json_response(await read(session.portal, lambda: ticket_json(session, ticket_id)))


def ticket_json(session: Session, ticket_id: int) -> str:
    """GET /tickets/{ticket_id}'s JSON text (this route's and the read lane's)."""
    return dumps(session.tickets.get(ticket_id).to_dict())


@router.post("/tickets/{ticket_id}/replies", response_model=Ticket, dependencies=IDEMPOTENT)
def reply(ticket_id: PathId, body: ReplyIn, session: SessionDep) -> Response:
    files = uploads.claim(session, body.uploads)
    try:
        return ticket_response(session.tickets.reply(ticket_id, body=body.body, internal=body.internal,
                                                     status=body.status, attachments=files))
    except BaseException:
        uploads.release(session, body.uploads)
        raise


@router.post("/tickets/{ticket_id}/close", response_model=Ticket, dependencies=IDEMPOTENT)
def close(ticket_id: PathId, session: SessionDep) -> Response:
    return ticket_response(session.tickets.close(ticket_id))


@router.post("/tickets/{ticket_id}/reopen", response_model=Ticket, dependencies=IDEMPOTENT)
def reopen(ticket_id: PathId, session: SessionDep) -> Response:
    return ticket_response(session.tickets.reopen(ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=Ticket)
def update(ticket_id: PathId, body: TicketChangesIn, session: SessionDep) -> Response:
    return ticket_response(session.tickets.update(ticket_id, TicketChanges(**body.model_dump())))


@router.post("/tickets/{ticket_id}/ccs", response_model=Ticket, dependencies=IDEMPOTENT)
def ccs(ticket_id: PathId, body: CcIn, session: SessionDep) -> Response:
    return ticket_response(session.tickets.cc(ticket_id, add=body.add, remove=body.remove))
