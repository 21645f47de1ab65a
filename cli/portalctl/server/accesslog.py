"""One line per request on stderr: client, method, path, status, time, user (as JSON with --log-format json).

The query string is left out: it may carry a reset token (GET /reset-password?token=...). Headers and bodies,
where tokens and passwords travel, are never logged. The path is logged as sent (percent-encoded), so a request
cannot forge log lines.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("portalctl.server.access")


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering
        logged = False

        def write() -> None:
            nonlocal logged
            client = scope.get("client") or ("-", 0)
            user = scope.get("state", {}).get("user", "-")
            elapsed = (time.perf_counter() - started) * 1000
            path = printable_path(scope)
            log.info("%s %s %s %d %.1fms %s", client[0], scope["method"], path, status, elapsed, user,
                     extra={"fields": {"client": client[0], "method": scope["method"], "path": path, "status": status,
                                       "ms": round(elapsed, 1), "user": user}})
            logged = True

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                write()  # before the last byte: a client holding its answer finds the line already written
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not logged:
                write()


def printable_path(scope: Scope) -> str:
    """The path as sent, still percent-encoded: a %0A in a URL cannot start a forged log line."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    return raw.split(b"?", 1)[0].decode("ascii", "backslashreplace")
