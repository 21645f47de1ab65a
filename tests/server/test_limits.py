"""Size limits are checked before the body: a raw socket sends only the headers of an over-limit request and the 413
must come back, with or without an Idempotency-Key, whatever the route.

The measure printed: body bytes the client had to send before the 413 arrived (0: the server answered from the
headers alone). The shared server's attachment limit is 1 MB; the declared sizes are 95,000,001 bytes and 1 GB.
"""

from __future__ import annotations

import select
import socket
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from tests.server.conftest import ANA, Api, Server

CHUNK = 1 << 16
WAIT_FOR_ANSWER = 3.0  # seconds the server has to answer from the headers alone
SEND_AT_MOST = 8 << 20  # past the 1 MB limit of the shared server and the 16 MiB JSON limit's reading, enough


def bytes_sent_before_answer(server: Server, path: str, length: int, headers: dict[str, str]) -> tuple[int, str]:
    """Send the request's headers, then its body 64 KiB at a time only while no answer has come: the body bytes
    sent before the answer (an upper bound on those the server read) and the status line."""
    address = urlsplit(server.url)
    lines = [f"POST /api/v1{path} HTTP/1.1", f"Host: {address.netloc}", f"Content-Length: {length}",
             *(f"{name}: {value}" for name, value in headers.items()), "", ""]
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall("\r\n".join(lines).encode())
        sent = 0
        readable, _, _ = select.select([sock], [], [], WAIT_FOR_ANSWER)
        while not readable and sent < min(length, SEND_AT_MOST):
            try:
                sock.sendall(b"\0" * CHUNK)
            except OSError:  # the server closed the connection: its answer is waiting
                break
            sent += CHUNK
            readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            readable, _, _ = select.select([sock], [], [], 10)
        answer = sock.recv(65536).decode("latin-1") if readable else ""
    return sent, answer.split("\r\n", 1)[0]


@pytest.mark.parametrize("length", [95_000_001, 1_000_000_000], ids=["95MB", "1GB"])
@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "key"])
@pytest.mark.parametrize("path", ["/uploads?filename=big.pdf", "/tickets"], ids=["upload", "json"])
def test_over_limit_bodies_are_refused_from_their_headers(server: Server, tokens: dict[str, str], path: str,
                                                          keyed: bool, length: int) -> None:
    headers = {"Authorization": f"Bearer {tokens[ANA]}",
               "Content-Type": "application/octet-stream" if path.startswith("/uploads") else "application/json"}
    if keyed:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    sent, status = bytes_sent_before_answer(server, path, length, headers)
    print(f"{server.store.kind} {path} declared {length:,} key={keyed}: {sent:,} body bytes before '{status}'")
    assert status.startswith("HTTP/1.1 413"), status
    assert sent == 0


def test_the_server_tells_its_attachment_limit(anonymous: Api) -> None:
    health = anonymous.get("/health").json()
    assert health["max_attachment_bytes"] == 1_000_000  # the shared server's portal is set to 1 MB


def test_an_over_limit_upload_still_gets_413_through_requests(as_user: Callable[[str], Api]) -> None:
    """The ordinary client path: the body is offered, the answer is 413 and the connection is not left hanging."""
    answer = as_user(ANA).post("/uploads", params={"filename": "big.pdf"}, data=b"%PDF" + b"\0" * 1_100_000,
                               headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 413
