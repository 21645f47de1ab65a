"""The lanes (server/lane.py) answer as the FastAPI routes do: GET /tickets and GET /tickets/{id} byte for byte,
keyed creates and replies alike, for every kind of user; and a token the server remembers stops working the moment
it is revoked elsewhere.

A request a lane does not take (an unknown parameter, `via=route`; a content type with a charset) goes FastAPI's
way, so each request below is sent both ways to the one real server and the answers compared.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from portalctl.server.lane import listing, showing, writing
from tests.server.conftest import (
    ADMIN,
    AGENT,
    ANA,
    CARLA,
    DIEGO,
    PASSWORD,
    Api,
    Seed,
    Server,
    assert_problem,
    set_password,
)
from tests.server.test_auth import login

FORCED = ("via", "route")  # a parameter the lane does not know; FastAPI ignores it


def both_ways(api: Api, path: str, params: list[tuple[str, str]] | None = None) -> tuple[int, str, str, str]:
    """(status, content type, WWW-Authenticate, body): the same through the lane and through FastAPI's route."""
    answers = []
    for extra in ([], [FORCED]):
        response = api.get(path, params=[*(params or []), *extra])
        answers.append((response.status_code, response.headers["Content-Type"],
                        response.headers.get("WWW-Authenticate", ""), response.text))
    assert answers[0] == answers[1]
    return answers[0]


@pytest.mark.parametrize("email", [ADMIN, AGENT, ANA, CARLA, DIEGO])
def test_showing_a_ticket_answers_as_the_route_does(email: str, as_user: Callable[[str], Api], seed: Seed) -> None:
    api = as_user(email)
    for ticket_id in (seed.acme_ticket, seed.globex_ticket, 999_999):
        status, kind, _, body = both_ways(api, f"/tickets/{ticket_id}")
        assert kind.startswith("application/json" if status == 200 else "application/problem+json")
        if email == ANA and ticket_id == seed.acme_ticket:
            assert status == 200 and "INTERNAL-ACME-NOTE" not in body and "We are on it" in body
        if (email == ANA and ticket_id == seed.globex_ticket) or ticket_id == 999_999:
            assert status == 404 and "GLOBEX" not in body
        if email == AGENT and ticket_id == seed.acme_ticket:
            assert "INTERNAL-ACME-NOTE" in body


@pytest.mark.parametrize("params", [
    [],
    [("limit", "1")],
    [("limit", "500"), ("status", "all")],
    [("status", "new"), ("status", "open"), ("sort", "-updated"), ("limit", "30")],
    [("status", "Resuelto")],
    [("status", "nonsense")],
    [("search", "pedimento"), ("mine", "true"), ("overdue", "false")],
    [("priority", "medium"), ("tag", "none"), ("organization", "globex")],
    [("created_since", "2000-01-01"), ("sort", "id")],
    [("created_since", "yesterday")],
    [("sort", "sideways")],
    [("cursor", "not-a-cursor")],
])
@pytest.mark.parametrize("email", [AGENT, ANA, CARLA])
def test_listing_answers_as_the_route_does(email: str, params: list[tuple[str, str]],
                                           as_user: Callable[[str], Api]) -> None:
    status, _, _, body = both_ways(as_user(email), "/tickets", params)
    if email == ANA:
        assert "GLOBEX" not in body
    if params == [("status", "nonsense")]:
        assert status == 422


