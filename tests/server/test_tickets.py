"""Tickets over HTTP: idempotent creates, cursors, the NDJSON export, uploads, auto-close, problem+json."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.server.conftest import (
    ADMIN,
    AGENT,
    ANA,
    AUTO_CLOSE_SECONDS,
    BOB,
    CARLA,
    MARIO,
    PDF,
    TIMEOUT,
    Api,
    Seed,
    Server,
    assert_problem,
)


def count(api: Api, subject: str) -> int:
    found = api.get("/tickets", params={"search": subject, "status": "all"}).json()["items"]
    return len([t for t in found if t["subject"] == subject])


def test_a_retried_create_with_the_same_idempotency_key_makes_one_ticket(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    key = str(uuid.uuid4())
    body = {"subject": "Idempotent build failure 4711", "body": "pipeline 4711 failed"}
    first = ana.post("/tickets", json=body, headers={"Idempotency-Key": key})
    second = ana.post("/tickets", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count(ana, body["subject"]) == 1
    conflict = ana.post("/tickets", json={**body, "body": "something else"}, headers={"Idempotency-Key": key})
    assert_problem(conflict, 409, "state_conflict")
    # keys are per user: Bob's identical key is his own request
    other = as_user(CARLA).post("/tickets", json=body, headers={"Idempotency-Key": key})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_a_failed_request_does_not_use_up_its_key(as_user: Callable[[str], Api]) -> None:
    ana, admin = as_user(ANA), as_user(ADMIN)
    key = str(uuid.uuid4())
    body = {"subject": "Needs the billing queue", "body": "x", "department": "Facturación Idempotente"}
    assert_problem(ana.post("/tickets", json=body, headers={"Idempotency-Key": key}), 422, "invalid_input")
    admin.post("/departments", json={"name": "Facturación Idempotente"})
    retried = ana.post("/tickets", json=body, headers={"Idempotency-Key": key})
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers


def test_secrets_are_never_replayed_from_the_idempotency_store(server: Server, as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    key = str(uuid.uuid4())
    first = agent.post("/auth/tokens", json={"name": "once", "expires_days": 1}, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    again = agent.post("/auth/tokens", json={"name": "once", "expires_days": 1}, headers={"Idempotency-Key": key})
    assert_problem(again, 409, "state_conflict")
    [stored] = server.sql("SELECT body FROM idempotency_keys WHERE key = ?", (key,))
    assert tuple(stored) == (None,)
    assert len([t for t in agent.get("/auth/tokens").json()["items"] if t["name"] == "once"]) == 1


def test_dedupe_keys_answer_200_with_created_false(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    body = {"subject": "Nightly build red", "body": "run 1", "dedupe_key": f"ci-{uuid.uuid4()}"}
    first = ana.post("/tickets", json=body)
    repeat = ana.post("/tickets", json={**body, "body": "run 2"})
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (repeat.status_code, repeat.json()["created"]) == (200, False)
    assert repeat.json()["id"] == first.json()["id"]
    assert [c["body"] for c in repeat.json()["comments"]] == ["run 1", "run 2"]


def test_cursors_page_through_every_ticket_once(as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    for number in range(7):
        agent.post("/tickets", json={"subject": f"Paging {number}", "body": "x", "priority": "high"})
    for sort in ("-updated", "id", "priority", "-status", "due"):
        seen: list[int] = []
        cursor = None
        for _ in range(100):
            params: dict[str, str | int] = {"limit": 3, "sort": sort, "status": "all"}
            if cursor:
                params["cursor"] = cursor
            page = agent.get("/tickets", params=params).json()
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        everything = [t["id"] for t in agent.get("/tickets", params={"limit": 500, "sort": sort, "status": "all"})
                      .json()["items"]]
        assert seen == everything, sort
        assert len(seen) >= 9
    page = agent.get("/tickets", params={"limit": 2}).json()
    assert_problem(agent.get("/tickets", params={"cursor": page["next_cursor"], "sort": "id"}), 422, "invalid_input")
    assert_problem(agent.get("/tickets", params={"cursor": "garbage"}), 422, "invalid_input")
    assert_problem(agent.get("/tickets", params={"limit": 501}), 422, "invalid_input")


def test_the_count_is_what_the_listing_lists_and_only_what_each_user_may_see(as_user: Callable[[str], Api]) -> None:
    """GET /tickets/count: the total of every page of GET /tickets with the same filters, for "Showing 30 of 266"."""
    for email in (AGENT, ANA, CARLA, BOB, MARIO):  # Mario manages Acme's contacts: he sees his company's tickets
        user = as_user(email)
        for params in ({}, {"status": "all"}, {"status": "all", "search": "factura"}, {"priority": ["high", "low"]}):
            listed = user.get("/tickets", params={**params, "limit": 500}).json()
            assert listed["next_cursor"] is None
            counted = user.get("/tickets/count", params=params)
            assert counted.status_code == 200 and counted.json() == {"total": len(listed["items"])}, (email, params)
    everyone = as_user(AGENT).get("/tickets/count", params={"status": "all"}).json()["total"]
    assert 0 < as_user(ANA).get("/tickets/count", params={"status": "all"}).json()["total"] < everyone
    assert_problem(as_user(ANA).get("/tickets/count", params={"priority": "colour"}), 422, "invalid_input")


def test_the_export_streams_every_visible_ticket_as_ndjson(server: Server, as_user: Callable[[str], Api],
                                                           tokens: dict[str, str]) -> None:
    agent = as_user(AGENT)
    listed = agent.get("/tickets", params={"status": "all", "limit": 500}).json()["items"]
    with requests.get(server.api + "/export/tickets", params={"status": "all"}, stream=True, timeout=TIMEOUT,
                      headers={"Authorization": f"Bearer {tokens[AGENT]}"}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/x-ndjson")
        assert "Content-Length" not in response.headers  # streamed, not built in memory first
        exported = [json.loads(line) for line in response.iter_lines() if line]
    assert sorted(t["id"] for t in exported) == sorted(t["id"] for t in listed)
    assert exported[0].keys() == listed[0].keys()
    open_only = agent.get("/export/tickets", params={"status": ["new", "open"]}).text.splitlines()
    assert {json.loads(line)["status"] for line in open_only} <= {"new", "open"}
    assert_problem(agent.get("/export/tickets", params={"sort": "colour"}), 422, "invalid_input")


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
def test_uploads_are_checked_by_content_and_size(as_user: Callable[[str], Api], keyed: bool) -> None:
    """With an Idempotency-Key the file is checked and stored before the write lock (server/lane.py): the same
    refusals either way."""
    ana = as_user(ANA)

    def key() -> dict[str, str]:
        return {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}

    too_big = ana.post("/uploads", params={"filename": "scan.pdf"}, data=PDF + b"0" * 1_100_000, headers=key())
    assert_problem(too_big, 413, "payload_too_large")
    renamed = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
    refused = ana.post("/uploads", params={"filename": "invoice.pdf"}, data=renamed,
                       headers={"Content-Type": "application/pdf", **key()})
    body = assert_problem(refused, 415, "unsupported_media_type")
    assert "checked by content" in body["detail"]
    assert_problem(ana.post("/uploads", data=PDF, headers=key()), 422, "invalid_input")  # no filename
    long_name = ana.post("/uploads", params={"filename": "x" * 256 + ".pdf"}, data=PDF, headers=key())
    assert_problem(long_name, 422, "invalid_input")


def test_a_keyed_upload_answers_as_the_route_and_is_replayed(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    plain = ana.post("/uploads", params={"filename": "acta.pdf"}, data=PDF)
    keyed = ana.post("/uploads", params={"filename": "acta.pdf"}, data=PDF, headers=key)
    again = ana.post("/uploads", params={"filename": "acta.pdf"}, data=PDF, headers=key)
    assert plain.status_code == keyed.status_code == again.status_code == 201
    assert list(keyed.json()) == list(plain.json()) and keyed.json()["id"] != plain.json()["id"]
    assert {k: v for k, v in keyed.json().items() if k != "id"} == {k: v for k, v in plain.json().items() if k != "id"}
    assert again.content == keyed.content and again.headers["Idempotent-Replayed"] == "true"
    ticket = ana.post("/tickets", json={"subject": "Acta", "body": "x", "uploads": [keyed.json()["id"]]})
    attachment = ticket.json()["comments"][0]["attachments"][0]
    assert ana.get(f"/tickets/{ticket.json()['id']}/attachments/{attachment['id']}").content == PDF


def test_an_upload_is_attached_once_and_downloads_intact(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    uploaded = ana.post("/uploads", params={"filename": "Declaración de importación.pdf"}, data=PDF,
                        headers={"Content-Type": "application/octet-stream"})
    assert uploaded.status_code == 201
    upload = uploaded.json()
    assert upload["sha256"] == hashlib.sha256(PDF).hexdigest() and upload["content_type"] == "application/pdf"
    ticket = ana.post("/tickets", json={"subject": "Con adjunto", "body": "ver PDF", "uploads": [upload["id"]]}).json()
    attachment = ticket["comments"][0]["attachments"][0]
    assert attachment["filename"] == "Declaración de importación.pdf" and attachment["size"] == len(PDF)
    download = ana.get(f"/tickets/{ticket['id']}/attachments/{attachment['id']}")
    assert download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''Declaraci%C3%B3n%20de%20importaci%C3%B3n.pdf" in download.headers["Content-Disposition"]
    reused = ana.post(f"/tickets/{ticket['id']}/replies", json={"body": "again", "uploads": [upload["id"]]})
    assert_problem(reused, 404, "not_found")
    second = ana.post("/uploads", params={"filename": "otro.pdf"}, data=PDF).json()
    replied = ana.post(f"/tickets/{ticket['id']}/replies", json={"body": "otro", "uploads": [second["id"]]}).json()
    assert [a["filename"] for a in replied["attachments"]] == ["Declaración de importación.pdf", "otro.pdf"]


def test_a_failed_create_gives_the_upload_back(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    upload = ana.post("/uploads", params={"filename": "f.pdf"}, data=PDF).json()
    failed = ana.post("/tickets", json={"subject": "x", "body": " ", "uploads": [upload["id"]]})
    assert_problem(failed, 422, "invalid_input")
    assert ana.post("/tickets", json={"subject": "x", "body": "y", "uploads": [upload["id"]]}).status_code == 201


def test_resolved_tickets_close_by_themselves_in_a_long_running_server(server: Server,
                                                                       as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    ticket = agent.post("/tickets", json={"subject": "Will auto-close", "body": "x"}).json()
    resolved = agent.patch(f"/tickets/{ticket['id']}", json={"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    server.sql("UPDATE tickets SET resolved_at = '2020-01-01T00:00:00Z' WHERE id = ?", (ticket["id"],))  # days pass
    deadline = time.monotonic() + 10
    while server.sql("SELECT status FROM tickets WHERE id = ?", (ticket["id"],))[0][0] != "closed":  # no request
        assert time.monotonic() < deadline, "the server's auto-close timer did not close the ticket"
        time.sleep(AUTO_CLOSE_SECONDS)
    later = agent.get(f"/tickets/{ticket['id']}").json()
    assert later["status"] == "closed" and later["closed_at"] == "2020-01-03T00:00:00Z"
    refused = assert_problem(agent.post(f"/tickets/{ticket['id']}/replies", json={"body": "late"}),
                             409, "state_conflict")
    assert "follow-up" in refused["hint"]


def test_problem_details_have_one_shape_and_stable_codes(server: Server, as_user: Callable[[str], Api],
                                                         seed: Seed) -> None:
    agent = as_user(AGENT)
    malformed = agent.post("/tickets", data="{not json", headers={"Content-Type": "application/json"})
    assert_problem(malformed, 400, "invalid_input")
    missing = assert_problem(agent.post("/tickets", json={"subject": "no body"}), 422, "invalid_input")
    assert "body" in missing["detail"]
    assert_problem(agent.post("/tickets", json={"subject": "s", "body": "b", "colour": "red"}), 422, "invalid_input")
    assert_problem(agent.get("/tickets/0"), 422, "invalid_input")
    assert_problem(agent.get("/tickets/99999999"), 404, "not_found")
    assert_problem(agent.get("/no-such-endpoint"), 404, "not_found")
    assert_problem(agent.delete("/tickets"), 405, "method_not_allowed")
    unknown = assert_problem(agent.get("/tickets", params={"status": "purple"}), 422, "invalid_input")
    assert unknown["hint"] and "new" in unknown["hint"]
    closing = agent.post("/tickets", json={"subject": "close twice", "body": "x"}).json()
    agent.post(f"/tickets/{closing['id']}/close")
    assert_problem(agent.post(f"/tickets/{closing['id']}/close"), 409, "state_conflict")
    assert_problem(as_user(ANA).patch(f"/tickets/{seed.acme_ticket}", json={"subject": "mine now"}),
                   403, "permission_denied")
    assert_problem(Api(server).get("/me"), 401, "unauthenticated")


def test_oversized_json_bodies_are_refused_without_reading_them_whole(as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    huge = json.dumps({"subject": "big", "body": "x" * (17 * 1024 * 1024)}).encode()
    assert_problem(agent.post("/tickets", data=huge, headers={"Content-Type": "application/json"}),
                   413, "payload_too_large")
    chunked = (huge[i:i + (1 << 20)] for i in range(0, len(huge), 1 << 20))  # no Content-Length
    assert_problem(agent.post("/tickets", data=chunked, headers={"Content-Type": "application/json"}),
                   413, "payload_too_large")
    keyed = agent.post("/tickets", data=huge, headers={"Content-Type": "application/json",
                                                       "Idempotency-Key": str(uuid.uuid4())})
    assert_problem(keyed, 413, "payload_too_large")


def test_concurrent_retries_with_one_key_still_make_one_ticket(server: Server, tokens: dict[str, str]) -> None:
    key = str(uuid.uuid4())
    body = {"subject": f"Racing retries {key[:8]}", "body": "the network hiccuped"}

    def send(_: int) -> requests.Response:
        return requests.post(server.api + "/tickets", json=body, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {tokens[ANA]}", "Idempotency-Key": key})

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(12)))
    assert {a.status_code for a in answers} <= {201, 409}  # 409: the first is still in progress, retry later
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    assert count(Api(server, tokens[ANA]), body["subject"]) == 1


def test_keyed_writes_arriving_together_each_get_their_own_outcome(server: Server, seed: Seed,
                                                                    tokens: dict[str, str]) -> None:
    """The server runs keyed creates and replies that arrive together in one transaction (server/writer.py):
    each must still be answered as if alone: done once, replayed, refused in its caller's language, with
    nothing of a refused one kept and nothing of the others lost."""
    run = uuid.uuid4().hex[:8]
    repeated = str(uuid.uuid4())

    def send(number: int) -> tuple[str, requests.Response]:
        headers = {"Authorization": f"Bearer {tokens[ANA]}", "Idempotency-Key": str(uuid.uuid4())}
        kind, path, body = "create", "/tickets", {"subject": f"Burst {run} {number}", "body": "x"}
        if number % 5 == 1:  # Carla's company's ticket: not Ana's to answer
            kind, path, body = "refused", f"/tickets/{seed.globex_ticket}/replies", {"body": f"intruder {run}"}
            headers["Accept-Language"] = "es"
        elif number % 5 == 2:
            kind, body = "repeated", {"subject": f"Burst {run} repeated", "body": "x"}
            headers["Idempotency-Key"] = repeated
        return kind, requests.post(server.api + path, json=body, headers=headers, timeout=TIMEOUT)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(60)))
    created = [a for kind, a in answers if kind == "create"]
    assert [a.status_code for a in created] == [201] * len(created)
    assert len({a.json()["id"] for a in created}) == len(created)
    refused = [a for kind, a in answers if kind == "refused"]
    assert {a.status_code for a in refused} == {404}
    assert all(a.headers["Content-Language"] == "es" and "no existe" in a.json()["detail"] for a in refused), \
        refused[0].json()
    repeats = [a for kind, a in answers if kind == "repeated"]
    assert {a.status_code for a in repeats} <= {201, 409}
    assert len({a.json()["id"] for a in repeats if a.status_code == 201}) == 1
    agent = Api(server, tokens[AGENT])
    assert count(agent, f"Burst {run} repeated") == 1
    found = agent.get("/tickets", params={"search": f"Burst {run}", "status": "all", "limit": 200}).json()["items"]
    assert len(found) == len(created) + 1
    assert run not in json.dumps(agent.get(f"/tickets/{seed.globex_ticket}").json())  # no intruder reply kept


def test_parallel_reads_and_writes_each_get_their_own_connection(server: Server, tokens: dict[str, str]) -> None:
    def work(number: int) -> list[int]:
        api = Api(server, tokens[AGENT if number % 2 else ANA])
        statuses = []
        for step in range(6):
            if step % 3 == 0:
                statuses.append(api.post("/tickets", json={"subject": f"parallel {number}-{step}", "body": "x"})
                                .status_code)
            else:
                statuses.append(api.get("/tickets", params={"limit": 20}).status_code)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        results = [status for statuses in pool.map(work, range(16)) for status in statuses]
    assert results.count(201) == 32 and results.count(200) == 64


def test_problems_name_the_input_they_are_about_but_no_command_line_flag(server: Server,
                                                                         as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    empty = assert_problem(agent.post("/tickets", json={"subject": "  ", "body": "x"}), 422, "invalid_input")
    assert empty["about"] == "subject" and empty["hint"] is None
    ticket = agent.post("/tickets", json={"subject": "Closed soon", "body": "x"}).json()
    agent.post(f"/tickets/{ticket['id']}/close")
    refused = assert_problem(agent.post(f"/tickets/{ticket['id']}/close"), 409, "state_conflict")
    assert refused["about"] == f"ticket:{ticket['id']}" and "--" not in refused["hint"]
