"""Notices (seed 002's banner for announcements and service interruptions) on the embedded portal, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from click.testing import Result

from portalctl.engine.portal import Portal
from portalctl.iostreams import IOStreams
from tests.conftest import ADMIN, ANA, CARLA

Run = Callable[..., Result]


def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish(cli: Run, *args: str) -> int:
    result = cli("admin", "notices", "add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def titles(cli: Run, user: str) -> list[str]:
    result = cli("notices", "-o", "json", user=user)
    assert result.exit_code == 0, result.output
    return [n["title"] for n in json.loads(result.stdout)]


def test_a_customer_sees_notices_for_everyone_and_their_company_only(cli: Run, portal: Portal) -> None:
    publish(cli, "--title", "Mantenimiento", "--body", "Sin servicio de 22:00 a 23:00", "--severity", "warning",
            "--ends", "2h")
    publish(cli, "--title", "Caída DIAN", "--severity", "outage", "--ends", at(3), "--org", "acme")
    publish(cli, "--title", "Mañana", "--starts", at(20), "--ends", at(30))
    assert titles(cli, ANA) == ["Caída DIAN", "Mantenimiento"]  # the outage first; the future one not yet
    assert titles(cli, CARLA) == ["Mantenimiento"]
    table = cli("notices", user=ANA).stdout
    assert "[OUTAGE] Caída DIAN" in table and "Sin servicio de 22:00 a 23:00" in table
    every = json.loads(cli("admin", "notices", "list", "-o", "json").stdout)
    assert [n["title"] for n in every] == ["Mañana", "Caída DIAN", "Mantenimiento"]
    assert [n["active"] for n in every] == [False, True, True]


def test_ending_a_notice_takes_it_down_at_once(cli: Run, portal: Portal) -> None:
    notice = publish(cli, "--title", "Migración", "--ends", "1d")
    ended = cli("admin", "notices", "end", str(notice), "-o", "json")
    assert ended.exit_code == 0 and json.loads(ended.stdout)["active"] is False
    assert "Notice #1 ended" in ended.stderr
    assert titles(cli, ANA) == []
    assert "No notices in force." in cli("notices", user=ANA).stderr


def test_bad_notices_are_refused_and_change_nothing(cli: Run, portal: Portal) -> None:
    backwards = cli("admin", "notices", "add", "--title", "x", "--starts", at(5), "--ends", at(1))
    assert backwards.exit_code == 2 and "ends" in backwards.stderr and "before it starts" in backwards.stderr
    unknown = cli("admin", "notices", "add", "--title", "x", "--ends", "2h", "--org", "initech")
    assert unknown.exit_code == 2 and "unknown organisation 'initech'" in unknown.stderr
    customer = cli("admin", "notices", "add", "--title", "x", "--ends", "2h", user=ANA)
    assert customer.exit_code == 4 and "only admins may publish notices" in customer.stderr
    not_a_time = cli("admin", "notices", "add", "--title", "x", "--ends", "soon")
    assert not_a_time.exit_code == 2 and "'soon' is not a date" in not_a_time.stderr
    missing = cli("--no-input", "admin", "notices", "add", "--title", "x")
    assert missing.exit_code == 2 and "--ends" in missing.stderr
    assert cli("admin", "notices", "end", "99").exit_code == 3
    assert cli("admin", "notices", "list", user=ANA).exit_code == 4
    assert json.loads(cli("admin", "notices", "list", "-o", "json").stdout) == []


def test_the_banner_shows_a_new_notice_once_on_a_terminal_only(cli: Run, portal: Portal) -> None:
    publish(cli, "--title", "Mantenimiento", "--body", "Sin servicio \x1b[31m hoy", "--severity", "warning",
            "--ends", "2h")
    piped = cli("tickets", "list", user=ANA)
    assert piped.exit_code == 0 and "Mantenimiento" not in piped.output  # a script's output never changes
    first = IOStreams.fake(tty=True)
    assert cli("tickets", "list", user=ANA, io=first).exit_code == 0
    shown = first.err.getvalue()
    assert "[WARNING] Mantenimiento" in shown and "\x1b[31m" not in shown  # portal text made inert
    again = IOStreams.fake(tty=True)
    cli("tickets", "list", user=ANA, io=again)
    assert "Mantenimiento" not in again.err.getvalue()
    other = IOStreams.fake(tty=True)  # seen is per user
    assert cli("tickets", "create", "--subject", "Hola", "--body", "x", user=CARLA, io=other).exit_code == 0
    assert "Mantenimiento" in other.err.getvalue()
    assert "Mantenimiento" in cli("notices", user=ANA).stdout  # still listed while in force


def test_the_banner_comes_before_showing_a_ticket(cli: Run, portal: Portal) -> None:
    created = cli("tickets", "create", "--subject", "Hola", "--body", "x", user=ANA)
    publish(cli, "--title", "Aviso", "--ends", "1h")
    io = IOStreams.fake(tty=True)
    assert cli("tickets", "show", created.stdout.strip(), user=ANA, io=io).exit_code == 0
    assert "[INFO] Aviso" in io.err.getvalue() and "Hola" in io.out.getvalue()
    assert portal.conn.execute("SELECT COUNT(*) FROM notice_views").fetchone()[0] == 1


def test_the_admin_sees_what_was_published_as_json(cli: Run, portal: Portal) -> None:
    ends = at(2)
    result = cli("admin", "notices", "add", "--title", "Aviso", "--ends", ends, "--org", "globex", "-o", "json",
                 user=ADMIN)
    notice = json.loads(result.stdout)
    assert notice["organization"] == "globex" and notice["severity"] == "info" and notice["active"] is True
    assert notice["ends_at"] == ends
