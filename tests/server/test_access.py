"""Confidentiality between client companies, and internal notes, over HTTP (GUIDE section 3; seed 001)."""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from tests.server.conftest import (
    ADMIN,
    AGENT,
    ANA,
    BOB,
    CARLA,
    DIEGO,
    PDF,
    Api,
    Seed,
    assert_problem,
)

GLOBEX_SECRETS = ("GLOBEX-SECRET", "GLOBEX-BODY", "INTERNAL-GLOBEX-NOTE", "nota-interna")


def assert_hidden(response: requests.Response, status: int, code: str) -> None:
    """Refused with this problem, and nothing of Globex's in the answer."""
    assert_problem(response, status, code)
    for secret in (*GLOBEX_SECRETS, CARLA):
        assert secret not in response.text


def test_a_customer_gets_404_for_every_id_of_another_company(as_user: Callable[[str], Api], seed: Seed) -> None:
    ana = as_user(ANA)
    theirs = seed.globex_ticket
    attempts = [
        ana.get(f"/tickets/{theirs}"),
        ana.post(f"/tickets/{theirs}/replies", json={"body": "hola"}),
        ana.post(f"/tickets/{theirs}/close"),
        ana.post(f"/tickets/{theirs}/reopen"),
        ana.patch(f"/tickets/{theirs}", json={"fields": {}}),
        ana.post(f"/tickets/{theirs}/ccs", json={"add": [ANA]}),
        ana.get(f"/tickets/{theirs}/attachments"),
        ana.get(f"/tickets/{theirs}/attachments/{seed.globex_attachment}"),
        ana.get(f"/tickets/{theirs}/attachments/{seed.globex_internal_attachment}"),
        # their attachment through her own ticket's URL
        ana.get(f"/tickets/{seed.acme_ticket}/attachments/{seed.globex_attachment}"),
        ana.post("/tickets", json={"subject": "follow-up", "body": "x", "follow_up_of": theirs}),
    ]
    for response in attempts:
        assert_hidden(response, 404, "not_found")
    # and the same answer as for a ticket that does not exist: nothing tells the two apart
    missing = ana.get("/tickets/999999").json()
    assert missing["detail"] == "no ticket #999999"
    assert ana.get(f"/tickets/{theirs}").json()["detail"] == f"no ticket #{theirs}"


def test_refused_writes_change_nothing(as_user: Callable[[str], Api], seed: Seed) -> None:
    before = as_user(AGENT).get(f"/tickets/{seed.globex_ticket}").json()
    as_user(ANA).post(f"/tickets/{seed.globex_ticket}/replies", json={"body": "ANA WAS HERE"})
    as_user(ANA).post(f"/tickets/{seed.globex_ticket}/close")
    after = as_user(AGENT).get(f"/tickets/{seed.globex_ticket}").json()
    assert after == before


def test_the_same_company_rules_hold_positive_controls(as_user: Callable[[str], Api], seed: Seed) -> None:
    """Globex shares tickets among its users, Acme does not: the 404s above are rules, not a broken route."""
    assert as_user(DIEGO).get(f"/tickets/{seed.globex_ticket}").status_code == 200
    assert as_user(CARLA).get(f"/tickets/{seed.globex_ticket}/attachments/{seed.globex_attachment}").content == PDF
    assert_problem(as_user(BOB).get(f"/tickets/{seed.acme_ticket}"), 404, "not_found")
    assert as_user(ANA).get(f"/tickets/{seed.acme_ticket}").status_code == 200


def test_listings_filters_and_export_never_show_another_company(as_user: Callable[[str], Api], seed: Seed) -> None:
    ana = as_user(ANA)
    for params in ({}, {"status": "all"}, {"requester": CARLA}, {"organization": "globex"},
                   {"search": "GLOBEX"}, {"search": "confidencial"}):
        response = ana.get("/tickets", params=params)
        assert response.status_code == 200, response.text
        assert all(t["organization"] == "acme" for t in response.json()["items"])
        for secret in GLOBEX_SECRETS:
            assert secret not in response.text
    exported = ana.get("/export/tickets", params={"status": "all"})
    assert exported.status_code == 200
    assert {json.loads(line)["organization"] for line in exported.text.splitlines()} == {"acme"}
    assert "GLOBEX" not in exported.text


