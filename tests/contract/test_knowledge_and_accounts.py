"""The knowledge-base and accounts contract, on the embedded portal and on a real server process alike."""

from __future__ import annotations

import pytest

from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict
from portalctl.model import FieldDef
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO
from tests.contract.conftest import ClientFor
from tests.contract.serving import BULK_ARTICLES


def test_search_is_accent_insensitive_and_ranked(client: ClientFor) -> None:
    found = client(ANA).articles.search("electronica")
    assert found and found[0].title == "Factura electrónica: cómo emitirla"
    assert found[0].snippet and "[electrónica]" in found[0].snippet.lower()
    assert found[0].score is not None and found[0].body is None
    assert [a.title for a in client(ANA).articles.search("importacion FOB", locale="es")] == [
        "Formulario de importación"]
    assert client(ANA).articles.search("outlook", collection="Colombia") == []
    assert [a.collection for a in client(ANA).articles.search("correo", collection="españa")] == ["España"]
    assert len(client(ANA).articles.search("bulk article", limit=3)) == 3
    with pytest.raises(InvalidInput, match="collection"):
        client(ANA).articles.search("factura", collection="Atlantis")
    with pytest.raises(InvalidInput, match="at least one word"):
        client(ANA).articles.search("¿?")


def test_show_list_and_tree(client: ClientFor) -> None:
    articles = client(CARLA).articles
    [hit] = articles.search("outlook")
    shown = articles.get(hit.id)
    assert shown.body == "Abra Outlook y añada la cuenta con IMAP."
    assert (shown.collection, shown.folder, shown.locale, shown.labels) == ("España", "Correo", "es-ES", ["correo"])
    with pytest.raises(NotFound):
        articles.get(10**9)
    bulk = list(articles.list(collection="bulk"))  # more than one page: the backend follows the cursor
    assert len(bulk) == BULK_ARTICLES
    assert len({a.id for a in bulk}) == BULK_ARTICLES
    assert [a.folder for a in bulk[:1]] == ["Folder 0"]
    assert [a.id for a in articles.list(collection="bulk", limit=105)] == [a.id for a in bulk[:105]]
    assert [a.title for a in articles.list(folder="correo")] == ["Configurar el correo en Outlook"]
    tree = {c.name: [(f.name, f.articles) for f in c.folders] for c in articles.collections()}
    assert tree["Colombia"] == [("Facturación", 1), ("Importaciones", 1)]
    assert sum(n for _, n in tree["Bulk"]) == BULK_ARTICLES
    with pytest.raises(InvalidInput, match="folder"):
        articles.list(folder="nowhere")


def test_rating_counts_one_vote_per_person(client: ClientFor) -> None:
    [article] = client(ANA).articles.search("formulario importacion")
    before = client(ANA).articles.get(article.id)
    assert client(ANA).articles.rate(article.id, helpful=True).helpful == before.helpful + 1
    changed = client(ANA).articles.rate(article.id, helpful=False)  # a second vote replaces the first
    assert (changed.helpful, changed.not_helpful) == (before.helpful, before.not_helpful + 1)
    assert client(BOB).articles.rate(article.id, helpful=True).helpful == before.helpful + 1
    with pytest.raises(NotFound):
        client(ANA).articles.rate(10**9, helpful=True)


def test_staff_write_articles(client: ClientFor, word: str) -> None:
    made = client(AGENT).articles.add(collection=word, folder="Guides", title="Reset a password",
                                      body="# Steps\n\nOpen the portal.", locale="en_gb", labels="a, b")
    assert (made.collection, made.locale, made.labels, made.body) == (word, "en-GB", ["a", "b"],
                                                                      "# Steps\n\nOpen the portal.")
    edited = client(ADMIN).articles.edit(made.id, title="Reset your password", labels=["c"], folder="How-to")
    assert (edited.title, edited.labels, edited.folder) == ("Reset your password", ["c"], "How-to")
    with pytest.raises(StateConflict, match="already has an article"):
        client(AGENT).articles.add(collection=word, folder="How-to", title="reset your password", body="x")
    with pytest.raises(PermissionDenied):
        client(ANA).articles.add(collection=word, folder="Guides", title="Mine", body="x")
    with pytest.raises(PermissionDenied):
        client(ANA).articles.edit(made.id, title="Mine")
    with pytest.raises(InvalidInput, match="votes"):
        client(AGENT).articles.edit(made.id, votes=3)


