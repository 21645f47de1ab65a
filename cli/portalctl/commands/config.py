"""`portalctl config`: the settings the README documents, their values and where each comes from, as gh's.

`set` and `unset` write the user config (config.json in the config directory), the lowest source but the
defaults: a flag, the environment, `.env` or `.portalctl.toml` still win, and `list` says which one did.
"""

from __future__ import annotations

from typing import Any

import click

from portalctl.commands.context import Output, app, message, output_options
from portalctl.config import KEYS, SECRET_KEYS, Settings, UserConfig, project_file
from portalctl.errors import InvalidInput
from portalctl.i18n import LANGUAGES, _
from portalctl.labels import label
from portalctl.output.render import FORMATS

CHOICES = {"output": FORMATS, "errors": ("text", "json"), "debug": ("0", "1"), "lang": LANGUAGES}
NUMBERS = ("timeout", "retries", "backoff")


def key_argument(function: Any) -> Any:
    return click.argument("key", metavar="KEY", shell_complete=lambda ctx, param, incomplete: [
        click.shell_completion.CompletionItem(k, help=_(KEYS[k][0])) for k in KEYS if k.startswith(incomplete)
    ])(function)


def settings() -> Settings:
    """The settings as this command line sees them (-p is a flag)."""
    return Settings({"profile": app().profile})


def known(key: str) -> str:
    key = key.strip().lower().replace("-", "_")
    if key in SECRET_KEYS:
        raise InvalidInput(_("{key} is a secret: it is read from PORTALCTL_{upper} or the keyring, never from "
                             "a settings file").format(
                                 key=key, upper=key.upper()),
                                     hint=_("sign in with 'portalctl auth login' (or set it in CI's secrets)"))
    if key not in KEYS:
        raise InvalidInput(_("unknown setting {key!r}").format(key=key), hint=_("settings: {KEYS}").format(
            KEYS=', '.join(KEYS)))
    return key


def checked(key: str, value: str) -> str:
    """A value `set` may store: a choice in its list, a number where a number is meant."""
    value = value.strip()
    if key in CHOICES and value.lower() not in CHOICES[key]:
        raise InvalidInput(_("{key} cannot be {value!r}").format(
            key=key, value=value), hint=f"{key}: {', '.join(CHOICES[key])}")
    if key in NUMBERS:
        try:
            if float(value) < 0:
                raise ValueError(value)
        except ValueError:
            raise InvalidInput(_("{key} must be a number of 0 or more, not {value!r}").format(
                key=key, value=value)) from None
    return value.lower() if key in CHOICES else value


@click.group()
def config() -> None:
    """Show and change settings, and see where each value comes from.

    Precedence: flag > environment (PORTALCTL_*) > .env in the working directory > .portalctl.toml (the nearest,
    upwards) > user config (what 'config set' writes) > default.

    \b
    Examples:
      portalctl config list
      portalctl config get output
      portalctl config set output json
      portalctl config unset output
    """


@config.command("list")
@output_options(("key", "value", "source"))
def list_(output: Output) -> None:
    """Every setting with its value and where it comes from.

    \b
    Examples:
      portalctl config list
      portalctl config list -o json | jq -r '.[] | select(.source != "default") | .key'
    """
    found = settings()
    rows: list[dict[str, Any]] = []
    for key, (about, default) in KEYS.items():
        value, source = found.source(key)
        rows.append({"key": key, "value": _(default) if value is None and default else value, "source": source,
                     "about": _(about)})
    for key in SECRET_KEYS:
        value, source = found.source(key)
        if source == "environment":
            rows.append({"key": key, "value": _("(hidden)"), "source": source, "about": _("secret")})
    output.many(rows)


@config.command()
@key_argument
def get(key: str) -> None:
    """Print one setting's value (its source goes to stderr).

    \b
    Examples:
      portalctl config get output
    """
    key = known(key)
    value, source = settings().source(key)
    default = KEYS[key][1]
    app().io.echo("" if value is None and default is None else str(default if value is None else value))
    message(_("(from {source})").format(source=label("source", source)))


@config.command("set")
@key_argument
@click.argument("value")
def set_(key: str, value: str) -> None:
    """Store a setting in the user config.

    \b
    Examples:
      portalctl config set output json
      portalctl config set timeout 60
    """
    key = known(key)
    store = UserConfig()
    store.set_setting(key, checked(key, value))
    message(_("Set {key} to {checked!r} in {path}.").format(key=key, checked=checked(key, value), path=store.path))
    _value, source = settings().source(key)
    if source != "user config":
        message(_("Note: {source} sets {key} too, and wins over the user config.").format(
            source=label("source", source), key=key))


@config.command()
@key_argument
def unset(key: str) -> None:
    """Remove a setting from the user config (its value falls back to the next source).

    \b
    Examples:
      portalctl config unset output
    """
    key = known(key)
    store = UserConfig()
    store.set_setting(key, None)
    value, source = settings().source(key)
    message(_("Unset {key}; now {value!r} (from {source}).").format(
        key=key, value=KEYS[key][1] if value is None else value, source=label("source", source)))


@config.command()
def path() -> None:
    """Print the user config file's path (and, on stderr, the project file in use, if any).

    \b
    Examples:
      portalctl config path
    """
    app().io.echo(str(UserConfig().path))
    project = project_file()
    if project is not None:
        message(_("project file: {project}").format(project=project))
