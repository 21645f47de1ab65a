"""Completion of live values in real zsh and fish (Debian's packages), typed at a prompt in a tmux pane: Tab after
`portalctl tickets show ` lists the recent tickets with their subjects, as each shell shows descriptions, and a state
completes in place. (bash is driven through its completion function in test_completion.py.)"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal, Session
from tests.conftest import AGENT, ANA
from tests.test_terminal_tmux import Pane

START = {
    "zsh": ("exec zsh -f", 'autoload -Uz compinit && compinit -u && eval "$(portalctl completion zsh)" && echo READY'),
    "fish": ("exec fish --no-config", "portalctl completion fish | source; and echo READY"),
}


@pytest.fixture(params=sorted(START))
def shell(request: pytest.FixtureRequest, portal: Portal, home: Path, tmp_path: Path) -> Iterator[Pane]:
    name = str(request.param)
    if shutil.which(name) is None:
        pytest.skip(f"needs {name} (apt-get install {name}; scripts/test.sh installs it)")
    if shutil.which("tmux") is None:
        pytest.skip("needs tmux (apt-get install tmux)")
    bin_dir = str(Path(sys.executable).parent)
    env = {"PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "PORTALCTL_USER": AGENT, "TERM": "xterm-256color",
           "PATH": bin_dir + os.pathsep + os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "HOME": str(tmp_path), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PAGER": "cat"}
    pane = Pane(Path(f"/tmp/portalctl-{name}-{os.getpid()}-{id(tmp_path)}"), env)
    try:
        start, load = START[name]
        pane.type(start)
        pane.type(load)
        pane.wait_for(r"(?m)^READY$")
        yield pane
    finally:
        pane.close()


def test_ticket_ids_complete_with_their_subjects(shell: Pane, as_user: Callable[[str], Session]) -> None:
    made = [as_user(ANA).tickets.create(TicketDraft(subject=subject, body="x")).id
            for subject in ("VPN caída desde las 9", "Factura 5412 rechazada")]
    shell.type("portalctl tickets show ", enter=False)
    shell.key("Tab")
    screen = shell.wait_for("Factura 5412 rechazada")
    for ticket_id, subject in zip(made, ("VPN caída desde las 9", "Factura 5412 rechazada"), strict=True):
        assert re.search(rf"\b{ticket_id}\b\W+{subject}", screen), screen  # each id beside its subject
    shell.key("C-c")


def test_a_state_completes_in_place(shell: Pane) -> None:
    shell.type("portalctl tickets list --status pe", enter=False)
    shell.key("Tab")
    shell.wait_for(r"--status pending")
