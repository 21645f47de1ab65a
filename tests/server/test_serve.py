"""`portalctl serve` as a person runs it: a new portal file, the first admin, the API document, SIGTERM."""

from __future__ import annotations

import re
import signal
from dataclasses import replace
from pathlib import Path

import requests

from tests.server.conftest import TIMEOUT, Api, assert_problem, start_server
from tests.stores import Store, new_store


def test_serve_creates_the_portal_and_its_first_admin_then_stops_on_sigterm(store: Store, tmp_path: Path) -> None:
    """A portal file in a folder that does not exist yet, or an empty PostgreSQL database: both are set up."""
    if store.kind == "sqlite":
        store = replace(store, location=tmp_path / "new" / "portal.db")
    server = start_server(store, "--admin-email", "lead@example.com", log=tmp_path / "serve.log")
    try:
        log = server.log_text()
        password = re.search(r"one-time password: (\S+)", log)
        assert password, log
        login = requests.post(server.api + "/auth/login", timeout=TIMEOUT,
                              json={"email": "lead@example.com", "password": password[1]})
        assert login.status_code == 201
        assert login.json()["user"]["role"] == "admin" and login.json()["must_change_password"] is True
        assert Api(server, login.json()["token"]).get("/me").json()["email"] == "lead@example.com"
        assert "Serving the portal" in log
    finally:
        status = server.stop()
    assert status in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    assert "stopped: every request in flight was answered" in server.log_text()  # graceful, not killed
    assert server.log_text().count(password[1]) == 1  # printed once, never logged with the sign-in
    portal = store.open()
    try:
        assert not portal.is_empty()
    finally:
        portal.close()


def test_serve_on_an_empty_portal_says_how_to_create_the_first_admin(store: Store) -> None:
    server = start_server(store)
    try:
        assert "--admin-email" in server.log_text()
        health = requests.get(server.api + "/health", timeout=TIMEOUT)
        assert health.json()["status"] == "ok" and health.json()["version"]
        assert_problem(requests.post(server.api + "/auth/login", json={"email": "a@b.c", "password": "x"},
                                     timeout=TIMEOUT), 401, "unauthenticated")
    finally:
        assert server.stop() in (0, -signal.SIGTERM)


def test_the_openapi_document_describes_the_versioned_api(tmp_path: Path) -> None:
    server = start_server(new_store("sqlite", tmp_path))
    try:
        document = requests.get(server.url + "/openapi.json", timeout=TIMEOUT).json()
        assert requests.get(server.api + "/openapi.json", timeout=TIMEOUT).json() == document
    finally:
        server.stop()
    paths = document["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
    for path, method in (("/api/v1/tickets", "post"), ("/api/v1/uploads", "post"), ("/api/v1/auth/login", "post"),
                         ("/api/v1/export/tickets", "get"), ("/api/v1/articles/search", "get"),
                         ("/api/v1/notices", "get"), ("/api/v1/admin/notices", "post"),
                         ("/api/v1/admin/notices", "get"), ("/api/v1/admin/notices/{notice_id}/end", "post"),
                         ("/api/v1/articles/{article_id}/related", "get"), ("/api/v1/auth/register", "post"),
                         ("/api/v1/auth/verify", "post"), ("/api/v1/auth/signup", "get"),
                         ("/api/v1/admin/signup", "post"), ("/api/v1/contacts", "get"), ("/api/v1/contacts", "post"),
                         ("/api/v1/contacts/{email}/reset-link", "post"), ("/api/v1/me/photo", "post"),
                         ("/api/v1/users/{email}/photo", "get"), ("/api/v1/users/{email}", "patch"),
                         ("/api/v1/organizations/{name}", "patch"), ("/api/v1/tickets/count", "get"),
                         ("/api/v1/events", "get"), ("/api/v1/me/notifications", "get"),
                         ("/api/v1/me/notifications", "patch")):
        assert method in paths[path], path
    create = paths["/api/v1/tickets"]["post"]
    assert {"200", "201", "401", "422"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "Problem" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]