def test_admin_only_lists_and_actions_are_403_for_customers(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    for response in (
        ana.get("/users"),
        ana.get("/users", params={"organization": "globex"}),
        ana.get("/organizations"),
        ana.get("/admin/outbox"),
        ana.post(f"/users/{CARLA}/deactivate"),
        ana.post(f"/users/{CARLA}/reactivate"),
        ana.post(f"/users/{CARLA}/temporary-password"),
        ana.post("/users", json={"email": "mole@acme.test", "name": "Mole"}),
    ):
        assert_hidden(response, 403, "permission_denied")
    assert as_user(ADMIN).get("/users").status_code == 200  # positive control


def test_other_peoples_tokens_and_uploads_are_not_found(as_user: Callable[[str], Api]) -> None:
    carla, ana = as_user(CARLA), as_user(ANA)
    token = carla.post("/auth/tokens", json={"name": "carla-ci", "expires_days": 1}).json()
    assert_hidden(ana.delete(f"/auth/tokens/{token['id']}"), 404, "not_found")
    assert token["id"] not in [t["id"] for t in ana.get("/auth/tokens").json()["items"]]
    upload = carla.post("/uploads", params={"filename": "globex.pdf"}, data=PDF).json()
    response = ana.post("/tickets", json={"subject": "steal", "body": "x", "uploads": [upload["id"]]})
    assert_hidden(response, 404, "not_found")
    # still hers to use
    assert carla.post("/tickets", json={"subject": "mine", "body": "x", "uploads": [upload["id"]]}).status_code == 201


def test_a_customer_never_receives_an_internal_note(as_user: Callable[[str], Api], seed: Seed) -> None:
    ana, agent = as_user(ANA), as_user(AGENT)
    staff_view = agent.get(f"/tickets/{seed.acme_ticket}").json()
    assert any(c["internal"] for c in staff_view["comments"])  # positive control: the note is there
    responses = [
        ana.get(f"/tickets/{seed.acme_ticket}"),
        ana.get(f"/tickets/{seed.acme_ticket}/attachments"),
        ana.get("/tickets", params={"status": "all"}),
        ana.get("/tickets", params={"search": "INTERNAL customs"}),
        ana.get("/export/tickets", params={"status": "all"}),
        # a customer reply answers with the ticket: still without the note
        ana.post(f"/tickets/{seed.acme_ticket}/replies", json={"body": "Gracias"}),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert "INTERNAL-ACME-NOTE" not in response.text
        assert "nota-interna" not in response.text
    mine = responses[0].json()
    assert [c["internal"] for c in mine["comments"]].count(True) == 0
    assert [a["id"] for a in mine["attachments"]] == [seed.acme_public_attachment]
    assert ana.get("/tickets", params={"search": "INTERNAL customs"}).json()["items"] == []
    assert_problem(ana.get(f"/tickets/{seed.acme_ticket}/attachments/{seed.acme_internal_attachment}"),
                   404, "not_found")
    assert ana.get(f"/tickets/{seed.acme_ticket}/attachments/{seed.acme_public_attachment}").content == PDF


def test_customers_cannot_write_internal_notes_or_staff_fields(as_user: Callable[[str], Api], seed: Seed) -> None:
    ana = as_user(ANA)
    assert_problem(ana.post(f"/tickets/{seed.acme_ticket}/replies", json={"body": "x", "internal": True}),
                   403, "permission_denied")
    assert_problem(ana.patch(f"/tickets/{seed.acme_ticket}", json={"priority": "urgent"}), 403, "permission_denied")


def test_the_change_feed_shows_a_customer_only_her_tickets_and_never_a_note(as_user: Callable[[str], Api],
                                                                           anonymous: Api, seed: Seed) -> None:
    start = as_user(ANA).get("/events").json()["cursor"]
    agent = as_user(AGENT)
    upload = agent.post("/uploads", params={"filename": "nota-interna.pdf"}, data=PDF).json()["id"]
    agent.post(f"/tickets/{seed.acme_ticket}/replies",
               json={"body": "INTERNAL-ACME-NOTE again", "internal": True, "uploads": [upload]})
    agent.post(f"/tickets/{seed.acme_ticket}/replies", json={"body": "Public news for Acme"})
    agent.post(f"/tickets/{seed.globex_ticket}/replies", json={"body": "GLOBEX-SECRET news"})
    ana = as_user(ANA).get("/events", params={"after": start})
    assert ana.status_code == 200, ana.text
    assert {e["ticket_id"] for e in ana.json()["items"]} == {seed.acme_ticket}
    assert [e["kind"] for e in ana.json()["items"] if e["kind"] != "status"] == ["reply"]
    for secret in (*GLOBEX_SECRETS, "INTERNAL-ACME-NOTE"):
        assert secret not in ana.text
    staff = as_user(AGENT).get("/events", params={"after": start}).json()["items"]
    assert [e["kind"] for e in staff if e["kind"] != "status"] == ["note", "attachment", "reply", "reply"]
    assert "INTERNAL-ACME-NOTE" not in json.dumps(staff)  # a note's text is never in the feed
    filtered = as_user(ANA).get("/events", params={"after": start, "organization": "globex"})
    assert filtered.status_code == 200 and filtered.json()["items"] == []
    assert_problem(anonymous.get("/events"), 401, "unauthenticated")
    assert_problem(as_user(ANA).get("/events", params={"after": 10**12}), 422, "invalid_input")


def test_notification_switches_are_each_users_own(as_user: Callable[[str], Api], anonymous: Api) -> None:
    switched = as_user(BOB).patch("/me/notifications", json={"off": ["reply"]})
    assert switched.status_code == 200 and switched.json()["reply"] is False
    assert as_user(ANA).get("/me/notifications").json()["reply"] is True  # Bob's switch is his alone
    assert_problem(as_user(BOB).patch("/me/notifications", json={"off": ["status", "invoices"]}), 422,
                   "invalid_input")
    assert as_user(BOB).get("/me/notifications").json()["status"] is True  # the refused request changed nothing
    assert_problem(anonymous.get("/me/notifications"), 401, "unauthenticated")
    assert as_user(BOB).patch("/me/notifications", json={"on": ["all"]}).json()["reply"] is True
