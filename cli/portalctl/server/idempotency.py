"""`Idempotency-Key` on POST: a retried request gets the first response instead of doing the work twice.

ASGI middleware, because it must see the raw request (to fingerprint it) and the whole response (to keep it).
The busiest writes (creates and replies the read lane's `writing` understands) go to the process's writer
(server/writer.py), which commits those that arrive together in one transaction, each with its key's record.
Any other request holds one pooled connection from its token's check to its commit: the route works on it too.
The request's size limit is checked from its headers before a byte of the body is read; the body is then spooled
to disk past 1 MB, so uploads keep constant memory.

The key's record and the work it guards commit in one transaction (engine.auth.Idempotency): this middleware
borrows the portal connection, begins the write transaction and hands the connection to the route (server.deps reads
it from the request's state), whose own transactions become savepoints in it; the response is recorded and
everything committed before the response goes out. A crash anywhere leaves both or neither, so a retry after any
crash gets the first response or does the work once. Only successful responses are kept: a failed request keeps
what it wrote (a failed sign-in is counted) but not its key, which may be retried. Responses marked
`Cache-Control: no-store` hold a secret and are never stored; repeating them is a conflict.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portalctl.engine import uploads
from portalctl.engine.auth import Idempotency, StoredResponse
from portalctl.engine.portal import Portal, Session
from portalctl.errors import PortalError
from portalctl.i18n import _
from portalctl.server import bodylimit
from portalctl.server.concurrency import give_back
from portalctl.server.deps import SHARED_PORTAL, ServerConfig, borrowed, read, signed_in
from portalctl.server.lane import route_of, uploading, writing
from portalctl.server.pool import PortalPool
from portalctl.server.problems import from_portal_error, log
from portalctl.server.writer import Writer, not_saved

SPOOL_IN_MEMORY = 1 << 20
READ = 1 << 16


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, config: ServerConfig, portals: PortalPool, writer: Writer, prefix: str) -> None:
        self.app = app
        self.config = config
        self.portals = portals
        self.writer = writer
        self.prefix = prefix
        self.uploads_path = prefix + "/uploads"  # the one POST whose body is a file, up to the attachment limit
        # The portal has one write lock (SQLite's, or PostgreSQL's advisory lock), held here for a whole request:
        # keyed requests queue for it in turn here, holding no thread, rather than in SQLite's busy loop.
        self.writers = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" and scope["method"] == "POST" else Headers()
        key = headers.get("idempotency-key", "")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if not key or scheme.lower() != "bearer":
            await self.app(scope, receive, send)
            return
        async with borrowed(self.portals) as portal:  # for the token's check only: let go before the body comes
            try:
                session = await signed_in(scope, portal, token.strip())
                file_limit = await read(portal, lambda: uploads.max_bytes(portal))
                blob_dir = portal.blob_dir
            except PortalError:
                session = None
        if session is None:
            await self.app(scope, receive, send)  # no valid token: the route answers 401 itself
            return
        await self._keyed(scope, receive, send, (session, key), (file_limit, blob_dir))

    async def _keyed(self, scope: Scope, receive: Receive, send: Send, who: tuple[Session, str],
                     files: tuple[int, Path]) -> None:
        session, key = who
        file_limit, blob_dir = files
        request = (session.actor.id, key)
        is_upload = scope["path"] == self.uploads_path
        limit = file_limit if is_upload else bodylimit.JSON_LIMIT
        if bodylimit.declared_over(scope, limit):  # refused before a byte of the body is read
            await from_portal_error(too_large(is_upload, limit))(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as body:
            fingerprint = await self._spool(scope, receive, body, limit)
            if fingerprint == "":  # the client went away
                return
            if fingerprint is None:
                await from_portal_error(too_large(is_upload, limit))(scope, receive, send)
                return
            try:
                direct = (await uploading(scope, body, (blob_dir, file_limit)) if is_upload
                          else writing(scope, whole(body), self.prefix))
            except PortalError as exc:  # an upload refused by its content or size: nothing was stored
                await from_portal_error(exc)(scope, receive, send)
                return
            if direct is not None:
                # The process's writer runs these, several to a transaction, with no turn of the event loop (nor
                # FastAPI's routing) while the write lock is held (server/writer.py).
                template, work = direct
                give_back(scope)  # no connection held from here; should the work fail, FastAPI's way borrows one
                outcome = await self.writer.write((*request, fingerprint), session.actor, work)
                if outcome is not None:
                    scope["route"] = route_of("POST", template)
                    if isinstance(outcome, StoredResponse):
                        await replay_response(outcome, send)
                    else:
                        response = from_portal_error(outcome) if isinstance(outcome, PortalError) else outcome
                        await response(scope, receive, send)
                    return
            # One connection from here: the key's record and the route's work.
            async with borrowed(self.portals) as portal:
                await self._locked(scope, replay_request(body, receive), send, portal, (*request, fingerprint))

    async def _locked(self, scope: Scope, receive: Receive, send: Send, portal: Portal,
                      request: tuple[int, str, str]) -> None:
        """FastAPI's way, in a write transaction held across the event loop from the key's check to the commit."""
        record = Idempotency(portal, stale_after=timedelta(seconds=self.config.idempotency_stale_after))
        held = False

        def release() -> None:  # once the transaction is over, before the answer goes out
            nonlocal held
            if held:
                held = False
                self.writers.release()

        try:
            await self.writers.acquire()
            held = True
            try:
                stored = await run_in_threadpool(record.begin, *request)
            except PortalError as exc:
                release()
                await from_portal_error(exc)(scope, receive, send)
                return
            if stored is not None:
                release()
                await replay_response(stored, send)
                return
            scope["state"][SHARED_PORTAL] = portal
            await self._run(scope, receive, send, record, request, release)
        finally:
            release()

    @staticmethod
    async def _spool(scope: Scope, receive: Receive, body: IO[bytes], limit: int) -> str | None:
        """Copy the request body into `body`; its fingerprint (method, path, query, content), None if too big,
        "" if the client disconnected."""
        digest = hashlib.sha256(f"{scope['method']} {scope['path']}?".encode() + scope.get("query_string", b""))
        digest.update(b"\n")
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return ""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # a chunked body that said no length, or more than it said
                return None
            digest.update(chunk)
            body.write(chunk)
            more = message.get("more_body", False)
        body.seek(0)
        return digest.hexdigest()

    async def _run(self, scope: Scope, receive: Receive, send: Send, record: Idempotency,
                   request: tuple[int, str, str], release: Callable[[], None]) -> None:
        """Run the route inside the open transaction; hold its response until the work and the record are
        committed, so no client is ever told of a change that a crash could still undo."""
        status: int | None = None
        keep = True
        held: list[Message] = []
        ended = False

        async def capture(message: Message) -> None:
            nonlocal status, keep, ended
            held.append(message)
            if message["type"] == "http.response.start":
                status = message["status"]
                keep = "no-store" not in Headers(raw=message.get("headers", [])).get("cache-control", "")
                return
            if message["type"] != "http.response.body" or message.get("more_body", False):
                return
            ended = True
            try:
                if status is not None and 200 <= status < 300:
                    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
                    await run_in_threadpool(record.finish, *request, status, body if keep else None)
                else:
                    await run_in_threadpool(record.fail, keep_work=True)
            except Exception:
                release()
                log.exception("could not commit %s %s", scope["method"], scope["path"])
                await from_portal_error(not_saved())(scope, receive, send)
                return
            release()
            for part in held:
                await send(part)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not ended:  # the route failed before answering: nothing of it is kept
                await run_in_threadpool(record.fail, keep_work=False)
                release()


def whole(body: IO[bytes]) -> bytes:
    """A spooled body's bytes, leaving it to be read again from the start."""
    raw = body.read()
    body.seek(0)
    return raw


def too_large(is_upload: bool, limit: int) -> PortalError:
    if is_upload:
        return uploads.PayloadTooLarge(
            _("the file is larger than the portal's {limit:,}-byte ({value:.0f} MB) attachment limit").format(
                limit=limit, value=limit / 1000000.0),
            hint=_("compress it or share a link instead"))
    return bodylimit.too_large()


def replay_request(body: IO[bytes], receive: Receive) -> Receive:
    """The spooled body, then the client's own messages (so a disconnect is still noticed)."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(READ)
        rest = body.read(1)
        body.seek(-len(rest), 1)
        done = not rest
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay


async def replay_response(stored: StoredResponse, send: Send) -> None:
    await send({"type": "http.response.start", "status": stored.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]})
    await send({"type": "http.response.body", "body": stored.body})
