"""Prometheus metrics at /metrics (`serve --metrics`): requests by route and status, their latency, and the
database connections requests hold.

prometheus-client's multiprocess mode: each worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR (set by
server/launch.py before this module is imported), and whichever worker answers /metrics adds up every worker's.
Routes are labelled by their template (/api/v1/tickets/{ticket_id}), never by the path as sent: one series per
route, not per ticket. /metrics itself needs no token: bind it to a private address or filter it at the proxy.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATH = "/metrics"
REQUESTS = Counter("portalctl_http_requests_total", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("portalctl_http_request_duration_seconds", "Time from request to the last byte of the answer.",
                    ["route", "method"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CONNECTIONS = Gauge("portalctl_db_connections_in_use", "Database connections held by requests, all live workers.",
                    multiprocess_mode="livesum")


def connection_count(change: int) -> None:
    """Given to server/pool.py: +1 when a request takes a connection, -1 when it gives it back."""
    CONNECTIONS.inc(change)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix  # routers included under a prefix know their template without it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == PATH:
            await self.exposition(send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = self.template(scope)
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route, scope["method"]).observe(time.perf_counter() - started)

    def template(self, scope: Scope) -> str:
        template: str | None = getattr(scope.get("route"), "path_format", None)
        if template is None:
            return "unmatched"
        if scope["path"].startswith(self.prefix + "/") and not template.startswith(self.prefix + "/"):
            return self.prefix + template
        return template

    @staticmethod
    async def exposition(send: Send) -> None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # the library ships no annotation here
        body = generate_latest(registry)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE_LATEST.encode())]})
        await send({"type": "http.response.body", "body": body})
