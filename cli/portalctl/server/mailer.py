"""The server's mail rounds, in every worker process: new events into outbox mail, then due mail out by SMTP
(rules: engine.notifications; claims in the database keep two workers from sending one row).

The rounds run on a thread of their own, which a graceful stop waits for: a worker process ends without joining
its threads, and one cut off between the relay's "250" and marking the row sent would send that mail twice.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit

from portalctl.engine.notifications import collect, deliver
from portalctl.server import problems
from portalctl.server.deps import ServerConfig

STOP_WAIT = 30.0  # seconds a stop waits for the round in progress (one SMTP delivery times out after 20)


class MailRounds:
    """A round at start-up (mail a stopped server left behind goes now), then every `config.outbox_every` s."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="portalctl-mail", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while True:
            try:
                mail_round(self.config, self.stopping)
            except Exception:  # a busy or unreachable database: the next round tries again
                problems.log.exception("the mail round failed; trying again in %s s", self.config.outbox_every)
            if self.stopping.wait(self.config.outbox_every):
                return

    async def stop(self) -> None:
        """Finish the delivery in progress, hand back the rest of this round's claims, and end."""
        self.stopping.set()
        await asyncio.to_thread(self.thread.join, STOP_WAIT)


def mail_round(config: ServerConfig, stopping: threading.Event) -> None:
    portal = config.open()
    try:
        collect(portal, public_url=config.public_url, window=config.notify_batch, rest=stopping.wait)
        if config.smtp_url:  # without a relay, mail stays in the outbox for the admins (GET /admin/outbox)
            deliver(portal, smtp_url=config.smtp_url, retry_first=config.mail_retry_first,
                    host=urlsplit(config.public_url).hostname or "portalctl", stopping=stopping.is_set)
    finally:
        portal.close()
