"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mail the portal sends, for tests that read it."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.server.conftest import free_port


class Inbox:
    """aiosmtpd's handler: every message accepted, parsed, and kept."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.url = ""
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages sent to `address`, once at least `count` have arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if m["To"] == address]
                if len(found) >= count or time.monotonic() > deadline:
                    return found
                self._arrived.wait(0.1)

    def link(self, address: str, path: str) -> str:
        """The last link to `path` (e.g. /verify-email) mailed to `address`."""
        [*_, last] = self.to(address)
        return re.findall(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", last.get_content())[-1]


@contextlib.contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    """aiosmtpd listening on a free port of 127.0.0.1; `inbox.url` is the PORTALCTL_SMTP_URL that reaches it."""
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    received.url = f"smtp://127.0.0.1:{port}?from=help@example.test"
    try:
        yield received
    finally:
        controller.stop()
