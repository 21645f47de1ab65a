"""portalctl on a real terminal: tmux (Debian's package) runs it in a pane, and what a person would see is read
back with `tmux capture-pane` and the pane's title with `tmux display -p '#{pane_title}'`.

A customer's ticket tries to clear the screen and retitle the window; the agent's screen must keep what was on
it and the title must stay. Width, pager, editor and Ctrl-C are checked the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal, Session
from tests.conftest import AGENT, ANA

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")
HOSTILE = "Hola\x1b[2J\x1b]0;pwned\x07 mundo"
MARK = "agent-was-here"
DONE = r"(?m)^exit=\d+$"  # the status line, not the command line that asks for it


class Pane:
    """One tmux server of our own (its own socket), one window of a fixed size running bash."""

    def __init__(self, socket: Path, env: dict[str, str], width: int = 100) -> None:
        self.socket = socket
        self.tmux = ["tmux", "-S", str(socket)]
        exports = " ".join(f"{k}={shlex_quote(v)}" for k, v in env.items())
        subprocess.run([*self.tmux, "-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", "30",
                        f"env {exports} bash --norc --noprofile"], check=True)
        subprocess.run([*self.tmux, "set-option", "-g", "allow-rename", "on"], check=True)
        subprocess.run([*self.tmux, "set-option", "-g", "set-titles", "on"], check=True)
        self.type("PS1='$ '; printf '%s\\n' " + MARK)
        self.wait_for(MARK)

    def type(self, line: str, enter: bool = True) -> None:
        subprocess.run([*self.tmux, "send-keys", "-l", line], check=True)
        if enter:
            subprocess.run([*self.tmux, "send-keys", "Enter"], check=True)

    def key(self, name: str) -> None:
        subprocess.run([*self.tmux, "send-keys", name], check=True)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-J"], check=True, capture_output=True,
                              text=True).stdout

    def title(self) -> str:
        return subprocess.run([*self.tmux, "display", "-p", "#{pane_title}"], check=True, capture_output=True,
                              text=True).stdout.strip()

    def wait_for(self, text: str, timeout: float = 20, seen: int = 0) -> str:
        """The screen once `text` (a regular expression) shows on it more than `seen` times."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if len(re.findall(text, screen)) > seen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def run(self, command: str) -> str:
        """Run a command line and wait for its exit status (shown as exit=N); returns the whole screen."""
        seen = len(re.findall(DONE, self.screen()))
        self.type(f"{command}; echo exit=$?")
        return self.wait_for(DONE, seen=seen)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False, capture_output=True)


def shlex_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


