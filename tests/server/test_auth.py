"""Personal access tokens, login throttling and password resets over HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import requests

from tests.server.conftest import (
    ADMIN,
    AGENT,
    ANA,
    PASSWORD,
    TIMEOUT,
    Api,
    Server,
    Store,
    assert_problem,
    set_password,
    start_server,
)


def login(server: Server, email: str, password: str, client: str = "192.0.2.1", **extra: object) -> requests.Response:
    """Each test signs in from its own (forwarded) address, so throttling in one test cannot reach another."""
    return requests.post(server.api + "/auth/login", json={"email": email, "password": password, **extra},
                         headers={"X-Forwarded-For": client}, timeout=TIMEOUT)


def make_user(server: Server, email: str, password: str) -> None:
    """A customer of Acme with a password, made through the engine on the server's own file."""
    portal = server.store.open()
    try:
        portal.session(ADMIN).accounts.add_user(email=email, name=email.split("@")[0], organization="acme")
        set_password(portal, email, password)
    finally:
        portal.close()


def test_login_issues_a_named_expiring_token_stored_only_as_a_hash(server: Server) -> None:
    response = login(server, AGENT, PASSWORD, token_name="laptop", expires_days=7)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["name"] == "laptop" and body["user"]["email"] == AGENT and body["token"].startswith("pct_")
    [stored] = server.sql("SELECT token_hash, expires_at FROM api_tokens WHERE id = ?", (body["id"],))
    assert stored[0] != body["token"] and len(stored[0]) == 64 and stored[1] == body["expires_at"]
    me = Api(server, body["token"]).get("/me")
    assert me.status_code == 200 and me.json()["email"] == AGENT


