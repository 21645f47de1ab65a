"""A command line that forgives and that pipelines can read: typo suggestions, `tickets ls`, errors as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import Result

from portalctl.engine.portal import Portal
from tests.conftest import ADMIN

Cli = Callable[..., Result]


def test_a_mistyped_command_gets_a_suggestion(cli: Cli) -> None:
    result = cli("tikets", "list")
    assert result.exit_code == 2
    assert "unknown command 'tikets'; did you mean 'tickets'?" in result.stderr


def test_a_mistyped_subcommand_gets_a_suggestion(cli: Cli) -> None:
    result = cli("tickets", "lsit")
    assert result.exit_code == 2 and "did you mean 'list'?" in result.stderr


def test_nothing_close_is_click_s_plain_error(cli: Cli) -> None:
    result = cli("zzzz")
    assert result.exit_code == 2 and "did you mean" not in result.stderr and "zzzz" in result.stderr


def test_tickets_ls_is_tickets_list(cli: Cli, portal: Portal) -> None:
    listed, ls = cli("tickets", "list", "-o", "json", user=ADMIN), cli("tickets", "ls", "-o", "json", user=ADMIN)
    assert ls.exit_code == 0 and ls.stdout == listed.stdout
    assert "ls" in cli("tickets", "--help").stdout.split("Aliases:")[1]


def error(result: Result) -> dict[str, object]:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one object, nothing else
    found: dict[str, object] = json.loads(lines[0])
    return found


@pytest.mark.parametrize("flags", [("-o", "json"), ("--output=jsonl",), ("-ojson",)])
def test_with_json_output_a_portal_error_is_one_json_object(cli: Cli, portal: Portal, flags: tuple[str, ...]) -> None:
    result = cli("tickets", "show", "999", *flags, user=ADMIN)
    assert result.exit_code == 3
    found = error(result)
    assert (found["code"], found["message"], found["exit"]) == ("not_found", "no ticket #999", 3)
    assert found["hint"]  # what to do next travels too


def test_with_json_output_a_usage_error_is_json_too(cli: Cli, portal: Portal) -> None:
    result = cli("tickets", "list", "--priority", "hgih", "-o", "json", user=ADMIN)
    assert result.exit_code == 2
    found = error(result)
    assert found["code"] == "usage" and found["exit"] == 2 and "hgih" in str(found["message"])


def test_portalctl_errors_json_without_json_output(cli: Cli, portal: Portal) -> None:
    result = cli("tikets", env={"PORTALCTL_ERRORS": "json"})
    assert error(result) == {"code": "usage", "message": "unknown command 'tikets'; did you mean 'tickets'?",
                             "hint": None, "exit": 2}


def test_table_output_keeps_the_readable_error(cli: Cli, portal: Portal) -> None:
    result = cli("tickets", "show", "999", user=ADMIN)
    assert result.exit_code == 3 and result.stderr.startswith("Error: no ticket #999\nHint: ")
