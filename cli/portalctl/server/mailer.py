"""The server's mail round, in every worker process: new events into outbox mail, then due mail out by SMTP
(rules: engine.notifications; claims in the database keep two workers from sending one row)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from portalctl.engine.notifications import collect, deliver
from portalctl.server import problems
from portalctl.server.deps import ServerConfig


async def on_a_timer(config: ServerConfig) -> None:
    """A round at start-up (mail a stopped server left behind goes now), then every `config.outbox_every` s."""
    while True:
        try:
            await asyncio.to_thread(mail_round, config)
        except Exception:  # a busy or unreachable database: the next round tries again
            problems.log.exception("the mail round failed; trying again in %s s", config.outbox_every)
        await asyncio.sleep(config.outbox_every)


def mail_round(config: ServerConfig) -> None:
    portal = config.open()
    try:
        collect(portal, public_url=config.public_url)
        if config.smtp_url:  # without a relay, mail stays in the outbox for the admins (GET /admin/outbox)
            deliver(portal, smtp_url=config.smtp_url, retry_first=config.mail_retry_first,
                    host=urlsplit(config.public_url).hostname or "portalctl")
    finally:
        portal.close()
