"""Where portalctl keeps its state, and which profile a command acts through.

Precedence for every setting: flags > environment (PORTALCTL_*) > .env in the working directory >
project file (.portalctl.toml, searched upwards) > user config (config.json in the config directory) > defaults.
`PORTALCTL_HOME` moves all state (config and data) under one directory.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import N_, _

ENV_PREFIX = "PORTALCTL_"
PROJECT_FILE = ".portalctl.toml"
# The settings the README documents, as `portalctl config` shows them: key -> (what it sets, its default).
KEYS: dict[str, tuple[str, str | None]] = {
    "profile": (N_("the profile commands act through"), None),
    "user": (N_("the acting user (embedded: an e-mail)"), None),
    "db": (N_("the embedded portal file"), N_("the data directory's portal.db")),
    "output": (N_("the output format: table, json, jsonl, csv or yaml"), "table"),
    "errors": (N_("errors as text, or json (one object on stderr)"), "text"),
    "debug": (N_("tracebacks and each HTTP request (1 or 0)"), "0"),
    "timeout": (N_("seconds to wait for a portal's answer"), "30"),
    "retries": (N_("retries of a busy or unreachable portal"), "4"),
    "backoff": (N_("seconds before the first retry; doubles each time"), "0.5"),
    "smtp_url": (N_("the server's mail relay (portalctl serve)"), None),
    "public_url": (N_("where mailed links point (portalctl serve)"), None),
    "lang": (N_("the language of messages and help: es or en"), None),
}
SECRET_KEYS = ("token",)  # read from the environment only, never stored here nor printed
SOURCES = ("flag", "environment", ".env", PROJECT_FILE, "user config", "default")


def config_dir() -> Path:
    home = os.environ.get("PORTALCTL_HOME")
    if home:
        return Path(home) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir("portalctl"))


def data_dir() -> Path:
    home = os.environ.get("PORTALCTL_HOME")
    if home:
        return Path(home) / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("portalctl"))


def default_db() -> Path:
    """The portal file of the data directory, which is made 0700 (or repaired) here: portalctl's alone."""
    return state_dir(data_dir()) / "portal.db"


def state_dir(folder: Path, *, create: bool = True) -> Path:
    """One of portalctl's own directories (config, data), made 0700 if missing and `create`, repaired if open to
    other users, and so is PORTALCTL_HOME, which holds nothing else (private.py)."""
    from portalctl.private import private_dir, repair

    home = os.environ.get("PORTALCTL_HOME")
    if home:
        repair(Path(home))
    if create:
        private_dir(folder)
    else:
        repair(folder)
    return folder


class RetryPolicy(NamedTuple):
    """How long to wait for a portal's answer, and how often and how long to wait before giving up on a portal
    that is busy or away (every networked backend's session follows it)."""

    retries: int = 4
    backoff: float = 0.5  # the first wait (without Retry-After); it doubles on each retry
    backoff_max: float = 10.0  # no single wait grows beyond this
    retry_after_max: float = 120.0  # a server that asks for a longer pause gets an error, not a hung command
    timeout: float = 30.0  # seconds to wait for an answer, on each attempt

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before retry number `attempt + 1`: what the server asked for, or a jittered exponential step.

        Jitter spreads clients that failed together (50 pipelines after a restart) so they do not return together.
        """
        if retry_after is not None:
            return retry_after + jitter(min(1.0, self.backoff))
        step = min(self.backoff_max, self.backoff * 2.0**attempt)
        return step / 2 + jitter(step / 2)


@dataclass
class Profile:
    """A named way to reach a portal: the backend kind, where it is, and who acts."""

    name: str
    backend: str = "embedded"
    url: str | None = None  # server and connectors
    db: str | None = None  # embedded: the portal file (default: the data directory's portal.db)
    user: str | None = None  # the acting user's e-mail (embedded) or login name
    options: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def retry(self) -> RetryPolicy:
        """Retries, backoff and timeout, resolved once, when a backend first needs them (a bad value then fails
        the command that goes to the network, not every command)."""
        return retry_policy(Settings(), self.options)

    def db_path(self) -> Path:
        return Path(self.db).expanduser() if self.db else default_db()

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}


class UserConfig:
    """config.json in the config directory: the profiles and which one is current."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "config.json"
        self.data: dict[str, Any] = {"current": None, "profiles": {}}
        if self.path.exists():
            from portalctl.private import repair

            state_dir(self.path.parent, create=False)
            repair(self.path)
            try:
                self.data.update(json.loads(self.path.read_text(encoding="utf-8")))
            except json.JSONDecodeError as exc:
                raise InvalidInput(_("{path} is not valid JSON ({exc})").format(
                    path=self.path, exc=exc), hint=_("fix or remove the file")) from exc

    @property
    def current(self) -> str | None:
        return self.data.get("current")

    @property
    def settings(self) -> dict[str, Any]:
        """What `portalctl config set` stored."""
        return dict(self.data.get("settings") or {})

    def set_setting(self, key: str, value: str | None) -> None:
        """Store a setting (None removes it)."""
        settings = self.settings
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
        self.data["settings"] = settings
        self.save()

    def profiles(self) -> dict[str, Profile]:
        return {name: Profile(name=name, **body) for name, body in self.data["profiles"].items()}

    def get(self, name: str) -> Profile:
        body = self.data["profiles"].get(name)
        if body is None:
            raise NotFound(_("no profile named {name!r}").format(
                name=name), hint=_("see 'portalctl auth list' or run 'portalctl auth login'"))
        return Profile(name=name, **body)

    def put(self, profile: Profile, *, make_current: bool = True) -> None:
        body = profile.public()
        body.pop("name")
        self.data["profiles"][profile.name] = body
        if make_current or not self.current:
            self.data["current"] = profile.name
        self.save()

    def remove(self, name: str) -> None:
        self.data["profiles"].pop(name, None)
        if self.current == name:
            self.data["current"] = next(iter(self.data["profiles"]), None)
        self.save()

    def switch(self, name: str) -> None:
        self.get(name)
        self.data["current"] = name
        self.save()

    def save(self) -> None:
        """Written whole and renamed into place, 0600 in a 0700 directory (private.py)."""
        from portalctl.private import FILE_MODE

        state_dir(self.path.parent)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, FILE_MODE)  # a .tmp left by an older portalctl keeps its mode through O_TRUNC
        tmp.replace(self.path)


