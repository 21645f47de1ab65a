"""Sign-up with a verified address over HTTP (seed 000): a real server on 127.0.0.1 that mails its verification
links to a real SMTP server (aiosmtpd), on SQLite and on PostgreSQL.

One server per database kind for the module; each test uses its own addresses and its own client address
(X-Forwarded-For, from the trusted proxy 127.0.0.1), and sets the policy it needs first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.server.conftest import (
    ADMIN,
    ANA,
    PASSWORD,
    TIMEOUT,
    Api,
    Server,
    assert_problem,
    seed_people,
    server_env,
    start_server,
)
from tests.server.smtp import Inbox, smtp_inbox
from tests.stores import KINDS, new_store

PUBLIC = "https://help.example.test"
TERMS = "Términos y condiciones del portal VAI: los datos de importación son confidenciales."
NEW_PASSWORD = "una contraseña larga"


@pytest.fixture(scope="module", params=KINDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Inbox]]:
    store = new_store(request.param, tmp_path_factory.mktemp(f"signup-{request.param}"))
    portal = store.open()
    try:
        seed_people(portal)
    finally:
        portal.close()
    with smtp_inbox() as inbox:
        server = start_server(store, "--public-url", PUBLIC, "--trusted-proxy", "127.0.0.1",
                              env={"PORTALCTL_SMTP_URL": inbox.url})
        yield server, inbox
        server.stop()


@pytest.fixture
def server(served: tuple[Server, Inbox]) -> Server:
    return served[0]


@pytest.fixture
def inbox(served: tuple[Server, Inbox]) -> Inbox:
    return served[1]


def signed_in(server: Server, email: str, password: str = PASSWORD) -> Api:
    answer = login(server, email, password)
    assert answer.status_code == 201, answer.text
    return Api(server, answer.json()["token"])


def login(server: Server, email: str, password: str) -> requests.Response:
    return requests.post(server.api + "/auth/login", json={"email": email, "password": password},
                         headers={"X-Forwarded-For": "192.0.2.200"}, timeout=TIMEOUT)


def set_policy(server: Server, policy: str, **extra: Any) -> dict[str, Any]:
    answer = signed_in(server, ADMIN).post("/admin/signup", json={"policy": policy, "terms": TERMS,
                                                                  "terms_version": "2026-01", **extra})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def register(server: Server, email: str, client: str, *, terms: str = "2026-01",
             password: str = NEW_PASSWORD) -> requests.Response:
    return requests.post(server.api + "/auth/register",
                         json={"email": email, "password": password, "accept_terms": terms},
                         headers={"X-Forwarded-For": client}, timeout=TIMEOUT)


def verify(server: Server, link: str) -> requests.Response:
    token = link.split("token=", 1)[1]
    return requests.post(server.api + "/auth/verify", json={"token": token}, timeout=TIMEOUT)


def count(server: Server, sql: str, *params: Any) -> int:
    return int(server.sql(sql, params)[0][0])


def test_sign_up_is_closed_by_default_and_opens_only_with_terms(server: Server, inbox: Inbox) -> None:
    assert requests.get(server.api + "/auth/signup", timeout=TIMEOUT).json() == {
        "policy": "closed", "terms_version": None, "terms": None}
    refused = assert_problem(register(server, "closed@acme.test", "198.51.100.1"), 403, "permission_denied")
    assert "does not take sign-ups" in refused["detail"]
    admin = signed_in(server, ADMIN)
    assert_problem(admin.post("/admin/signup", json={"policy": "open"}), 422, "invalid_input")
    assert_problem(admin.post("/admin/signup", json={"policy": "everyone"}), 422, "invalid_input")
    assert_problem(signed_in(server, ANA).post("/admin/signup", json={"policy": "open", "terms": "x"}),
                   403, "permission_denied")
    assert admin.get("/admin/signup").json()["policy"] == "closed"  # nothing of the refusals was kept
    assert count(server, "SELECT COUNT(*) FROM signups") == 0
    assert inbox.to("closed@acme.test", timeout=0.5) == []


def test_a_new_address_signs_in_only_after_its_single_use_link(server: Server, inbox: Inbox) -> None:
    settings = set_policy(server, "open")
    assert settings == {"policy": "open", "terms_version": "2026-01", "terms": TERMS}
    assert requests.get(server.api + "/auth/signup", timeout=TIMEOUT).json() == settings  # shown before accepting
    admin = signed_in(server, ADMIN)
    mapped = admin.patch("/organizations/acme", json={"add_domains": ["Acme-Imports.example"], "country": "ES"})
    assert mapped.status_code == 200 and mapped.json()["domains"] == ["acme-imports.example"]

    email = "nueva@acme-imports.example"
    answer = register(server, email, "198.51.100.2")
    assert answer.status_code == 202 and answer.json() == {}
    assert_problem(login(server, email, NEW_PASSWORD), 401, "unauthenticated")  # not verified yet
    [mail] = inbox.to(email)
    assert mail["Subject"] == "Verify your address for the support portal" and mail["From"] == "help@example.test"
    link = inbox.link(email, "/verify-email")
    assert link.startswith(PUBLIC + "/verify-email?token=pcv_")  # never "-...": a command would read an option
    assert count(server, "SELECT COUNT(*) FROM users WHERE email = ?", email) == 0

    # the page the link opens verifies only when its button is pressed (a mail scanner fetching it uses nothing)
    page = requests.get(link.replace(PUBLIC, server.url), timeout=TIMEOUT)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert count(server, "SELECT COUNT(*) FROM users WHERE email = ?", email) == 0
    pressed = requests.post(server.url + "/verify-email", data={"token": link.split("token=")[1]}, timeout=TIMEOUT)
    assert pressed.status_code == 200 and "is verified" in pressed.text

    me = signed_in(server, email, NEW_PASSWORD).get("/me").json()
    assert (me["email"], me["organization"], me["role"], me["manager"]) == (email, "acme", "customer", False)
    [row] = server.sql("SELECT terms_version, terms_accepted_at, email_verified_at FROM users WHERE email = ?",
                       (email,))
    assert row[0] == "2026-01" and row[1] and row[2] and row[1] <= row[2]

    assert count(server, "SELECT COUNT(*) FROM signups WHERE email = ?", email) == 0  # no password hash left over
    again = assert_problem(verify(server, link), 422, "invalid_input")  # single use
    assert "used already" in again["detail"]
    assert count(server, "SELECT COUNT(*) FROM users WHERE email = ?", email) == 1


def test_an_expired_link_makes_no_account(server: Server, inbox: Inbox) -> None:
    set_policy(server, "open")
    email = "tarde@example.org"
    assert register(server, email, "198.51.100.3").status_code == 202
    link = inbox.link(email, "/verify-email")
    server.sql("UPDATE signups SET expires_at = '2020-01-01T00:00:00Z' WHERE email = ?", (email,))
    assert_problem(verify(server, link), 422, "invalid_input")
    assert count(server, "SELECT COUNT(*) FROM users WHERE email = ?", email) == 0
    assert_problem(login(server, email, NEW_PASSWORD), 401, "unauthenticated")
    user = requests.post(server.api + "/auth/verify", json={"token": "made-up"}, timeout=TIMEOUT)
    assert_problem(user, 422, "invalid_input")


def test_the_answer_never_tells_whether_an_address_has_an_account(server: Server, inbox: Inbox) -> None:
    set_policy(server, "open")
    taken = register(server, ANA, "198.51.100.4", password="otra contraseña larga")
    fresh = register(server, "libre@example.org", "198.51.100.4")
    assert (taken.status_code, taken.text) == (fresh.status_code, fresh.text) == (202, "{}")
    assert taken.headers["Content-Type"] == fresh.headers["Content-Type"]
    [mail] = inbox.to(ANA)
    assert "already has an account" in mail.get_content() and "verify-email" not in mail.get_content()
    assert count(server, "SELECT COUNT(*) FROM signups WHERE email = ?", ANA) == 0
    assert login(server, ANA, PASSWORD).status_code == 201  # her password is as it was
    assert_problem(login(server, ANA, "otra contraseña larga"), 401, "unauthenticated")


def test_a_domains_policy_takes_only_mapped_domains_into_their_organisation(server: Server, inbox: Inbox) -> None:
    set_policy(server, "domains")
    admin = signed_in(server, ADMIN)
    assert admin.patch("/organizations/globex", json={"add_domains": ["globex-co.example"]}).status_code == 200
    clash = admin.patch("/organizations/acme", json={"add_domains": ["globex-co.example"]})
    assert_problem(clash, 409, "state_conflict")
    assert_problem(admin.patch("/organizations/acme", json={"add_domains": ["not a domain"]}), 422, "invalid_input")

    refused = assert_problem(register(server, "someone@gmail.example", "198.51.100.5"), 422, "invalid_input")
    assert "gmail.example is not one" in refused["detail"] and refused["about"] == "domain"
    assert "globex" not in refused["detail"] + (refused["hint"] or "")  # the client companies are not listed
    assert count(server, "SELECT COUNT(*) FROM signups WHERE email = ?", "someone@gmail.example") == 0
    assert inbox.to("someone@gmail.example", timeout=0.5) == []

    email = "empleado@globex-co.example"
    assert register(server, email, "198.51.100.5").status_code == 202
    assert verify(server, inbox.link(email, "/verify-email")).json() == {"email": email, "organization": "globex"}


def test_bad_registrations_change_nothing(server: Server, inbox: Inbox) -> None:
    set_policy(server, "open")
    email = "mala@example.org"
    for answer in (register(server, email, "198.51.100.6", terms="2025-01"),  # not the terms in force
                   register(server, email, "198.51.100.6", password="corta"),
                   register(server, "no-es-un-correo", "198.51.100.6")):
        assert_problem(answer, 422, "invalid_input")
    assert count(server, "SELECT COUNT(*) FROM signups WHERE email = ?", email) == 0
    assert inbox.to(email, timeout=0.5) == []


def test_registrations_are_throttled_per_client_address(server: Server, inbox: Inbox) -> None:
    set_policy(server, "open")
    client = "198.51.100.7"
    statuses = [register(server, f"lote{n}@example.org", client).status_code for n in range(6)]
    assert statuses == [202] * 5 + [429]
    throttled = register(server, "lote9@example.org", client)
    assert_problem(throttled, 429, "rate_limited")
    assert int(throttled.headers["Retry-After"]) >= 1
    assert count(server, "SELECT COUNT(*) FROM signups WHERE email LIKE 'lote%'") == 5
    assert register(server, "lote9@example.org", "198.51.100.8").status_code == 202  # another address is not held up


def test_the_cli_registers_and_verifies(server: Server, inbox: Inbox, tmp_path: Any) -> None:
    set_policy(server, "open")
    email = "cli@example.org"
    env = server_env(tmp_path / "home")

    def portalctl(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "portalctl", *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=60)

    closed_terms = portalctl("auth", "register", "--url", server.url, "--email", email, "--password-stdin",
                             stdin=NEW_PASSWORD + "\n")
    assert closed_terms.returncode == 2 and "--accept-terms" in closed_terms.stderr  # no terminal to ask on
    assert TERMS in closed_terms.stderr  # the terms were shown
    done = portalctl("auth", "register", "--url", server.url, "--email", email, "--accept-terms", "--password-stdin",
                     stdin=NEW_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    link = inbox.link(email, "/verify-email").replace(PUBLIC, server.url)  # as mailed by a portal at that address
    verified = portalctl("auth", "verify", link)
    assert verified.returncode == 0 and f"Verified {email}" in verified.stderr
    reused = portalctl("auth", "verify", link.split("token=")[1], "--url", server.url)
    assert reused.returncode == 2 and "used already" in reused.stderr
    assert login(server, email, NEW_PASSWORD).status_code == 201


def test_a_managers_reset_link_reaches_the_contact_by_smtp(server: Server, inbox: Inbox) -> None:
    """A contact manager sends a colleague a reset link (seed 001); it arrives by SMTP and sets the password."""
    from tests.server.conftest import BOB, CARLA, MARIO

    mario = signed_in(server, MARIO)
    assert mario.post(f"/contacts/{BOB}/reset-link").status_code == 202
    assert_problem(mario.post(f"/contacts/{CARLA}/reset-link"), 404, "not_found")
    assert inbox.to(CARLA, timeout=0.5) == []  # another company's user is mailed nothing
    link = inbox.link(BOB, "/reset-password")
    assert link.startswith(PUBLIC + "/reset-password?token=")
    confirmed = requests.post(server.api + "/auth/password-reset/confirm", timeout=TIMEOUT,
                              json={"token": link.split("token=")[1], "password": "nueva contraseña de Bob"})
    assert confirmed.status_code == 204
    assert login(server, BOB, "nueva contraseña de Bob").status_code == 201


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")
def test_a_person_registers_at_a_terminal(server: Server, inbox: Inbox, tmp_path: Any) -> None:
    """On a real terminal (tmux): the terms are shown and asked about, the password is typed twice and never
    echoed, and the link arrives."""
    from tests.test_terminal_tmux import DONE, Pane

    set_policy(server, "open")
    email = "tty@example.org"
    pane = Pane(tmp_path / "tmux.sock", server_env(tmp_path / "home"))
    try:
        pane.type(f"{sys.executable} -m portalctl auth register --url {server.url} --email {email}; echo exit=$?")
        screen = pane.wait_for(r"Do you accept these terms \(version 2026-01\)\?")
        assert TERMS in screen
        pane.type("y")
        pane.wait_for("Password:")
        pane.type(NEW_PASSWORD)
        pane.wait_for("Repeat for confirmation:")
        pane.type(NEW_PASSWORD)
        screen = pane.wait_for(DONE)
    finally:
        pane.close()
    assert "exit=0" in screen and NEW_PASSWORD not in screen
    assert verify(server, inbox.link(email, "/verify-email")).status_code == 200
    assert login(server, email, NEW_PASSWORD).status_code == 201
