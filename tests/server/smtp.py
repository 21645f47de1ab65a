"""A real SMTP server on 127.0.0.1 for the server's mail: aiosmtpd, keeping what it accepts (and the AUTH it was
given), able to refuse deliveries (451) or be slow, as a busy relay is."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as email_policy
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    """aiosmtpd's handler and authenticator; `refuse` makes the next deliveries fail with 451."""

    messages: list[tuple[float, Message]] = field(default_factory=list)  # (arrival, message)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    refuse: int = 0
    refused: int = 0
    pause: float = 0.0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.pause:
            time.sleep(self.pause)  # a slow relay: deliveries overlap other workers' rounds
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 Mailbox busy, try again later"
            self.messages.append((time.monotonic(), message_from_bytes(envelope.content, policy=email_policy)))
        return "250 2.0.0 Kept"

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
        return AuthResult(success=True)

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for _, m in self.messages if m["To"] == address]

    def wait_for(self, count: int, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)

    def url(self, *, user: str = "", sender: str = "help@example.test") -> str:
        return f"smtp://{user + '@' if user else ''}127.0.0.1:{self.port}?from={sender}"


def text(message: Message) -> str:
    """The plain-text body of a received mail."""
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
