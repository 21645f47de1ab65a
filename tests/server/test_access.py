"""Confidentiality between client companies, and internal notes, over HTTP (GUIDE section 3; seed 001), and the
access matrix: who may call each operation of the OpenAPI document, checked for every one of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.server.conftest import (
    ADMIN,
    AGENT,
    ANA,
    BOB,
    CARLA,
    DIEGO,
    MARIO,
    PASSWORD,
    PDF,
    TIMEOUT,
    Api,
    Seed,
    Server,
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


# --- the access matrix: every operation of /openapi.json, and who may call it.
# anyone: no token; signed-in: any active user (what they see is then limited by the rules above);
# staff: agents and admins; admin: admins; manager: an organisation's contact manager (a customer).
MATRIX = {
    "GET /health": "anyone", "POST /auth/login": "anyone", "POST /auth/password-reset": "anyone",
    "POST /auth/password-reset/confirm": "anyone", "GET /auth/signup": "anyone", "POST /auth/register": "anyone",
    "POST /auth/verify": "anyone",
    "GET /tickets": "signed-in", "GET /tickets/count": "signed-in", "POST /tickets": "signed-in",
    "GET /tickets/{ticket_id}": "signed-in",
    "PATCH /tickets/{ticket_id}": "signed-in", "POST /tickets/{ticket_id}/replies": "signed-in",
    "POST /tickets/{ticket_id}/close": "signed-in", "POST /tickets/{ticket_id}/reopen": "signed-in",
    "POST /tickets/{ticket_id}/ccs": "signed-in", "GET /tickets/{ticket_id}/attachments": "signed-in",
    "GET /tickets/{ticket_id}/attachments/{attachment_id}": "signed-in", "POST /uploads": "signed-in",
    "GET /export/tickets": "signed-in", "GET /auth/tokens": "signed-in", "POST /auth/tokens": "signed-in",
    "DELETE /auth/tokens/{token_id}": "signed-in", "GET /me": "signed-in", "PATCH /me": "signed-in",
    "POST /me/photo": "signed-in", "GET /users/{email}/photo": "signed-in", "GET /departments": "signed-in",
    "GET /fields": "signed-in", "GET /articles/search": "signed-in", "GET /articles": "signed-in",
    "GET /articles/{article_id}": "signed-in", "GET /articles/{article_id}/related": "signed-in",
    "GET /collections": "signed-in", "POST /articles/{article_id}/votes": "signed-in", "GET /notices": "signed-in",
    "POST /notices/seen": "signed-in", "GET /events": "signed-in", "GET /me/notifications": "signed-in",
    "PATCH /me/notifications": "signed-in",
    "GET /users": "staff", "GET /organizations": "staff", "POST /articles": "staff",
    "PATCH /articles/{article_id}": "staff",
    "POST /users": "admin", "PATCH /users/{email}": "admin", "POST /users/{email}/deactivate": "admin",
    "POST /users/{email}/reactivate": "admin", "POST /users/{email}/temporary-password": "admin",
    "POST /organizations": "admin", "PATCH /organizations/{name}": "admin", "POST /departments": "admin",
    "POST /fields": "admin", "GET /admin/signup": "admin", "POST /admin/signup": "admin",
    "GET /admin/outbox": "admin", "GET /admin/notices": "admin", "POST /admin/notices": "admin",
    "POST /admin/notices/{notice_id}/end": "admin",
    "GET /contacts": "manager", "POST /contacts": "manager", "POST /contacts/{email}/deactivate": "manager",
    "POST /contacts/{email}/temporary-password": "manager", "POST /contacts/{email}/reset-link": "manager",
}
# A valid body for each refused write, so the refusal is the rule's and not the body's validation.
BODIES: dict[str, Any] = {
    "POST /articles": {"collection": "Mole", "folder": "Mole", "title": "Mole", "body": "x"},
    "PATCH /articles/{article_id}": {"title": "Mole"},
    "POST /users": {"email": "mole@acme.test", "name": "Mole"},
    "PATCH /users/{email}": {"manager": True, "country": "CO"},
    "POST /organizations": {"name": "Mole Org"},
    "PATCH /organizations/{name}": {"add_domains": ["mole.example"]},
    "POST /departments": {"name": "Mole"},
    "POST /fields": {"key": "mole", "label": "Mole", "type": "text"},
    "POST /admin/signup": {"policy": "open", "terms": "Mole"},
    "POST /admin/notices": {"title": "Mole", "ends": "2099-01-01T00:00Z"},
    "POST /contacts": {"email": "mole@acme.test", "name": "Mole"},
}
REFUSED = {"staff": (ANA, MARIO), "admin": (ANA, MARIO, AGENT), "manager": (ANA, AGENT, ADMIN)}


def operations(server: Server) -> set[str]:
    document = requests.get(server.url + "/openapi.json", timeout=TIMEOUT).json()
    return {f"{method.upper()} {path.removeprefix('/api/v1')}" for path, item in document["paths"].items()
            for method in item}


def target(operation: str, seed: Seed) -> tuple[str, str]:
    """The method and a path aimed at another company's records (or, for admin-only lists, at none)."""
    method, path = operation.split(" ", 1)
    return method, path.format(ticket_id=seed.globex_ticket, attachment_id=seed.globex_attachment, email=CARLA,
                               name="globex", notice_id=1, article_id=1, token_id=1)


