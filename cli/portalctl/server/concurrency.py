"""A ceiling on requests in progress (engine.dialect's request_slots), so held resources cannot run out.

PostgreSQL: a request holds up to two pooled connections: its route's for the whole request (an Idempotency-Key
request's, from its token check to its commit), and a second for the export's stream. Connections are held across
awaits, so they are bounded by requests in progress, not by worker threads: with more requests than half the
pool, every connection can end up held by a request waiting for its second.

SQLite: a request with an Idempotency-Key that goes FastAPI's way holds the write lock from its key's check to its
commit, across awaits; with fewer requests in progress than worker threads, the writers waiting for that lock in
their threads (writes without a key wait there) can never take the last thread it needs to finish.

Requests past the ceiling wait their turn here, holding nothing. Long polls (`exempt`, GET /events) take no slot:
they wait holding nothing, and borrow a connection only for each short look. A request that needs the database no
more gives its slot back early (`give_back`): a keyed create or reply waiting for the process's writer
(server/writer.py) holds no connection, and while such writes kept their slots, reads queued behind them here.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

SLOT = "slot"  # the request state's key for its Slot


class Slot:
    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


def give_back(scope: Scope) -> None:
    """The request's slot back to the others, if it holds one: it will use no connection from here on."""
    slot = scope.get("state", {}).get(SLOT)
    if slot is not None:
        slot.release()


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        await self.slots.acquire()
        slot = scope.setdefault("state", {})[SLOT] = Slot(self.slots)
        try:
            await self.app(scope, receive, send)
        finally:
            slot.release()
