"""Reset mail through SMTP when PORTALCTL_SMTP_URL is set (a real SMTP server on 127.0.0.1: aiosmtpd), into the
outbox when no server is configured or the server fails, and from there tried again until it goes."""

from __future__ import annotations

import time

import requests

from tests.server.conftest import ADMIN, ANA, PASSWORD, TIMEOUT, Server, free_port, seed_people, start_server
from tests.server.smtp import Inbox, text
from tests.stores import Store


def serve_with_smtp(store: Store, smtp_url: str) -> Server:
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    return start_server(store, "--public-url", "https://help.example.test",
                        env={"PORTALCTL_SMTP_URL": smtp_url, "PORTALCTL_OUTBOX_SECONDS": "0.2",
                             "PORTALCTL_MAIL_RETRY_SECONDS": "0.3"})


def outbox(server: Server) -> list[dict[str, str]]:
    token = requests.post(server.api + "/auth/login", json={"email": ADMIN, "password": PASSWORD},
                          timeout=TIMEOUT).json()["token"]
    items: list[dict[str, str]] = requests.get(server.api + "/admin/outbox", timeout=TIMEOUT,
                                               headers={"Authorization": f"Bearer {token}"}).json()["items"]
    return items


def test_reset_mail_goes_through_smtp_with_the_public_url(store: Store, inbox: Inbox) -> None:
    server = serve_with_smtp(store, f"smtp://mailer:s%40cret@127.0.0.1:{inbox.port}?from=help@example.test")
    try:
        answer = requests.post(server.api + "/auth/password-reset", json={"email": ANA}, timeout=TIMEOUT)
        assert answer.status_code == 202
        assert outbox(server) == []  # sent, so not kept
    finally:
        server.stop()
    [mail] = inbox.to(ANA)
    assert mail["From"] == "help@example.test"
    assert "https://help.example.test/reset-password?token=" in text(mail)
    assert inbox.logins == [(b"mailer", b"s@cret")]  # the URL's user, its password unquoted
    assert "s%40cret" not in server.log_text() and "s@cret" not in server.log_text()


def test_mail_is_kept_in_the_outbox_when_the_smtp_server_is_down(store: Store) -> None:
    server = serve_with_smtp(store, f"smtp://127.0.0.1:{free_port()}")
    try:
        requests.post(server.api + "/auth/password-reset", json={"email": ANA}, timeout=TIMEOUT)
        [mail] = outbox(server)
        assert mail["to"] == ANA and "reset-password?token=" in mail["body"]
        assert mail["attempts"] >= 1 and "ConnectionRefusedError" in (mail["last_error"] or "")
    finally:
        server.stop()
    assert "SMTP delivery" in server.log_text()


def test_a_reset_mail_the_relay_refused_goes_later_once(store: Store, inbox: Inbox) -> None:
    inbox.refuse = 2  # the reset's own try, then the outbox's first retry
    server = serve_with_smtp(store, inbox.url)
    try:
        requests.post(server.api + "/auth/password-reset", json={"email": ANA}, timeout=TIMEOUT)
        inbox.wait_for(1)
        time.sleep(1)
        assert outbox(server) == []  # sent at last
    finally:
        server.stop()
    assert inbox.refused == 2 and len(inbox.to(ANA)) == 1 and len(inbox.messages) == 1
