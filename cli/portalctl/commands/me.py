"""`portalctl me`: your own profile on the portal (seed 002: language and timezone)."""

from __future__ import annotations

from typing import Any

import click

from portalctl.commands.context import Output, app, output_options
from portalctl.model import NOTIFICATION_KINDS

ME_COLUMNS = ("email", "name", "role", "organization", "title", "phone", "language", "timezone")
NOTIFICATION_COLUMNS = ("email", *NOTIFICATION_KINDS)


@click.group(invoke_without_command=True)
@output_options(ME_COLUMNS)
@click.pass_context
def me(ctx: click.Context, output: Output) -> None:
    """Show or update your own profile.

    \b
    Examples:
      portalctl me
      portalctl me update --language es --timezone America/Bogota
      portalctl me notifications --off reply
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
        raise click.UsageError("pass at least one of --name, --title, --phone, --language, --timezone")
    output.one(app().client.accounts.update_me(**given))


@me.command()
@click.option("--on", "on", multiple=True, metavar="KIND",
              help=f"Switch a kind on (repeatable or comma-separated): {', '.join(NOTIFICATION_KINDS)}, or all.")
@click.option("--off", "off", multiple=True, metavar="KIND", help="Switch a kind off (same kinds).")
@output_options(NOTIFICATION_COLUMNS)
def notifications(on: tuple[str, ...], off: tuple[str, ...], output: Output) -> None:
    """Show or switch the e-mails the portal sends you about tickets you can see.

    \b
    Kinds:
      status      a ticket changes state
      reply       a ticket gets a public reply
      attachment  a ticket gets a file
      new_ticket  a new ticket in your organisation (if you see its tickets)

    \b
    Examples:
      portalctl me notifications
      portalctl me notifications --off reply,attachment
      portalctl me notifications --on all
    """
    from portalctl.contract import NotificationsAPI
    from portalctl.errors import Unsupported

    client = app().client
    accounts: Any = client.accounts
    if not isinstance(accounts, NotificationsAPI):
        raise Unsupported(f"profile {client.profile.name!r} ({client.profile.backend}) sends no notifications "
                          "portalctl can switch", hint="set them in the help desk's own profile page")
    settings = accounts.set_notifications(on=on, off=off) if on or off else accounts.notification_settings()
    output.one(settings)
