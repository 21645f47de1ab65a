"""Notices and related articles over HTTP, and through the server backend (`portalctl serve`: the same engine)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from portalctl.backends.server import connect
from portalctl.config import Profile
from portalctl.errors import InvalidInput, PermissionDenied
from tests.server.conftest import ADMIN, AGENT, ANA, BOB, CARLA, Api, Server, assert_problem


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def titles(api: Api, query: str = "") -> list[str]:
    response = api.get("/notices" + query)
    assert response.status_code == 200, response.text
    return [n["title"] for n in response.json()["items"]]


def test_a_notice_for_one_company_is_not_seen_by_another(as_user: Callable[[str], Api]) -> None:
    admin = as_user(ADMIN)
    made = admin.post("/admin/notices", json={"title": "ACME-ONLY corte", "body": "x", "severity": "outage",
                                              "ends": at(2), "organization": "acme"})
    assert made.status_code == 201, made.text
    assert made.json()["organization"] == "acme" and made.json()["active"] is True
    assert "ACME-ONLY corte" in titles(as_user(ANA))
    assert "ACME-ONLY corte" not in titles(as_user(CARLA))
    assert "ACME-ONLY corte" in titles(as_user(AGENT))  # staff see every notice
    # seen is per user: Ana's mark leaves Bob's banner as it was; an id she may not see is ignored
    globex = admin.post("/admin/notices", json={"title": "GLOBEX-ONLY", "ends": at(2), "organization": "globex"})
    seen = as_user(ANA).post("/notices/seen", json={"ids": [made.json()["id"], globex.json()["id"]]})
    assert seen.status_code == 204
    assert "ACME-ONLY corte" not in titles(as_user(ANA), "?unseen=true")
    assert "ACME-ONLY corte" in titles(as_user(BOB), "?unseen=true")
    assert "GLOBEX-ONLY" in titles(as_user(CARLA), "?unseen=true")
    ended = admin.post(f"/admin/notices/{made.json()['id']}/end")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert "ACME-ONLY corte" not in titles(as_user(BOB))


def test_customers_cannot_publish_list_or_end_notices(as_user: Callable[[str], Api]) -> None:
    ana = as_user(ANA)
    before = as_user(ADMIN).get("/admin/notices").json()["items"]
    assert_problem(ana.post("/admin/notices", json={"title": "x", "ends": at(1)}), 403, "permission_denied")
    assert_problem(ana.get("/admin/notices"), 403, "permission_denied")
    assert_problem(as_user(AGENT).post("/admin/notices", json={"title": "x", "ends": at(1)}), 403,
                   "permission_denied")
    if before:
        assert_problem(ana.post(f"/admin/notices/{before[0]['id']}/end"), 403, "permission_denied")
    assert_problem(as_user(ADMIN).post("/admin/notices", json={"title": "x", "starts": at(3), "ends": at(1)}),
                   422, "invalid_input")
    assert_problem(as_user(ADMIN).post("/admin/notices", json={"title": "x", "ends": at(1), "organization": "nope"}),
                   422, "invalid_input")
    assert_problem(as_user(ADMIN).post("/admin/notices/999999/end"), 404, "not_found")
    assert as_user(ADMIN).get("/admin/notices").json()["items"] == before


def test_the_server_backend_publishes_and_reads_notices(server: Server, tokens: dict[str, str]) -> None:
    admin = connect(Profile(name="a", backend="server", url=server.url), tokens[ADMIN]).accounts
    carla = connect(Profile(name="c", backend="server", url=server.url), tokens[CARLA]).accounts
    notice = admin.add_notice(title="BACKEND aviso", body="hola", severity="warning", ends=at(1),
                              organization="globex")
    assert [n.id for n in carla.notices(unseen=True) if n.title == "BACKEND aviso"] == [notice.id]
    carla.mark_notices_seen([notice.id])
    assert notice.id not in [n.id for n in carla.notices(unseen=True)]
    assert notice.id in [n.id for n in admin.all_notices()]
    try:
        carla.add_notice(title="x", body="", ends=at(1))
        raise AssertionError("a customer published a notice")
    except PermissionDenied as exc:
        assert "only admins may publish notices" in exc.message
    try:
        admin.add_notice(title="x", body="", starts=at(2), ends=at(1))
        raise AssertionError("a notice ending before it starts was accepted")
    except InvalidInput as exc:
        assert "before it starts" in exc.message
    assert admin.end_notice(notice.id).active is False


def test_related_articles_over_http(as_user: Callable[[str], Api], server: Server, tokens: dict[str, str]) -> None:
    admin = as_user(ADMIN)
    first = admin.post("/articles", json={"collection": "Colombia", "folder": "RELATED-TEST", "title": "Uno",
                                          "body": "x", "labels": ["rel-label"]}).json()
    second = admin.post("/articles", json={"collection": "Colombia", "folder": "RELATED-TEST", "title": "Dos",
                                           "body": "y"}).json()
    third = admin.post("/articles", json={"collection": "México", "folder": "Otra", "title": "Tres",
                                          "body": "z", "labels": ["REL-LABEL"]}).json()
    refs = as_user(ANA).get(f"/articles/{first['id']}/related")
    assert refs.status_code == 200
    assert [a["id"] for a in refs.json()["folder"]] == [second["id"]]
    assert refs.json()["related"][0]["id"] == third["id"]
    assert_problem(as_user(ANA).get("/articles/999999/related"), 404, "not_found")
    backend = connect(Profile(name="a", backend="server", url=server.url), tokens[ANA]).articles
    assert [a.title for a in backend.related(first["id"]).folder] == ["Dos"]
