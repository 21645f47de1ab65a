"""What to read after an article (its folder, related articles) and the printable rendering (seed 002)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result

from portalctl.engine.portal import Portal
from portalctl.model import Article
from tests.conftest import ADMIN

Run = Callable[..., Result]


@pytest.fixture
def kb(portal: Portal) -> dict[str, Article]:
    add = portal.session(ADMIN).articles.add
    return {
        "invoice": add(collection="Colombia", folder="Facturación", title="Emitir una factura electrónica",
                       body="# Factura\n\nEntre a **Facturación** <script>alert(1)</script>", locale="es-CO",
                       labels=["factura", "DIAN"]),
        "cancel": add(collection="Colombia", folder="Facturación", title="Anular una factura", body="Con nota.",
                      locale="es-CO"),
        "dian": add(collection="México", folder="Trámites", title="Habilitación ante la DIAN", body="Paso a paso.",
                    locale="es", labels=["dian", "factura"]),
        "one_label": add(collection="México", folder="Trámites", title="Certificado", body="Sello.",
                         labels=["factura"]),
        "similar": add(collection="España", folder="Facturae", title="Factura electrónica en España",
                       body="Facturae.", locale="es"),
        "unrelated": add(collection="España", folder="Correo", title="Configurar Outlook", body="Correo."),
    }


def test_show_ends_with_the_folder_then_related_articles(cli: Run, kb: dict[str, Article], portal: Portal) -> None:
    refs = portal.session(ADMIN).articles.related(kb["invoice"].id)
    assert [a.id for a in refs.folder] == [kb["cancel"].id]
    # two shared labels, then one, then text like the title; never the article itself or its folder again
    assert [a.id for a in refs.related][:3] == [kb["dian"].id, kb["one_label"].id, kb["similar"].id]
    assert kb["unrelated"].id not in [a.id for a in refs.related]
    shown = cli("articles", "show", str(kb["invoice"].id)).stdout
    tail = shown[shown.index("More in this folder"):]
    assert f"#{kb['cancel'].id} Anular una factura" in tail
    assert tail.index("Related articles") < tail.index(f"#{kb['dian'].id} Habilitación ante la DIAN")


def test_print_gives_plain_text_and_safe_html(cli: Run, kb: dict[str, Article]) -> None:
    text = cli("articles", "show", str(kb["invoice"].id), "--print")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == "Emitir una factura electrónica" and set(lines[1]) == {"="}
    assert "Colombia > Facturación · es-CO" in lines[2] and "**" not in text.stdout
    assert "Related articles" not in text.stdout and "Helpful" not in text.stdout
    page = cli("articles", "show", str(kb["invoice"].id), "--print", "-o", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and "<h1>Emitir una factura electrónica</h1>" in page
    assert "<strong>Facturación</strong>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # the article's own HTML is shown, never run
    wrong = cli("articles", "show", str(kb["invoice"].id), "-o", "html")
    assert wrong.exit_code == 2 and "-o html goes with --print" in wrong.stderr
    assert cli("articles", "show", "999", "--print").exit_code == 3
