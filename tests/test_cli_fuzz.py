"""No command exits "unexpected" whatever its options are given (a property-based run; see tests/cli_fuzz.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_fuzz import fuzz

EXAMPLES_PER_COMMAND = 25


def test_no_option_value_makes_any_command_exit_unexpected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("PORTALCTL_PROFILE", "PORTALCTL_USER", "PORTALCTL_DB", "PORTALCTL_OUTPUT", "PORTALCTL_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    tally = fuzz(tmp_path, EXAMPLES_PER_COMMAND)
    with capsys.disabled():
        print(f"\ncli fuzz: {tally.tried} examples tried, {len(tally.unexpected)} unexpected exits")
    assert tally.tried >= 40 * EXAMPLES_PER_COMMAND
    assert tally.unexpected == [], "\n".join(tally.unexpected[:20])
