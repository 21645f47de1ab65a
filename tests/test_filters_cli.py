"""Finding tickets as gh finds issues: --assignee (@me), --tag, comma-separated lists, choices in any case, gh's
short flags, and custom fields as columns, through the CLI on a real embedded portal."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from portalctl.contract import TicketChanges, TicketDraft
from portalctl.engine.portal import Portal
from portalctl.model import FieldDef
from tests.conftest import ADMIN, AGENT, ANA, BOB

Cli = Callable[..., Result]


def ids(result: Result) -> list[int]:
    assert result.exit_code == 0, result.stderr
    return sorted(t["id"] for t in json.loads(result.stdout))


@pytest.fixture
def tickets(portal: Portal) -> dict[str, int]:
    """Four tickets: two assigned to the agent, tags, priorities and states apart."""
    ana, bob, agent = portal.session(ANA).tickets, portal.session(BOB).tickets, portal.session(AGENT).tickets
    made = {
        "vpn": ana.create(TicketDraft(subject="VPN down", body="since 9", priority="high", tags=["Build Failure"])),
        "mail": ana.create(TicketDraft(subject="Mail bounces", body="x", priority="low", tags=["mail"])),
        "invoice": bob.create(TicketDraft(subject="Invoice copy", body="x", priority="urgent")),
        "printer": bob.create(TicketDraft(subject="Printer jam", body="x", priority="medium", tags=["mail", "hw"])),
    }
    agent.update(made["vpn"].id, TicketChanges(assignee=AGENT))
    agent.update(made["printer"].id, TicketChanges(assignee=AGENT))
    agent.update(made["mail"].id, TicketChanges(assignee=ADMIN))
    agent.reply(made["invoice"].id, body="sent", status="pending")
    return {name: t.id for name, t in made.items()}


def test_assignee_by_email_and_at_me(cli: Cli, tickets: dict[str, int]) -> None:
    assert ids(cli("tickets", "list", "--assignee", AGENT, "-o", "json", user=ADMIN)) == sorted(
        [tickets["vpn"], tickets["printer"]])
    assert ids(cli("tickets", "list", "-a", "@me", "-o", "json", user=AGENT)) == sorted(
        [tickets["vpn"], tickets["printer"]])
    assert ids(cli("tickets", "list", "-a", f"@me,{ADMIN}", "-o", "json", user=AGENT)) == sorted(
        [tickets["vpn"], tickets["printer"], tickets["mail"]])


def test_unknown_assignee_is_named_for_staff_and_empty_for_customers(cli: Cli, tickets: dict[str, int]) -> None:
    refused = cli("tickets", "list", "--assignee", "nobody@x.test", user=ADMIN)
    assert refused.exit_code == 3 and "nobody@x.test" in refused.stderr
    assert ids(cli("tickets", "list", "--assignee", "nobody@x.test", "-o", "json", user=ANA)) == []


def test_tag_matches_any_given_tag_as_portals_keep_tags(cli: Cli, tickets: dict[str, int]) -> None:
    assert ids(cli("tickets", "list", "--tag", "mail", "-o", "json", user=ADMIN)) == sorted(
        [tickets["mail"], tickets["printer"]])
    # typed as a person would: case and a space, as the tag was given when the ticket was opened
    assert ids(cli("tickets", "list", "--tag", "build failure,HW", "-o", "json", user=ADMIN)) == sorted(
        [tickets["vpn"], tickets["printer"]])


def test_comma_separated_and_repeated_values_add_up(cli: Cli, tickets: dict[str, int]) -> None:
    both = cli("tickets", "list", "--priority", "high,low", "--priority", "urgent", "-o", "json", user=ADMIN)
    assert ids(both) == sorted([tickets["vpn"], tickets["mail"], tickets["invoice"]])
    assert ids(cli("tickets", "list", "-s", "pending,open", "-o", "json", user=ADMIN)) == [tickets["invoice"]]


def test_choices_in_any_case(cli: Cli, tickets: dict[str, int]) -> None:
    assert ids(cli("tickets", "list", "--priority", "High", "-o", "json", user=ADMIN)) == [tickets["vpn"]]
    assert ids(cli("tickets", "list", "--status", "PENDING", "-o", "json", user=ADMIN)) == [tickets["invoice"]]


def test_an_unknown_choice_in_a_list_is_named(cli: Cli, tickets: dict[str, int]) -> None:
    result = cli("tickets", "list", "--priority", "high,hgih", user=ADMIN)
    assert result.exit_code == 2
    assert "'hgih' is not one of low, medium, high, urgent" in result.stderr


def test_gh_short_flags(cli: Cli, tickets: dict[str, int]) -> None:
    assert len(ids(cli("tickets", "list", "-L", "2", "-o", "json", user=ADMIN))) == 2
    assert ids(cli("tickets", "list", "-S", "printer", "-o", "json", user=ADMIN)) == [tickets["printer"]]
    assert ids(cli("tickets", "list", "-s", "all", "-a", AGENT, "-o", "json", user=ADMIN)) == sorted(
        [tickets["vpn"], tickets["printer"]])


def test_filters_reach_stats_and_export(cli: Cli, tickets: dict[str, int], tmp_path) -> None:  # type: ignore[no-untyped-def]
    stats = cli("tickets", "stats", "--by", "priority", "-a", AGENT, "-o", "json", user=ADMIN)
    assert stats.exit_code == 0, stats.stderr
    assert sum(row["count"] for row in json.loads(stats.stdout)) == 2
    out = tmp_path / "mail.jsonl"
    done = cli("export", "tickets", "-o", str(out), "--tag", "mail", user=ADMIN)
    assert done.exit_code == 0, done.stderr
    assert sorted(json.loads(line)["id"] for line in out.read_text().splitlines()) == sorted(
        [tickets["mail"], tickets["printer"]])


def test_columns_name_custom_fields_as_export_does(cli: Cli, portal: Portal) -> None:
    portal.session(ADMIN).accounts.add_field(FieldDef(
        key="user_code", label="User code", type="text", required=False, choices=[], pattern=None,
        customer_editable=True, department=None, description=None))
    made = portal.session(ANA).tickets.create(TicketDraft(subject="Form 5412", body="x", fields={"user_code": "1234"}))
    listed = cli("tickets", "list", "--columns", "id,field:user_code", "-o", "json", user=ANA)
    assert json.loads(listed.stdout) == [{"id": made.id, "field:user_code": "1234"}]
    table = cli("tickets", "list", "--columns", "id,field:user_code", "-o", "csv", user=ANA)
    assert table.stdout.splitlines() == ["id,field:user_code", f"{made.id},1234"]
