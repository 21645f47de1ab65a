"""Shell completion of live values, run the way a shell runs it: `portalctl completion bash` is sourced in a real
bash, COMP_WORDS and COMP_CWORD are set as bash sets them at the prompt, and the function the script defines fills
COMPREPLY. zsh and fish (not installed here) are driven through the same script protocol their scripts speak."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal
from tests.conftest import ADMIN, ANA

SCRIPT_DIR = Path(sys.executable).parent  # the interpreter's own `portalctl` console script


def environment() -> dict[str, str]:
    env = dict(os.environ, PORTALCTL_USER=ADMIN, PATH=f"{SCRIPT_DIR}{os.pathsep}{os.environ['PATH']}")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "cli"), env.get("PYTHONPATH", "")])
    return env


def bash(*words: str) -> list[str]:
    """What bash offers after typing `words` (the last one is being completed; "" for a fresh word)."""
    if shutil.which("portalctl", path=str(SCRIPT_DIR)) is None:
        pytest.skip("the portalctl console script is not installed beside this interpreter")
    array = " ".join(f"'{w}'" for w in ("portalctl", *words))
    script = (f'eval "$(portalctl completion bash)"\nCOMP_WORDS=({array})\nCOMP_CWORD={len(words)}\n'
              '_portalctl_completion portalctl\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=environment(), timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def protocol(shell: str, *words: str) -> list[str]:
    """The raw answer click's zsh/fish script reads: zsh gets type, value and help lines; fish `type,value\thelp`."""
    env = environment()
    line = " ".join(("portalctl", *words))
    # zsh's script passes the words and the index of the one being completed; fish's the line and that word
    cword = words[-1] if shell == "fish" else str(len(words))
    env.update({"COMP_WORDS": line, "COMP_CWORD": cword, "_PORTALCTL_COMPLETE": f"{shell}_complete"})
    done = subprocess.run([sys.executable, "-m", "portalctl"], capture_output=True, text=True, env=env, timeout=60)
    return done.stdout.splitlines()


def test_states_complete_after_a_comma(portal: Portal) -> None:
    assert bash("tickets", "list", "--status", "pe") == ["pending"]
    assert bash("tickets", "list", "-s", "open,") == [f"open,{s}" for s in
                                                        ("new", "open", "pending", "on_hold", "resolved", "closed",
                                                         "all")]


def test_priorities_and_departments_come_from_the_portal(portal: Portal) -> None:
    assert bash("tickets", "list", "--priority", "h") == ["high"]
    assert sorted(bash("export", "tickets", "--department", "soporte")) == ["soporte-administrativo", "soporte-web"]


def test_ticket_ids_complete_with_their_subjects(portal: Portal) -> None:
    made = portal.session(ANA).tickets.create(TicketDraft(subject="VPN caída desde las 9", body="x"))
    assert bash("tickets", "show", "") == [str(made.id)]
    assert f"{made.id}\nVPN caída desde las 9" in "\n".join(protocol("zsh", "tickets", "show", ""))
    assert f"plain,{made.id}\tVPN caída desde las 9" in protocol("fish", "tickets", "reply", "")


def test_profiles_complete_for_switch_and_p(home: Path) -> None:
    for name in ("billing", "team"):
        UserConfig().put(Profile(name=name), make_current=False)
    assert bash("auth", "switch", "") == ["billing", "team"]
    assert bash("-p", "t") == ["team"]


def test_templates_and_articles_complete(portal: Portal, home: Path) -> None:
    folder = home / "config" / "templates"
    folder.mkdir(parents=True)
    (folder / "ci-build-failure.yaml").write_text("subject: Build ${PIPELINE} failed\nbody: see log\n")
    assert bash("tickets", "create", "--template", "ci") == ["ci-build-failure"]
    assert bash("templates", "show", "") == ["ci-build-failure"]
    article = portal.session(ADMIN).articles.add(collection="colombia", folder="facturacion", title="Facturas",
                                                 body="x")
    assert bash("articles", "show", "") == [str(article.id)]


def test_an_unreachable_portal_completes_nothing_quietly(home: Path) -> None:
    assert bash("tickets", "show", "") == []  # no portal file: no error in the user's prompt
    assert bash("tickets", "list", "--status", "res") == ["resolved"]  # static values still complete