def dotenv_values() -> dict[str, str]:
    """PORTALCTL_* values from .env in the working directory (python-dotenv parses it)."""
    path = Path.cwd() / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values as parse

    try:
        values = parse(path, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{path} is not UTF-8 text (it has the byte {object:#04x})").format(
            path=path, object=exc.object[exc.start]),
                           hint=_("save it as UTF-8, or remove it")) from exc
    return {k: v for k, v in values.items() if k.startswith(ENV_PREFIX) and v is not None}


def project_settings() -> dict[str, Any]:
    """The settings of the nearest .portalctl.toml (tomllib is imported only when there is one)."""
    found = project_file()
    if found is None:
        return {}
    import tomllib

    try:
        return tomllib.loads(found.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{found} is not UTF-8 text (it has the byte {object:#04x})").format(
            found=found, object=exc.object[exc.start]),
                           hint=_("TOML files are UTF-8: save it as UTF-8")) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{found}: {exc}", hint=_("fix the TOML syntax")) from exc


def project_file() -> Path | None:
    """The nearest .portalctl.toml from the working directory upwards."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        path = folder / PROJECT_FILE
        if path.is_file():
            return path
    return None


class Settings:
    """Resolves one setting through the precedence chain (flags are passed in by the caller)."""

    def __init__(self, flags: dict[str, Any] | None = None) -> None:
        self.flags = {k: v for k, v in (flags or {}).items() if v is not None}
        self._dotenv: dict[str, str] | None = None
        self._project: dict[str, Any] | None = None
        self._user: UserConfig | None = None

    @property
    def user_config(self) -> UserConfig:
        if self._user is None:
            self._user = UserConfig()
        return self._user

    def get(self, key: str) -> Any:
        return self.source(key)[0]

    def source(self, key: str) -> tuple[Any, str]:
        """The value of `key` and where it came from (one of SOURCES); (None, "default") when nothing sets it."""
        if key in self.flags:
            return self.flags[key], "flag"
        env_key = ENV_PREFIX + key.upper()
        if env_key in os.environ:
            return os.environ[env_key], "environment"
        if self._dotenv is None:
            self._dotenv = dotenv_values()
        if env_key in self._dotenv:
            return self._dotenv[env_key], ".env"
        if self._project is None:
            self._project = project_settings()
        if key in self._project:
            return self._project[key], PROJECT_FILE
        if key in self.user_config.settings:
            return self.user_config.settings[key], "user config"
        if key == "profile" and self.user_config.current:  # the one `auth login` or `auth switch` made current
            return self.user_config.current, "user config"
        return None, "default"

    def number(self, key: str, options: Mapping[str, Any], default: float) -> float:
        """A non-negative number: this setting (PORTALCTL_<KEY>...), else the profile's option, else `default`."""
        raw = self.get(key)
        if raw in (None, ""):
            raw = options.get(key)
        if raw in (None, ""):
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("{key} must be a number, not {raw!r}").format(key=key, raw=raw),
                               hint=_("fix PORTALCTL_{upper} or the profile's {key!r} option").format(
                                   upper=key.upper(), key=key)) from exc
        if value < 0:
            raise InvalidInput(_("{key} cannot be negative").format(key=key))
        return value

    def profile(self) -> Profile:
        """The profile this command acts through, with per-setting overrides applied."""
        name = self.get("profile")
        profile = self.user_config.get(name) if name else Profile(name="default")
        for key in ("user", "db", "url"):
            value = self.get(key)
            if value:
                setattr(profile, key, value)
        return profile


def truthy(value: Any) -> bool:
    """A yes/no setting as environments and files spell it (1, true, yes, on)."""
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def retry_policy(settings: Settings, options: Mapping[str, Any]) -> RetryPolicy:
    """PORTALCTL_RETRIES, _BACKOFF and _TIMEOUT (flags, environment, .env, project file), then the profile's
    options of those names, then the defaults."""
    defaults = RetryPolicy()
    return RetryPolicy(retries=int(settings.number("retries", options, defaults.retries)),
                       backoff=settings.number("backoff", options, defaults.backoff),
                       timeout=settings.number("timeout", options, defaults.timeout))


def jitter(most: float) -> float:
    """A random pause of up to `most` seconds (random is imported here: only a retry needs it, not start-up)."""
    import random

    return random.uniform(0, most)