@pytest.fixture
def pane(portal: Portal, home: Path, tmp_path: Path, as_user: Callable[[str], Session]) -> Iterator[Pane]:
    as_user(ANA).tickets.create(TicketDraft(subject=HOSTILE, body="Texto \x1b[31mrojo\x1b[0m\r\nfin"))
    bin_dir = str(Path(sys.executable).parent)
    env = {"PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "PORTALCTL_USER": AGENT, "TERM": "xterm-256color",
           "PATH": bin_dir + os.pathsep + os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "HOME": str(tmp_path), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PAGER": "cat"}
    pane = Pane(Path(f"/tmp/portalctl-tmux-{os.getpid()}-{id(tmp_path)}"), env)
    try:
        yield pane
    finally:
        pane.close()


def test_hostile_ticket_text_neither_clears_the_screen_nor_retitles_the_window(pane: Pane) -> None:
    title = pane.title()
    screen = pane.run("portalctl tickets list")
    assert MARK in screen  # the screen was not cleared
    assert "Hola\\e[2J\\e]0;pwned^G mundo" in screen
    screen = pane.run("portalctl tickets show 1")
    assert MARK in screen and "\\e[31mrojo" in screen
    assert pane.title() == title and "pwned" not in pane.title()


def test_a_table_fits_the_pane_and_a_cut_listing_says_so(pane: Pane, as_user: Callable[[str], Session]) -> None:
    long = "Factura electrónica rechazada por el SII porque el valor FOB no cuadra con la declaración de aduana"
    for _ in range(3):
        as_user(ANA).tickets.create(TicketDraft(subject=long, body="x"))
    screen = pane.run("portalctl tickets list --limit 2")
    rows = [line for line in screen.splitlines() if "ana@acme.test" in line]
    assert len(rows) == 2 and all("…" in row and len(row) <= 100 for row in rows)
    assert "Showing 2 of 4 tickets — use --all or --limit N" in screen
    assert long in pane.run("portalctl tickets list --wide --limit 1 | cat")


def test_the_pager_runs_on_a_terminal_and_not_on_a_pipe(pane: Pane, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pane.run(f"PORTALCTL_PAGER='cat > {paged}' portalctl tickets show 1")
    assert "Hola\\e[2J" in paged.read_text()
    paged.unlink()
    pane.run(f"PORTALCTL_PAGER='cat > {paged}' portalctl --no-pager tickets show 1")
    pane.run(f"PORTALCTL_PAGER='cat > {paged}' portalctl tickets show 1 | cat")
    assert not paged.exists()


def test_the_editor_writes_a_reply(pane: Pane, portal: Portal, tmp_path: Path) -> None:
    script = tmp_path / "ed.sh"
    script.write_text('#!/bin/sh\n{ printf "Línea uno\\nLínea dos\\n"; cat "$1"; } > "$1.n"\nmv "$1.n" "$1"\n')
    script.chmod(0o755)
    screen = pane.run(f"EDITOR={script} portalctl tickets reply 1")
    assert "exit=0" in screen
    body = portal.conn.execute("SELECT body FROM comments ORDER BY id DESC").fetchone()[0]
    assert body == "Línea uno\nLínea dos"


def test_ctrl_c_at_a_prompt_exits_130(pane: Pane) -> None:
    pane.type("portalctl tickets close 1; echo exit=$?")
    pane.wait_for("Closed is final")  # the ticket was shown first, then the question
    pane.key("C-c")
    screen = pane.wait_for(DONE)
    assert "exit=130" in screen and "Aborted!" not in screen


def test_help_goes_through_the_pager_on_a_terminal_only(pane: Pane, tmp_path: Path) -> None:
    paged = tmp_path / "help.txt"
    for command in ("portalctl --help", "portalctl tickets list --help", "portalctl help tickets list"):
        screen = pane.run(f"PORTALCTL_PAGER='cat > {paged}' {command}")
        assert re.findall(DONE, screen)[-1] == "exit=0", screen
        assert paged.read_text().startswith("Usage: portalctl"), command
        paged.unlink()
    for command in ("portalctl --no-pager tickets list --help", "portalctl tickets list --help | cat"):
        pane.type("clear")
        pane.wait_for(r"\A\$ *\n\s*\Z")  # an empty screen: the long help's exit line will be the only one
        screen = pane.run(f"PORTALCTL_PAGER='cat > {paged}' {command}")
        assert "Show this message and exit." in screen and not paged.exists(), command


def test_watch_shows_hostile_changes_inert_and_stops_on_ctrl_c(pane: Pane, as_user: Callable[[str], Session]) -> None:
    title = pane.title()
    pane.type("portalctl tickets watch; echo exit=$?")
    pane.wait_for("Watching from cursor")
    as_user(ANA).tickets.create(TicketDraft(subject=HOSTILE, body="x"))
    as_user(AGENT).tickets.reply(1, body="Visto \x1b]0;pwned2\x07 ok")
    screen = pane.wait_for(r"reply from agent@support\.test")
    assert MARK in screen  # the screen was not cleared
    assert "opened by ana@acme.test  · Hola\\e[2J\\e]0;pwned^G mundo" in screen
    assert "reply from agent@support.test: Visto \\e]0;pwned2^G ok" in screen
    assert pane.title() == title and "pwned" not in pane.title()
    pane.key("C-c")
    assert "exit=130" in pane.wait_for(DONE)
