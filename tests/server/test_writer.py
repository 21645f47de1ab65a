"""The server process's writer (server/writer.py), in-process on a real portal: the requests of one batch each keep
the outcome they would have had alone, and a batch the database refuses keeps nothing and tells everyone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.responses import Response

from portalctl.engine.auth import StoredResponse
from portalctl.engine.portal import Actor, Portal, Session
from portalctl.errors import PortalError, Unavailable
from portalctl.server.fastjson import json_response
from portalctl.server.lane import Write
from portalctl.server.pool import PortalPool
from portalctl.server.writer import Outcome, Writer
from tests.server.conftest import ADMIN, seed_people
from tests.stores import Store


def create(subject: str) -> Write:
    def work(session: Session) -> Response:
        from portalctl.contract import TicketDraft

        ticket = session.tickets.create(TicketDraft(subject=subject, body="x"))
        return json_response(f'{{"id":{ticket.id}}}', 201)

    return work


def broken(session: Session) -> Response:
    from portalctl.contract import TicketDraft

    session.tickets.create(TicketDraft(subject="half done", body="x"))
    raise RuntimeError("a bug after the first write")


def subjects(portal: Portal) -> list[str]:
    return [row[0] for row in portal.conn.execute("SELECT subject FROM tickets ORDER BY id")]


def run(writer: Writer, *jobs: tuple[str, Write], user_id: int, actor: Actor) -> list[Outcome]:
    async def together() -> list[Outcome]:
        return list(await asyncio.gather(*(writer.write((user_id, key, "fingerprint"), actor, work)
                                           for key, work in jobs)))

    try:
        return asyncio.run(together())
    finally:
        writer.stop()


def test_each_request_of_a_batch_keeps_its_own_outcome(store: Store) -> None:
    portal = store.open()
    seed_people(portal)
    admin = portal.session(ADMIN).actor
    pool = PortalPool(store.open, keep=store.kind == "sqlite")
    outcomes = run(Writer(pool, stale_after=timedelta(hours=1)),
                   ("a", create("first")), ("b", broken), ("c", create("third")), ("a", create("first")),
                   user_id=admin.id, actor=admin)
    first, failed, third, repeated = outcomes
    assert isinstance(first, Response) and first.status_code == 201
    assert failed is None  # the code failed: nothing of it kept, FastAPI's way answers
    assert isinstance(third, Response) and third.status_code == 201
    assert isinstance(repeated, StoredResponse) and repeated.body == bytes(first.body)  # same key: replayed
    assert subjects(portal) == ["first", "third"]
    pool.close()
    portal.close()


def test_a_batch_the_database_refuses_keeps_nothing_and_tells_each_request(store: Store) -> None:
    portal = store.open()
    seed_people(portal)
    admin = portal.session(ADMIN).actor

    def unwritable() -> Portal:
        opened = store.open()
        if store.kind == "sqlite":
            opened.conn.execute("PRAGMA query_only = 1")  # every write refused, as a database gone bad would
        else:
            opened.conn.execute("SET default_transaction_read_only = on")
        return opened

    pool = PortalPool(unwritable, keep=False)
    outcomes = run(Writer(pool, stale_after=timedelta(hours=1)), ("x", create("lost 1")), ("y", create("lost 2")),
                   user_id=admin.id, actor=admin)
    assert all(isinstance(outcome, PortalError) for outcome in outcomes), outcomes
    assert all(isinstance(outcome, Unavailable) and "nothing of it was kept" in outcome.message for outcome in outcomes)
    assert subjects(portal) == []
    portal.close()
