"""The knowledge base: accent-insensitive ranked search, filters, votes, who may write, and Markdown import."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.engine.portal import Portal, Session
from portalctl.errors import InvalidInput, StateConflict
from portalctl.kbimport import read_article, read_articles
from portalctl.model import Article
from tests.conftest import ADMIN, AGENT, ANA, BOB

Run = Callable[..., Result]
DEMO_ARTICLES = Path(__file__).parent.parent / "cli" / "portalctl" / "data" / "articles"

INVOICE_BODY = """# Cómo emitir una factura electrónica

Entre a **Facturación > Nueva factura** y elija el cliente.

## Pasos

1. Revise la configuración de impuestos.
2. Pulse Emitir.
"""


@pytest.fixture
def kb(portal: Portal) -> dict[str, Article]:
    """A small knowledge base in two languages; one text is written without accents on purpose."""
    add = portal.session(ADMIN).articles.add
    return {
        "invoice": add(collection="Colombia", folder="Facturación electrónica", title="Cómo emitir una factura",
                       body=INVOICE_BODY, locale="es-CO", labels=["factura", "DIAN"]),
        "cfdi": add(collection="México", folder="Facturación electrónica", title="Cancelar un CFDI",
                    body="Un comprobante timbrado se cancela ante el SAT con un motivo.", locale="es-MX"),
        "domain": add(collection="Colombia", folder="Hosting", title="Renovar el dominio",
                      body="Guia de configuracion del DNS y renovacion anual del dominio.", locale="es"),
        "password": add(collection="International", folder="Hosting", title="Resetting your password",
                        body="Choose Forgot your password and follow the link. Spanish: contraseña.", locale="en"),
    }


def ids(found: list[Article]) -> list[int]:
    return [article.id for article in found]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- search
def test_search_ignores_accents_both_ways(kb: dict[str, Article], as_user: Callable[[str], Session]) -> None:
    articles = as_user(ANA).articles
    assert kb["invoice"].id in ids(articles.search("facturacion electronica"))  # plain query, accented text
    assert ids(articles.search("configuración renovación")) == [kb["domain"].id]  # accented query, plain text
    assert ids(articles.search("CONTRASENA")) == [kb["password"].id]


def test_title_hit_ranks_above_body_only_hit(portal: Portal) -> None:
    add = portal.session(AGENT).articles.add
    body_only = add(collection="España", folder="Hosting", title="Copias nocturnas",
                    body="Las copias de seguridad incluyen el buzón de correo. El correo se guarda catorce días.")
    in_title = add(collection="España", folder="Hosting", title="Configurar el correo en Outlook",
                   body="Datos del servidor IMAP y SMTP para su cuenta.")
    assert ids(portal.session(ANA).articles.search("correo")) == [in_title.id, body_only.id]


def test_snippet_marks_the_match_in_the_original_text(kb: dict[str, Article], as_user: Callable[[str], Session]
                                                      ) -> None:
    [hit] = as_user(ANA).articles.search("contrasena")
    assert "[contraseña]" in (hit.snippet or "")
    assert hit.score is not None and hit.score > 0
    [invoice] = as_user(ANA).articles.search("impuestos")
    assert "[impuestos]" in (invoice.snippet or "") and "\n" not in (invoice.snippet or "")


def test_all_words_first_then_any_word(kb: dict[str, Article], as_user: Callable[[str], Session]) -> None:
    articles = as_user(ANA).articles
    assert ids(articles.search("cancela sat")) == [kb["cfdi"].id]  # prefixes: cancela finds cancelar
    either = ids(articles.search("cfdi password"))  # no article has both words
    assert sorted(either) == sorted([kb["cfdi"].id, kb["password"].id])


@pytest.mark.parametrize("query", ['"', "AND", "*", "-", "(", "", "factura\"", "NEAR(a b)", "title:x", "a OR",
                                   "^dominio", "e-factura", "¿contraseña?"])
def test_hostile_queries_never_break_the_search(kb: dict[str, Article], cli: Run, query: str) -> None:
    result = cli("articles", "search", query, "-o", "json", user=ANA)
    assert result.exit_code in (0, 2), result.output
    assert "unexpected" not in result.stderr and "Traceback" not in result.output
    if result.exit_code == 0:
        json.loads(result.stdout)
    else:
        assert json.loads(result.stderr)["message"] == "the search needs at least one word"  # -o json: JSON errors


def test_operators_are_just_words(kb: dict[str, Article], cli: Run) -> None:
    found = json.loads(cli("articles", "search", "AND", "-o", "json", user=ANA).stdout)
    assert [a["id"] for a in found] == [kb["password"].id]  # "and" in the English body, not an FTS operator


def test_filters_by_collection_folder_and_locale(kb: dict[str, Article], cli: Run) -> None:
    def search(*options: str) -> set[int]:
        result = cli("articles", "search", "factura", "dominio", "password", "cfdi", *options, "-o", "json",
                     user=ANA)
        assert result.exit_code == 0, result.stderr
        return {a["id"] for a in json.loads(result.stdout)}

    assert search("--collection", "mexico") == {kb["cfdi"].id}
    assert search("--folder", "hosting") == {kb["domain"].id, kb["password"].id}  # every collection's Hosting
    assert search("--collection", "Colombia", "--folder", "Hosting") == {kb["domain"].id}
    assert search("--locale", "es") == {kb["invoice"].id, kb["cfdi"].id, kb["domain"].id}  # es finds es-CO too
    assert search("--locale", "en") == {kb["password"].id}
    unknown = cli("articles", "search", "factura", "--collection", "Narnia", user=ANA)
    assert unknown.exit_code == 2
    assert "unknown collection 'Narnia'" in unknown.stderr and "colombia" in unknown.stderr
    no_folder = cli("articles", "list", "--folder", "Billing", user=ANA)
    assert no_folder.exit_code == 2
    assert "Hint: known: facturacion-electronica, hosting\n" in no_folder.stderr  # each folder name once


def test_search_limit_and_no_match(kb: dict[str, Article], cli: Run) -> None:
    limited = cli("articles", "search", "factura", "password", "dominio", "--limit", "1", "-o", "jsonl", user=ANA)
    assert len(limited.stdout.splitlines()) == 1
    nothing = cli("articles", "search", "xylophone", user=ANA)
    assert nothing.exit_code == 0
    assert nothing.stdout == "" and "No articles match 'xylophone'" in nothing.stderr


# --- reading
def test_show_is_readable_and_raw_is_the_markdown(kb: dict[str, Article], cli: Run) -> None:
    article_id = str(kb["invoice"].id)
    raw = cli("articles", "show", article_id, "--raw", user=ANA)
    assert raw.stdout == INVOICE_BODY
    readable = cli("articles", "show", article_id, user=ANA).stdout
    assert readable.startswith(f"#{article_id} Cómo emitir una factura\n")
    assert "Colombia > Facturación electrónica · es-CO" in readable
    assert "Helpful: 0 · Not helpful: 0 · labels: factura, DIAN" in readable
    assert "## Pasos" in readable  # piped: plain Markdown, no terminal codes
    data = json.loads(cli("articles", "show", article_id, "-o", "json", user=ANA).stdout)
    assert data["body"] == INVOICE_BODY and data["labels"] == ["factura", "DIAN"]


def test_unknown_article_is_a_one_line_not_found(portal: Portal, cli: Run) -> None:
    result = cli("articles", "show", "999", user=ANA)
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == "Error: no article 999"
    assert result.stderr.splitlines()[1].startswith("Hint: ")
    assert cli("articles", "rate", "999", "--helpful", user=ANA).exit_code == 3
    assert cli("admin", "articles", "edit", "999", "--title", "x", user=ADMIN).exit_code == 3


def test_list_and_collections_tree(kb: dict[str, Article], cli: Run) -> None:
    listed = json.loads(cli("articles", "list", "--collection", "colombia", "-o", "json", user=ANA).stdout)
    assert [a["title"] for a in listed] == ["Cómo emitir una factura", "Renovar el dominio"]
    assert all(a["body"] is None for a in listed)  # listings stay light
    assert len(cli("articles", "list", "--limit", "2", "-o", "jsonl", user=ANA).stdout.splitlines()) == 2
    tree = cli("articles", "collections", user=ANA).stdout
    assert "Colombia (colombia)\n" in tree
    assert "Hosting (hosting)" in tree and "1 article" in tree
    data = json.loads(cli("articles", "collections", "-o", "json", user=ANA).stdout)
    assert [c["name"] for c in data] == ["Colombia", "México", "International"]
    assert [(f["name"], f["articles"]) for f in data[0]["folders"]] == [("Facturación electrónica", 1), ("Hosting", 1)]


# --- votes
def test_one_vote_per_user_and_it_can_change(kb: dict[str, Article], cli: Run) -> None:
    article_id = str(kb["invoice"].id)

    def rate(user: str, flag: str) -> dict[str, int]:
        result = cli("articles", "rate", article_id, flag, "-o", "json", user=user)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        return {"helpful": data["helpful"], "not_helpful": data["not_helpful"]}

    assert rate(ANA, "--helpful") == {"helpful": 1, "not_helpful": 0}
    assert rate(ANA, "--helpful") == {"helpful": 1, "not_helpful": 0}  # counted once
    assert rate(BOB, "--helpful") == {"helpful": 2, "not_helpful": 0}
    assert rate(ANA, "--not-helpful") == {"helpful": 1, "not_helpful": 1}  # Ana changed her mind
    shown = cli("articles", "show", article_id, user=ANA).stdout
    assert "Helpful: 1 · Not helpful: 1" in shown
    missing = cli("articles", "rate", article_id, user=ANA)
    assert missing.exit_code == 2 and "--helpful or --not-helpful" in missing.stderr


# --- writing
def test_customers_cannot_add_edit_or_import(kb: dict[str, Article], cli: Run, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: A\ncollection: C\nfolder: F\n---\nText\n")
    attempts = [
        ("add", "--collection", "C", "--folder", "F", "--title", "T", "--body", "B"),
        ("edit", str(kb["invoice"].id), "--title", "Hacked"),
        ("import", str(tmp_path)),
    ]
    for attempt in attempts:
        result = cli("admin", "articles", *attempt, user=ANA)
        assert result.exit_code == 4, attempt
        assert "only agents" in result.stderr
    titles = [a["title"] for a in json.loads(cli("articles", "list", "-o", "json", user=ANA).stdout)]
    assert len(titles) == 4 and "Hacked" not in titles


def test_agent_adds_and_edits_and_search_follows(portal: Portal, cli: Run) -> None:
    added = cli("admin", "articles", "add", "--collection", "Perú", "--folder", "Hosting", "--title", "Migrar correo",
                "--body-file", "-", "--locale", "es", "--label", "correo", input="Pasos para migrar buzones.\n",
                user=AGENT)
    assert added.exit_code == 0, added.stderr
    article_id = added.stdout.strip()
    assert "Added article" in added.stderr
    duplicate = cli("admin", "articles", "add", "--collection", "peru", "--folder", "hosting", "--title",
                    "migrar CORREO", "--body", "x", user=AGENT)
    assert duplicate.exit_code == 5 and f"edit {article_id}" in duplicate.stderr
    edited = cli("admin", "articles", "edit", article_id, "--title", "Migrar buzones de Gmail", "--folder", "Correo",
                 "-o", "json", user=AGENT)
    assert edited.exit_code == 0, edited.stderr
    data = json.loads(edited.stdout)
    assert (data["folder"], data["collection"], data["labels"]) == ("Correo", "Perú", ["correo"])
    found = json.loads(cli("articles", "search", "gmail", "-o", "json", user=ANA).stdout)
    assert [a["id"] for a in found] == [int(article_id)]
    assert cli("admin", "articles", "edit", article_id, user=AGENT).exit_code == 2  # nothing to change


def test_updated_time_moves_only_when_the_article_changes(portal: Portal) -> None:
    articles = portal.session(AGENT).articles
    portal.clock = lambda: datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    article = articles.add(collection="C", folder="F", title="Guía", body="uno", slug="guia")
    portal.clock = lambda: datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    assert articles.edit(article.id, title="Guía").updated_at == "2025-03-01T09:00:00Z"
    assert articles.add(collection="C", folder="F", title="Guía", body="uno", slug="guia").updated_at == (
        "2025-03-01T09:00:00Z")  # re-importing the same file is a no-op
    edited = articles.edit(article.id, body="dos")
    assert (edited.created_at, edited.updated_at) == ("2025-03-01T09:00:00Z", "2025-03-02T09:00:00Z")
    assert articles.rate(article.id, helpful=True).updated_at == "2025-03-02T09:00:00Z"  # votes are not edits


def test_add_with_a_known_slug_updates_in_place(portal: Portal) -> None:
    articles = portal.session(ADMIN).articles
    first = articles.add(collection="C", folder="F", title="Old", body="one", slug="guide")
    again = articles.add(collection="C", folder="F", title="New", body="two", slug="guide")
    assert again.id == first.id and (again.title, again.body) == ("New", "two")
    with pytest.raises(StateConflict):
        articles.add(collection="C", folder="F", title="new", body="three")
    with pytest.raises(InvalidInput, match="not a locale"):
        articles.add(collection="C", folder="F", title="X", body="y", locale="español!")


# --- import
def test_import_is_idempotent(portal: Portal, cli: Run, tmp_path: Path) -> None:
    write(tmp_path, "renovar.md", "---\ntitle: Renovar el dominio\ncollection: Colombia\nfolder: Hosting\n"
                                  "locale: es\nlabels: dominio, renovación\n---\n# Renovar\n\nEn **Mis dominios**.\n")
    write(tmp_path, "outlook.md", "---\ntitle: Correo en Outlook\ncollection: España\nfolder: Hosting\n---\nIMAP.\n")
    first = cli("admin", "articles", "import", str(tmp_path), "-o", "json", user=ADMIN)
    assert first.exit_code == 0, first.stderr
    assert "2 created, 0 already there" in first.stderr
    imported = {a["title"]: a for a in json.loads(first.stdout)}
    assert imported["Renovar el dominio"]["labels"] == ["dominio", "renovación"]
    assert imported["Correo en Outlook"]["locale"] == "en"

    again = cli("admin", "articles", "import", str(tmp_path), "-o", "json", user=ADMIN)
    assert "0 created, 2 already there" in again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)  # same ids, same updated_at: nothing changed
    write(tmp_path, "outlook.md", "---\ntitle: Correo en Outlook\ncollection: España\nfolder: Hosting\n---\n"
                                  "IMAP 993.\n")
    assert cli("admin", "articles", "import", str(tmp_path), user=ADMIN).exit_code == 0
    assert len(json.loads(cli("articles", "list", "-o", "json", user=ANA).stdout)) == 2
    outlook = imported["Correo en Outlook"]["id"]
    assert cli("articles", "show", str(outlook), "--raw", user=ANA).stdout == "IMAP 993.\n"


def test_import_names_the_bad_file_and_writes_nothing(portal: Portal, cli: Run, tmp_path: Path) -> None:
    write(tmp_path, "a-good.md", "---\ntitle: Bien\ncollection: C\nfolder: F\n---\nTexto\n")
    write(tmp_path, "b-untitled.md", "---\ncollection: C\nfolder: F\n---\nTexto\n")
    result = cli("admin", "articles", "import", str(tmp_path), user=ADMIN)
    assert result.exit_code == 2
    assert "b-untitled.md: the front matter has no title" in result.stderr
    assert json.loads(cli("articles", "list", "-o", "json", user=ANA).stdout) == []


def test_front_matter_errors_say_where(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.md", "---\ntitle: A\ncollection: [C\nfolder: F\n---\nText\n")
    with pytest.raises(InvalidInput, match=r"broken\.md line \d+: bad front matter"):
        read_article(broken)
    typo = write(tmp_path, "typo.md", "---\ntitle: A\ncollection: C\nfolder: F\nlables: [x]\n---\nText\n")
    with pytest.raises(InvalidInput, match=r"typo\.md: unknown front-matter key lables"):
        read_article(typo)
    bare = write(tmp_path, "bare.md", "# Just Markdown\n")
    with pytest.raises(InvalidInput, match=r"bare\.md: no front matter"):
        read_article(bare)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match="no Markdown"):
        read_articles(empty)


def test_demo_articles_import_and_search_in_both_languages(portal: Portal) -> None:
    drafts = read_articles(DEMO_ARTICLES)
    assert len(drafts) >= 20
    assert {d["locale"].split("-")[0] for d in drafts} == {"es", "en"}
    admin = portal.session(ADMIN).articles
    for draft in drafts:
        admin.add(**draft)
    articles = portal.session(ANA).articles
    collections = {hit.collection for hit in articles.search("facturacion electronica", limit=20)}
    assert {"Colombia", "México", "España"} <= collections
    assert articles.search("contrasena")[0].title == "Recuperar la contraseña del portal de clientes"
    assert {c.name for c in articles.collections()} == {"Colombia", "México", "España", "International"}
