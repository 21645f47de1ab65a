"""`portalctl contacts`: an organisation's users, run by its contact manager (seeds 001 and 004)."""

from __future__ import annotations

import click

from portalctl.commands.context import Output, app, limit_options, message, output_options
from portalctl.i18n import _

CONTACT_COLUMNS = ("email", "name", "manager", "active", "created_at")


@click.group()
def contacts() -> None:
    """Your company's users, if you are its contact manager: add, deactivate, reset passwords.

    Only your own organisation's customers; an admin makes you manager ('admin users update EMAIL --manager').

    \b
    Examples:
      portalctl contacts list --inactive
      portalctl contacts add luis@andina.example --name "Luis Mora"
      portalctl contacts reset luis@andina.example --link
      portalctl contacts deactivate luis@andina.example --yes
    """


@contacts.command("list")
@click.option("--inactive", is_flag=True, help="Include deactivated contacts.")
@limit_options
@output_options(CONTACT_COLUMNS)
def contacts_list(inactive: bool, limit: int, all_: bool, output: Output) -> None:
    """Your organisation's users.

    \b
    Example:
      portalctl contacts list -o csv
    """
    found = app().client.contacts.list(inactive=inactive)
    output.many(found if all_ else found[:limit])


@contacts.command("add")
@click.argument("email")
@click.option("--name", help="Full name (default: the e-mail).")
@output_options(CONTACT_COLUMNS)
def contacts_add(email: str, name: str | None, output: Output) -> None:
    """Give a colleague access; then send them a reset link or a temporary password ('contacts reset').

    \b
    Example:
      portalctl contacts add luis@andina.example --name "Luis Mora"
    """
    user = app().client.contacts.add(email=email, name=name or email)
    message(_("Added {email} to your organisation; give them a password with 'portalctl contacts reset "
              "{email} --link' (or --temporary).").format(email=user.email))
    output.one(user)


@contacts.command("deactivate")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def contacts_deactivate(email: str, yes: bool) -> None:
    """Stop a colleague using the portal; their tickets and messages are kept.

    \b
    Example:
      portalctl contacts deactivate luis@andina.example --yes
    """
    app().confirm(_("Deactivate {email}?").format(email=email), yes)
    app().client.contacts.deactivate(email)
    message(_("Deactivated {email}; their history is kept.").format(email=email))


@contacts.command("reset")
@click.argument("email")
@click.option("--link", "how", flag_value="link", help="Mail them a link to choose a new password.")
@click.option("--temporary", "how", flag_value="temporary",
              help="Set a temporary password, printed once for you to pass on; they change it at next sign-in.")
@click.option("--yes", is_flag=True, help="Do not ask before replacing their password (--temporary).")
def contacts_reset(email: str, how: str | None, yes: bool) -> None:
    """Help a colleague who forgot their password: a reset link by mail, or a temporary password.

    \b
    Examples:
      portalctl contacts reset luis@andina.example --link
      portalctl contacts reset luis@andina.example --temporary --yes
    """
    if how is None:
        raise click.UsageError(_("pass --link (mail a reset link) or --temporary (a temporary password)"))
    found = app().client.contacts
    if how == "link":
        found.send_reset_link(email)
        message(_("A reset link is on its way to {email}.").format(email=email))
        return
    app().confirm(_("Replace the password of {email}?").format(email=email), yes)
    temporary = found.temporary_password(email)
    message(_("Temporary password for {email} (shown once; they must change it at next sign-in):").format(email=email))
    app().io.echo(temporary)
