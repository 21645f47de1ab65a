"""`portalctl tickets stats`: counts by state, priority, department and month, as data or as a terminal chart."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import Result

from portalctl.commands.stats import BLOCKS, bar
from portalctl.config import default_db
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery
from portalctl.engine.portal import Portal, Session
from portalctl.iostreams import IOStreams
from portalctl.model import STATES, Ticket
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO

AsUser = Callable[[str], Session]
Cli = Callable[..., Result]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def counts(cli: Cli, *args: str, user: str = ADMIN, env: dict[str, str] | None = None) -> dict[str, int]:
    rows = json.loads(ok(cli("tickets", "stats", *args, "-o", "json", user=user, env=env)).stdout)
    assert all(set(row) == {"key", "count"} for row in rows)
    return {row["key"]: row["count"] for row in rows}


def create_at(when: datetime, user: str, **values: Any) -> Ticket:
    portal = Portal(default_db(), clock=lambda: when)
    try:
        return portal.session(user).tickets.create(TicketDraft(**values))
    finally:
        portal.close()


@pytest.fixture
def spread(portal: Portal, as_user: AsUser) -> list[Ticket]:
    """Tickets of both companies across states, priorities and departments."""
    agent = as_user(AGENT).tickets
    made = [
        as_user(ANA).tickets.create(TicketDraft(subject="Factura", body="x", priority="high",
                                                department="soporte-administrativo")),
        as_user(ANA).tickets.create(TicketDraft(subject="VPN", body="x", priority="urgent", department="soporte-web")),
        as_user(BOB).tickets.create(TicketDraft(subject="Alta", body="x", priority="low")),
        as_user(CARLA).tickets.create(TicketDraft(subject="SSL", body="x", department="soporte-web")),
        as_user(DIEGO).tickets.create(TicketDraft(subject="Correo", body="x")),
        as_user(DIEGO).tickets.create(TicketDraft(subject="Dominio", body="x", priority="high")),
    ]
    agent.reply(made[0].id, body="¿PDF?")  # pending
    agent.update(made[1].id, TicketChanges(status="resolved"))
    agent.close(made[2].id)
    agent.update(made[3].id, TicketChanges(status="on_hold"))
    as_user(DIEGO).tickets.reply(made[4].id, body="más datos")  # still new: a customer reply on new
    return list(as_user(ADMIN).tickets.list(TicketQuery(statuses=list(STATES), limit=None)))


class TestCounts:
    def test_by_state_defaults_to_every_state_but_closed(self, spread: list[Ticket], cli: Cli) -> None:
        actual = Counter(t.status for t in spread)
        assert counts(cli) == {s: actual[s] for s in STATES if s != "closed"}
        assert counts(cli, "--status", "all") == {s: actual[s] for s in STATES}
        assert counts(cli, "--status", "open", "--status", "esperando su respuesta") == {
            "open": actual["open"], "pending": actual["pending"]}  # native names count as their state

    def test_by_priority_in_order_with_zeros(self, spread: list[Ticket], cli: Cli) -> None:
        actual = Counter(t.priority for t in spread if t.status != "closed")
        result = counts(cli, "--by", "priority")
        assert list(result) == ["low", "medium", "high", "urgent"]
        assert result == {p: actual[p] for p in result}
        assert result["low"] == 0  # Bob's low-priority ticket is closed

    def test_by_department_with_the_unassigned_last(self, spread: list[Ticket], cli: Cli) -> None:
        result = counts(cli, "--by", "department", "--status", "all")
        assert result == {"soporte-administrativo": 1, "soporte-web": 2, "(none)": 3}
        assert list(result)[-1] == "(none)"

    def test_filters_and_visibility(self, spread: list[Ticket], cli: Cli) -> None:
        assert sum(counts(cli, "--status", "all", "--org", "globex").values()) == 3
        assert sum(counts(cli, "--status", "all", "--priority", "high").values()) == 2
        assert sum(counts(cli, "--status", "all", user=ANA).values()) == 2  # her own only: Acme does not share
        assert sum(counts(cli, "--status", "all", user=CARLA).values()) == 3  # Globex shares among its users

    def test_the_same_counts_as_the_excel_summary(self, spread: list[Ticket], cli: Cli) -> None:
        ok(cli("export", "tickets", "-o", "report.xlsx"))
        sheet = openpyxl.load_workbook("report.xlsx")["Summary"]
        rows = list(sheet.iter_rows(values_only=True))
        start = rows.index(("State", "Tickets"))
        summary = {key: value for key, value in rows[start + 1: start + 1 + len(STATES)]}
        assert summary == counts(cli, "--status", "all")

    def test_an_empty_portal_counts_zeros_and_no_months(self, portal: Portal, cli: Cli) -> None:
        assert counts(cli) == {s: 0 for s in STATES if s != "closed"}
        assert counts(cli, "--by", "month") == {}


class TestMonths:
    @pytest.fixture
    def dated(self, portal: Portal) -> None:
        create_at(datetime(2025, 1, 31, 23, 30, tzinfo=UTC), ANA, subject="Cierre", body="x")  # Feb in Madrid
        create_at(datetime(2025, 3, 10, 9, tzinfo=UTC), ANA, subject="Marzo", body="x")
        create_at(datetime(2025, 3, 31, 22, 30, tzinfo=UTC), ANA, subject="Abril en Madrid", body="x")

    def test_in_utc_empty_months_included(self, dated: None, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TZ", raising=False)
        assert counts(cli, "--by", "month") == {"2025-01": 1, "2025-02": 0, "2025-03": 2}

    def test_in_the_users_timezone(self, dated: None, as_user: AsUser, cli: Cli) -> None:
        as_user(ADMIN).accounts.update_me(timezone="Europe/Madrid")  # UTC+1 in winter, +2 from 30 March
        assert counts(cli, "--by", "month") == {"2025-02": 1, "2025-03": 1, "2025-04": 1}

    def test_tz_when_the_profile_has_none(self, dated: None, cli: Cli) -> None:
        assert counts(cli, "--by", "month", env={"TZ": "Asia/Tokyo"}) == {"2025-02": 1, "2025-03": 1, "2025-04": 1}


class TestOutput:
    def test_csv_yaml_and_a_plain_table_off_a_terminal(self, spread: list[Ticket], cli: Cli) -> None:
        expected = counts(cli, "--by", "priority")
        rows = list(csv.DictReader(io.StringIO(ok(cli("tickets", "stats", "--by", "priority", "-o", "csv")).stdout)))
        assert {r["key"]: int(r["count"]) for r in rows} == expected
        data = yaml.safe_load(ok(cli("tickets", "stats", "--by", "priority", "-o", "yaml")).stdout)
        assert {r["key"]: r["count"] for r in data} == expected
        table = ok(cli("tickets", "stats", "--by", "priority")).stdout
        assert table.splitlines()[0].split() == ["KEY", "COUNT"]
        assert "█" not in table

    def test_a_bar_chart_on_a_terminal(self, spread: list[Ticket], cli: Cli) -> None:
        expected = counts(cli, "--status", "all")
        terminal = IOStreams.fake(tty=True, width=60, color=False)
        ok(cli("tickets", "stats", "--status", "all", io=terminal))
        chart = terminal.out.getvalue()
        lines = chart.splitlines()
        assert lines[0] == "Tickets by state"
        assert lines[-1].split() == ["total", str(sum(expected.values()))]
        body = {line.split()[0]: line for line in lines[1:-1]}
        assert list(body) == list(expected)
        label_width = max(len(key) for key in [*expected, "total"])
        width = 60 - label_width - len(str(sum(expected.values()))) - 6
        for key, line in body.items():
            assert line.split()[-1] == str(expected[key])
            drawn = line[label_width + 2: label_width + 2 + width].rstrip()
            if expected[key] == 0:
                assert drawn == ""
            else:
                assert drawn and set(drawn) <= set(BLOCKS[1:])
            if expected[key] == max(expected.values()):
                assert drawn == "█" * width  # the largest count fills the width
        assert max(len(line) for line in lines) <= 60

    def test_bars_are_drawn_to_the_eighth(self) -> None:
        assert bar(8, 8, 4) == "████"
        assert bar(1, 8, 1) == "▏"
        assert bar(3, 8, 2) == "▊"  # 3/8 of 2 cells = 6 eighths
        assert bar(1, 1000, 10) == "▏"  # any ticket at all shows a sliver
        assert bar(0, 5, 10) == ""


def test_as_a_real_process(spread: list[Ticket], home: Path) -> None:
    env = {**os.environ, "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0"}
    result = subprocess.run([sys.executable, "-m", "portalctl", "tickets", "stats", "--by", "priority", "-o", "json"],
                            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0, result.stderr
    assert [row["key"] for row in json.loads(result.stdout)] == ["low", "medium", "high", "urgent"]

