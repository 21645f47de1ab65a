"""What routes depend on: the server's settings, a portal connection per request, and the signed-in user.

One database connection per request, never shared between requests, borrowed for the request's life
(server/pool.py; on PostgreSQL from psycopg's pool): FastAPI may run a request's dependencies and handler on
different worker threads, so a thread-local connection could be used by two requests at once. A POST with an
Idempotency-Key gets the connection the idempotency middleware borrowed, with its write transaction already begun, so
the route's work commits together with the key's record.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from portalctl.engine.auth import IDEMPOTENCY_KEY_MAX, STALE_CLAIM, Unauthenticated, token_session, touch_token
from portalctl.engine.portal import Portal, Session
from portalctl.i18n import _
from portalctl.server.pool import PortalPool

T = TypeVar("T")
AUTO_CLOSE_EVERY = 600.0  # seconds between runs of the auto-close rule (env PORTALCTL_AUTO_CLOSE_SECONDS)
IDEMPOTENCY_STALE_AFTER = STALE_CLAIM.total_seconds()  # env PORTALCTL_IDEMPOTENCY_STALE_SECONDS
NOTIFY_BATCH = 300.0  # seconds: one mail per recipient and ticket at most this often (PORTALCTL_NOTIFY_BATCH_SECONDS)
OUTBOX_EVERY = 5.0  # seconds between looks at new events and due mail (env PORTALCTL_OUTBOX_SECONDS)
MAIL_RETRY_FIRST = 60.0  # seconds before a failed delivery is tried again, doubling (env PORTALCTL_MAIL_RETRY_SECONDS)
SHARED_PORTAL = "portal"  # the request state's key for a portal the idempotency middleware opened


@dataclass(frozen=True)
class ServerConfig:
    db: Path | str  # the portal file, or a postgresql:// URL
    public_url: str  # where links in mail point; never taken from a request's Host header
    smtp_url: str | None = None
    blob_dir: Path | None = None  # attachments (default: beside the portal file)
    auto_close_every: float = AUTO_CLOSE_EVERY
    idempotency_stale_after: float = IDEMPOTENCY_STALE_AFTER  # seconds before an unfinished key is taken over
    outbox_every: float = OUTBOX_EVERY
    notify_batch: float = NOTIFY_BATCH
    mail_retry_first: float = MAIL_RETRY_FIRST

    def open(self) -> Portal:
        return Portal(self.db, blob_dir=self.blob_dir)


def config(request: Request) -> ServerConfig:
    settings: ServerConfig = request.app.state.config
    return settings


async def open_portal(request: Request) -> AsyncIterator[Portal]:
    """Async so that the common case, an idle SQLite portal taken and given back, costs no hop to a worker thread."""
    shared: Portal | None = getattr(request.state, SHARED_PORTAL, None)
    if shared is not None:  # the idempotency middleware's, in its transaction: it commits and closes it
        yield shared
        return
    async with borrowed(request.app.state.portals) as portal:
        yield portal


class borrowed:  # lower case: used as `async with borrowed(pool) as portal`, like a function
    """A portal of the pool for one request: an idle one taken on the event loop; opening one, or giving back one
    that needs a database call (a rollback; PostgreSQL's go back to psycopg's pool), on a worker thread.

    A class rather than an @asynccontextmanager generator: the read lane borrows one for every request, and the
    generator's machinery cost more than taking and giving back an idle portal."""

    def __init__(self, pool: PortalPool) -> None:
        self.pool = pool

    async def __aenter__(self) -> Portal:
        portal = self.pool.take_idle()
        self.portal = portal if portal is not None else await run_in_threadpool(self.pool.take)
        return self.portal

    async def __aexit__(self, *_exc: object) -> None:
        if not self.pool.keep_clean(self.portal):
            await run_in_threadpool(self.pool.give, self.portal)


bearer = HTTPBearer(auto_error=False, description="A personal access token from POST /api/v1/auth/login.")


async def current_session(
    request: Request,
    portal: Annotated[Portal, Depends(open_portal)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Session:
    if credentials is None:
        raise no_token()
    return await signed_in(request.scope, portal, credentials.credentials)


def no_token() -> Unauthenticated:
    return Unauthenticated(_("this endpoint needs a token"),
                           hint=_("sign in (POST /api/v1/auth/login) and send 'Authorization: Bearer TOKEN'"))


async def signed_in(scope: Scope, portal: Portal, token: str) -> Session:
    """The session of a token's user, who is named in the request's state for the access log. Shared by the routes'
    dependency above and the lanes (server/lane.py)."""
    if not reads_on_loop(portal):
        return await run_in_threadpool(sign_in, scope, portal, token)
    session, due = token_session(portal, token)
    if due is not None:  # once a minute a token: a write, which may wait for the lock, so on a worker thread
        await run_in_threadpool(touch_token, portal, due)
    scope.setdefault("state", {})["user"] = session.actor.email
    return session


def sign_in(scope: Scope, portal: Portal, token: str) -> Session:
    """`signed_in` on a worker thread, start to end."""
    session, due = token_session(portal, token)
    if due is not None:
        touch_token(portal, due)
    scope.setdefault("state", {})["user"] = session.actor.email
    return session


def reads_on_loop(portal: Portal) -> bool:
    """Whether reads of this portal run on the event loop rather than on a worker thread.

    SQLite's do: a WAL reader never waits for a writer, and reading a ticket or a page of them costs less than
    handing it to a worker thread and back, which was most of a read's time. PostgreSQL's go to a worker thread:
    they wait on the network and on the pool.
    """
    return not portal.dialect.pooled


async def read(portal: Portal, work: Callable[[], T]) -> T:
    """`work` (reads only) where reads_on_loop says."""
    return work() if reads_on_loop(portal) else await run_in_threadpool(work)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX,
                                      description="Repeat a POST safely: the same key gets the first response.")]
    = None,
) -> None:
    """Documents the header; server.idempotency does the work before the route runs."""


PortalDep = Annotated[Portal, Depends(open_portal)]
SessionDep = Annotated[Session, Depends(current_session)]
ConfigDep = Annotated[ServerConfig, Depends(config)]
IDEMPOTENT = [Depends(idempotency_key)]
