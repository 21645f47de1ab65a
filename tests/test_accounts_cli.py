"""`me`, `admin` and `init`: accounts, organisations, departments and custom fields from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from portalctl.config import UserConfig, default_db
from portalctl.contract import TicketDraft
from portalctl.engine.accounts import verify_password
from portalctl.engine.portal import Portal
from tests.conftest import ADMIN, AGENT, ANA, BOB

Run = Callable[..., Result]


def test_init_creates_portal_and_profile(home: Path, cli: Run) -> None:
    result = cli("--no-input", "init", "--email", "lead@example.test", "--name", "Lead")
    assert result.exit_code == 0, result.stderr
    assert default_db().exists()
    assert UserConfig().get("default").user == "lead@example.test"
    me = json.loads(cli("me", "-o", "json").stdout)
    assert (me["email"], me["role"]) == ("lead@example.test", "admin")
    again = cli("--no-input", "init", "--email", "other@example.test")
    assert again.exit_code == 5
    assert "already exists" in again.stderr


def test_init_refuses_an_empty_profile_name_before_making_a_portal(home: Path, cli: Run) -> None:
    result = cli("init", "--email", "lead@example.test", "--profile-name", " ")
    assert result.exit_code == 2 and "a profile needs a name" in result.stderr
    assert not (home / "data" / "portal.db").exists()


def test_me_update_and_bad_timezone(portal: Portal, cli: Run) -> None:
    result = cli("me", "update", "--language", "es", "--timezone", "America/Bogota", "-o", "json", user=ANA)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["timezone"] == "America/Bogota"
    bad = cli("me", "update", "--timezone", "Mars/Olympus", user=ANA)
    assert bad.exit_code == 2
    assert "zona horaria desconocida" in bad.stderr  # portalctl speaks the language the profile now has
    assert json.loads(cli("me", "-o", "json", user=ANA).stdout)["timezone"] == "America/Bogota"


def test_admin_adds_users_and_orgs(portal: Portal, cli: Run) -> None:
    assert cli("admin", "orgs", "add", "Initech", "--timezone", "Europe/Madrid", user=ADMIN).exit_code == 0
    added = cli("admin", "users", "add", "peter@initech.test", "--name", "Peter", "--org", "initech", "-o", "json",
                user=ADMIN)
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["organization"] == "initech"
    listed = json.loads(cli("admin", "users", "list", "--org", "initech", "-o", "json", user=ADMIN).stdout)
    assert [u["email"] for u in listed] == ["peter@initech.test"]
    duplicate = cli("admin", "users", "add", "peter@initech.test", user=ADMIN)
    assert duplicate.exit_code == 5


def test_customers_and_agents_cannot_administer(portal: Portal, cli: Run) -> None:
    denied = cli("admin", "users", "add", "eve@evil.test", user=ANA)
    assert denied.exit_code == 4
    assert "only admins" in denied.stderr
    assert cli("admin", "users", "list", user=ANA).exit_code == 4
    assert cli("admin", "orgs", "add", "X", user=AGENT).exit_code == 4
    assert cli("admin", "users", "list", user=AGENT).exit_code == 0


def test_deactivated_user_keeps_history_but_cannot_act(portal: Portal, cli: Run) -> None:
    ticket = portal.session(BOB).tickets.create(TicketDraft(subject="Printer", body="Jammed"))
    needs_yes = cli("admin", "users", "deactivate", BOB, user=ADMIN)
    assert needs_yes.exit_code == 2
    assert "--yes" in needs_yes.stderr
    assert cli("admin", "users", "deactivate", BOB, "--yes", user=ADMIN).exit_code == 0
    refused = cli("tickets", "list", user=BOB)
    assert refused.exit_code == 4
    assert "deactivated" in refused.stderr
    shown = json.loads(cli("tickets", "show", str(ticket.id), "-o", "json", user=AGENT).stdout)
    assert shown["requester"] == BOB
    assert shown["comments"][0]["body"] == "Jammed"
    everyone = json.loads(cli("admin", "users", "list", "--inactive", "-o", "json", user=ADMIN).stdout)
    assert {u["email"]: u["active"] for u in everyone}[BOB] is False
    assert cli("admin", "users", "reactivate", BOB, user=ADMIN).exit_code == 0
    assert cli("tickets", "list", user=BOB).exit_code == 0


def test_reset_password_prints_a_working_temporary_password(portal: Portal, cli: Run) -> None:
    result = cli("admin", "users", "reset-password", ANA, "--yes", user=ADMIN)
    assert result.exit_code == 0
    temporary = result.stdout.strip()
    stored = portal.conn.execute("SELECT password_hash, must_change_password FROM users WHERE email = ?",
                                 (ANA,)).fetchone()
    assert verify_password(temporary, stored[0])
    assert stored[1] == 1
    assert temporary not in stored[0]


def test_fields_and_departments(portal: Portal, cli: Run) -> None:
    made = cli("admin", "fields", "add", "user_code", "--label", "Código", "--pattern", r"\d{4}", "--required",
               user=ADMIN)
    assert made.exit_code == 0, made.stderr
    choice = cli("admin", "fields", "add", "country", "--type", "choice", user=ADMIN)
    assert choice.exit_code == 2
    assert "needs --choice" in choice.stderr
    bad_pattern = cli("admin", "fields", "add", "x", "--pattern", "(", user=ADMIN)
    assert bad_pattern.exit_code == 2
    listed = json.loads(cli("admin", "fields", "list", "-o", "json", user=AGENT).stdout)
    assert [(f["key"], f["required"], f["pattern"]) for f in listed] == [("user_code", True, r"\d{4}")]
    assert cli("admin", "departments", "add", "Soporte Moodle", user=ADMIN).exit_code == 0
    slugs = [d["slug"] for d in json.loads(cli("admin", "departments", "list", "-o", "json", user=ANA).stdout)]
    assert "soporte-moodle" in slugs


def test_org_business_hours_are_validated(portal: Portal, cli: Run) -> None:
    bad = cli("admin", "orgs", "add", "Night", "--business-hours", "mon-fri 18:00-09:00", user=ADMIN)
    assert bad.exit_code == 2
    assert "business hours" in bad.stderr
    assert "night" not in [o["slug"] for o in json.loads(cli("admin", "orgs", "list", "-o", "json",
                                                               user=ADMIN).stdout)]
