"""Man pages (`portalctl help --man DIR`) say what `--help` says: a page for every command, whose synopsis is
--help's usage line and whose options are --help's options, read back from both outputs as a person reads them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from portalctl.cli import root
from portalctl.commands.help import walk

FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def command_paths() -> list[list[str]]:
    return [ctx.command_path.split()[1:] for _, ctx in walk(root, click.Context(root, info_name="portalctl"))]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("man")
    result = CliRunner().invoke(root, ["help", "--man", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder


def help_text(words: list[str]) -> str:
    result = CliRunner().invoke(root, [*words, "--help"], catch_exceptions=False, terminal_width=100,
                                prog_name="portalctl")
    assert result.exit_code == 0, result.output
    return result.output


def section(page: str, name: str) -> str:
    match = re.search(rf"^\.SH {name}\n(.*?)(?=^\.SH |\Z)", page, re.S | re.M)
    return match[1] if match else ""


def plain(roff: str) -> str:
    return re.sub(r"\\f[BIR]", "", roff).replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def help_flags(text: str) -> set[str]:
    options = text.split("Options:", 1)[1].split("\nCommands:", 1)[0] if "Options:" in text else ""
    return {flag for line in options.splitlines() if line.startswith("  -")
            for flag in FLAG.findall(line.split("  ")[1])}


def test_every_command_has_a_page(pages: Path) -> None:
    written = {p.name for p in pages.glob("*.1")}
    expected = {"-".join(["portalctl", *words]) + ".1" for words in command_paths()}
    assert written == expected
    assert {"portalctl-tickets-list.1", "portalctl-config-set.1", "portalctl-help.1"} <= written


@pytest.mark.parametrize("words", command_paths(), ids=lambda words: " ".join(words) or "portalctl")
def test_page_synopsis_and_options_match_help(pages: Path, words: list[str]) -> None:
    page = (pages / ("-".join(["portalctl", *words]) + ".1")).read_text(encoding="utf-8")
    shown = help_text(words)
    usage = shown.splitlines()[0].removeprefix("Usage: ")
    assert plain(section(page, "SYNOPSIS")).strip() == f".B {usage}"
    page_flags = {flag for line in section(page, "OPTIONS").splitlines() if line.startswith("\\fB")
                  for flag in FLAG.findall(plain(line))}
    assert page_flags == help_flags(shown)


def test_pages_render_with_man(pages: Path) -> None:
    done = subprocess.run(["man", "-l", str(pages / "portalctl-tickets-list.1")], capture_output=True, text=True,
                          env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin", "MANPAGER": "cat", "PAGER": "cat"})
    assert done.returncode == 0, done.stderr
    text = re.sub(".\b", "", done.stdout)
    assert "portalctl tickets list [OPTIONS]" in text and "-s, --status STATE" in text


def test_help_command_prints_a_command_s_help() -> None:
    result = CliRunner().invoke(root, ["help", "tickets", "ls"], catch_exceptions=False, prog_name="portalctl")
    assert result.exit_code == 0 and result.output.startswith("Usage: portalctl tickets list [OPTIONS]")
    missing = CliRunner().invoke(root, ["help", "tickets", "nope"])
    assert missing.exit_code == 2 and "no command 'tickets nope'" in missing.output
