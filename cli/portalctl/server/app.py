"""The app factory: API v1 under /api/v1 over one portal (file or PostgreSQL), errors as problem+json, OpenAPI at
/openapi.json."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from portalctl import __version__
from portalctl.engine import uploads as uploads_engine
from portalctl.engine.closing import auto_close
from portalctl.engine.dialect import dialect_for
from portalctl.server import (
    accounts,
    articles,
    auth,
    contacts,
    events,
    export,
    health,
    mailer,
    notices,
    problems,
    reset_page,
    tickets,
    uploads,
    verify_page,
)
from portalctl.server.accesslog import AccessLogMiddleware
from portalctl.server.bodylimit import BodyLimitMiddleware
from portalctl.server.concurrency import ConcurrencyLimitMiddleware
from portalctl.server.deps import (
    AUTO_CLOSE_EVERY,
    IDEMPOTENCY_STALE_AFTER,
    MAIL_RETRY_FIRST,
    NOTIFY_BATCH,
    OUTBOX_EVERY,
    PortalDep,
    ServerConfig,
)
from portalctl.server.idempotency import IdempotencyMiddleware
from portalctl.server.lane import ReadLane
from portalctl.server.language import LanguageMiddleware
from portalctl.server.pool import PortalPool
from portalctl.server.schemas import Health
from portalctl.server.writer import Writer

PREFIX = "/api/v1"
# Any operation may answer these (uploads add 415).
ERRORS = problems.documented(400, 401, 403, 404, 409, 413, 422, 429, 503)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    timer = asyncio.create_task(auto_close_on_a_timer(app.state.config))
    mail = mailer.MailRounds(app.state.config)
    mail.start()
    yield
    timer.cancel()
    await mail.stop()
    app.state.writer.stop()
    app.state.portals.close()
    # reached only on a graceful stop (SIGTERM, Ctrl-C): the server no longer accepts, requests in flight are done
    problems.log.info("stopped: every request in flight was answered")


async def auto_close_on_a_timer(config: ServerConfig) -> None:
    """Close resolved tickets whose grace period has passed: at start-up, then every `config.auto_close_every`
    seconds. A write of its own, never a side effect of a request."""
    while True:
        try:
            await asyncio.to_thread(close_resolved_tickets, config)
        except Exception:  # a busy or unreachable database: the next round tries again
            problems.log.exception("auto-close failed; trying again in %s s", config.auto_close_every)
        await asyncio.sleep(config.auto_close_every)


def close_resolved_tickets(config: ServerConfig) -> None:
    portal = config.open()
    try:
        auto_close(portal)
    finally:
        portal.close()


def create_app(db: Path | str, *, public_url: str, smtp_url: str | None = None, blob_dir: Path | None = None,
               auto_close_every: float = AUTO_CLOSE_EVERY, metrics_dir: str | None = None,
               idempotency_stale_after: float = IDEMPOTENCY_STALE_AFTER, outbox_every: float = OUTBOX_EVERY,
               mail_retry_first: float = MAIL_RETRY_FIRST, notify_batch: float = NOTIFY_BATCH) -> FastAPI:
    """`metrics_dir`: serve Prometheus metrics at /metrics (prometheus-client's multiprocess folder)."""
    app = FastAPI(
        title="portalctl server",
        version=__version__,
        summary="The portalctl portal behind HTTP: tickets, knowledge base, accounts.",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.config = ServerConfig(db=db, public_url=public_url, smtp_url=smtp_url, blob_dir=blob_dir,
                                    auto_close_every=auto_close_every,
                                    idempotency_stale_after=idempotency_stale_after, outbox_every=outbox_every,
                                    mail_retry_first=mail_retry_first, notify_batch=notify_batch)
    counted = None
    if metrics_dir:
        from portalctl.server import metrics

        counted = metrics.connection_count
    app.state.portals = PortalPool(app.state.config.open, keep=not dialect_for(db).pooled, counted=counted)
    app.state.writer = Writer(app.state.portals, stale_after=timedelta(seconds=idempotency_stale_after))
    server = APIRouter(tags=["server"])
    server.add_api_route("/health", api_health, methods=["GET"], response_model=Health)
    server.add_api_route("/openapi.json", lambda: JSONResponse(app.openapi()), methods=["GET"],
                         include_in_schema=False)
    # Each router straight under the app, the busiest first: FastAPI matches a request level by level and route
    # by route, and one more level of routers cost more than showing a ticket.
    for router in (tickets.router, server, auth.router, accounts.router, uploads.router, export.router,
                   articles.router, notices.router, contacts.router, events.router):
        app.include_router(router, prefix=PREFIX, responses=ERRORS)
    app.include_router(reset_page.router)
    app.include_router(verify_page.router)
    app.include_router(health.router)
    problems.install(app)
    app.add_middleware(ReadLane, prefix=PREFIX, portals=app.state.portals)  # innermost: only GETs it answers whole
    app.add_middleware(BodyLimitMiddleware, exempt=(PREFIX + "/uploads",))  # its 413 is a problem
    app.add_middleware(IdempotencyMiddleware, config=app.state.config, portals=app.state.portals,
                       writer=app.state.writer, prefix=PREFIX)
    app.add_middleware(AccessLogMiddleware)
    slots = dialect_for(db).request_slots()
    if slots is not None:  # outermost: a request waiting for a slot holds no connection
        app.add_middleware(ConcurrencyLimitMiddleware, limit=slots, exempt=(PREFIX + events.PATH,))
    if metrics_dir:  # outermost of all: latency includes the wait for a slot
        app.add_middleware(metrics.MetricsMiddleware, prefix=PREFIX)
    app.add_middleware(LanguageMiddleware)  # around everything that may answer: each answer in the caller's language
    app.openapi = lambda: openapi(app)  # type: ignore[method-assign]
    return app


def api_health(portal: PortalDep) -> Health:
    """Is the portal file readable? No sign-in needed: for load balancers, start-up scripts, and clients that check
    a file against the attachment limit before uploading it."""
    portal.conn.execute("SELECT 1 FROM users LIMIT 1")
    return Health(status="ok", version=__version__, max_attachment_bytes=uploads_engine.max_bytes(portal))


def openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the Problem schema every error response refers to."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problems.Problem.model_json_schema()
        app.openapi_schema = schema
    return app.openapi_schema

