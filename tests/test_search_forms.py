"""Search matches Spanish and English word forms ("contraseñas" finds "contraseña"), on SQLite and PostgreSQL: the
index holds stems and queries are stemmed the same way (engine/stemming.py).

A small judged query set over the demo knowledge base (cli/portalctl/data/articles): each query names the article
a person asking it wants among the first three results. `recall_at_3` is also what the report's figures come from:
`python -m tests.test_search_forms` prints it with and without the stemmer, on SQLite and (with
PORTALCTL_TEST_POSTGRES) on PostgreSQL.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from portalctl.contract import TicketDraft, TicketQuery
from portalctl.engine import schema, search_index, sqlite, stemming
from portalctl.engine.accounts import bootstrap_admin
from portalctl.engine.dialect import dialect_for
from portalctl.engine.portal import Portal
from tests.stores import KINDS, Store, new_store

ADMIN = "admin@support.test"
# query -> the title of the article that must rank in the top 3
JUDGED = {
    "contraseñas": "Recuperar la contraseña del portal de clientes",
    "facturas electrónicas": "Cómo emitir una factura electrónica",
    "dominios": "Renovar un dominio .co",
    "copia de seguridad": "Copias de seguridad de su alojamiento web",
    "passwords": "Resetting your password",
    "invoices": "E-invoicing across countries: what we support",
    "attachments limits": "Attaching files to a ticket: types and size limits",
    "pedimento": "Pedimentos de importación: documentos que debe adjuntar",
    "certificados": "Configuración del certificado de sello digital (CSD)",
    "tickets closes automatically": "Why was my ticket closed automatically?",
    "estados tickets": "Estados de un ticket: abierto, en espera, resuelto y cerrado",
    "formularios importación": "Cómo diligenciar el formulario de importación",
    "cancelaciones CFDI": "Cancelar un CFDI 4.0",
    "notificación": "Elegir qué notificaciones recibir",
    "usuarios empresa": "Dar de alta a un usuario de su empresa en el portal",
    "companies sharing tickets": "Getting started with the customer portal",
    "replying to closed tickets": "Why was my ticket closed automatically?",
    # the article says "delivery": the stem of "deliveries" ("deliveri") is not the start of it, so only an index
    # of stems finds it
    "deliveries": "E-invoicing across countries: what we support",
}


def demo_knowledge_base(portal: Portal) -> Portal:
    from portalctl.demo_data import load_articles

    bootstrap_admin(portal, email=ADMIN, name="Ada Admin")
    load_articles(portal.session(ADMIN))
    return portal


def recall_at_3(portal: Portal) -> tuple[float, list[str]]:
    """The share of judged queries whose article is in the top 3, and the queries that missed."""
    articles = portal.session(ADMIN).articles
    missed = [query for query, title in JUDGED.items()
              if title not in [a.title for a in articles.search(query, limit=3)]]
    return 1 - len(missed) / len(JUDGED), missed


@pytest.fixture(params=KINDS)
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Portal:
    store = new_store(request.param, tmp_path / request.param)
    found = demo_knowledge_base(store.open())
    request.addfinalizer(found.close)
    return found


def test_every_judged_query_finds_its_article_in_the_top_3(portal: Portal) -> None:
    recall, missed = recall_at_3(portal)
    assert missed == [] and recall == 1.0


def test_word_forms_find_each_other_in_tickets(portal: Portal) -> None:
    tickets = portal.session(ADMIN).tickets
    made = tickets.create(TicketDraft(subject="No puedo cambiar la contraseña", body="Tampoco llega la factura"))
    english = tickets.create(TicketDraft(subject="Which policy applies", body="Two companies share the account"))
    plural = tickets.create(TicketDraft(subject="Las facturas de marzo", body="Lugares de entrega"))
    tickets.create(TicketDraft(subject="Otra cosa", body="nada que ver"))
    for words, found in [("contraseñas", {made.id}), ("facturas", {made.id, plural.id}),
                         ("CONTRASEÑAS facturas", {made.id}), ("policies", {english.id}), ("company", {english.id}),
                         ("lugar", {plural.id}), ("factu contrase", {made.id}), ("factura", {made.id, plural.id})]:
        assert {t.id for t in tickets.list(TicketQuery(search=words))} == found, words


def test_a_snippet_marks_the_word_as_the_article_writes_it(portal: Portal) -> None:
    found = portal.session(ADMIN).articles.search("contraseñas olvidadas", limit=1)[0]
    assert found.title == JUDGED["contraseñas"] and "[contraseña]" in (found.snippet or "")


def test_stems_never_become_search_syntax(portal: Portal) -> None:
    """Quotes, stars and operators typed by a person stay words, stemmed or not."""
    articles = portal.session(ADMIN).articles
    found = articles.search('contraseñas" OR * NEAR(', limit=3)  # no word matches all: then any one does
    assert JUDGED["contraseñas"] in [a.title for a in found]


def test_words_are_indexed_folded_and_stemmed() -> None:
    assert stemming.stem("Contraseñas") == stemming.stem("contrasena") == "contrasen"
    assert stemming.stem("policies") == stemming.stem("policy")  # no language: the stemmer that strips more
    assert stemming.stems("¿Olvidó su contraseña_nueva?", "es") == "olvid su contrasen nuev"
    assert stemming.forms("fas") == (("fas", True),)  # a stem too short to search for ("fa") is not used
    assert ("lug", False) in stemming.forms("lugares")  # Snowball stems "lugar" to "lug", "lugares" to "lugar"


def test_the_stemmer_loads_only_when_a_search_runs() -> None:
    import subprocess

    code = ("import sys; from portalctl.cli import root; import portalctl.engine.dialect;"
            " print([m for m in sys.modules if 'snowball' in m or m.endswith('stemming')])")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_a_portal_indexed_before_stems_is_reindexed_by_its_migration(kind: str, tmp_path: Path) -> None:
    """A portal written by the code before this migration (text indexed as written) finds word forms after it."""
    store = new_store(kind, tmp_path)
    steps = dialect_for(store.location).migrations()
    before = next(i for i, step in enumerate(schema.MIGRATIONS)
                  if isinstance(step, schema.Migration) and step.then is search_index.rebuild)
    conn = earlier_portal(store, steps[:before])
    try:
        for sql, values in [
            ("INSERT INTO users (id, email, name, role, created_at) VALUES (?, ?, ?, ?, ?)",
             (1, ADMIN, "Ada", "admin", NOW)),
            ("INSERT INTO tickets (id, subject, status, priority, requester_id, created_at, updated_at)"
             " VALUES (?, ?, 'open', 'medium', 1, ?, ?)", (1, "Contraseña", NOW, NOW)),
            ("INSERT INTO tickets_fts (rowid, subject, body) VALUES (?, ?, ?)", (1, "Contraseña", "La factura")),
            ("INSERT INTO collections (id, name, slug) VALUES (?, ?, ?)", (1, "Colombia", "colombia")),
            ("INSERT INTO folders (id, collection_id, name, slug) VALUES (?, ?, ?, ?)", (1, 1, "Portal", "portal")),
            ("INSERT INTO articles (id, folder_id, title, body, locale, created_at, updated_at)"
             " VALUES (?, ?, ?, ?, ?, ?, ?)", (1, 1, "Recuperar la contraseña", "Pida un enlace.", "es", NOW, NOW)),
        ]:
            conn.execute(sql, values)
    finally:
        conn.close()
    portal = store.open()
    try:
        session = portal.session(ADMIN)
        assert [t.id for t in session.tickets.list(TicketQuery(search="contraseñas facturas"))] == [1]
        found = session.articles.search("contraseñas", limit=3)
        assert [a.id for a in found] == [1]
        session.articles.edit(1, title="Cambiar la clave")  # the engine keeps the index from now on
        assert session.articles.search("contraseñas", limit=3) == []
        assert [a.id for a in session.articles.search("claves", limit=3)] == [1]
    finally:
        portal.close()


NOW = "2026-12-04T10:00:00Z"


def earlier_portal(store: Store, steps: list[str | schema.Migration]) -> Any:
    """A raw connection to `store`, migrated only as far as `steps`."""
    if store.kind == "sqlite":
        return sqlite.connect(Path(store.location), steps, create=True)
    import psycopg

    from portalctl.engine import postgres

    conn = postgres.PgConnection(psycopg.connect(str(store.location), autocommit=True,
                                                 row_factory=postgres.row_factory), None)
    postgres.migrate(conn, steps)
    return conn


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def main() -> None:
    """Print recall@3 on a fresh demo knowledge base, with the stemmer and without it (words folded only), on
    SQLite and, with PORTALCTL_TEST_POSTGRES, on PostgreSQL."""
    import os
    import tempfile

    with_stemmer = stemming.stemmers
    for kind in KINDS:
        if kind == "postgresql" and not os.environ.get("PORTALCTL_TEST_POSTGRES"):
            continue
        figures = []
        for label, stemmers in (("without stemming", lambda: {}), ("with stemming", with_stemmer)):
            stemming.stemmers = stemmers  # type: ignore[assignment]
            stemming.stem.cache_clear()
            stemming.forms.cache_clear()
            with tempfile.TemporaryDirectory() as folder:
                portal = demo_knowledge_base(new_store(kind, Path(folder)).open())
                recall, missed = recall_at_3(portal)
                portal.close()
            figures.append(f"{label} {recall:.2f} (missed: {missed})")
        print(f"{kind}: recall@3 over {len(JUDGED)} judged queries: " + "; ".join(figures))
    stemming.stemmers = with_stemmer  # type: ignore[assignment]


if __name__ == "__main__":
    main()