def test_paging_with_cursors_through_the_lane_matches_the_route(as_user: Callable[[str], Api]) -> None:
    api = as_user(AGENT)
    cursor: str | None = None
    pages = 0
    while True:
        params = [("limit", "1"), ("status", "all"), *([("cursor", cursor)] if cursor else [])]
        status, _, _, _ = both_ways(api, "/tickets", params)
        assert status == 200
        cursor = api.get("/tickets", params=params).json()["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert pages >= 2


def test_missing_and_bad_tokens_answer_as_the_route_does(server: Server, seed: Seed) -> None:
    for api in (Api(server), Api(server, "pct_not-a-token")):
        for path in (f"/tickets/{seed.acme_ticket}", "/tickets"):
            status, kind, challenge, _ = both_ways(api, path)
            assert (status, challenge) == (401, "Bearer") and kind.startswith("application/problem+json")


def signed_in(server: Server, email: str, role: str, client: str) -> Api:
    """A new user of Acme's (an agent or a customer) and a client with their token."""
    portal = server.store.open()
    try:
        portal.session(ADMIN).accounts.add_user(email=email, name="Nueva", role=role,
                                                organization="acme" if role == "customer" else None)
        set_password(portal, email, PASSWORD)
    finally:
        portal.close()
    return Api(server, login(server, email, PASSWORD, client).json()["token"])


def test_a_remembered_token_revoked_behind_the_servers_back_is_refused_at_once(server: Server, seed: Seed) -> None:
    user = "revoked@acme.test"
    api = signed_in(server, user, "customer", "192.0.2.70")
    for _ in range(3):  # looked up, then remembered
        assert api.get("/tickets").status_code == 200
    server.sql("UPDATE api_tokens SET revoked_at = '2000-01-01T00:00:00Z' WHERE user_id ="
               " (SELECT id FROM users WHERE email = ?)", (user,))
    for path in (f"/tickets/{seed.acme_ticket}", "/tickets", "/me"):
        assert "revoked" in assert_problem(api.get(path), 401, "unauthenticated")["detail"]


def test_a_role_changed_behind_the_servers_back_counts_from_the_next_request(server: Server, seed: Seed) -> None:
    user = "turncoat@support.test"
    api = signed_in(server, user, "agent", "192.0.2.71")
    for _ in range(3):
        assert api.get(f"/tickets/{seed.globex_ticket}").status_code == 200  # staff see every ticket
    server.sql("UPDATE users SET role = 'customer', org_id = (SELECT id FROM organizations WHERE slug = 'acme')"
               " WHERE email = ?", (user,))
    assert_problem(api.get(f"/tickets/{seed.globex_ticket}"), 404, "not_found")  # now one of Acme's customers
    assert "GLOBEX" not in api.get("/tickets", params={"status": "all"}).text


def test_the_lane_takes_only_what_it_reads_plainly() -> None:
    assert showing("42") is not None
    for segment in ("0", "042", "+42", "42 ", "9223372036854775808", "42/attachments", "x"):
        assert showing(segment) is None
    for query in (b"", b"limit=50", b"status=new&status=open&sort=-updated&limit=30", b"mine=true&search=vpn"):
        assert listing(query) is not None
    for query in (b"limit=0", b"limit=501", b"limit=05", b"limit=5&limit=6", b"overdue=1", b"search=",
                  b"sort=id&sort=id", b"via=route", b"cursor=" + b"x" * 2001):
        assert listing(query) is None


ROUTE_WAY = "application/json; charset=utf-8"  # a content type the write lane leaves to FastAPI's route


def comparable(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket's answer without what differs between two tickets made one after the other."""
    moments = ("created_at", "updated_at", "due_at")
    return {key: value for key, value in ticket.items() if key not in ("id", *moments)} | {
        "comments": [{k: v for k, v in c.items() if k not in ("id", "created_at")} for c in ticket["comments"]]}


@pytest.mark.parametrize("email", [AGENT, ANA])
def test_keyed_creates_and_replies_answer_as_the_routes_do(email: str, as_user: Callable[[str], Api]) -> None:
    api = as_user(email)
    draft = {"subject": f"Lane or route {email}", "body": "la VPN no conecta", "priority": "high",
             "tags": ["vpn"], "ccs": ["watcher@acme.test"]}
    answers = []
    for content_type in ("application/json", ROUTE_WAY):
        created = api.post("/tickets", data=json.dumps(draft), headers={
            "Content-Type": content_type, "Idempotency-Key": str(uuid.uuid4())})
        assert created.status_code == 201, created.text
        key = str(uuid.uuid4())
        replied = api.post(f"/tickets/{created.json()['id']}/replies", data=json.dumps({"body": "Sigue igual."}),
                           headers={"Content-Type": content_type, "Idempotency-Key": key})
        again = api.post(f"/tickets/{created.json()['id']}/replies", data=json.dumps({"body": "Sigue igual."}),
                         headers={"Content-Type": content_type, "Idempotency-Key": key})
        assert again.headers["Idempotent-Replayed"] == "true" and again.content == replied.content
        shown = api.get(f"/tickets/{created.json()['id']}").json()
        assert [c["body"] for c in shown["comments"]] == ["la VPN no conecta", "Sigue igual."]  # one reply
        answers.append((comparable(created.json()), replied.status_code, comparable(replied.json())))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("body", [
    {"subject": "Sin cuerpo"},  # the model refuses it
    {"subject": "x", "body": "y", "priority": "urgentísima"},  # the engine refuses it
    {"subject": "x", "body": "y", "unknown": 1},
])
def test_refused_keyed_creates_answer_as_the_route_does(body: dict[str, Any], as_user: Callable[[str], Api]) -> None:
    api = as_user(ANA)
    answers = []
    for content_type in ("application/json", ROUTE_WAY):
        refused = api.post("/tickets", data=json.dumps(body), headers={
            "Content-Type": content_type, "Idempotency-Key": str(uuid.uuid4())})
        answers.append((refused.status_code, refused.headers["Content-Type"], refused.json()))
    assert answers[0] == answers[1] and answers[0][0] == 422


def test_the_write_lane_takes_only_bodies_the_route_would_accept() -> None:
    def scope(path: str, content_type: str = "application/json", query: bytes = b"") -> dict[str, Any]:
        return {"path": path, "query_string": query, "headers": [(b"content-type", content_type.encode())]}

    good = json.dumps({"subject": "s", "body": "b"}).encode()
    assert writing(scope("/api/v1/tickets"), good, "/api/v1") is not None
    assert writing(scope("/api/v1/tickets/7/replies"), b'{"body": "b"}', "/api/v1") is not None
    for refused in (scope("/api/v1/tickets", ROUTE_WAY), scope("/api/v1/tickets", query=b"x=1"),
                    scope("/api/v1/tickets/07/replies"), scope("/api/v1/tickets/7/close")):
        assert writing(refused, good if refused["path"].endswith("tickets") else b'{"body": "b"}', "/api/v1") is None
    for body in (b"", b"{", b'{"subject": "s"}', b"\xff", b'{"subject": "s", "body": "b", "extra": 1}'):
        assert writing(scope("/api/v1/tickets"), body, "/api/v1") is None
