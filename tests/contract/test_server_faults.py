"""The server backend when the network or the server misbehaves, and signing in to a server from the CLI.

- a TCP proxy drops the connection right after the server answered (and committed) a create: the client retries
  with the same Idempotency-Key and there is exactly one ticket;
- a stub server (ThreadingHTTPServer) answers 429 with and without Retry-After, or 503 for good: retried with
  backoff, then success, or exit code 6 with a clear message;
- `auth login --url` stores the token 0600 and never prints it; `auth token create` works end to end.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft, TicketQuery
from portalctl.demo_data import sample_pdf
from portalctl.errors import PermissionDenied, StateConflict, Unavailable
from portalctl.exitcodes import ExitCode
from portalctl.iostreams import IOStreams
from portalctl.model import STATES
from portalctl.secrets import SecretStore
from tests.conftest import ADMIN, AGENT, ANA, CARLA
from tests.contract.serving import Deployment, password

Cli = Callable[..., Result]
USER = {"id": 7, "email": ANA, "name": "Ana Acme", "role": "customer", "organization": "acme", "active": True,
        "title": None, "phone": None, "language": None, "timezone": None, "created_at": "2025-01-01T00:00:00Z"}
FAST = {"retries": 3, "backoff": 0.05}  # profile options: quick retries, so the tests do not wait seconds


def server_client(url: str, token: str, name: str = "faults", **options: Any) -> Client:
    SecretStore().set(name, token)
    return Client(Profile(name=name, backend="server", url=url, options=options))


# --- a connection that drops after the server committed
class DroppingProxy:
    """Forwards loopback connections to the server, and kills the one carrying the first POST /api/v1/tickets as
    soon as the server's answer to it arrives: the ticket is committed, the client never hears about it."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.dropped = threading.Event()
        self.creates = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(downstream,), daemon=True).start()

    def _serve(self, downstream: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        armed = threading.Event()
        threading.Thread(target=self._requests, args=(downstream, upstream, armed), daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if armed.is_set() and not self.dropped.is_set():
                    self.dropped.set()
                    break
                downstream.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (downstream, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes the other direction's recv; the client sees the drop
                sock.close()

    def _requests(self, downstream: socket.socket, upstream: socket.socket, armed: threading.Event) -> None:
        try:
            while data := downstream.recv(65536):
                if b"POST /api/v1/tickets " in data:
                    self.creates += 1
                    if not self.dropped.is_set():
                        armed.set()  # before forwarding: the answer cannot overtake the flag
                upstream.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(server_deployment: Deployment) -> Iterator[DroppingProxy]:
    assert server_deployment.url
    dropping = DroppingProxy(int(server_deployment.url.rsplit(":", 1)[1]))
    yield dropping
    dropping.close()


def test_a_create_retried_after_a_dropped_answer_makes_one_ticket(
    proxy: DroppingProxy, server_deployment: Deployment, home: Path, word: str
) -> None:
    client = server_client(proxy.url, server_deployment.tokens[ANA], **FAST)
    created = client.tickets.create(TicketDraft(subject=f"{word} build failed", body="job 311"))
    assert proxy.dropped.is_set() and proxy.creates == 2  # the answer was lost, and the POST was sent again
    agent = server_client(server_deployment.url or "", server_deployment.tokens[AGENT], name="agent")
    found = list(agent.tickets.list(TicketQuery(search=word, statuses=list(STATES))))
    assert [t.id for t in found] == [created.id]
    assert created.created is True and len(agent.tickets.get(created.id).comments or []) == 1


# --- a stub that answers what the test scripts
class Stub:
    """A ThreadingHTTPServer that plays `script` (status, headers, body) in order, repeating the last entry, and
    records when each request came and what Idempotency-Key it carried. A bytes body is sent as it is."""

    def __init__(self, script: list[tuple[int, dict[str, str], Any]], tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.seen: list[tuple[float, str, str, str | None]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.seen.append((time.monotonic(), self.command, self.path, self.headers.get("Idempotency-Key")))
                status, headers, body = stub.script[min(len(stub.seen), len(stub.script)) - 1]
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                kind = "application/problem+json" if status >= 400 else "application/json"
                self.send_header("Content-Type", kind)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def gaps(self) -> list[float]:
        times = [t for t, *_ in self.seen]
        return [later - earlier for earlier, later in itertools.pairwise(times)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def busy(status: int, code: str) -> dict[str, Any]:
    return {"type": f"https://portalctl.dev/problems/{code}", "title": "Busy", "status": status,
            "detail": "the portal is busy", "code": code, "hint": None}


TICKET = {"id": 1, "subject": "s", "status": "new", "status_label": "New", "priority": "medium", "type": None,
          "department": None, "requester": ANA, "requester_name": "Ana", "organization": "acme", "assignee": None,
          "ccs": [], "tags": [], "fields": {}, "created_at": "t", "updated_at": "t", "due_at": None,
          "overdue": False, "resolved_at": None, "closed_at": None, "follow_up_of": None, "comments": None,
          "attachments": None, "dedupe_key": None, "created": None}


def ndjson(count: int) -> bytes:
    return b"".join(json.dumps({**TICKET, "id": n, "subject": "línea ñ"}).encode() + b"\n"
                    for n in range(1, count + 1))


def test_an_export_stream_is_read_across_chunks_blank_lines_and_a_missing_last_newline(
    stub: Callable[..., Stub], home: Path
) -> None:
    body = ndjson(3000) + b"\n  \n" + json.dumps({**TICKET, "id": 3001, "future_field": 1}).encode()
    server = stub([(200, {}, body)])
    listed = list(server_client(server.url, "tok").tickets.list(TicketQuery(limit=None)))
    assert [t.id for t in listed] == list(range(1, 3002))
    assert listed[0].subject == "línea ñ" and listed[-1].id == 3001  # unknown fields of a newer server are dropped
    assert server.seen[0][2].startswith("/api/v1/export/tickets?")


def test_an_export_cut_off_midway_says_so(stub: Callable[..., Stub], home: Path) -> None:
    partial = ndjson(1000)  # several read chunks: the first ones arrive whole
    server = stub([(200, {"Content-Length": str(len(partial) * 2)}, partial)])
    tickets = server_client(server.url, "tok").tickets.list(TicketQuery(limit=None))
    read = []
    with pytest.raises(Unavailable, match=r"cut off after (\d+) tickets") as cut:
        read.extend(tickets)
    assert 0 < len(read) < 1000 and f"after {len(read)} tickets" in cut.value.message


def test_429_is_retried_honouring_retry_after_then_succeeds(stub: Callable[..., Stub], home: Path) -> None:
    server = stub([(429, {"Retry-After": "1"}, busy(429, "rate_limited")), (429, {}, busy(429, "rate_limited")),
                   (200, {}, USER)])
    me = server_client(server.url, "tok", **FAST).accounts.me()
    assert me.email == ANA and len(server.seen) == 3
    first, second = server.gaps()
    assert first >= 1.0  # what Retry-After asked
    assert second < 0.5  # without it: a short jittered backoff


def test_429_is_retried_even_for_a_patch_but_503_is_not(stub: Callable[..., Stub], home: Path) -> None:
    server = stub([(429, {}, busy(429, "rate_limited")), (200, {}, USER)])
    assert server_client(server.url, "tok", **FAST).accounts.update_me(language="es").email == ANA
    assert [method for _, method, *_ in server.seen] == ["PATCH", "PATCH"]
    refused = stub([(503, {}, busy(503, "unavailable")), (200, {}, USER)])
    with pytest.raises(Unavailable, match="busy"):  # the first PATCH may have done its work: not repeated
        server_client(refused.url, "tok", **FAST).accounts.update_me(language="es")
    assert len(refused.seen) == 1


def test_a_retried_post_sends_the_same_idempotency_key(stub: Callable[..., Stub], home: Path) -> None:
    created = {**TICKET, "comments": [], "attachments": [], "created": True}
    server = stub([(503, {}, busy(503, "unavailable")), (502, {}, busy(502, "unavailable")), (201, {}, created)])
    client = server_client(server.url, "tok", **FAST)
    assert client.tickets.create(TicketDraft(subject="s", body="b")).id == 1
    keys = {key for *_, key in server.seen}
    assert len(server.seen) == 3 and len(keys) == 1 and None not in keys
    client.tickets.create(TicketDraft(subject="s", body="b"))
    assert server.seen[-1][3] not in keys  # a new logical call gets a new key


def test_a_portal_that_stays_down_ends_in_exit_6(stub: Callable[..., Stub], cli: Cli) -> None:
    server = stub([(503, {}, busy(503, "unavailable"))])
    UserConfig().put(Profile(name="down", backend="server", url=server.url, options=FAST))
    SecretStore().set("down", "tok")
    result = cli("tickets", "list")
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "the portal is busy (HTTP 503, after retries)" in result.stderr
    assert "Hint: the portal is busy or down; try again later" in result.stderr
    assert len(server.seen) == 1 + FAST["retries"]


def test_a_server_older_than_the_count_says_more_than(stub: Callable[..., Stub], cli: Cli) -> None:
    """A server without GET /tickets/count reads `count` as a ticket id (422): the cut listing then says "more
    than", never a number it does not have."""
    invalid = {**busy(422, "invalid_input"), "title": "Invalid input", "detail": "ticket_id: not an integer"}
    server = stub([(200, {}, {"items": []}),  # the notices banner
                   (200, {}, {"items": [TICKET, {**TICKET, "id": 2}], "next_cursor": "more"}),
                   (422, {}, invalid)])
    UserConfig().put(Profile(name="old", backend="server", url=server.url, options=FAST))
    SecretStore().set("old", "tok")
    io = IOStreams.fake(tty=True)
    result = cli("tickets", "list", "--limit", "1", io=io)
    assert result.exit_code == 0, io.err.getvalue()
    assert io.err.getvalue() == "Showing 1 of more than 1 tickets — use --all or --limit N\n"
    assert server.seen[-1][2].split("?")[0] == "/api/v1/tickets/count"


def test_a_long_retry_after_fails_at_once_saying_when(stub: Callable[..., Stub], cli: Cli) -> None:
    server = stub([(429, {"Retry-After": "3600"}, busy(429, "rate_limited"))])
    UserConfig().put(Profile(name="slow", backend="server", url=server.url, options=FAST))
    SecretStore().set("slow", "tok")
    result = cli("me")
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert "wait 3600 s" in result.stderr and len(server.seen) == 1


def test_nobody_listening_ends_in_exit_6(cli: Cli) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    UserConfig().put(Profile(name="gone", backend="server", url=f"http://127.0.0.1:{port}", options=FAST))
    SecretStore().set("gone", "tok")
    result = cli("tickets", "list")
    assert result.exit_code == ExitCode.UNAVAILABLE
    assert f"cannot reach http://127.0.0.1:{port}: connection refused (4 attempts)" in result.stderr


def test_tls_certificates_are_always_verified(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Stub([(200, {}, USER)], tls=context)
    try:
        with pytest.raises(Unavailable, match="TLS certificate could not be verified") as refused:
            server_client(server.url, "tok", **FAST).accounts.me()
        assert refused.value.hint and "REQUESTS_CA_BUNDLE" in refused.value.hint
        assert server.seen == []  # refused at once, not retried, and no request (nor token) was sent
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trusting a private CA is the way in
        assert server_client(server.url, "tok", name="trusted", **FAST).accounts.me().email == ANA
    finally:
        server.close()


# --- signing in from the command line
def test_login_with_token_stores_it_0600_and_never_prints_it(server_deployment: Deployment, cli: Cli,
                                                             home: Path) -> None:
    token = server_deployment.tokens[CARLA]
    result = cli("auth", "login", "--name", "team", "--url", f"{server_deployment.url}/", "--with-token",
                 input=token + "\n")
    assert result.exit_code == 0, result.stderr
    assert "Carla Globex <carla@globex.test>" in result.stderr
    assert token not in result.stdout + result.stderr
    credentials = home / "config" / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600 and token in credentials.read_text()
    assert token not in (home / "config" / "config.json").read_text()
    assert UserConfig().get("team").user == CARLA and UserConfig().current == "team"
    status = cli("auth", "status", "-o", "json")
    assert json.loads(status.stdout)["backend"] == "server" and token not in status.stdout + status.stderr
    assert json.loads(cli("me", "-o", "json").stdout)["email"] == CARLA


def test_login_without_a_terminal_names_with_token(server_deployment: Deployment, cli: Cli) -> None:
    result = cli("auth", "login", "--url", server_deployment.url or "", "--user", ANA)
    assert result.exit_code == ExitCode.USAGE and "--with-token" in result.stderr
    assert UserConfig().profiles() == {}


def test_login_with_a_bad_token_saves_nothing(server_deployment: Deployment, cli: Cli, home: Path) -> None:
    result = cli("auth", "login", "--url", server_deployment.url or "", "--with-token", input="nope\n")
    assert result.exit_code == ExitCode.AUTH and "token" in result.stderr
    assert UserConfig().profiles() == {} and not (home / "config" / "credentials.json").exists()


def test_login_with_a_password_on_a_terminal(server_deployment: Deployment, cli: Cli,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IOStreams, "can_prompt", lambda self, no_input: True)
    wrong = cli("auth", "login", "--url", server_deployment.url or "", "--user", ANA, input="guess\n")
    assert wrong.exit_code == ExitCode.AUTH and "wrong e-mail or password" in wrong.stderr
    result = cli("auth", "login", "--url", server_deployment.url or "", "--user", ANA, input=password(ANA) + "\n")
    assert result.exit_code == 0, result.stderr
    assert password(ANA) not in result.stdout + result.stderr
    assert "expires" in result.stderr and SecretStore().get("default")
    assert json.loads(cli("me", "-o", "json").stdout)["email"] == ANA


def test_a_temporary_password_is_replaced_while_signing_in(server_deployment: Deployment, cli: Cli, home: Path,
                                                           monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    admin = server_client(server_deployment.url or "", server_deployment.tokens[ADMIN], name="admin")
    email = f"{word}@globex.test"
    admin.accounts.add_user(email=email, name="New Globex", organization="globex")
    temporary = admin.accounts.reset_password(email)
    monkeypatch.setattr(IOStreams, "can_prompt", lambda self, no_input: True)
    chosen = "a-new-long-password-2025"
    result = cli("auth", "login", "--name", "new", "--url", server_deployment.url or "", "--user", email,
                 input=f"{temporary}\n{chosen}\n{chosen}\n")
    assert result.exit_code == 0, result.stderr
    assert "Your password is temporary" in result.stderr and chosen not in result.stdout + result.stderr
    assert [t["name"] for t in json.loads(cli("auth", "token", "list", "-o", "json").stdout)] == [
        f"portalctl on {socket.gethostname()}"]  # the token of the first, temporary sign-in is revoked
    again = cli("auth", "login", "--name", "new", "--url", server_deployment.url or "", "--user", email,
                input=f"{chosen}\n")
    assert again.exit_code == 0, again.stderr
    assert "New password" not in again.stderr


def test_a_failed_first_sign_in_leaves_no_token_and_logging_out_leaves_no_one(
        server_deployment: Deployment, cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    """Bug seen: a new password that was too short left the temporary sign-in's 90-day token on the server, and
    after logging out of every profile `auth status` still showed someone."""
    admin = server_client(server_deployment.url or "", server_deployment.tokens[ADMIN], name="admin")
    email = f"{word}@globex.test"
    admin.accounts.add_user(email=email, name="New Globex", organization="globex")
    temporary = admin.accounts.reset_password(email)
    monkeypatch.setattr(IOStreams, "can_prompt", lambda self, no_input: True)
    short = cli("auth", "login", "--name", "new", "--url", server_deployment.url or "", "--user", email,
                input=f"{temporary}\nshort\nshort\n")
    assert short.exit_code == ExitCode.USAGE and "too short" in short.stderr
    assert UserConfig().profiles() == {} and not SecretStore().get("new")
    chosen = "a-new-long-password-2025"
    signed = cli("auth", "login", "--name", "new", "--url", server_deployment.url or "", "--user", email,
                 input=f"{temporary}\n{chosen}\n{chosen}\n")
    assert signed.exit_code == 0, signed.stderr
    listed = json.loads(cli("auth", "token", "list", "-o", "json").stdout)
    assert len(listed) == 1  # neither temporary sign-in left its token behind
    cli("auth", "login", "--name", "second", "--url", server_deployment.url or "", "--user", email,
        input=f"{chosen}\n")
    assert sorted(UserConfig().profiles()) == ["new", "second"]
    for name in ("new", "second"):
        assert cli("auth", "logout", name).exit_code == 0
    status = cli("auth", "status")
    assert status.exit_code == ExitCode.AUTH and "not signed in" in status.stderr and status.stdout == ""
    assert not SecretStore().get("new") and not SecretStore().get("second")


def test_a_throttled_sign_in_says_how_long_to_wait(stub: Callable[..., Stub], cli: Cli,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = busy(429, "rate_limited") | {"detail": "too many failed sign-ins; wait before trying again"}
    server = stub([(429, {"Retry-After": "40"}, throttled)])
    monkeypatch.setattr(IOStreams, "can_prompt", lambda self, no_input: True)
    result = cli("auth", "login", "--url", server.url, "--user", ANA, input="secret-password\n")
    assert result.exit_code == ExitCode.UNAVAILABLE and len(server.seen) == 1
    assert "too many failed sign-ins" in result.stderr and "wait 40 s" in result.stderr
    assert "secret-password" not in result.stdout + result.stderr


def test_token_create_list_revoke_end_to_end(server_deployment: Deployment, cli: Cli) -> None:
    url = server_deployment.url or ""
    assert cli("auth", "login", "--url", url, "--with-token", input=server_deployment.tokens[AGENT] + "\n"
               ).exit_code == 0
    created = cli("auth", "token", "create", "--name", "ci", "--expires", "90d")
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n" and token not in created.stderr and "only this once" in created.stderr
    listed = json.loads(cli("auth", "token", "list", "-o", "json").stdout)
    [mine] = [t for t in listed if t["name"] == "ci"]
    assert token not in json.dumps(listed) and set(mine) >= {"id", "created_at", "expires_at", "last_used_at"}
    as_ci = cli("me", "-o", "json", env={"PORTALCTL_TOKEN": token})  # the environment wins over the stored token
    assert json.loads(as_ci.stdout)["email"] == AGENT
    assert cli("auth", "token", "revoke", str(mine["id"])).exit_code == ExitCode.USAGE  # no --yes, no terminal
    assert cli("auth", "token", "revoke", str(mine["id"]), "--yes").exit_code == 0
    refused = cli("me", env={"PORTALCTL_TOKEN": token})
    assert refused.exit_code == ExitCode.AUTH and "revoked" in refused.stderr
    assert cli("auth", "token", "create", "--name", "x", "--expires", "soon").exit_code == ExitCode.USAGE


def test_the_cli_attaches_downloads_and_exports_through_the_server(server_deployment: Deployment, cli: Cli,
                                                                    tmp_path: Path, word: str) -> None:
    assert cli("auth", "login", "--url", server_deployment.url or "", "--with-token",
               input=server_deployment.tokens[ANA] + "\n").exit_code == 0
    form = tmp_path / "formulario.pdf"
    form.write_bytes(sample_pdf(102_400))
    created = cli("tickets", "create", "--subject", f"{word} formulario", "--body-file", "-", "--attach", str(form),
                  "-o", "json", input="Adjunto el formulario corregido.\n")
    assert created.exit_code == 0, created.stderr
    ticket = json.loads(created.stdout)
    [attached] = ticket["attachments"]
    saved = cli("tickets", "download", str(ticket["id"]), str(attached["id"]), "--dir", str(tmp_path / "out"))
    assert saved.exit_code == 0, saved.stderr
    assert Path(saved.stdout.strip()).read_bytes() == form.read_bytes()
    exported = cli("export", "tickets", "-o", str(tmp_path / "mine.jsonl"), "--search", word)
    assert exported.exit_code == 0, exported.stderr
    rows = [json.loads(line) for line in (tmp_path / "mine.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [ticket["id"]]


def test_tokens_are_a_server_thing(portal: object, cli: Cli) -> None:
    result = cli("auth", "token", "list")
    assert result.exit_code == ExitCode.ERROR and "has no API tokens" in result.stderr


def test_a_real_process_lists_tickets_with_the_token_from_the_environment(
    server_deployment: Deployment, home: Path, word: str
) -> None:
    url = server_deployment.url or ""
    server_client(url, server_deployment.tokens[CARLA], name="carla").tickets.create(TicketDraft(subject=word,
                                                                                                 body="b"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    env.update(PORTALCTL_HOME=str(home), PORTALCTL_KEYRING="0", PORTALCTL_TOKEN=server_deployment.tokens[CARLA])
    login = subprocess.run([sys.executable, "-m", "portalctl", "--no-input", "auth", "login", "--name", "ci",
                            "--url", url], capture_output=True, text=True, env=env, timeout=60)
    assert login.returncode == 0, login.stderr
    assert "token kept in PORTALCTL_TOKEN" in login.stderr
    listed = subprocess.run([sys.executable, "-m", "portalctl", "tickets", "list", "--search", word, "-o", "jsonl"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["subject"] for line in listed.stdout.splitlines()] == [word]


def test_the_debug_trace_never_holds_a_secret(server_deployment: Deployment, home: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    token = server_deployment.tokens[ANA]
    with caplog.at_level(logging.DEBUG, logger="portalctl.http"):
        client = server_client(server_deployment.url or "", token)
        client.accounts.me()
        with pytest.raises(PermissionDenied):
            server_client(server_deployment.url or "", token + "x", name="bad").accounts.me()
        with pytest.raises(StateConflict):
            client.tickets.reopen(client.tickets.create(TicketDraft(subject="trace", body="b")).id)
    assert f"GET {server_deployment.url}/api/v1/me -> 200" in caplog.text
    assert "/api/v1/me -> 401" in caplog.text
    assert token not in caplog.text and "Bearer" not in caplog.text and "Idempotency" not in caplog.text
