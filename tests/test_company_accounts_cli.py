"""From the command line on the embedded portal: `contacts` for a company's contact manager, `me update --photo`,
`admin users|orgs` managers, countries and e-mail domains, `admin signup`, `admin notices add --country`, and
`auth register`'s refusals before it sends anything. Each bad input: its exit code, a one-line error, nothing
changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.client import Client
from portalctl.config import Profile
from portalctl.engine.portal import Portal
from portalctl.errors import Unsupported
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA
from tests.server.photos import GIF, PNG, WEBP

Run = Callable[..., Result]


def make_manager(cli: Run, email: str = BOB) -> None:
    made = cli("admin", "users", "update", email, "--manager", user=ADMIN)
    assert made.exit_code == 0, made.stderr


def test_a_manager_runs_contacts_from_the_command_line(portal: Portal, cli: Run) -> None:
    make_manager(cli)
    added = cli("contacts", "add", "luis@acme.test", "--name", "Luis Mora", "-o", "json", user=BOB)
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["organization"] == "acme"
    listed = json.loads(cli("contacts", "list", "-o", "json", user=BOB).stdout)
    assert {u["email"] for u in listed} == {ANA, BOB, "luis@acme.test"}
    temporary = cli("contacts", "reset", "luis@acme.test", "--temporary", "--yes", user=BOB)
    assert temporary.exit_code == 0 and len(temporary.stdout.strip()) >= 12  # the password alone on stdout
    assert "shown once" in temporary.stderr
    link = cli("contacts", "reset", "luis@acme.test", "--link", user=BOB)  # a file on this machine mails nothing
    assert link.exit_code == 1 and "--temporary" in link.stderr
    assert cli("contacts", "reset", "luis@acme.test", user=BOB).exit_code == 2  # which kind of reset?
    unconfirmed = cli("contacts", "deactivate", "luis@acme.test", user=BOB)
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.stderr
    assert cli("contacts", "deactivate", "luis@acme.test", "--yes", user=BOB).exit_code == 0
    everyone = json.loads(cli("contacts", "list", "--inactive", "-o", "json", user=BOB).stdout)
    assert {u["email"]: u["active"] for u in everyone}["luis@acme.test"] is False


def test_a_manager_reaches_nobody_outside_their_company(portal: Portal, cli: Run) -> None:
    make_manager(cli)
    for email in (CARLA, AGENT, ADMIN):
        refused = cli("contacts", "deactivate", email, "--yes", user=BOB)
        assert refused.exit_code == 3 and f"no contact {email} in your organisation" in refused.stderr
        assert "contacts list" in refused.stderr  # the hint
        assert cli("contacts", "reset", email, "--temporary", "--yes", user=BOB).exit_code == 3
    assert cli("contacts", "add", CARLA, user=BOB).exit_code == 5
    assert portal.session(ADMIN).accounts.users(organization="globex")[0].active  # nothing changed there
    assert {u.email for u in portal.session(ADMIN).accounts.users(organization="globex")} == {CARLA,
                                                                                             "diego@globex.test"}
    for someone in (ANA, AGENT):
        assert cli("contacts", "list", user=someone).exit_code == 4
    assert cli("admin", "users", "update", ANA, "--manager", user=BOB).exit_code == 4  # a manager is no admin


def test_admins_make_managers_only_of_customers_with_an_organisation(portal: Portal, cli: Run) -> None:
    assert cli("admin", "users", "add", "solo@example.test", "--manager", user=ADMIN).exit_code == 2
    assert cli("admin", "users", "update", AGENT, "--manager", user=ADMIN).exit_code == 2
    assert cli("admin", "users", "update", ANA, user=ADMIN).exit_code == 2  # nothing to change
    added = cli("admin", "users", "add", "jefa@acme.test", "--org", "acme", "--manager", "--country", "es", "-o",
                "json", user=ADMIN)
    assert added.exit_code == 0, added.stderr
    assert (json.loads(added.stdout)["manager"], json.loads(added.stdout)["country"]) == (True, "ES")
    assert cli("admin", "users", "list", "-o", "json", user=ADMIN).stdout.count('"manager": true') == 1


def test_organisations_domains_and_countries(portal: Portal, cli: Run) -> None:
    made = cli("admin", "orgs", "add", "Importadora Andina", "--domain", "andina.example", "--country", "co", "-o",
               "json", user=ADMIN)
    assert made.exit_code == 0, made.stderr
    assert (json.loads(made.stdout)["domains"], json.loads(made.stdout)["country"]) == (["andina.example"], "CO")
    clash = cli("admin", "orgs", "add", "Otra", "--domain", "andina.example", user=ADMIN)
    assert clash.exit_code == 5 and "already belongs to organisation importadora-andina" in clash.stderr
    assert "otra" not in cli("admin", "orgs", "list", user=ADMIN).stdout
    assert cli("admin", "orgs", "add", "Otra", "--country", "Narnia", user=ADMIN).exit_code == 2
    assert cli("admin", "orgs", "update", "acme", "--domain", "acme..test", user=ADMIN).exit_code == 2
    assert cli("admin", "orgs", "update", "nowhere", "--country", "CO", user=ADMIN).exit_code == 2
    assert cli("admin", "orgs", "update", "acme", user=ADMIN).exit_code == 2


def test_notices_for_a_country_reach_its_people(portal: Portal, cli: Run) -> None:
    assert cli("admin", "orgs", "update", "globex", "--country", "CO", user=ADMIN).exit_code == 0
    bad = cli("admin", "notices", "add", "--title", "DIAN", "--ends", "4h", "--country", "XX", user=ADMIN)
    assert bad.exit_code == 2 and "unknown country 'XX'" in bad.stderr
    assert json.loads(cli("admin", "notices", "list", "-o", "json", user=ADMIN).stdout) == []
    added = cli("admin", "notices", "add", "--title", "Corte DIAN", "--ends", "4h", "--country", "co", "-o", "json",
                user=ADMIN)
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["countries"] == ["CO"]
    assert "Corte DIAN" in cli("notices", user=CARLA).stdout
    assert "Corte DIAN" not in cli("notices", user=ANA).stdout
    assert cli("me", "update", "--country", "CO", user=ANA).exit_code == 0
    assert "Corte DIAN" in cli("notices", user=ANA).stdout


def test_me_update_photo(portal: Portal, cli: Run, tmp_path: Path) -> None:
    photo, gif, fake = tmp_path / "yo.webp", tmp_path / "yo.gif", tmp_path / "yo.png"
    photo.write_bytes(WEBP)
    gif.write_bytes(GIF)
    fake.write_bytes(b"MZ\x90\x00 an executable renamed")
    done = cli("me", "update", "--photo", str(photo), "-o", "json", user=ANA)
    assert done.exit_code == 0, done.stderr
    sha = json.loads(done.stdout)["photo_sha256"]
    for bad in (gif, fake):
        refused = cli("me", "update", "--photo", str(bad), user=ANA)
        assert refused.exit_code == 2 and "not a photo" in refused.stderr
    both = cli("me", "update", "--photo", str(photo), "--title", "Jefa", user=ANA)  # could half succeed: refused
    assert both.exit_code == 2 and "on its own" in both.stderr
    me = json.loads(cli("me", "-o", "json", user=ANA).stdout)
    assert (me["photo_sha256"], me["title"]) == (sha, None)  # neither the photo nor the title changed
    saved = tmp_path / "bob-sees-ana.webp"
    assert cli("me", "photo", ANA, "-O", str(saved), user=BOB).exit_code == 0  # a colleague
    assert saved.read_bytes() == WEBP
    other = cli("me", "photo", ANA, "-O", str(tmp_path / "no.webp"), user=CARLA)
    assert other.exit_code == 3 and not (tmp_path / "no.webp").exists()
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\0" * 5_000_001)
    assert cli("me", "update", "--photo", str(big), user=ANA).exit_code == 2


def test_signup_settings_and_register_refusals(portal: Portal, cli: Run, tmp_path: Path) -> None:
    terms = tmp_path / "terminos.md"
    terms.write_text("Términos del portal.\n", encoding="utf-8")
    assert cli("admin", "signup", "set", "--policy", "open", user=ADMIN).exit_code == 2  # no terms yet
    shown = json.loads(cli("admin", "signup", "show", "-o", "json", user=ADMIN).stdout)
    assert shown == {"policy": "closed", "terms_version": None, "terms": None}
    done = cli("admin", "signup", "set", "--policy", "domains", "--terms-file", str(terms), "--terms-version",
               "2026-01", "-o", "json", user=ADMIN)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"policy": "domains", "terms_version": "2026-01",
                                       "terms": "Términos del portal.\n"}
    assert cli("admin", "signup", "set", "--policy", "everyone", user=ADMIN).exit_code == 2
    assert cli("admin", "signup", "set", "--terms-version", "x", user=ADMIN).exit_code == 2
    assert cli("admin", "signup", "show", user=ANA).exit_code == 4
    assert cli("auth", "register", "--email", "x@example.test").exit_code == 2  # a server's: --url is required
    assert cli("--no-input", "auth", "register", "--url", "ftp://x", "--email", "x@example.test").exit_code == 2
    assert cli("auth", "verify", "https://help.example.test/verify-email").exit_code == 2  # no token in it
    assert cli("auth", "verify", "tokenonly").exit_code == 2  # a bare token needs --url


def test_help_desks_refuse_what_only_a_portalctl_portal_keeps(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTALCTL_TOKEN", "token-for-a-help-desk")
    for kind in ("zendesk", "freshdesk"):  # opening them sends nothing; asking is refused by name
        client = Client(Profile(name="desk", backend=kind, url="https://acme.example.com", user="ana@acme.test"))
        with pytest.raises(Unsupported, match=f"\\({kind}\\) has no company contacts"):
            client.contacts.list()
        with pytest.raises(Unsupported, match="photos"):
            client.portal_accounts.photo(ANA)
