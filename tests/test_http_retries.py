"""Which requests the shared HTTP session repeats, against a real HTTP server on 127.0.0.1.

A PUT is idempotent in HTTP's terms only when its endpoint is (Zendesk's `PUT /requests/{id}` with a comment adds
a comment each time), so a PUT that lost its answer (a dropped connection, a 502 from a proxy) is not sent again
unless its caller declares it idempotent; the user is told the change may have been made.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from portalctl.config import Profile
from portalctl.errors import Unavailable
from portalctl.http import JsonApi

FAST = {"retries": 3, "backoff": 0.01}  # profile options: quick retries


class FirstFails:
    """Answers 200 with `{}` to every request but the first, which gets `first`: "drop" (the connection closes
    after the request was read, before any answer) or an HTTP status. Records each request's method."""

    def __init__(self, first: str | int) -> None:
        self.seen: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.seen.append(self.command)
                if len(recorder.seen) == 1 and first == "drop":
                    self.close_connection = True
                    return
                status = int(first) if len(recorder.seen) == 1 else 200
                body = json.dumps({}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_PATCH = do_DELETE = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Desk(JsonApi):
    platform = "Desk"
    busy_hint = "the desk is busy; try again later"


@pytest.fixture
def desk(home: Path) -> Iterator[Callable[[str | int], tuple[Desk, FirstFails]]]:
    started: list[FirstFails] = []

    def start(first: str | int) -> tuple[Desk, FirstFails]:
        started.append(FirstFails(first))
        profile = Profile(name="desk", backend="test", url=started[-1].url, options=dict(FAST))
        return Desk(profile, started[-1].url, token="secret"), started[-1]

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("first", ["drop", 502])
def test_a_put_that_lost_its_answer_is_not_sent_again(desk: Callable[..., tuple[Desk, FirstFails]],
                                                      first: str | int) -> None:
    api, server = desk(first)
    with pytest.raises(Unavailable) as failed:
        api.request("PUT", "requests/7", json={"request": {"comment": {"body": "a reply"}}})
    assert server.seen == ["PUT"]  # one comment at most, never two
    assert failed.value.hint and "may or may not have been made" in failed.value.hint


@pytest.mark.parametrize("first", ["drop", 502])
def test_a_put_declared_idempotent_is_retried(desk: Callable[..., tuple[Desk, FirstFails]],
                                              first: str | int) -> None:
    api, server = desk(first)
    response = api.request("PUT", "requests/7", json={"request": {"solved": True}}, idempotent=True)
    assert response.status_code == 200 and server.seen == ["PUT", "PUT"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_patch_and_delete_are_not_repeated_unless_declared(desk: Callable[..., tuple[Desk, FirstFails]],
                                                           method: str) -> None:
    api, server = desk(503)
    with pytest.raises(Unavailable):
        api.request(method, "tickets/7")
    assert server.seen == [method]
    api, server = desk(503)
    assert api.request(method, "tickets/7", idempotent=True).status_code == 200
    assert server.seen == [method, method]


def test_a_get_is_retried(desk: Callable[..., tuple[Desk, FirstFails]]) -> None:
    api, server = desk("drop")
    assert api.json("GET", "tickets/7") == {} and server.seen == ["GET", "GET"]
