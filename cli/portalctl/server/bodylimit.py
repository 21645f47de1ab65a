"""A ceiling on request bodies, so a huge JSON body cannot exhaust the server's memory (FastAPI reads it whole).

Uploads are exempt: their route streams to disk and applies the portal's attachment limit itself. Every reader of
a body (this middleware, the idempotency middleware, the upload route) first compares the declared Content-Length
with its limit (`declared_over`), so an over-limit request is answered 413 before a byte of its body is read,
whatever order the middleware runs in; a body without a length is counted as it arrives.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portalctl.engine.uploads import PayloadTooLarge
from portalctl.i18n import _
from portalctl.server.problems import from_portal_error

JSON_LIMIT = 16 * 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, exempt: tuple[str, ...]) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if declared_over(scope, JSON_LIMIT):
            await from_portal_error(too_large())(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > JSON_LIMIT:  # a chunked body that said no length
                raise HTTPException(413, too_large().message)
            return message

        await self.app(scope, limited, send)


def declared_over(scope: Scope, limit: int) -> bool:
    """Does the request say (Content-Length) that its body is larger than `limit` bytes?"""
    declared = Headers(scope=scope).get("content-length", "").strip()
    return declared.isdigit() and int(declared) > limit


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(_("the request body is larger than {value} MiB").format(value=JSON_LIMIT // (1024 * 1024)),
                           hint=_("files go to POST /api/v1/uploads"))
