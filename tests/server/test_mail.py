"""Reset mail through SMTP when PORTALCTL_SMTP_URL is set, and into the outbox when the SMTP server fails."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
import requests

from tests.server.conftest import ADMIN, ANA, PASSWORD, TIMEOUT, Server, free_port, seed_people, start_server
from tests.stores import Store


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP (RFC 5321) to accept mail on loopback and keep it, with the AUTH PLAIN it was given."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.messages: list[Message] = []
        self.logins: list[bytes] = []


class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.reply("250-sink")
                self.reply("250 AUTH PLAIN")
            elif verb == b"AUTH":
                self.server.logins.append(line.split()[-1])
                self.reply("235 ok")
            elif verb == b"DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.messages.append(message_from_bytes(data))
                self.reply("250 kept")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def serve_with_smtp(store: Store, smtp_url: str) -> Server:
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    return start_server(store, "--public-url", "https://help.example.test", env={"PORTALCTL_SMTP_URL": smtp_url})


def outbox(server: Server) -> list[dict[str, str]]:
    token = requests.post(server.api + "/auth/login", json={"email": ADMIN, "password": PASSWORD},
                          timeout=TIMEOUT).json()["token"]
    items: list[dict[str, str]] = requests.get(server.api + "/admin/outbox", timeout=TIMEOUT,
                                               headers={"Authorization": f"Bearer {token}"}).json()["items"]
    return items


def test_reset_mail_goes_through_smtp_with_the_public_url(store: Store, sink: SmtpSink) -> None:
    port = sink.server_address[1]
    server = serve_with_smtp(store, f"smtp://mailer:s%40cret@127.0.0.1:{port}?from=help@example.test")
    try:
        answer = requests.post(server.api + "/auth/password-reset", json={"email": ANA}, timeout=TIMEOUT)
        assert answer.status_code == 202
        assert outbox(server) == []  # sent, so not kept
    finally:
        server.stop()
    [mail] = sink.messages
    assert mail["To"] == ANA and mail["From"] == "help@example.test"
    assert "https://help.example.test/reset-password?token=" in mail.get_payload(decode=True).decode()
    assert [base64.b64decode(login) for login in sink.logins] == [b"\0mailer\0s@cret"]  # the URL's user
    assert "s%40cret" not in server.log_text() and "s@cret" not in server.log_text()


def test_mail_is_kept_in_the_outbox_when_the_smtp_server_is_down(store: Store) -> None:
    server = serve_with_smtp(store, f"smtp://127.0.0.1:{free_port()}")
    try:
        requests.post(server.api + "/auth/password-reset", json={"email": ANA}, timeout=TIMEOUT)
        [mail] = outbox(server)
        assert mail["to"] == ANA and "reset-password?token=" in mail["body"]
    finally:
        server.stop()
    assert "SMTP delivery" in server.log_text()