def test_tokens_for_pipelines_are_listed_without_secrets_and_revocable(server: Server,
                                                                       as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    created = agent.post("/auth/tokens", json={"name": "ci", "expires_days": 90})
    assert created.status_code == 201
    token = created.json()
    ci = Api(server, token["token"])
    assert ci.get("/me").status_code == 200
    listed = agent.get("/auth/tokens")
    assert "pct_" not in listed.text
    entry = next(t for t in listed.json()["items"] if t["id"] == token["id"])
    assert entry["name"] == "ci" and entry["last_used_at"] is not None
    assert agent.delete(f"/auth/tokens/{token['id']}").status_code == 204
    refused = assert_problem(ci.get("/me"), 401, "unauthenticated")
    assert "revoked" in refused["detail"]
    assert token["id"] not in [t["id"] for t in agent.get("/auth/tokens").json()["items"]]
    assert_problem(agent.delete(f"/auth/tokens/{token['id']}"), 404, "not_found")


def test_expired_and_unknown_tokens_are_refused(server: Server, as_user: Callable[[str], Api]) -> None:
    token = as_user(AGENT).post("/auth/tokens", json={"name": "short", "expires_days": 1}).json()
    api = Api(server, token["token"])
    assert api.get("/tickets").status_code == 200
    server.sql("UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00Z' WHERE id = ?", (token["id"],))
    for response in (api.get("/tickets"), api.post("/tickets", json={"subject": "s", "body": "b"})):
        problem = assert_problem(response, 401, "unauthenticated")
        assert "expired" in problem["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_problem(Api(server, "pct_not-a-real-token").get("/me"), 401, "unauthenticated")
    assert_problem(Api(server).get("/tickets"), 401, "unauthenticated")


def test_bad_token_requests_are_invalid_input(as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    assert_problem(agent.post("/auth/tokens", json={"name": " ", "expires_days": 5}), 422, "invalid_input")
    assert_problem(agent.post("/auth/tokens", json={"name": "x", "expires_days": 0}), 422, "invalid_input")


def test_wrong_passwords_slow_that_address_down_and_never_lock_the_account(server: Server) -> None:
    client = "198.51.100.10"
    failures = 0
    while failures < 5:  # a guesser who waits out each delay
        response = login(server, ANA, "wrong password!", client)
        if response.status_code == 429:
            time.sleep(int(response.headers["Retry-After"]))
            continue
        assert_problem(response, 401, "unauthenticated")
        failures += 1
    throttled = login(server, ANA, PASSWORD, client)  # from the guessing address, even the right password waits
    assert_problem(throttled, 429, "rate_limited")
    wait = int(throttled.headers["Retry-After"])
    assert 0 < wait <= 5  # a delay that grows with each failure (1, 2, 4 s ...), not a 15-minute lock-out
    assert login(server, ANA, PASSWORD, "198.51.100.11").status_code == 201  # the real user, elsewhere: at once
    assert login(server, AGENT, PASSWORD, client).status_code == 201
    time.sleep(wait + 1)
    assert login(server, ANA, PASSWORD, client).status_code == 201  # the same address, after the delay


def test_the_delay_doubles_with_each_failure_up_to_15_minutes(server: Server) -> None:
    client = "198.51.100.12"
    waits = []
    for failures in (4, 8, 30):
        server.sql("DELETE FROM login_attempts WHERE client = ?", (client,))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for _ in range(failures):
            server.sql("INSERT INTO login_attempts (email, client, created_at) VALUES (?, ?, ?)", (ANA, client, now))
        waits.append(int(login(server, ANA, PASSWORD, client).headers["Retry-After"]))
    assert 1 <= waits[0] <= 3 and 30 <= waits[1] <= 33 and 14 * 60 < waits[2] <= 15 * 60 + 1, waits


def test_one_address_trying_many_accounts_is_throttled(server: Server) -> None:
    client = "198.51.100.20"
    for number in range(20):
        assert login(server, f"nobody{number}@example.test", "guess-guess", client).status_code == 401
    # The guesser keeps going, a new account each time it may: written here, as the pauses take minutes to wait out.
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for number in range(5):
        server.sql("INSERT INTO login_attempts (email, client, created_at) VALUES (?, ?, ?)",
                   (f"later{number}@example.test", client, now))
    response = login(server, AGENT, PASSWORD, client)  # 20 failures over HTTP + 5: a 32-second pause
    assert_problem(response, 429, "rate_limited")
    assert 30 <= int(response.headers["Retry-After"]) <= 33
    assert login(server, AGENT, PASSWORD, "198.51.100.21").status_code == 201


def test_password_reset_by_link_from_the_outbox(server: Server, as_user: Callable[[str], Api],
                                                anonymous: Api) -> None:
    user = "reset-link@acme.test"
    as_user(ADMIN).post("/users", json={"email": user, "name": "Rita Reset", "organization": "acme"})
    assert anonymous.post("/auth/password-reset", json={"email": user}).status_code == 202
    assert anonymous.post("/auth/password-reset", json={"email": "nobody@nowhere.test"}).status_code == 202
    mails = as_user(ADMIN).get("/admin/outbox").json()["items"]
    assert not [m for m in mails if m["to"] == "nobody@nowhere.test"]  # nothing tells who has an account
    mail = next(m for m in mails if m["to"] == user)
    link = re.search(r"(http://\S+/reset-password\?token=(\S+))", mail["body"])
    assert link and link[1].startswith(server.url)
    page = requests.get(link[1], timeout=TIMEOUT)
    assert page.status_code == 200 and "New password" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    confirm = anonymous.post("/auth/password-reset/confirm", json={"token": link[2], "password": "a brand new secret"})
    assert confirm.status_code == 204
    assert login(server, user, "a brand new secret", "192.0.2.30").status_code == 201
    again = anonymous.post("/auth/password-reset/confirm", json={"token": link[2], "password": "another new one"})
    assert_problem(again, 422, "invalid_input")


def test_password_reset_through_the_linked_page(server: Server, as_user: Callable[[str], Api],
                                                anonymous: Api) -> None:
    user = "reset-page@acme.test"
    as_user(ADMIN).post("/users", json={"email": user, "name": "Paula Page", "organization": "acme"})
    anonymous.post("/auth/password-reset", json={"email": user})
    mail = next(m for m in as_user(ADMIN).get("/admin/outbox").json()["items"] if m["to"] == user)
    token = re.search(r"token=(\S+)", mail["body"])[1]  # type: ignore[index]
    form = {"token": token, "password": "short", "repeat": "short"}
    refused = requests.post(server.url + "/reset-password", data=form, timeout=TIMEOUT)
    assert refused.status_code == 422 and "too short" in refused.text
    form = {"token": token, "password": "long enough now", "repeat": "long enough now"}
    done = requests.post(server.url + "/reset-password", data=form, timeout=TIMEOUT)
    assert done.status_code == 200 and "password is changed" in done.text
    assert login(server, user, "long enough now", "192.0.2.31").status_code == 201


def test_password_reset_by_a_temporary_password_from_an_admin(server: Server,
                                                              as_user: Callable[[str], Api]) -> None:
    user = "temporary@acme.test"
    admin = as_user(ADMIN)
    admin.post("/users", json={"email": user, "name": "Tomás Temporal", "organization": "acme"})
    issued = admin.post(f"/users/{user}/temporary-password")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    temporary = issued.json()["password"]
    first = login(server, user, temporary, "192.0.2.40")
    assert first.status_code == 201 and first.json()["must_change_password"] is True
    changed = login(server, user, temporary, "192.0.2.40", new_password="my own passphrase")
    assert changed.status_code == 201 and changed.json()["must_change_password"] is False
    assert_problem(login(server, user, temporary, "192.0.2.40"), 401, "unauthenticated")
    assert login(server, user, "my own passphrase", "192.0.2.40").status_code == 201


def test_a_deactivated_users_tokens_stop_working(server: Server, as_user: Callable[[str], Api]) -> None:
    user = "leaver@acme.test"
    make_user(server, user, PASSWORD)
    token = login(server, user, PASSWORD, "192.0.2.50").json()["token"]
    assert as_user(ADMIN).post(f"/users/{user}/deactivate").json()["active"] is False
    assert_problem(Api(server, token).get("/me"), 403, "permission_denied")
    assert_problem(login(server, user, PASSWORD, "192.0.2.50"), 403, "permission_denied")


def test_the_log_has_one_line_per_request_and_no_secrets(server: Server) -> None:
    user, secret = "logged@acme.test", "log-check passphrase"
    make_user(server, user, secret)
    token = login(server, user, secret, "192.0.2.60").json()["token"]
    Api(server, token).get("/tickets", params={"search": "needle-in-the-query"})
    Api(server).post("/auth/password-reset", json={"email": user})
    log = server.log_text()
    assert token not in log and secret not in log and "needle-in-the-query" not in log
    assert re.search(rf"GET /api/v1/tickets 200 [\d.]+ms {user}", log)
    assert re.search(r"POST /api/v1/auth/password-reset 202 [\d.]+ms -", log)


def test_a_forwarded_address_is_trusted_only_from_a_named_proxy(store: Store) -> None:
    """Without --trusted-proxy, rotating X-Forwarded-For from loopback is still one address, limited as one; and
    the failures are in the database, so a second server process on the same portal holds to them too."""
    first = start_server(store, log=store.folder / "first.log")
    second = start_server(store, log=store.folder / "second.log")
    try:
        for number in range(5):
            response = login(first, f"nobody{number}@example.test", "guess-guess", f"203.0.113.{number}")
            assert response.status_code == 401
        assert {row[0] for row in first.sql("SELECT client FROM login_attempts")} == {"127.0.0.1"}
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for number in range(20):  # the rest of a many-accounts run from this address, at once
            first.sql("INSERT INTO login_attempts (email, client, created_at) VALUES (?, '127.0.0.1', ?)",
                      (f"more{number}@example.test", now))
        assert_problem(login(first, AGENT, PASSWORD, "203.0.113.99"), 429, "rate_limited")
        assert_problem(login(second, AGENT, PASSWORD, "203.0.113.98"), 429, "rate_limited")
    finally:
        first.stop()
        second.stop()