def test_me(client: ClientFor) -> None:
    for email, role, organization in ((ADMIN, "admin", None), (AGENT, "agent", None), (ANA, "customer", "acme"),
                                      (CARLA, "customer", "globex")):
        me = client(email).accounts.me()
        assert (me.email, me.role, me.organization, me.active) == (email, role, organization, True)
    updated = client(DIEGO).accounts.update_me(language="es", timezone="America/Bogota", phone="+57 1 555")
    assert (updated.language, updated.timezone, updated.phone) == ("es", "America/Bogota", "+57 1 555")
    assert client(DIEGO).accounts.me().timezone == "America/Bogota"
    with pytest.raises(InvalidInput, match="timezone"):
        client(DIEGO).accounts.update_me(timezone="Mars/Olympus")


def test_users_are_for_staff(client: ClientFor) -> None:
    with pytest.raises(PermissionDenied, match="only agents"):
        client(ANA).accounts.users()
    with pytest.raises(PermissionDenied):
        client(ANA).accounts.organizations()
    everyone = {u.email for u in client(AGENT).accounts.users()}
    assert {ADMIN, AGENT, ANA, BOB, CARLA, DIEGO} <= everyone
    assert {u.email for u in client(AGENT).accounts.users(organization="globex")} == {CARLA, DIEGO}
    assert {u.email for u in client(AGENT).accounts.users(role="admin")} == {ADMIN}
    assert {"acme", "globex"} <= {o.slug for o in client(AGENT).accounts.organizations()}
    assert {"soporte-web", "soporte-administrativo"} <= {d.slug for d in client(ANA).accounts.departments()}
    assert [f.key for f in client(ANA).accounts.field_defs()][:2] == ["user_code", "country"]


def test_admins_manage_people(client: ClientFor, word: str) -> None:
    admin = client(ADMIN).accounts
    email = f"{word}@acme.test"
    added = admin.add_user(email=email, name="New Person", organization="acme")
    assert (added.email, added.role, added.organization, added.active) == (email, "customer", "acme", True)
    with pytest.raises(StateConflict, match="already exists"):
        admin.add_user(email=email, name="Again")
    with pytest.raises(PermissionDenied, match="only admins"):
        client(AGENT).accounts.add_user(email=f"x{email}", name="X")
    assert admin.set_active(email, False).active is False
    assert email not in {u.email for u in admin.users()}
    assert email in {u.email for u in admin.users(inactive=True)}
    assert admin.set_active(email, True).active is True
    temporary = admin.reset_password(email)
    assert len(temporary) >= 12
    with pytest.raises(NotFound):
        admin.set_active(f"nobody-{email}", False)
    org = admin.add_organization(name=f"Org {word}", shared_tickets=True, timezone="America/Mexico_City",
                                 resolution_hours=8)
    assert (org.shared_tickets, org.timezone, org.resolution_hours, org.users) == (True, "America/Mexico_City", 8, 0)
    department = admin.add_department(name=f"Dept {word}", description="d")
    assert department.slug == f"dept-{word}"
    definition = FieldDef(key=f"f_{word}", label="Form", type="number", required=False, choices=[], pattern=None,
                          customer_editable=True, department=department.slug, description=None)
    assert admin.add_field(definition) == definition
    assert f"f_{word}" in [f.key for f in admin.field_defs(department=department.slug)]
    assert f"f_{word}" not in [f.key for f in admin.field_defs(department="soporte-web")]
