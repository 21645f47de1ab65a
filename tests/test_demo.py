"""The narrated tour and the demo data: a newcomer's first minute must always work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from portalctl.model import STATES


def test_demo_runs_without_a_terminal_and_narrates_each_command(tmp_path: Path) -> None:
    env = {**os.environ, "CI": "true", "PORTALCTL_HOME": str(tmp_path / "mine"), "PORTALCTL_KEYRING": "0"}
    result = subprocess.run([sys.executable, "-m", "portalctl", "demo"], capture_output=True, text=True, env=env,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for step in ("tickets create", "tickets list", "tickets show 7", "tickets reply 7", "tickets close 7",
                 "tickets reopen 7", "articles search", "articles rate 1 --helpful"):
        assert f" {step}" in out, step
    assert "Check with customs" in out  # the agent sees the internal note...
    customer_view = out.split("# The customer's view")[1].split("# The agent resolves")[0]
    assert "Check with customs" not in customer_view  # ...the customer never does
    assert "(exit code 5)" in result.stderr
    contacts = out.split("$ portalctl -p customer contacts list")[1].split("#")[0]  # Marta runs Andina's users
    assert "jorge@andina.example" in contacts and "costaazul" not in contacts
    assert "luis@andina.example" in out.split("contacts add")[1]
    assert "could be read by other users" not in result.stderr  # the tour's own folders are private from the start
    assert not (tmp_path / "mine").exists()  # the user's own home is untouched


def test_init_demo_has_tickets_in_every_state(home: Path, cli: Callable[..., Result]) -> None:
    assert cli("--no-input", "init", "--demo", "--email", "boss@example.test").exit_code == 0
    tickets = json.loads(cli("tickets", "list", "--status", "all", "--all", "-o", "json").stdout)
    assert {t["status"] for t in tickets} == set(STATES)
    assert any(t["overdue"] for t in tickets)
    articles = json.loads(cli("articles", "list", "--all", "-o", "json").stdout)
    assert len(articles) >= 20
    assert {a["locale"][:2] for a in articles} >= {"es", "en"}
    notices = json.loads(cli("notices", "-o", "json").stdout)
    assert [(n["severity"], n["active"]) for n in notices] == [("warning", True)]
    users = json.loads(cli("admin", "users", "list", "--all", "-o", "json").stdout)
    assert [u["email"] for u in users if u["manager"]] == ["marta@andina.example"]
    orgs = {o["slug"]: o for o in json.loads(cli("admin", "orgs", "list", "-o", "json").stdout)}
    assert (orgs["importadora-andina"]["country"], orgs["importadora-andina"]["domains"]) == ("CO", ["andina.example"])


def test_the_demo_has_a_notification_waiting_in_the_outbox(home: Path, cli: Callable[..., Result]) -> None:
    from portalctl.config import default_db
    from portalctl.engine.portal import Portal

    assert cli("--no-input", "init", "--demo", "--email", "boss@example.test").exit_code == 0
    portal = Portal(default_db())
    try:
        [mail] = portal.conn.execute("SELECT recipient, subject, body FROM outbox WHERE sent_at IS NULL").fetchall()
    finally:
        portal.close()
    assert mail["recipient"] == "marta@andina.example" and "Rectificación IAG 7781" in mail["subject"]
    assert mail["body"].startswith("Hola, Marta Quintero:") and "necesitamos la nueva partida" in mail["body"]
