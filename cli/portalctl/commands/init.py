"""`portalctl init`: create the embedded portal and a profile that acts as its first admin."""

from __future__ import annotations

import getpass

import click

from portalctl.commands.context import app, message
from portalctl.config import Profile, UserConfig, default_db
from portalctl.i18n import _


@click.command()
@click.option("--email", help="The first admin's e-mail (default: you@localhost).")
@click.option("--name", help="The first admin's name.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="Where the portal file goes.")
@click.option("--demo", is_flag=True, help="Fill the new portal with demo data.")
@click.option("--profile-name", default="default", show_default=True, help="Name of the profile to create.")
def init(email: str | None, name: str | None, db_path: str | None, demo: bool, profile_name: str) -> None:
    """Create the embedded portal on this machine (one SQLite file), with you as its admin.

    \b
    Examples:
      portalctl init --email lead@example.com --name "Lucía Pérez"
      portalctl init --demo          # a portal with demo companies, tickets and articles
    """
    from pathlib import Path

    from portalctl.engine.accounts import bootstrap_admin
    from portalctl.engine.portal import Portal
    from portalctl.errors import StateConflict

    if not profile_name.strip():  # checked before the portal is made: nothing is left half done
        raise click.BadParameter(_("a profile needs a name"), param_hint="--profile-name")
    ctx = app()
    user = getpass.getuser() or "admin"
    if ctx.interactive:
        email = email or click.prompt(_("Admin e-mail"), default=f"{user}@localhost", err=True)
        name = name or click.prompt(_("Admin name"), default=user, err=True)
    email, name = email or f"{user}@localhost", name or user
    path = Path(db_path).expanduser().resolve() if db_path else default_db()
    portal = Portal(path, create=True)
    try:
        if not portal.is_empty():
            raise StateConflict(_("a portal already exists at {path}").format(
                path=path), hint=_("use it, or pass --db for another file"))
        bootstrap_admin(portal, email=email, name=name)
        if demo:
            from portalctl.demo_data import load_demo

            load_demo(portal, admin=email)
    finally:
        portal.close()
    UserConfig().put(Profile(name=profile_name, db=str(path) if db_path else None, user=email))
    message(_("Created the portal at {path}; profile {profile_name!r} acts as {email}.").format(
        path=path, profile_name=profile_name, email=email))
    message(_("Next: portalctl tickets create --subject ... --body ...   (or: portalctl demo)"))
