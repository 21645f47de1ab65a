"""Limits the CLI applies before it sends or reads anything: an over-limit attachment fails at once (exit 2) on the
embedded portal and against a server, and `tickets wait` never polls faster than once a second.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from portalctl.backends.server_api import Api
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft, Upload
from portalctl.engine.attachments import BlobStore
from portalctl.errors import InvalidInput
from portalctl.exitcodes import ExitCode
from portalctl.secrets import SecretStore
from tests.conftest import ANA
from tests.contract.conftest import ClientFor
from tests.contract.serving import Deployment
from tests.contract.test_server_faults import FAST, TICKET, USER, Stub, server_client

Cli = Callable[..., Result]
PDF_HEAD = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"


def sparse_pdf(path: Path, size: int) -> Path:
    """A PDF-looking file of `size` bytes that takes no room on disk."""
    with path.open("wb") as out:
        out.write(PDF_HEAD)
        out.truncate(size)
    return path


def act_as_ana(deployment: Deployment) -> dict[str, str]:
    """The environment (and, for a server, the saved profile and token) for the CLI to act as Ana."""
    if deployment.kind == "server":
        UserConfig().put(Profile(name="ana", backend="server", url=deployment.url))
        SecretStore().set("ana", deployment.tokens[ANA])
        return {}
    return {"PORTALCTL_DB": str(deployment.store.location), "PORTALCTL_USER": ANA}


@pytest.mark.parametrize("size", [1_100_000, 95_000_001], ids=["over-1MB", "95MB"])
def test_an_over_limit_attachment_fails_before_it_is_sent(deployment: Deployment, client: ClientFor, cli: Cli,
                                                          tmp_path: Path, word: str, size: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The deployments' portals allow 1 MB: the file's size is checked first, nothing is uploaded or copied."""
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="first"))
    big = sparse_pdf(tmp_path / "big.pdf", size)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was sent or copied")

    monkeypatch.setattr(Api, "upload", never)
    monkeypatch.setattr(BlobStore, "add", never)
    env = act_as_ana(deployment)
    for args in (("create", "--subject", word, "--body", "x"), ("reply", str(ticket.id), "--body", "x")):
        result = cli("tickets", *args, "--attach", str(big), env=env)
        assert result.exit_code == ExitCode.USAGE, result.stderr
        assert "big.pdf is larger than" in result.stderr and "attachment limit" in result.stderr
    shown = client(ANA).tickets.get(ticket.id)
    assert len(shown.comments or []) == 1 and not shown.attachments


def test_a_server_that_does_not_say_its_limit_gets_the_documented_95_mb(stub: Callable[..., Stub], home: Path,
                                                                        tmp_path: Path) -> None:
    server = stub([(200, {}, {"status": "ok", "version": "0.9"})])  # an older server: no max_attachment_bytes
    big = sparse_pdf(tmp_path / "big.pdf", 95_000_001)
    with pytest.raises(InvalidInput, match="95,000,000-byte"):
        server_client(server.url, "tok").tickets.create(TicketDraft(subject="s", body="b",
                                                                    attachments=[Upload("big.pdf", big)]))
    assert [(method, path) for _, method, path, _ in server.seen] == [("GET", "/api/v1/health")]


def waiting_stub(stub: Callable[..., Stub], headers: dict[str, str]) -> Stub:
    """A server whose ticket stays open: the first look, who am I, then every poll; each answer with `headers`."""
    return stub([(200, headers, {**TICKET, "status": "open", "comments": []}), (200, headers, USER),
                 (200, headers, {**TICKET, "status": "open", "comments": []})])


def polls(server: Stub) -> list[float]:
    return [at for at, method, path, _ in server.seen if method == "GET" and path == "/api/v1/tickets/1"]


@pytest.mark.parametrize("asked", [None, 2], ids=["interval", "retry-after"])
def test_wait_polls_a_server_at_most_once_a_second(stub: Callable[..., Stub], cli: Cli, asked: int | None) -> None:
    server = waiting_stub(stub, {"Retry-After": str(asked)} if asked else {})
    UserConfig().put(Profile(name="waiting", backend="server", url=server.url, options=FAST))
    SecretStore().set("waiting", "tok")
    started = time.monotonic()
    result = cli("tickets", "wait", "1", "--until", "resolved", "--interval", "1s", "--timeout", "4s")
    elapsed = time.monotonic() - started
    assert result.exit_code == ExitCode.TIMED_OUT, result.stderr
    looks = polls(server)
    gaps = [later - earlier for earlier, later in itertools.pairwise(looks)]
    print(f"tickets wait --interval 1s for {elapsed:.1f} s: {len(looks)} GETs, {len(looks) / elapsed:.2f}/s")
    assert len(looks) <= elapsed + 1  # at most one a second, and the first
    assert all(gap >= (asked or 1) * 0.95 for gap in gaps[:-1]), gaps  # the last may be cut by the timeout
    if asked:
        assert len(looks) <= 3


def test_wait_on_the_embedded_portal_does_not_busy_poll(embedded_deployment: Deployment, cli: Cli,
                                                         word: str) -> None:
    deployment = embedded_deployment
    ana = Client(Profile(name="ana", backend="embedded", db=str(deployment.store.location), user=ANA))
    ticket = ana.tickets.create(TicketDraft(subject=word, body="x"))
    cpu = os.times()
    started = time.monotonic()
    result = cli("tickets", "wait", str(ticket.id), "--until", "resolved", "--interval", "1s", "--timeout", "3s",
                 env=act_as_ana(deployment))
    used = (os.times().user - cpu.user) + (os.times().system - cpu.system)
    assert result.exit_code == ExitCode.TIMED_OUT
    print(f"tickets wait on the embedded portal: {used:.2f} s of CPU in {time.monotonic() - started:.1f} s")
    assert used < 1.0


def test_a_cut_listing_says_the_exact_total_on_a_terminal(deployment: Deployment, client: ClientFor, cli: Cli,
                                                          word: str) -> None:
    """"Showing 1 of 3": the embedded portal counts in SQL, a server answers GET /tickets/count, both counting only
    what the customer may see."""
    from portalctl.iostreams import IOStreams

    for number in range(3):
        client(ANA).tickets.create(TicketDraft(subject=f"{word} {number}", body="x"))
    env = act_as_ana(deployment)
    io = IOStreams.fake(tty=True)
    result = cli("tickets", "list", "--search", word, "--limit", "1", env=env, io=io)
    assert result.exit_code == 0, io.err.getvalue()
    assert io.err.getvalue() == "Showing 1 of 3 tickets — use --all or --limit N\n"
    assert len(io.out.getvalue().splitlines()) == 2
