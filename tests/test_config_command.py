"""`portalctl config` and the settings the README documents: every setting from every source, with `config` naming
the source, and the settings that were documented but ignored (output and debug from .env or .portalctl.toml)
doing what the README says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.config import KEYS, Profile, UserConfig
from portalctl.contract import TicketDraft
from portalctl.engine.portal import Portal
from tests.conftest import ADMIN, ANA

Cli = Callable[..., Result]
VALUES = {"profile": "team", "user": ANA, "db": "/srv/portal.db", "output": "yaml", "errors": "json", "debug": "1",
          "timeout": "12", "retries": "2", "backoff": "0.25", "smtp_url": "smtp://mail.test:25",
          "public_url": "https://help.test", "lang": "en"}


def put(source: str, key: str, value: str, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> dict[str, str]:
    """Set `key` in `source`; the environment to run with."""
    if source == "environment":
        return {f"PORTALCTL_{key.upper()}": value}
    if source == ".env":
        Path(".env").write_text(f"PORTALCTL_{key.upper()}={value}\n")
    elif source == ".portalctl.toml":
        Path(".portalctl.toml").write_text(f"{key} = {json.dumps(value)}\n")
    else:
        result = cli("config", "set", key, value)
        assert result.exit_code == 0, result.stderr
    return {}


def test_every_documented_setting_has_a_key() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = {name.lower() for name in re.findall(r"PORTALCTL_([A-Z][A-Z_]*[A-Z])", section)}
    assert documented - {"token", "home", "keyring"} <= set(KEYS)
    assert set(VALUES) == set(KEYS)


@pytest.mark.parametrize("source", ["environment", ".env", ".portalctl.toml", "user config"])
@pytest.mark.parametrize("key", sorted(VALUES))
def test_config_get_names_the_value_and_its_source(cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch,
                                                   key: str, source: str) -> None:
    if key == "profile":
        UserConfig().put(Profile(name="team"), make_current=False)
    env = put(source, key, VALUES[key], monkeypatch, cli)
    result = cli("config", "get", key, env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{VALUES[key]}\n"
    assert f"(from {source})" in result.stderr
    listed = cli("config", "list", "-o", "json", env=env)
    row = next(r for r in json.loads(listed.stdout) if r["key"] == key)
    assert (row["value"], row["source"]) == (VALUES[key], source)


def test_a_flag_wins_and_says_so(cli: Cli, home: Path) -> None:
    for name in ("team", "other"):
        UserConfig().put(Profile(name=name), make_current=False)
    Path(".portalctl.toml").write_text('profile = "team"\n')
    result = cli("-p", "other", "config", "get", "profile")
    assert result.stdout == "other\n" and "(from flag)" in result.stderr


def test_precedence_env_over_dotenv_over_project_over_user(cli: Cli, home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cli("config", "set", "output", "csv")
    assert cli("config", "get", "output").stdout == "csv\n"
    Path(".portalctl.toml").write_text('output = "yaml"\n')
    assert cli("config", "get", "output").stdout == "yaml\n"
    Path(".env").write_text("PORTALCTL_OUTPUT=jsonl\n")
    assert cli("config", "get", "output").stdout == "jsonl\n"
    assert cli("config", "get", "output", env={"PORTALCTL_OUTPUT": "json"}).stdout == "json\n"


def test_unset_falls_back_and_defaults_show(cli: Cli, home: Path) -> None:
    cli("config", "set", "timeout", "9")
    assert cli("config", "get", "timeout").stdout == "9\n"
    result = cli("config", "unset", "timeout")
    assert result.exit_code == 0 and "'30' (from default)" in result.stderr
    assert cli("config", "get", "timeout").stdout == "30\n"


def test_bad_keys_and_values_are_refused(cli: Cli, home: Path) -> None:
    unknown = cli("config", "get", "colour")
    assert unknown.exit_code == 2 and "unknown setting 'colour'" in unknown.stderr
    assert cli("config", "set", "output", "xml").exit_code == 2
    assert cli("config", "set", "timeout", "soon").exit_code == 2
    secret = cli("config", "set", "token", "abc")
    assert secret.exit_code == 2 and "secret" in secret.stderr
    assert not (home / "config" / "config.json").exists() or "abc" not in (home / "config" / "config.json").read_text()


def test_config_path_is_the_user_config(cli: Cli, home: Path) -> None:
    assert cli("config", "path").stdout == f"{home / 'config' / 'config.json'}\n"


@pytest.mark.parametrize("source", [".env", ".portalctl.toml", "user config"])
def test_output_setting_is_honoured_by_listings(cli: Cli, portal: Portal, monkeypatch: pytest.MonkeyPatch,
                                                 source: str) -> None:
    """The README documents output in .portalctl.toml and PORTALCTL_OUTPUT in .env; both were ignored."""
    made = portal.session(ANA).tickets.create(TicketDraft(subject="VPN", body="x"))
    env = put(source, "output", "json", monkeypatch, cli)
    result = cli("tickets", "list", user=ADMIN, env=env)
    assert result.exit_code == 0, result.stderr
    assert [t["id"] for t in json.loads(result.stdout)] == [made.id]
    assert cli("tickets", "list", "-o", "csv", user=ADMIN, env=env).stdout.startswith("id,")  # a flag wins


def test_a_bad_output_setting_names_its_source(cli: Cli, portal: Portal) -> None:
    Path(".portalctl.toml").write_text('output = "xml"\n')
    result = cli("tickets", "list", user=ADMIN)
    assert result.exit_code == 2 and "'xml' (from .portalctl.toml)" in result.stderr


@pytest.mark.parametrize("source", [".env", ".portalctl.toml", "user config"])
def test_debug_setting_turns_debug_on(cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    from portalctl.cli import root

    put(source, "debug", "1", monkeypatch, cli)
    ctx = root.make_context("portalctl", ["config", "path"])
    with ctx:
        root.invoke(ctx)
        assert ctx.obj.debug is True


@pytest.mark.parametrize("source", [".env", ".portalctl.toml", "user config"])
def test_user_setting_acts_as_that_user(cli: Cli, portal: Portal, monkeypatch: pytest.MonkeyPatch,
                                        source: str) -> None:
    portal.session(ADMIN).tickets.create(TicketDraft(subject="Admin's own", body="x"))
    mine = portal.session(ANA).tickets.create(TicketDraft(subject="Ana's", body="x"))
    put(source, "user", ANA, monkeypatch, cli)
    result = cli("tickets", "list", "-o", "json")
    assert [t["id"] for t in json.loads(result.stdout)] == [mine.id]


@pytest.mark.parametrize("source", [".env", ".portalctl.toml", "user config"])
def test_timeout_retries_backoff_reach_the_retry_policy(home: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                        source: str) -> None:
    for key in ("timeout", "retries", "backoff"):
        put(source, key, VALUES[key], monkeypatch, cli)
        if source == ".env":  # one .env holds them all
            Path(".env").write_text("PORTALCTL_TIMEOUT=12\nPORTALCTL_RETRIES=2\nPORTALCTL_BACKOFF=0.25\n")
        elif source == ".portalctl.toml":
            Path(".portalctl.toml").write_text('timeout = "12"\nretries = "2"\nbackoff = "0.25"\n')
    policy = Profile(name="x").retry
    assert (policy.timeout, policy.retries, policy.backoff) == (12.0, 2, 0.25)
