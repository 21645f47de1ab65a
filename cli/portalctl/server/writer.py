"""The server process's writer: one thread that runs the keyed creates and replies of server/lane.py in turn,
as many as are waiting in one transaction (group commit).

Why: the portal has one write lock, and under a team's load every write queued for it. Measured with 50 clients on
SQLite, a write's work took a median of 0.7 ms, yet its holder kept the lock 3 ms on average and up to 19 ms: each
of the many threads waiting in it woke for its turn, and between its statements the holder waited for the GIL and a
CPU. Writers that waited on an flock were woken in no particular order, so a few waited ten times the median. Here
the requests of a process queue in order (FIFO) and hold no thread while they wait; the writer takes the lock once
for all of them, runs each in its own savepoint and commits them together, so the lock changes hands once a batch
and a write's share of it is its own work.

Each request keeps its own outcome, as it had in a transaction of its own (server/idempotency.py says which):
- its key's response, when the key was used before: sent again, nothing done;
- a refusal (PortalError): what it wrote is kept (a failed sign-in is counted), its key is not;
- a failure of the code: nothing of it is kept (its savepoint is undone), and FastAPI's way answers it;
- done: its work and its key's record are kept.
A commit that fails (a full disk) keeps nothing of any of them, and each is told so. No answer goes out before the
commit that holds it: a crash loses only work nobody was told of.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import queue
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.responses import Response

from portalctl.engine.auth import Idempotency, StoredResponse
from portalctl.engine.db import disk_full
from portalctl.engine.portal import Actor, Portal, Session
from portalctl.errors import PortalError, Unavailable
from portalctl.i18n import _
from portalctl.server.lane import Write
from portalctl.server.pool import PortalPool
from portalctl.server.problems import log

BATCH_MAX = 64  # writes in one transaction: more would keep the lock from the other server processes too long
Request = tuple[int, str, str]  # (user id, Idempotency-Key, fingerprint of the request)
# What a write comes to: the response to send, its key's earlier response, a refusal, or None (the code failed:
# nothing was kept, FastAPI's way answers it).
Outcome = Response | StoredResponse | PortalError | None
_savepoints = itertools.count(1)


@dataclass
class Job:
    request: Request
    actor: Actor
    work: Write
    context: contextvars.Context  # the request's (its language, for the texts the work writes)
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[Outcome] = field(init=False)

    def __post_init__(self) -> None:
        self.answer = self.loop.create_future()

    def tell(self, outcome: Outcome) -> None:
        # RuntimeError: the event loop is closed; the process is stopping and nobody waits any more
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_settle, self.answer, outcome)


def _settle(answer: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not answer.done():  # done: the request was cancelled (its client went away); its work stood with the batch
        answer.set_result(outcome)


def failed(exc: Exception) -> PortalError:
    """What each write of a batch that could not be committed is told, in its own language."""
    if isinstance(exc, PortalError):  # the portal cannot be opened or written (a read-only file)
        return exc
    return disk_full(exc) or not_saved()


def not_saved() -> Unavailable:
    return Unavailable(_("the portal could not save this request; nothing of it was kept"),
                       hint=_("retry with the same Idempotency-Key"))


class Writer:
    """The process's writer thread, started by the first write and stopped with the app."""

    def __init__(self, portals: PortalPool, *, stale_after: timedelta) -> None:
        self.portals = portals
        self.stale_after = stale_after
        self.waiting: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.starting = threading.Lock()

    async def write(self, request: Request, actor: Actor, work: Write) -> Outcome:
        """Run `work` as `actor` with its key's record, in the next batch; its outcome once that is committed."""
        job = Job(request, actor, work, contextvars.copy_context(), asyncio.get_running_loop())
        self._start()
        self.waiting.put(job)
        return await job.answer

    def stop(self) -> None:
        """Let the thread finish what is queued and end (the app's shutdown; requests in flight were answered)."""
        if self.thread is not None:
            self.waiting.put(None)
            self.thread.join()
            self.thread = None

    def _start(self) -> None:
        with self.starting:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="portalctl-writer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while (first := self.waiting.get()) is not None:
            batch = [first]
            while len(batch) < BATCH_MAX:
                try:
                    job = self.waiting.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self.waiting.put(None)  # stop after this batch
                    break
                batch.append(job)
            self._commit(batch)

    def _commit(self, batch: list[Job]) -> None:
        """One transaction for the batch: each job in a savepoint, then one commit, then every answer."""
        portal: Portal | None = None
        outcomes: list[Outcome]
        try:
            portal = self.portals.take()
            record = Idempotency(portal, stale_after=self.stale_after)
            portal.conn.begin()
            record.sweep()
            outcomes = [job.context.run(self._one, portal, record, job) for job in batch]
            portal.conn.commit()
        except Exception as exc:
            if not isinstance(exc, PortalError):
                log.exception("could not commit a batch of %d writes", len(batch))
            outcomes = [job.context.run(failed, exc) for job in batch]
        finally:
            if portal is not None:
                self.portals.give(portal)  # rolls back what a failed commit left open
        for job, outcome in zip(batch, outcomes, strict=True):
            job.tell(outcome)

    @staticmethod
    def _one(portal: Portal, record: Idempotency, job: Job) -> Outcome:
        savepoint = f"portalctl_write_{next(_savepoints)}"
        conn = portal.conn
        conn.execute(f"SAVEPOINT {savepoint}")
        try:
            stored = record.stored(*job.request)
            if stored is not None:
                return stored
            response = job.work(Session(portal, job.actor))
            record.keep(*job.request, response.status_code, bytes(response.body))
            return response
        except PortalError as exc:  # refused: what it wrote is kept, as without a key; the key is not
            return exc
        except Exception:
            conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            log.exception("a write failed; FastAPI's way answers it")
            return None
        finally:
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
