"""The ceiling on requests in progress (server/concurrency.py): past it requests wait, and one that gives its slot
back early (a write waiting for the process's writer) lets the next in while it is still in progress."""

from __future__ import annotations

import asyncio

from starlette.types import Receive, Scope, Send

from portalctl.server.concurrency import ConcurrencyLimitMiddleware, give_back


def scope(path: str) -> Scope:
    return {"type": "http", "path": path, "method": "GET", "headers": []}


async def nothing() -> dict[str, str]:
    return {"type": "http.request"}


async def ignore(message: object) -> None:
    return None


def test_past_the_ceiling_a_request_waits_until_a_slot_is_given_back() -> None:
    async def scenario() -> list[str]:
        entered: list[str] = []
        finish = asyncio.Event()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            entered.append(scope["path"])
            if scope["path"] == "/early":
                give_back(scope)
            await finish.wait()

        limited = ConcurrencyLimitMiddleware(app, limit=1)
        holding = asyncio.create_task(limited(scope("/holds"), nothing, ignore))
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(limited(scope("/early"), nothing, ignore))
        await asyncio.sleep(0.01)
        assert entered == ["/holds"]  # the one slot is taken: the second waits
        finish.set()
        await asyncio.gather(holding, waiting)
        finish.clear()
        early = asyncio.create_task(limited(scope("/early"), nothing, ignore))
        await asyncio.sleep(0.01)
        after = asyncio.create_task(limited(scope("/after"), nothing, ignore))
        await asyncio.sleep(0.01)
        seen = list(entered)  # /early gave its slot back while still in progress: /after is in too
        finish.set()
        await asyncio.gather(early, after)
        return seen

    assert asyncio.run(scenario()) == ["/holds", "/early", "/early", "/after"]


def test_a_slot_given_back_early_is_not_given_back_twice() -> None:
    async def scenario() -> bool:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            give_back(scope)
            give_back(scope)

        limited = ConcurrencyLimitMiddleware(app, limit=2)
        await limited(scope("/a"), nothing, ignore)
        return limited.slots._value == 2  # neither lost nor made up

    assert asyncio.run(scenario())
