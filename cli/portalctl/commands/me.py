"""`portalctl me`: your own profile on the portal (seed 002: language and timezone)."""

from __future__ import annotations

import click

from portalctl.commands.context import Output, app, output_options
from portalctl.i18n import _

ME_COLUMNS = ("email", "name", "role", "organization", "title", "phone", "language", "timezone")


@click.group(invoke_without_command=True)
@output_options(ME_COLUMNS)
@click.pass_context
def me(ctx: click.Context, output: Output) -> None:
    """Show or update your own profile.

    \b
    Examples:
      portalctl me
      portalctl me update --language es --timezone America/Bogota
    """
    if ctx.invoked_subcommand is None:
        output.one(app().client.accounts.me())


@me.command()
@click.option("--name")
@click.option("--title", help="Job title.")
@click.option("--phone")
@click.option("--language", help="Preferred language, e.g. es or en.")
@click.option("--timezone", help="IANA timezone, e.g. Europe/Madrid.")
@output_options(ME_COLUMNS)
def update(output: Output, **changes: str | None) -> None:
    """Change your name, title, phone, language or timezone.

    \b
    Example:
      portalctl me update --title "Jefe de compras" --phone "+57 300 000 0000"
    """
    given = {key: value for key, value in changes.items() if value is not None}
    if not given:
        raise click.UsageError(_("pass at least one of --name, --title, --phone, --language, --timezone"))
    output.one(app().client.accounts.update_me(**given))
    if "language" in given:
        remember_language(given["language"])


def remember_language(language: str) -> None:
    """The profile keeps the language, so portalctl speaks it from the next command on (i18n.py): the portal's
    profile is not read at start-up, which would cost every command a request. Without a saved profile (the
    embedded portal's default), the user config's `lang` setting keeps it."""
    from portalctl.config import UserConfig

    config = UserConfig()
    name = app().settings.get("profile")
    if name and name in config.profiles():
        profile = config.get(name)
        profile.options["language"] = language
        config.put(profile, make_current=False)
    else:
        config.set_setting("lang", language)