def test_every_operation_of_the_openapi_document_is_in_the_matrix(server: Server) -> None:
    assert operations(server) == set(MATRIX)


def test_every_operation_but_the_public_ones_needs_a_token(server: Server, anonymous: Api, seed: Seed) -> None:
    for operation, who in MATRIX.items():
        if who != "anyone":
            method, path = target(operation, seed)
            assert_problem(anonymous.request(method, path, json=BODIES.get(operation)), 401, "unauthenticated")


@pytest.mark.parametrize("level", sorted(REFUSED))
def test_each_role_is_refused_what_is_above_it(level: str, as_user: Callable[[str], Api], seed: Seed) -> None:
    """A customer, a contact manager or an agent calling what is not theirs: 403, and nothing of Globex's."""
    before = as_user(ADMIN).get("/users", params={"inactive": "true"}).json()
    for operation in (op for op, who in MATRIX.items() if who == level):
        method, path = target(operation, seed)
        for email in REFUSED[level]:
            assert_hidden(as_user(email).request(method, path, json=BODIES.get(operation)), 403, "permission_denied")
    assert as_user(ADMIN).get("/users", params={"inactive": "true"}).json() == before  # nobody was changed


def test_a_contact_manager_touches_no_other_organisation_and_no_agent(server: Server, as_user: Callable[[str], Api],
                                                                      seed: Seed) -> None:
    mario = as_user(MARIO)
    assert mario.get(f"/tickets/{seed.acme_ticket}").status_code == 200  # Ana's: he sees his company's tickets
    listed = mario.get("/tickets", params={"status": "all"}).json()["items"]
    assert {t["organization"] for t in listed} == {"acme"} and seed.acme_ticket in {t["id"] for t in listed}
    assert "INTERNAL-ACME-NOTE" not in mario.get(f"/tickets/{seed.acme_ticket}").text  # still a customer
    assert_hidden(mario.get(f"/tickets/{seed.globex_ticket}"), 404, "not_found")
    contacts = {u["email"] for u in mario.get("/contacts").json()["items"]}
    assert {ANA, BOB, MARIO} <= contacts and not contacts & {CARLA, DIEGO, AGENT, ADMIN}
    for email in (CARLA, DIEGO, AGENT, ADMIN, "nobody@acme.test"):
        for action in ("deactivate", "temporary-password", "reset-link"):
            refused = assert_problem(mario.post(f"/contacts/{email}/{action}"), 404, "not_found")
            assert refused["detail"] == f"no contact {email} in your organisation"  # the same for all of them
    # adding someone who exists elsewhere moves nobody; naming an organisation is not a field at all
    assert_problem(mario.post("/contacts", json={"email": CARLA, "name": "Carla"}), 409, "state_conflict")
    assert_problem(mario.post("/contacts", json={"email": "x@acme.test", "name": "X", "organization": "globex"}),
                   422, "invalid_input")
    for email in (CARLA, DIEGO, AGENT, ADMIN):
        assert as_user(email).get("/me").json()["active"] is True  # not deactivated, token still good
        again = requests.post(server.api + "/auth/login", json={"email": email, "password": PASSWORD},
                              headers={"X-Forwarded-For": "192.0.2.77"}, timeout=TIMEOUT)
        assert again.status_code == 201 and again.json()["must_change_password"] is False  # password as it was
    assert as_user(AGENT).get("/users?organization=globex").json()["items"][0]["organization"] == "globex"
    assert_problem(mario.post(f"/contacts/{MARIO}/deactivate"), 409, "state_conflict")  # not himself


