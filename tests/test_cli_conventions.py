"""Conventions every command keeps: help with an example, documented exit codes, lazy start-up, a real process."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from portalctl.cli import COMMANDS, root
from portalctl.exitcodes import ExitCode

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from walk(sub, (*path, name))


ALL = list(walk(root))


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) or "portalctl" for p, _ in ALL])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 10, f"{path} has no help text"
    if not isinstance(command, click.Group) or path == ():
        assert "portalctl" in command.help, f"{' '.join(path)} shows no example"


def test_every_group_is_in_the_readme() -> None:
    for name in COMMANDS:
        assert f"`{name}" in README or f" {name} " in README, name


def test_readme_documents_every_exit_code() -> None:
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+) \|$", README, re.M))
    assert {int(code) for code in table} == {int(code) for code in ExitCode}


def run(*args: str, home: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0"}
    env.pop("CI", None)
    if "input" not in kwargs:
        kwargs["stdin"] = subprocess.DEVNULL
    return subprocess.run([sys.executable, "-m", "portalctl", *args], capture_output=True, text=True, env=env,
                          timeout=60, **kwargs)  # type: ignore[call-overload]


def imports_of(*args: str, home: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run portalctl with `args` in a new process; what it printed, and every module it had imported by the end."""
    probe = (f"import sys, runpy; sys.argv = ['portalctl', *{list(args)!r}]\n"
             "try:\n    runpy.run_module('portalctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL, env={**os.environ, "PORTALCTL_HOME": str(home)})
    assert "MODULES" in result.stderr, result.stderr
    return result, set(result.stderr.split("MODULES", 1)[1].split())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_help_imports_nothing_heavy(tmp_path: Path, lang: str) -> None:
    """Nor shutil (its compression modules) or locale (what the stdlib's gettext loads to find a catalog): the
    help formatter reads the width itself and the catalog is read in place (helppage.py, mofile.py)."""
    result, modules = imports_of("--lang", lang, "--help", home=tmp_path)
    assert ("Mostrar este mensaje y salir." in result.stdout) == (lang == "es")
    heavy = {"requests", "openpyxl", "tabulate", "yaml", "keyring", "rich", "portalctl.engine", "sqlite3", "shutil",
             "locale"}
    assert not heavy & modules, heavy & modules


@pytest.mark.parametrize("listing", [("tickets", "list", "--limit", "50"), ("tickets", "ls", "--search", "printer")])
def test_a_listing_loads_no_other_ticket_subcommand(tmp_path: Path, listing: tuple[str, ...]) -> None:
    """`tickets list` is the command run most: the other ticket subcommands (tickets.LAZY_COMMANDS) and what only
    they need (templates, the one-ticket view, the editor, their shared options) stay unloaded; they still run."""
    from portalctl.commands.tickets import LAZY_COMMANDS

    assert run("--no-input", "init", "--email", "lead@example.test", home=tmp_path).returncode == 0
    created = run("tickets", "create", "--subject", "printer jammed", "--body", "tray 2", "-o", "json", home=tmp_path)
    assert created.returncode == 0, created.stderr
    ticket_id = json.loads(created.stdout)["id"]
    listed, modules = imports_of(*listing, "-o", "jsonl", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [ticket_id]
    others = {*LAZY_COMMANDS.values(), "portalctl.commands.templates", "portalctl.commands.ticket_view",
              "portalctl.commands.compose", "portalctl.commands.ticket_params",
              "portalctl.drafts", "portalctl.backends.ticket_filter"}  # the write types, the connectors' filter
    assert "portalctl.commands.ticket_create" in others
    assert not others & modules, sorted(others & modules)
    replied = run("tickets", "reply", str(ticket_id), "--body", "cleared", home=tmp_path)
    assert replied.returncode == 0, replied.stderr
    assert run("tickets", "wait", str(ticket_id), "--until", "closed", "--timeout", "0", home=tmp_path).returncode \
        == ExitCode.TIMED_OUT


@pytest.mark.parametrize("columns", ["40", "75", "102", "300", "none", "not a number"])
def test_help_is_as_wide_as_clicks_own_formatter_makes_it(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """helppage.Formatter finds the terminal's width without shutil, and must size help as click does with it."""
    from portalctl.commands.helppage import Formatter

    if columns == "none":
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    for max_width in (None, 60, 100):
        assert Formatter(max_width=max_width).width == click.HelpFormatter(max_width=max_width).width
    monkeypatch.setattr(click.formatting, "FORCED_WIDTH", 77)  # click.testing.CliRunner's
    assert Formatter(max_width=100).width == click.HelpFormatter(max_width=100).width == 77


def test_real_process_round_trip(tmp_path: Path) -> None:
    assert run("--no-input", "init", "--email", "lead@example.test", home=tmp_path).returncode == 0
    created = run("tickets", "create", "--subject", "VPN down", "--body-file", "-", "-o", "json", home=tmp_path,
                  input="Since 9:00\n")
    assert created.returncode == 0, created.stderr
    ticket = json.loads(created.stdout)
    assert ticket["comments"][0]["body"] == "Since 9:00\n"
    listed = run("tickets", "list", "-o", "jsonl", home=tmp_path)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [ticket["id"]]
    missing = run("tickets", "show", "999", home=tmp_path)
    assert missing.returncode == ExitCode.NOT_FOUND
    assert missing.stdout == ""
    assert missing.stderr.startswith("Error: no ticket #999")
    assert "Traceback" not in missing.stderr


def test_a_command_leaves_the_portal_file_whole(tmp_path: Path) -> None:
    """As it ends, a command closes the portal: SQLite folds the write-ahead log back into portal.db, so a copy of
    that one file (a backup, a scp to a colleague) has the ticket just opened."""
    assert run("--no-input", "init", "--email", "lead@example.test", home=tmp_path).returncode == 0
    created = run("tickets", "create", "--subject", "Backup me", "--body", "now", home=tmp_path)
    assert created.returncode == 0, created.stderr
    portal = tmp_path / "data" / "portal.db"
    assert sorted(path.name for path in portal.parent.iterdir()) == ["portal.db", "portal.db-lock"]
    copy = tmp_path / "copy.db"
    copy.write_bytes(portal.read_bytes())
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT subject FROM tickets").fetchall() == [("Backup me",)]


def test_ci_without_input_names_the_missing_flag(tmp_path: Path) -> None:
    assert run("--no-input", "init", "--email", "lead@example.test", home=tmp_path).returncode == 0
    env_ci = {**os.environ, "PORTALCTL_HOME": str(tmp_path), "PORTALCTL_KEYRING": "0", "CI": "true"}
    result = subprocess.run([sys.executable, "-m", "portalctl", "tickets", "create", "--body", "x"],
                            capture_output=True, text=True, env=env_ci, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == ExitCode.USAGE
    assert "--subject" in result.stderr
    assert json.loads(run("tickets", "list", "-o", "json", home=tmp_path).stdout) == []


def test_completion_scripts(tmp_path: Path) -> None:
    for shell, marker in (("bash", "complete"), ("zsh", "compdef"), ("fish", "complete")):
        result = run("completion", shell, home=tmp_path)
        assert result.returncode == 0
        assert marker in result.stdout and "_PORTALCTL_COMPLETE" in result.stdout


def test_version_matches_package() -> None:
    from portalctl import __version__

    result = subprocess.run([sys.executable, "-m", "portalctl", "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == f"portalctl {__version__}"
