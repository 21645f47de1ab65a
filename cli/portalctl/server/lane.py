"""The read lane: the two busiest reads, GET /api/v1/tickets and GET /api/v1/tickets/{id}, answered without
FastAPI's routing and dependency solving.

FastAPI solves every dependency's parameters anew on each request (their types inspected, each query parameter
looked up and validated): measured in-process, that was more than half of showing a ticket and a third of a page
of 50, more than the database reads themselves. This pure ASGI middleware, the innermost, so the access log,
metrics and the ceiling on requests see these requests as any other, answers the requests it understands
completely and passes everything else on to the FastAPI routes: no token, a parameter it does not know (any at
all on a ticket), one given twice, or a value FastAPI would refuse or convert (a limit of 0, `overdue=1`). The
answer is made by the functions the routes call (deps.signed_in, tickets.page_json and ticket_json), so the rules,
the access checks and the bytes are the same whichever way a request goes; tests/server/test_lane.py holds both
ways to the same answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from portalctl.engine import uploads as engine_uploads
from portalctl.engine.portal import Session
from portalctl.errors import PortalError
from portalctl.private import make_dirs
from portalctl.server import tickets, uploads
from portalctl.server.deps import borrowed, sign_in, signed_in
from portalctl.server.fastjson import dumps, json_response, send_json
from portalctl.server.pool import PortalPool
from portalctl.server.problems import from_portal_error
from portalctl.server.schemas import MAX_ID, ReplyIn, TicketIn

Work = Callable[[Session], str]
Write = Callable[[Session], Response]
M = TypeVar("M", bound=BaseModel)
# GET /tickets's query parameters (tickets.ticket_filters and list_tickets), by how the lane reads them.
REPEATABLE = ("status", "priority", "type", "department", "assignee", "tag")
TEXTS = ("requester", "organization", "created_since", "created_until", "updated_since", "search", "sort", "cursor")
FLAGS = {"true": True, "false": False}  # FastAPI takes more spellings (1, yes, on...): those go its way
FLAG_NAMES = ("overdue", "mine")
NUMBER = re.compile(r"[1-9][0-9]{0,18}")  # as written by a program: no sign, no leading zero, no spaces
REPLIES = "/replies"
FILENAME_MAX = 255  # POST /uploads's `filename`, as the route declares it


class ReadLane:
    def __init__(self, app: ASGIApp, *, prefix: str, portals: PortalPool) -> None:
        self.app = app
        self.portals = portals
        self.listing_path = prefix + "/tickets"
        self.ticket_prefix = prefix + "/tickets/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.understood(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        template, token, work = found
        if not self.portals.keep:  # PostgreSQL: every step waits on the network, so all of them on one thread
            response = await run_in_threadpool(self.on_thread, scope, token, work)
        else:  # SQLite: on the event loop, the answer as bare ASGI messages (fastjson.send_json)
            async with borrowed(self.portals) as portal:
                try:
                    session = await signed_in(scope, portal, token)
                    text = work(session)
                except PortalError as exc:
                    response = from_portal_error(exc)
                else:
                    scope["route"] = route_of("GET", template)
                    await send_json(send, text)
                    return
        scope["route"] = route_of("GET", template)
        await response(scope, receive, send)

    def on_thread(self, scope: Scope, token: str, work: Work) -> Response:
        """A connection taken, the token checked, the answer read and the connection given back in one hop to a
        worker thread: each hop back to a busy event loop waits its turn, and four of them cost more than the
        reads."""
        portal = self.portals.take()
        try:
            return json_response(work(sign_in(scope, portal, token)))
        except PortalError as exc:
            return from_portal_error(exc)
        finally:
            self.portals.give(portal)

    def understood(self, scope: Scope) -> tuple[str, str, Work] | None:
        """(route template, token, what makes the answer) for a request the lane answers; None for the others."""
        path: str = scope["path"]
        work: Work | None = None
        if path == self.listing_path:
            template, work = "/tickets", listing(scope["query_string"])
        elif path.startswith(self.ticket_prefix) and not scope["query_string"]:
            template, work = "/tickets/{ticket_id}", showing(path[len(self.ticket_prefix):])
        token = bearer(scope) if work is not None else None
        return (template, token, work) if token and work else None


@cache
def route_of(method: str, template: str) -> Any:
    """The FastAPI route a request the lane answers would have matched: the metrics label requests by its
    template (scope["route"])."""
    return next(route for route in (*tickets.router.routes, *uploads.router.routes)
                if getattr(route, "path_format", None) == template and method in getattr(route, "methods", ()))


def bearer(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, the first one, in its plain form only."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token and " " not in token else None
    return None


def ticket_number(segment: str) -> int | None:
    return int(segment) if NUMBER.fullmatch(segment) and int(segment) <= MAX_ID else None


def showing(segment: str) -> Work | None:
    ticket_id = ticket_number(segment)
    return None if ticket_id is None else lambda session: tickets.ticket_json(session, ticket_id)


def listing(query_string: bytes) -> Work | None:
    """GET /tickets's parameters as tickets.ticket_filters takes them, when each is one the lane reads plainly."""
    lists: dict[str, Any] = {}
    given: dict[str, Any] = {}
    limit = tickets.PAGE_DEFAULT
    for key, value in QueryParams(query_string).multi_items():  # parsed as FastAPI parses them
        if not value or (key in given and key not in REPEATABLE):
            return None
        if key in REPEATABLE:
            lists.setdefault(key, []).append(value)
        elif key in TEXTS:
            given[key] = value
        elif key in FLAG_NAMES and value in FLAGS:
            given[key] = FLAGS[value]
        elif key == "limit" and NUMBER.fullmatch(value) and int(value) <= tickets.PAGE_MAX:
            limit = int(value)
            given[key] = limit
        else:
            return None
    cursor = given.pop("cursor", None)
    given.pop("limit", None)
    if cursor is not None and len(cursor) > tickets.CURSOR_MAX:
        return None

    def page(session: Session) -> str:
        return tickets.page_json(session, tickets.ticket_filters(**lists, **given), limit, cursor)

    return page


