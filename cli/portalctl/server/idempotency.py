"""`Idempotency-Key` on POST: a retried request gets the first response instead of doing the work twice.

ASGI middleware, because it must see the raw request (to fingerprint it) and the whole response (to keep it).
The body is spooled to disk past 1 MB, so uploads keep constant memory. The records and their rules (lifetime,
conflicts, stale claims) are the engine's (portalctl.engine.auth.Idempotency). Only successful responses are
kept: a failed request changed nothing, so its key may be retried. Responses marked `Cache-Control: no-store`
hold a secret and are never stored; repeating them is a conflict.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portalctl.engine import uploads
from portalctl.engine.auth import Idempotency, StoredResponse, authenticate
from portalctl.engine.portal import Portal
from portalctl.errors import PortalError
from portalctl.server import bodylimit
from portalctl.server.deps import ServerConfig
from portalctl.server.problems import from_portal_error

SPOOL_IN_MEMORY = 1 << 20
READ = 1 << 16
FILE_TOO_LARGE = uploads.PayloadTooLarge("the file is larger than the portal's attachment limit",
                                         hint="compress it or share a link instead")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, config: ServerConfig, uploads_path: str) -> None:
        self.app = app
        self.config = config
        self.uploads_path = uploads_path  # the one POST whose body is a file, up to the attachment limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else Headers()
        key = headers.get("idempotency-key", "")
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scope["type"] != "http" or scope["method"] != "POST" or not key or scheme.lower() != "bearer":
            await self.app(scope, receive, send)
            return
        who = await run_in_threadpool(self._identify, token.strip())
        if who is None:  # no valid token: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        user_id, email, file_limit = who
        scope.setdefault("state", {})["user"] = email  # for the access log, replays included
        is_upload = scope["path"] == self.uploads_path
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as body:
            fingerprint = await self._spool(scope, receive, body, file_limit if is_upload else bodylimit.JSON_LIMIT)
            if fingerprint == "":  # the client went away
                return
            if fingerprint is None:
                refused = FILE_TOO_LARGE if is_upload else bodylimit.too_large()
                await from_portal_error(refused)(scope, receive, send)
                return
            try:
                stored = await run_in_threadpool(self._begin, user_id, key, fingerprint)
            except PortalError as exc:
                await from_portal_error(exc)(scope, receive, send)
                return
            if stored is not None:
                await replay_response(stored, send)
                return
            await self._run(scope, replay_request(body, receive), send, user_id, key)

    def _open(self) -> Portal:
        return self.config.open()

    def _identify(self, token: str) -> tuple[int, str, int] | None:
        """(user id, e-mail, largest file accepted) for a valid token, else None."""
        portal = self._open()
        try:
            actor = portal.session(authenticate(portal, token)).actor
            return actor.id, actor.email, uploads.max_bytes(portal)
        except PortalError:
            return None
        finally:
            portal.close()

    def _begin(self, user_id: int, key: str, fingerprint: str) -> StoredResponse | None:
        portal = self._open()
        try:
            return Idempotency(portal).begin(user_id, key, fingerprint)
        finally:
            portal.close()

    def _end(self, user_id: int, key: str, status: int | None, body: bytes | None, keep: bool) -> None:
        portal = self._open()
        try:
            if status is not None and 200 <= status < 300:
                Idempotency(portal).finish(user_id, key, status, body if keep else None)
            else:
                Idempotency(portal).abandon(user_id, key)
        finally:
            portal.close()

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
            if size > limit:
                return None
            digest.update(chunk)
            body.write(chunk)
            more = message.get("more_body", False)
        body.seek(0)
        return digest.hexdigest()

    async def _run(self, scope: Scope, receive: Receive, send: Send, user_id: int, key: str) -> None:
        """Run the route; the outcome is recorded before the last byte goes out, so a client that has its
        answer and retries at once finds the response stored, not a claim still in progress."""
        status: int | None = None
        keep = True
        parts: list[bytes] = []
        recorded = False

        async def capture(message: Message) -> None:
            nonlocal status, keep, recorded
            if message["type"] == "http.response.start":
                status = message["status"]
                keep = "no-store" not in Headers(raw=message.get("headers", [])).get("cache-control", "")
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await run_in_threadpool(self._end, user_id, key, status, b"".join(parts), keep)
                    recorded = True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not recorded:
                await run_in_threadpool(self._end, user_id, key, None, None, False)


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
