"""`portalctl me`: your own profile on the portal (seed 002: language, timezone, photo)."""

from __future__ import annotations

from pathlib import Path

import click

from portalctl.commands.context import Output, app, message, output_options
from portalctl.i18n import _, formatted
from portalctl.model import NOTIFICATION_KINDS

ME_COLUMNS = ("email", "name", "role", "organization", "manager", "title", "phone", "language", "timezone",
              "country")
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
      portalctl me update --photo foto.jpg
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
@click.option("--country", metavar="CC", help='ISO country code, e.g. CO ("" for your organisation\'s).')
@click.option("--photo", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
              help="Your photo: PNG, JPEG or WebP (checked by content), at most 5 MB.")
@output_options(ME_COLUMNS)
def update(output: Output, photo: Path | None, **changes: str | None) -> None:
    """Change your name, title, phone, language, timezone or country; or your photo (on its own).

    \b
    Examples:
      portalctl me update --title "Jefe de compras" --phone "+57 300 000 0000"
      portalctl me update --photo foto.webp
    """
    given = {key: value for key, value in changes.items() if value is not None}
    if not given and photo is None:
        raise click.UsageError(_("pass at least one of --name, --title, --phone, --language, --timezone, --country, "
                                 "--photo"))
    client = app().client
    if photo is None:
        output.one(client.accounts.update_me(**given))
        if "language" in given:
            remember_language(given["language"])
        return
    if given:  # two requests could half succeed; one at a time, a refusal changes nothing
        raise click.UsageError(_("--photo goes on its own: change the photo, then the rest"))
    from portalctl.contract import Upload

    user = client.portal_accounts.set_photo(Upload(photo.name, photo))
    message(_("Your photo is {name} (sha256 {photo_sha256}…).").format(
        name=photo.name, photo_sha256=user.photo_sha256[:12]))
    output.one(user)


@me.command()
@click.argument("email", required=False)
@click.option("-O", "--output-file", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Where to write it.")
def photo(email: str | None, target: Path) -> None:
    """Save your photo, or that of someone you may see (a colleague, your support team).

    \b
    Example:
      portalctl me photo ana@andina.example -O ana.jpg
    """
    from portalctl.output.atomic import atomic_paths

    client = app().client
    content_type, sha, handle = client.portal_accounts.photo(email or client.accounts.me().email)
    with handle, atomic_paths([target]) as [temp]:
        size = temp.write_bytes(handle.read())
    message(_("Saved {target}: {content_type}, {size:,} bytes, sha256 {sha}…").format(
        target=target, content_type=content_type, size=size, sha=sha[:12]))


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


@me.command()
@click.option("--on", "on", multiple=True, metavar="KIND",
              help=formatted("Switch a kind on (repeatable or comma-separated): {kinds}, or all.",
                             kinds=", ".join(NOTIFICATION_KINDS)))
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
    switches = app().client.notifications
    settings = switches.set_notifications(on=on, off=off) if on or off else switches.notification_settings()
    output.one(settings)
