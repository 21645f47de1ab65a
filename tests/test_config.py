"""Where state lives, which profile acts, and how secrets are kept."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.config import Profile, Settings, UserConfig, config_dir, data_dir
from portalctl.secrets import SecretStore
from tests.conftest import AGENT, ANA


def test_portalctl_home_moves_all_state(home: Path) -> None:
    assert config_dir() == home / "config"
    assert data_dir() == home / "data"


def test_precedence_flag_env_dotenv_project_user(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = UserConfig()
    for name in ("user-cfg", "project", "dotenv", "env", "flag"):
        config.put(Profile(name=name), make_current=False)
    config.switch("user-cfg")
    assert Settings().profile().name == "user-cfg"
    Path(".portalctl.toml").write_text('profile = "project"\n')
    assert Settings().profile().name == "project"
    Path(".env").write_text("PORTALCTL_PROFILE=dotenv\nOTHER=ignored\n")
    assert Settings().profile().name == "dotenv"
    monkeypatch.setenv("PORTALCTL_PROFILE", "env")
    assert Settings().profile().name == "env"
    assert Settings({"profile": "flag"}).profile().name == "flag"


def test_project_file_is_found_from_a_subdirectory(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    UserConfig().put(Profile(name="team"))
    UserConfig().put(Profile(name="other"))
    Path(".portalctl.toml").write_text('profile = "team"\n')
    Path("sub/deeper").mkdir(parents=True)
    monkeypatch.chdir("sub/deeper")
    assert Settings().profile().name == "team"


def test_broken_project_file_is_a_clear_error(portal: object, cli: Callable[..., Result]) -> None:
    Path(".portalctl.toml").write_text("profile = \n")
    result = cli("tickets", "list")
    assert result.exit_code == 2
    assert ".portalctl.toml" in result.stderr


def test_secret_file_is_private_and_never_printed(home: Path) -> None:
    store = SecretStore(use_keyring=False)
    store.set("ci", "s3cr3t-token")
    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode == 0o600
    assert store.get("ci") == "s3cr3t-token"
    store.delete("ci")
    assert store.get("ci") is None


def test_token_from_environment_wins(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(use_keyring=False)
    store.set("ci", "from-file")
    monkeypatch.setenv("PORTALCTL_TOKEN", "from-env")
    assert store.get("ci") == "from-env"


def test_login_with_token_keeps_it_out_of_output_and_config(portal: object, cli: Callable[..., Result],
                                                            home: Path) -> None:
    result = cli("auth", "login", "--name", "ci", "--user", AGENT, "--with-token", input="tok-123456\n")
    assert result.exit_code == 0, result.stderr
    status = cli("auth", "status", "-o", "json")
    assert "tok-123456" not in status.stdout + status.stderr
    assert json.loads(status.stdout)["token"].startswith("set")
    assert "tok-123456" not in (home / "config" / "config.json").read_text()
    assert stat.S_IMODE((home / "config" / "credentials.json").stat().st_mode) == 0o600


def test_login_switch_and_logout(portal: object, cli: Callable[..., Result]) -> None:
    assert cli("auth", "login", "--name", "ana", "--user", ANA).exit_code == 0
    assert json.loads(cli("me", "-o", "json").stdout)["email"] == ANA
    assert cli("auth", "login", "--name", "agent", "--user", AGENT).exit_code == 0
    assert json.loads(cli("me", "-o", "json").stdout)["email"] == AGENT
    assert cli("auth", "switch", "ana").exit_code == 0
    assert json.loads(cli("me", "-o", "json").stdout)["email"] == ANA
    assert json.loads(cli("-p", "agent", "me", "-o", "json").stdout)["email"] == AGENT
    listed = json.loads(cli("auth", "list", "-o", "json").stdout)
    assert {p["name"]: p["current"] for p in listed} == {"ana": "*", "agent": ""}
    assert cli("auth", "logout", "ana").exit_code == 0
    assert [p["name"] for p in json.loads(cli("auth", "list", "-o", "json").stdout)] == ["agent"]


def test_login_as_unknown_user_saves_nothing(portal: object, cli: Callable[..., Result], home: Path) -> None:
    result = cli("auth", "login", "--name", "x", "--user", "nobody@nowhere.test")
    assert result.exit_code == 3
    assert "nobody@nowhere.test" in result.stderr
    assert "x" not in UserConfig().profiles()


def test_unknown_profile_names_the_fix(portal: object, cli: Callable[..., Result]) -> None:
    result = cli("-p", "nope", "tickets", "list")
    assert result.exit_code == 3
    assert "no profile named 'nope'" in result.stderr
    assert "auth list" in result.stderr


def test_no_portal_yet_says_run_init(home: Path, cli: Callable[..., Result]) -> None:
    result = cli("tickets", "list")
    assert result.exit_code == 1
    assert "portalctl init" in result.stderr


def test_login_keeps_backend_options_in_the_profile(portal: object, cli: Callable[..., Result]) -> None:
    result = cli("auth", "login", "--name", "desk", "--user", AGENT, "--option", "queue=2", "--option", "x=y=z")
    assert result.exit_code == 0, result.stderr
    assert UserConfig().get("desk").options == {"queue": "2", "x": "y=z"}
    bad = cli("auth", "login", "--name", "bad", "--user", AGENT, "--option", "novalue")
    assert bad.exit_code == 2
    assert "bad" not in UserConfig().profiles()


def test_a_refused_login_keeps_no_token_and_restores_the_old_one(portal: object, cli: Callable[..., Result]) -> None:
    assert cli("auth", "login", "--name", "ci", "--user", AGENT, "--with-token", input="good\n").exit_code == 0
    refused = cli("auth", "login", "--name", "ci", "--user", "ghost@nowhere.test", "--with-token", input="bad\n")
    assert refused.exit_code == 3
    assert SecretStore(use_keyring=False).stored("ci") == "good"
    assert cli("auth", "login", "--name", "new", "--user", "ghost@nowhere.test", "--with-token",
               input="bad\n").exit_code == 3
    assert SecretStore(use_keyring=False).stored("new") is None
