"""The server answers in its caller's language: problem+json title, detail and hint by Accept-Language (RFC 9110
quality values), the reset page by the browser's, the reset mail by the recipient's profile; the code, status
and every machine field stay the same."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests

from portalctl import i18n
from portalctl.backends.server import connect
from portalctl.config import Profile
from portalctl.errors import NotFound
from portalctl.server.language import preferred
from tests.server.conftest import ADMIN, AGENT, TIMEOUT, Api, Server, assert_problem

SPANISH = {"Accept-Language": "es-CO,es;q=0.9,en;q=0.5"}


@pytest.mark.parametrize(("header", "language"), [
    ("", "en"), ("es", "es"), ("es-CO,es;q=0.9", "es"), ("fr, en;q=0.8, es;q=0.5", "en"),
    ("fr, es;q=0.8, en;q=0.5", "es"), ("en;q=0, es", "es"), ("es;q=0", "en"), ("*", "en"), ("es;q=bad, en", "en"),
])
def test_accept_language_picks_the_first_language_portalctl_speaks(header: str, language: str) -> None:
    assert preferred(header) == language


def test_problems_answer_in_the_callers_language(as_user: Callable[[str], Api]) -> None:
    agent = as_user(AGENT)
    spanish = assert_problem(agent.get("/tickets/99999999", headers=SPANISH), 404, "not_found")
    english = assert_problem(agent.get("/tickets/99999999"), 404, "not_found")
    assert (spanish["title"], spanish["detail"]) == ("No encontrado", "no existe el ticket #99999999")
    assert (english["title"], english["detail"]) == ("Not found", "no ticket #99999999")
    assert {k: v for k, v in spanish.items() if k not in ("title", "detail", "hint")} == \
        {k: v for k, v in english.items() if k not in ("title", "detail", "hint")}
    answer = agent.post("/tickets", data="[1]", headers={**SPANISH, "Content-Type": "application/json"})
    body = assert_problem(answer, 422, "invalid_input")
    assert body["detail"] == "el cuerpo de la solicitud debe ser un objeto JSON"
    assert answer.headers["Content-Language"] == "es"
    assert agent.get("/tickets/99999999").headers["Content-Language"] == "en"


def test_the_server_backend_asks_in_the_users_language(server: Server, tokens: dict[str, str]) -> None:
    for language, detail in (("es", "no existe el ticket #99999999"), ("en", "no ticket #99999999")):
        with i18n.using(language):
            backend = connect(Profile(name="a", backend="server", url=server.url), tokens[AGENT])
            with pytest.raises(NotFound) as refused:
                backend.tickets.get(99999999)
        assert refused.value.message == detail


def test_the_reset_mail_speaks_the_recipients_language(server: Server, as_user: Callable[[str], Api],
                                                       anonymous: Api) -> None:
    user = "idioma-es@acme.test"
    as_user(ADMIN).post("/users", json={"email": user, "name": "Inés Idioma", "organization": "acme"})
    server.sql("UPDATE users SET language = 'es-CO' WHERE email = ?", (user,))
    assert anonymous.post("/auth/password-reset", json={"email": user}).status_code == 202  # asked in English
    mail = next(m for m in as_user(ADMIN).get("/admin/outbox").json()["items"] if m["to"] == user)
    assert mail["subject"] == "Restablezca la contraseña de su portal de soporte"
    assert mail["body"].startswith("Hola, Inés Idioma:\n\nalguien (esperamos que usted) pidió restablecer")
    link = re.search(r"(http://\S+/reset-password\?token=\S+)", mail["body"])
    assert link
    page = requests.get(link[1], headers=SPANISH, timeout=TIMEOUT)
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "Nueva contraseña (al menos" in page.text and "Restablezca su contraseña" in page.text
    assert "New password (at least" in requests.get(link[1], timeout=TIMEOUT).text
