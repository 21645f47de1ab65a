"""Notifications from a real `portalctl serve` to a real SMTP server on 127.0.0.1 (aiosmtpd), counted as they arrive;
and `portalctl tickets watch` against a server killed and restarted under it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.server.conftest import (
    AGENT,
    ANA,
    BOB,
    CARLA,
    DIEGO,
    MARIO,
    PASSWORD,
    Api,
    Seed,
    Server,
    free_port,
    seed_people,
    server_env,
    start_server,
)
from tests.server.smtp import Inbox, text
from tests.stores import Store

PUBLIC_URL = "https://help.example.test"


def mail_server(store: Store, inbox: Inbox, *extra: str, batch: float = 300, retry: float = 0.3,
                port: int | None = None, log: Path | None = None) -> Server:
    portal = store.open()
    try:
        if portal.is_empty():
            seed_people(portal)
    finally:
        portal.close()
    env = {"PORTALCTL_SMTP_URL": inbox.url, "PORTALCTL_OUTBOX_SECONDS": "0.2",
           "PORTALCTL_MAIL_RETRY_SECONDS": str(retry), "PORTALCTL_NOTIFY_BATCH_SECONDS": str(batch)}
    return start_server(store, "--public-url", PUBLIC_URL, *extra, env=env, port=port, log=log)


def signed_in(server: Server) -> Callable[[str], Api]:
    tokens: dict[str, str] = {}

    def api(email: str) -> Api:
        if email not in tokens:
            answer = Api(server).post("/auth/login", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 201, answer.text
            tokens[email] = answer.json()["token"]
        return Api(server, tokens[email])

    return api


def quiet_manager(as_user: Callable[[str], Api]) -> None:
    """Acme's contact manager switches every notification off: the test counts Ana's mail alone."""
    assert as_user(MARIO).patch("/me/notifications", json={"off": ["all"]}).status_code == 200


def test_a_reply_is_mailed_to_those_who_may_see_it_in_their_language(store: Store, inbox: Inbox) -> None:
    server = mail_server(store, inbox)
    try:
        as_user = signed_in(server)
        assert as_user(ANA).patch("/me", json={"language": "es"}).status_code == 200
        ticket = as_user(ANA).post("/tickets", json={"subject": "Formulario 5412", "body": "FOB"}).json()
        agent = as_user(AGENT)
        agent.post(f"/tickets/{ticket['id']}/replies", json={"body": "INTERNAL-NOTE revisar aduana",
                                                             "internal": True})
        agent.post(f"/tickets/{ticket['id']}/replies", json={"body": "Lo revisamos hoy."})
        as_user(CARLA).post("/tickets", json={"subject": "Globex nuevo", "body": "x"})  # Globex shares tickets
        inbox.wait_for(3)
        time.sleep(1.5)  # several more rounds: anything extra would arrive now
    finally:
        server.stop()
    [mail] = inbox.to(ANA)
    assert mail["Subject"] == f"[#{ticket['id']}] Formulario 5412" and mail["From"] == "help@example.test"
    body = text(mail)
    assert body.startswith("Hola, Ana:") and "Alex Agent respondió:" in body and "Lo revisamos hoy." in body
    assert "Su estado pasó de Nuevo a Esperando su respuesta." in body
    assert f"{PUBLIC_URL}/api/v1/tickets/{ticket['id']}" in body
    assert "INTERNAL-NOTE" not in mail.as_string()
    [new] = inbox.to(DIEGO)  # his organisation's new ticket
    assert "Carla abrió" not in text(new) and "Carla opened it." in text(new)
    [manager] = inbox.to(MARIO)  # Acme's contact manager sees, and hears of, his company's tickets
    assert "Ana opened it." in text(manager) and "INTERNAL-NOTE" not in manager.as_string()
    assert inbox.to(BOB, 0) == inbox.to(CARLA, 0) == inbox.to(AGENT, 0) == []  # Bob cannot see Ana's ticket
    assert len(inbox.messages) == 3


def test_changes_within_the_window_come_in_one_later_mail(store: Store, inbox: Inbox) -> None:
    server = mail_server(store, inbox, batch=3)
    try:
        as_user = signed_in(server)
        quiet_manager(as_user)
        ticket = as_user(ANA).post("/tickets", json={"subject": "Lote", "body": "x"}).json()
        replies = f"/tickets/{ticket['id']}/replies"
        as_user(AGENT).post(replies, json={"body": "first answer"})
        inbox.wait_for(1)
        as_user(AGENT).post(replies, json={"body": "second answer"})
        as_user(AGENT).patch(f"/tickets/{ticket['id']}", json={"status": "resolved"})
        inbox.wait_for(2)
        time.sleep(1)
    finally:
        server.stop()
    (first_at, second_at), (first, second) = inbox.arrivals, inbox.messages
    assert "first answer" in text(first) and "second answer" not in text(first)
    assert "second answer" in text(second) and "to Resolved" in text(second) and "first answer" not in text(second)
    assert second_at - first_at >= 2.0  # the window (3 s) after the first, less the clock's 1 s resolution


def test_a_failing_relay_is_retried_until_the_mail_goes_once(store: Store, inbox: Inbox) -> None:
    inbox.refuse = 2
    server = mail_server(store, inbox)
    try:
        as_user = signed_in(server)
        quiet_manager(as_user)
        ticket = as_user(ANA).post("/tickets", json={"subject": "Reintento", "body": "x"}).json()
        as_user(AGENT).post(f"/tickets/{ticket['id']}/replies", json={"body": "hola"})
        inbox.wait_for(1)
        time.sleep(1.5)
    finally:
        server.stop()
    assert inbox.refused == 2 and len(inbox.to(ANA)) == 1 and len(inbox.messages) == 1
    assert "failed (attempt 1" in server.log_text() and "failed (attempt 2" in server.log_text()


def test_each_mail_goes_exactly_once_with_two_workers_and_a_restart(store: Store, inbox: Inbox,
                                                                   tmp_path: Path) -> None:
    inbox.pause = 0.05  # a slow relay: both workers' rounds overlap the deliveries
    server = mail_server(store, inbox, "--workers", "2")
    as_user = signed_in(server)
    quiet_manager(as_user)
    ids = []
    for number in range(16):
        ticket = as_user(ANA).post("/tickets", json={"subject": f"Carga {number}", "body": "x"}).json()
        as_user(AGENT).post(f"/tickets/{ticket['id']}/replies", json={"body": f"answer {number}"})
        ids.append(ticket["id"])
    inbox.wait_for(4)
    server.stop()  # in the middle of the deliveries
    sent_before = len(inbox.messages)
    restarted = mail_server(store, inbox, "--workers", "2", log=tmp_path / "restart.log")
    try:
        inbox.wait_for(16, timeout=30)
        time.sleep(1.5)
    finally:
        restarted.stop()
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == sorted(f"[#{i}] Carga {n}" for n, i in enumerate(ids)), f"{sent_before} before the restart"
    assert len({m["Message-ID"] for m in inbox.messages}) == 16
    assert 0 < sent_before < 16 or sent_before == 16  # the restart came while mail was going out (or just after)


# --- tickets watch against a server that goes away
def watch(home: Path, url: str, token: str) -> subprocess.Popen[str]:
    env = {**server_env(home), "PORTALCTL_RETRIES": "1", "PORTALCTL_BACKOFF": "0.2", "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[2] / "cli"), os.environ.get("PYTHONPATH")) if p)}
    login = subprocess.run([sys.executable, "-m", "portalctl", "auth", "login", "--name", "s", "--url", url,
                            "--with-token"], input=token + "\n", capture_output=True, text=True, env=env,
                           timeout=60)
    assert login.returncode == 0, login.stderr
    return subprocess.Popen([sys.executable, "-m", "portalctl", "tickets", "watch", "-o", "jsonl", "--after", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def read_events(process: subprocess.Popen[str], count: int, seconds: float = 30) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while len(found) < count and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found.append(json.loads(line))
    return found


def test_watch_resumes_after_the_server_is_killed_without_gaps_or_repeats(store: Store, tmp_path: Path) -> None:
    portal = store.open()
    seed_people(portal)
    portal.close()
    port = free_port()
    server = start_server(store, port=port)
    as_user = signed_in(server)
    process = watch(tmp_path / "client", server.url, as_user(ANA).http.headers["Authorization"].split()[1])
    try:
        ticket = as_user(ANA).post("/tickets", json={"subject": "Vigilado", "body": "x"}).json()
        as_user(AGENT).post(f"/tickets/{ticket['id']}/replies", json={"body": "uno"})
        before = read_events(process, 3)
        server.process.kill()  # SIGKILL, in the middle of the watch's long poll
        server.process.wait(timeout=10)
        down = store.open()  # changes while the server is down, straight into the portal
        try:
            agent = down.session(AGENT).tickets
            agent.reply(ticket["id"], body="INTERNAL-NOTE", internal=True)
            agent.reply(ticket["id"], body="dos")
        finally:
            down.close()
        time.sleep(1)
        restarted = start_server(store, port=port, log=tmp_path / "restart.log")
        try:
            as_user(ANA).post(f"/tickets/{ticket['id']}/replies", json={"body": "tres"})
            after = read_events(process, 3)
            every = Api(restarted, as_user(ANA).http.headers["Authorization"].split()[1]).get(
                "/events", params={"after": 0}).json()["items"]
        finally:
            restarted.stop()
    finally:
        process.kill()
        _, stderr = process.communicate(timeout=10)
    seen = before + after
    assert [e["id"] for e in seen] == [e["id"] for e in every]  # every change Ana may see, once, in order
    assert [(e["kind"], e["text"]) for e in seen] == [
        ("created", None), ("reply", "uno"), ("status", None), ("reply", "dos"), ("reply", "tres"),
        ("status", None)]
    assert "INTERNAL-NOTE" not in json.dumps(seen)
    assert "trying again from cursor" in stderr and "answers again" in stderr


def test_a_long_poll_answers_as_soon_as_there_is_news(as_user: Callable[[str], Api], seed: Seed) -> None:
    start = as_user(ANA).get("/events").json()["cursor"]
    began = time.monotonic()
    quiet = as_user(ANA).get("/events", params={"after": start, "wait": 1})
    assert quiet.status_code == 200 and quiet.json()["items"] == [] and time.monotonic() - began >= 0.9
    answer: dict[str, Any] = {}

    def poll() -> None:
        began = time.monotonic()
        answer["response"] = as_user(ANA).get("/events", params={"after": start, "wait": 15})
        answer["took"] = time.monotonic() - began

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(1)
    as_user(AGENT).post(f"/tickets/{seed.acme_ticket}/replies", json={"body": "long poll news"})
    waiting.join(timeout=20)
    assert answer["took"] < 10  # answered on the news, not at the end of the wait
    assert "long poll news" in [e["text"] for e in answer["response"].json()["items"]]
