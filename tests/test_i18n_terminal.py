"""Spanish on a real terminal: tmux runs portalctl with LANG=es_CO.UTF-8 (as a Colombian user's shell has it, with
no LC_ALL to override), and what the screen shows is read back with `capture-pane`: accented words whole, and the
table's columns still lined up (an accented letter takes one cell)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal, Session
from tests.conftest import AGENT, ANA
from tests.test_terminal_tmux import Pane, pytestmark  # noqa: F401 (skipped without tmux, as those are)


@pytest.fixture
def spanish_pane(portal: Portal, home: Path, tmp_path: Path) -> Iterator[Pane]:
    bin_dir = str(Path(sys.executable).parent)
    env = {"PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "PORTALCTL_USER": AGENT, "TERM": "xterm-256color",
           "PATH": bin_dir + os.pathsep + os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "HOME": str(tmp_path), "LANG": "es_CO.UTF-8", "PAGER": "cat", "COLUMNS": "120"}
    pane = Pane(Path(f"/tmp/portalctl-tmux-es-{os.getpid()}-{id(tmp_path)}"), env, width=120)
    try:
        yield pane
    finally:
        pane.close()


def test_spanish_on_a_terminal_keeps_its_accents_and_its_columns(spanish_pane: Pane,
                                                                 as_user: Callable[[str], Session]) -> None:
    as_user(ANA).tickets.create(TicketDraft(subject="Facturación electrónica rechazada", body="¿Qué pasó?",
                                            priority="high"))
    as_user(AGENT).tickets.reply(1, body="Revisión en curso")
    screen = spanish_pane.run("portalctl tickets list")
    header = next(line for line in screen.splitlines() if line.startswith("ID "))
    row = next(line for line in screen.splitlines() if "Facturación electrónica rechazada" in line)
    assert "Esperando su respuesta" in row and "Alta" in row
    assert row.index("Facturación") == header.index("ASUNTO")  # columns line up past the accented words
    screen = spanish_pane.run("portalctl tickets show 1")
    assert "Organización:" in screen and "prioridad Alta · abierto" in screen and "¿Qué pasó?" in screen
    screen = spanish_pane.run("portalctl tickets reply 99 --body x")
    assert "Error: no existe el ticket #99" in screen and "Sugerencia: consulte 'portalctl tickets list'" in screen
