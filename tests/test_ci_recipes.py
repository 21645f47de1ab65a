"""The CI recipes in examples/ci and the README's examples run as written: run those very lines, as a reader would."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from portalctl.config import Profile, UserConfig
from portalctl.engine.portal import Portal
from tests.conftest import AGENT, ANA

REPO = Path(__file__).parent.parent
RECIPES = {
    "github-actions.yml": {"CI_PROJECT": "billing", "CI_BRANCH": "main", "CI_PIPELINE_ID": "311",
                           "CI_COMMIT_SHA": "abc123", "CI_JOB_URL": "https://ci.example/311"},
    "gitlab-ci.yml": {"CI_PROJECT_NAME": "billing", "CI_COMMIT_BRANCH": "main", "CI_PIPELINE_ID": "311",
                      "CI_COMMIT_SHA": "abc123", "CI_JOB_URL": "https://ci.example/311"},
    "Jenkinsfile": {"JOB_NAME": "billing", "BRANCH_NAME": "main", "BUILD_NUMBER": "311",
                    "BUILD_URL": "https://ci.example/311"},
}


def portalctl_lines(recipe: Path) -> list[str]:
    lines = [line.strip().lstrip("- ").strip() for line in recipe.read_text().splitlines()]
    return [line for line in lines if line.startswith("portalctl ")]


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_opens_one_ticket_and_replies_on_the_next_failure(recipe: str, portal: Portal, home: Path,
                                                                  tmp_path: Path) -> None:
    UserConfig().put(Profile(name="default", user=ANA))
    lines = portalctl_lines(REPO / "examples" / "ci" / recipe)
    assert lines, f"{recipe} runs no portalctl command"
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **RECIPES[recipe], "CI": "true", "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0",
           "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    (tmp_path / "examples").symlink_to(REPO / "examples")  # a checkout of the project, as the runner has
    results = []
    for _ in range(2):  # the same build fails twice
        for line in lines:
            done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=60)
            assert done.returncode == 0, done.stderr
        results.append(json.loads((tmp_path / "ticket.json").read_text()))
    first, second = results
    assert first["created"] is True and second["created"] is False
    assert first["id"] == second["id"]
    assert "billing" in first["subject"] and "main" in first["subject"]
    assert first["dedupe_key"] == "ci-billing-main"
    assert first["priority"] == "high"
    assert portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_the_readme_first_session_runs_as_written(home: Path, tmp_path: Path) -> None:
    """Every line of the README's "A first session" block, run verbatim in an empty directory, as a reader would."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## A first session", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert any(line.startswith("portalctl tickets create") for line in lines)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0",
           "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    outputs = []
    for line in lines:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
        outputs.append(done.stdout)
    assert json.loads(outputs[-2]) == "Recibido"  # jq printed the agent's reply


def test_the_readme_python_example_runs_as_written(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's "Using it from Python" block, run verbatim on the embedded portal as its agent."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Using it from Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("PORTALCTL_USER", AGENT)
    printed = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), namespace)
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # leaving the `with` block closed the portal
        namespace["client"].backend.portal.conn.execute("SELECT 1")  # type: ignore[attr-defined]
    created = portal.conn.execute("SELECT id, subject, priority FROM tickets").fetchall()
    assert [tuple(row) for row in created] == [(created[0][0], "Build 311 failed", "high")]
    assert printed.getvalue() == f"{created[0][0]} Build 311 failed\n"
