"""Search matches Spanish and English word forms ("contraseñas" finds "contraseña"), on SQLite and PostgreSQL.

A small judged query set over the demo knowledge base (cli/portalctl/data/articles): each query names the article
a person asking it wants among the first three results. `recall_at_3` is also what the report's figures come from:
`python -m tests.test_search_forms` prints it with and without the stemmer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from portalctl.contract import TicketDraft, TicketQuery
from portalctl.engine import stemming
from portalctl.engine.accounts import bootstrap_admin
from portalctl.engine.portal import Portal
from tests.stores import KINDS, new_store

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


def test_plural_finds_singular_in_tickets(portal: Portal) -> None:
    tickets = portal.session(ADMIN).tickets
    made = tickets.create(TicketDraft(subject="No puedo cambiar la contraseña", body="Tampoco llega la factura"))
    tickets.create(TicketDraft(subject="Otra cosa", body="nada que ver"))
    for words in ("contraseñas", "facturas", "CONTRASEÑAS facturas"):
        assert [t.id for t in tickets.list(TicketQuery(search=words))] == [made.id], words


def test_stems_never_become_search_syntax(portal: Portal) -> None:
    """Quotes, stars and operators typed by a person stay words, stemmed or not."""
    articles = portal.session(ADMIN).articles
    assert articles.search('contraseñas" OR * NEAR(', limit=3)[0].title == JUDGED["contraseñas"]


def test_short_stems_are_not_searched() -> None:
    assert stemming.forms("fas") == ("fas",)
    assert stemming.forms("Contraseñas") == ("contraseñ",)


def test_the_stemmer_loads_only_when_a_search_runs() -> None:
    import subprocess

    code = ("import sys; from portalctl.cli import root; import portalctl.engine.dialect;"
            " print([m for m in sys.modules if 'snowball' in m or m.endswith('stemming')])")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def main() -> None:
    """Print recall@3 on a fresh SQLite demo knowledge base, without the stemmer and with it."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        portal = demo_knowledge_base(Portal(Path(folder) / "portal.db", create=True))
        stemmers = stemming.stemmers
        stemming.stemmers = lambda: ()  # type: ignore[assignment]
        stemming.forms.cache_clear()
        before, missed_before = recall_at_3(portal)
        stemming.stemmers = stemmers  # type: ignore[assignment]
        stemming.forms.cache_clear()
        after, missed_after = recall_at_3(portal)
        portal.close()
    print(f"recall@3 over {len(JUDGED)} judged queries: without stemming {before:.2f} (missed: {missed_before}); "
          f"with stemming {after:.2f} (missed: {missed_after})")


if __name__ == "__main__":
    main()