def test_a_contact_manager_runs_their_company_contacts(server: Server, as_user: Callable[[str], Api]) -> None:
    mario, email = as_user(MARIO), "luis@acme.test"
    added = mario.post("/contacts", json={"email": email, "name": "Luis Mora"})
    assert added.status_code == 201
    assert (added.json()["organization"], added.json()["role"], added.json()["manager"]) == ("acme", "customer", False)
    temporary = mario.post(f"/contacts/{email}/temporary-password")
    assert temporary.headers["Cache-Control"] == "no-store"
    signed = requests.post(server.api + "/auth/login", json={"email": email, "password": temporary.json()["password"]},
                           headers={"X-Forwarded-For": "192.0.2.78"}, timeout=TIMEOUT).json()
    assert signed["must_change_password"] is True
    luis = Api(server, signed["token"])
    ticket = luis.post("/tickets", json={"subject": "Formulario 5412", "body": "Cambio de documento"}).json()
    assert mario.post(f"/contacts/{email}/reset-link").status_code == 202
    mails = as_user(ADMIN).get("/admin/outbox").json()["items"]
    assert any(m["to"] == email and "reset-password?token=" in m["body"] for m in mails)  # no SMTP: the outbox
    assert mario.post(f"/contacts/{email}/deactivate").json()["active"] is False
    assert_problem(luis.get("/me"), 403, "permission_denied")  # his token no longer acts
    assert email not in {u["email"] for u in mario.get("/contacts").json()["items"]}
    assert email in {u["email"] for u in mario.get("/contacts", params={"inactive": "true"}).json()["items"]}
    kept = mario.get(f"/tickets/{ticket['id']}").json()  # his history is kept, and his manager still sees it
    assert kept["requester"] == email and kept["comments"][0]["body"] == "Cambio de documento"
    assert_problem(mario.post(f"/contacts/{email}/temporary-password"), 409, "state_conflict")


def test_a_photo_is_seen_only_by_those_who_may_see_its_owner(server: Server, as_user: Callable[[str], Api],
                                                             anonymous: Api) -> None:
    from tests.server.photos import PNG, WEBP

    for email, image in ((BOB, PNG), (AGENT, WEBP)):
        upload = as_user(email).post("/uploads", params={"filename": "foto"}, data=image).json()
        me = as_user(email).post("/me/photo", json={"upload": upload["id"]})
        assert me.status_code == 200 and me.json()["photo_sha256"] == upload["sha256"]
    for viewer in (BOB, ANA, MARIO, AGENT, ADMIN):  # himself, his colleagues, staff
        shown = as_user(viewer).get(f"/users/{BOB}/photo")
        assert shown.status_code == 200 and shown.content == PNG and shown.headers["Content-Type"] == "image/png"
    for viewer in (CARLA, DIEGO):  # another company: as if he had no photo, or no account
        refused = assert_problem(as_user(viewer).get(f"/users/{BOB}/photo"), 404, "not_found")
        assert refused["detail"] == f"no photo of {BOB}"
        assert as_user(viewer).get("/users/nobody@acme.test/photo").json()["detail"] == "no photo of nobody@acme.test"
    assert as_user(CARLA).get(f"/users/{AGENT}/photo").content == WEBP  # the support team's: everyone
    assert_problem(anonymous.get(f"/users/{BOB}/photo"), 401, "unauthenticated")
    # a file that is not a photo changes nothing
    pdf = as_user(BOB).post("/uploads", params={"filename": "foto.png"}, data=PDF).json()
    assert_problem(as_user(BOB).post("/me/photo", json={"upload": pdf["id"]}), 415, "unsupported_media_type")
    assert as_user(BOB).get(f"/users/{BOB}/photo").content == PNG


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
