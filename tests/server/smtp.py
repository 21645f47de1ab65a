"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mail the portal sends, for tests that read it; it can
also refuse deliveries (451) or be slow, as a busy relay is, and keeps the AUTH it was given."""

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
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.server.conftest import free_port


class Inbox:
    """aiosmtpd's handler and authenticator: every message accepted, parsed, and kept with its arrival time."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrivals: list[float] = []  # time.monotonic() of each message's arrival
        self.logins: list[tuple[bytes, bytes]] = []
        self.refuse = 0  # the next deliveries to refuse with 451
        self.refused = 0
        self.pause = 0.0  # seconds each delivery takes
        self.url = ""
        self.port = 0
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.pause:
            time.sleep(self.pause)  # a slow relay: deliveries overlap other workers' rounds
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.messages.append(message)
            self.arrivals.append(time.monotonic())
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
        return AuthResult(success=True)

    def to(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages sent to `address`, once at least `count` have arrived (count=0: now)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = [m for m in self.messages if m["To"] == address]
                if len(found) >= count or time.monotonic() > deadline:
                    return found
                self._arrived.wait(0.1)

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Until `count` messages have arrived in all, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._arrived.wait(0.1)

    def link(self, address: str, path: str) -> str:
        """The last link to `path` (e.g. /verify-email) mailed to `address`."""
        [*_, last] = self.to(address)
        return re.findall(rf"https?://\S+{re.escape(path)}\?token=[\w-]+", last.get_content())[-1]


@contextlib.contextmanager
def smtp_inbox() -> Iterator[Inbox]:
    """aiosmtpd listening on a free port of 127.0.0.1; `inbox.url` is the PORTALCTL_SMTP_URL that reaches it (AUTH
    in plain text is accepted: this is loopback)."""
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port, authenticator=received,
                            auth_require_tls=False)
    controller.start()
    received.url, received.port = f"smtp://127.0.0.1:{port}?from=help@example.test", port
    try:
        yield received
    finally:
        controller.stop()


def text(message: EmailMessage) -> str:
    """The plain-text body of a received mail."""
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
