"""CI pipelines: a dedupe key keeps repeated failures on one ticket, even when pipelines race; `tickets wait`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketChanges, TicketDraft
from portalctl.engine.portal import Portal
from portalctl.exitcodes import ExitCode
from tests.conftest import AGENT, ANA, BOB

Run = Callable[..., Result]


def create(cli: Run, *extra: str, user: str = ANA) -> Result:
    return cli("tickets", "create", "--subject", "Build failed on main", "--body", "job 1", "--dedupe-key", "ci-main",
               "-o", "json", *extra, user=user)


def test_second_failure_replies_to_the_active_ticket(portal: Portal, cli: Run) -> None:
    first = json.loads(create(cli).stdout)
    assert first["created"] is True
    again = create(cli)
    assert again.exit_code == 0
    second = json.loads(again.stdout)
    assert (second["id"], second["created"]) == (first["id"], False)
    assert len(second["comments"]) == 2
    assert "Added to ticket" in again.stderr
    assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_skip_and_new(portal: Portal, cli: Run) -> None:
    first = json.loads(create(cli).stdout)
    skipped = create(cli, "--on-duplicate", "skip")
    assert json.loads(skipped.stdout)["created"] is False
    assert "Skipped" in skipped.stderr
    assert len(json.loads(cli("tickets", "show", str(first["id"]), "-o", "json", user=ANA).stdout)["comments"]) == 1
    fresh = json.loads(create(cli, "--on-duplicate", "new").stdout)
    assert fresh["created"] is True and fresh["id"] != first["id"]


def test_a_pending_ticket_reopens_when_the_failure_repeats(portal: Portal, cli: Run) -> None:
    ticket = json.loads(create(cli).stdout)
    portal.session(AGENT).tickets.reply(ticket["id"], body="Looking")
    assert json.loads(create(cli).stdout)["status"] == "open"


def test_resolved_tickets_do_not_absorb_new_failures(portal: Portal, cli: Run) -> None:
    ticket = json.loads(create(cli).stdout)
    portal.session(AGENT).tickets.update(ticket["id"], TicketChanges(status="resolved"))
    again = json.loads(create(cli).stdout)
    assert again["created"] is True and again["id"] != ticket["id"]


def test_the_key_only_matches_tickets_the_reporter_can_see(portal: Portal, cli: Run) -> None:
    theirs = json.loads(create(cli, user=BOB).stdout)
    mine = json.loads(create(cli, user=ANA).stdout)
    assert mine["created"] is True and mine["id"] != theirs["id"]


def test_racing_pipelines_end_with_one_ticket(portal: Portal, home: Path) -> None:
    UserConfig().put(Profile(name="default", user=ANA))
    env = {**os.environ, "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "CI": "true"}
    command = [sys.executable, "-m", "portalctl", "tickets", "create", "--subject", "Build failed", "--body",
               "job", "--dedupe-key", "race", "-o", "json"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert len({r["id"] for r in results}) == 1
    assert sorted(r["created"] for r in results) == [False] * 5 + [True]
    rows = portal.conn.execute("SELECT COUNT(*) FROM tickets WHERE dedupe_key = 'race'").fetchone()[0]
    assert rows == 1
    assert portal.conn.execute("SELECT COUNT(*) FROM comments").fetchone()[0] == 6


def test_empty_dedupe_key_is_refused(portal: Portal, cli: Run) -> None:
    result = cli("tickets", "create", "--subject", "x", "--body", "y", "--dedupe-key", " ", user=ANA)
    assert result.exit_code == 2
    assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0


def test_wait_returns_when_resolved(portal: Portal, cli: Run) -> None:
    ticket = portal.session(ANA).tickets.create(TicketDraft(subject="Deploy blocked", body="Need DNS change"))
    timer = threading.Timer(0.5, lambda: Portal(portal.location).session(AGENT).tickets.update(
        ticket.id, TicketChanges(status="resolved")))
    timer.start()
    started = time.monotonic()
    result = cli("tickets", "wait", str(ticket.id), "--until", "resolved", "--interval", "1s", "--timeout", "20",
                 user=ANA)
    timer.join()
    assert result.exit_code == 0, result.stderr
    assert f"#{ticket.id} is resolved" in result.stderr
    assert time.monotonic() - started < 15


def test_wait_for_a_reply_ignores_my_own_and_internal_notes(portal: Portal, cli: Run) -> None:
    ticket = portal.session(ANA).tickets.create(TicketDraft(subject="Question", body="?"))

    def answer() -> None:
        agent = Portal(portal.location).session(AGENT).tickets
        agent.reply(ticket.id, body="internal only", internal=True)
        time.sleep(0.3)
        agent.reply(ticket.id, body="Here you go")

    timer = threading.Timer(0.3, answer)
    timer.start()
    result = cli("tickets", "wait", str(ticket.id), "--until", "replied", "--interval", "1s", "--timeout", "20",
                 "-o", "json", user=ANA)
    timer.join()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["comments"][-1]["body"] == "Here you go"


def test_wait_times_out_with_its_own_exit_code(portal: Portal, cli: Run) -> None:
    ticket = portal.session(ANA).tickets.create(TicketDraft(subject="Slow", body="x"))
    result = cli("tickets", "wait", str(ticket.id), "--until", "closed", "--interval", "1s", "--timeout", "0.2",
                 user=ANA)
    assert result.exit_code == ExitCode.TIMED_OUT
    assert "gave up waiting" in result.stderr


@pytest.mark.parametrize("value", ["soon", "-1s", "5x"])
def test_wait_refuses_a_bad_duration(portal: Portal, cli: Run, value: str) -> None:
    result = cli("tickets", "wait", "1", "--until", "closed", "--timeout", value, user=ANA)
    assert result.exit_code == 2
    assert "not a duration" in result.stderr


@pytest.mark.parametrize("value", ["0s", "0", "0.5s", "999ms"])
def test_wait_refuses_an_interval_under_one_second(portal: Portal, cli: Run, value: str) -> None:
    result = cli("tickets", "wait", "1", "--until", "closed", "--interval", value, user=ANA)
    assert result.exit_code == 2
    assert "--interval" in result.stderr