def writing(scope: Scope, raw: bytes, prefix: str) -> tuple[str, Write] | None:
    """(route template, the route's work) for the two busiest writes, POST /tickets and POST
    /tickets/{id}/replies, when their JSON body is one the route would accept; None otherwise (FastAPI's way).

    server/writer.py runs the work, with others that arrived together, in one transaction with the key's record,
    with no turn of the event loop (nor FastAPI's routing) while the write lock is held.
    """
    path: str = scope["path"]
    if scope["query_string"] or Headers(scope=scope).get("content-type") != "application/json":
        return None
    if path == prefix + "/tickets":
        draft = parsed(TicketIn, raw)
        return None if draft is None else ("/tickets", lambda session: tickets.create_ticket(draft, session))
    replied = path.startswith(prefix + "/tickets/") and path.endswith(REPLIES)
    ticket_id = ticket_number(path[len(prefix + "/tickets/"):-len(REPLIES)]) if replied else None
    reply = parsed(ReplyIn, raw) if ticket_id is not None else None
    if ticket_id is None or reply is None:
        return None
    return "/tickets/{ticket_id}" + REPLIES, lambda session: tickets.reply(ticket_id, reply, session)


async def uploading(scope: Scope, body: IO[bytes], store: tuple[Path, int]) -> tuple[str, Write] | None:
    """("/uploads", the route's work) for POST /uploads when its query is one the route would accept; None
    otherwise (FastAPI's way). The file is checked and stored here, before the write lock, and only its row is
    written in the writer's transaction: reading, hashing and copying a file of up to the attachment limit would
    hold up every writer. A file refused by its content or size raises the route's own error."""
    given = QueryParams(scope["query_string"]).multi_items()
    if len(given) != 1 or given[0][0] != "filename" or not 0 < len(given[0][1]) <= FILENAME_MAX:
        return None
    blob = await run_in_threadpool(stored, body, *store, given[0][1])
    return "/uploads", lambda session: json_response(dumps(engine_uploads.record(session, blob).to_dict()), 201)


def stored(body: IO[bytes], blob_dir: Path, limit: int, filename: str) -> engine_uploads.Blob:
    """The spooled request body checked and in the blob store (the body is left to be read again)."""
    make_dirs(blob_dir)
    fd, name = tempfile.mkstemp(dir=blob_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(body, out)
        return engine_uploads.store(blob_dir, limit, Path(name), filename)
    finally:
        body.seek(0)
        Path(name).unlink(missing_ok=True)


def parsed(model: type[M], raw: bytes) -> M | None:
    """The body as FastAPI reads it (json.loads, then the model), or None where FastAPI would answer an error."""
    try:
        return model.model_validate(json.loads(raw))
    except (ValueError, ValidationError):  # not JSON, not UTF-8, not the model
        return None
