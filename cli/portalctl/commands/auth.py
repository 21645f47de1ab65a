"""`portalctl auth`: named profiles (backend kind, URL, acting user) and their secrets."""

from __future__ import annotations

import sys

import click

from portalctl.backends import KINDS
from portalctl.commands.context import Output, app, message, output_options
from portalctl.config import Profile, Settings, UserConfig

PROFILE_COLUMNS = ("current", "name", "backend", "url", "user", "db")


@click.group()
def auth() -> None:
    """Sign in to portals and manage profiles.

    A profile names a portal (the embedded one, and later a server or help desk) and who you act as there.

    \b
    Examples:
      portalctl auth login --name agent --user agent@example.com
      portalctl auth switch agent
      portalctl -p customer tickets list
    """


@auth.command()
@click.option("--name", "profile_name", default="default", show_default=True, help="Profile name.")
@click.option("--backend", type=click.Choice(sorted(KINDS)), default="embedded", show_default=True)
@click.option("--url", help="The portal's address (server and connectors).")
@click.option("--user", help="Who you act as: an e-mail of the portal (embedded) or your login.")
@click.option("--db", type=click.Path(dir_okay=False), help="Embedded: the portal file (default: the data dir's).")
@click.option("--with-token", is_flag=True, help="Read a token from stdin (for CI; or set PORTALCTL_TOKEN).")
def login(profile_name: str, backend: str, url: str | None, user: str | None, db: str | None, with_token: bool) -> None:
    """Save a profile and make it current; the portal is checked before anything is saved.

    \b
    Examples:
      portalctl auth login --user ana@acme.example              # act as Ana on the embedded portal
      echo "$TOKEN" | portalctl auth login --name ci --url https://help.example.com --with-token
    """
    from portalctl.backends import open_backend
    from portalctl.secrets import SecretStore

    ctx = app()
    token = None
    if with_token:
        token = sys.stdin.readline().strip()
        if not token:
            raise click.UsageError("--with-token read an empty line from stdin")
    if backend != "embedded" and not url:
        url = ctx.require(url, "--url", "Portal URL")
    profile = Profile(name=profile_name, backend=backend, url=url, user=user, db=db)
    store = SecretStore()
    if token:
        store.set(profile_name, token)
    session = open_backend(profile)  # fails on a wrong user or file before anything is saved
    me = session.accounts.me()
    UserConfig().put(profile)
    where = f"; token kept in {store.where()}" if token else ""
    message(f"Profile {profile_name!r} now acts as {me.name} <{me.email}> ({me.role}){where}.")


@auth.command()
@click.argument("name", required=False)
def logout(name: str | None) -> None:
    """Forget a profile and its secret (default: the current one).

    \b
    Example:
      portalctl auth logout ci
    """
    from portalctl.secrets import SecretStore

    config = UserConfig()
    name = name or config.current
    if not name:
        raise click.UsageError("no current profile; name the one to forget")
    config.get(name)
    SecretStore().delete(name)
    config.remove(name)
    message(f"Forgot profile {name!r}.")


@auth.command()
@output_options(("profile", "backend", "user", "name", "role", "organization", "token"))
def status(output: Output) -> None:
    """Show which profile is in use and who you act as. Tokens are never shown, only whether one is set.

    \b
    Example:
      portalctl auth status -o json
    """
    from portalctl.secrets import SecretStore

    ctx = app()
    profile = Settings({"profile": ctx.profile}).profile()
    me = ctx.client.accounts.me()
    store = SecretStore()
    token = "set (" + store.where() + ")" if store.get(profile.name) else "none"
    output.one({"profile": profile.name, "backend": profile.backend, "url": profile.url, "user": me.email,
                "name": me.name, "role": me.role, "organization": me.organization, "token": token})


@auth.command("list")
@output_options(PROFILE_COLUMNS)
def list_profiles(output: Output) -> None:
    """List saved profiles; the current one is marked.

    \b
    Example:
      portalctl auth list
    """
    config = UserConfig()
    rows = [{"current": "*" if name == config.current else "", **profile.public()}
            for name, profile in config.profiles().items()]
    if not rows:
        message("No profiles yet: run 'portalctl init' or 'portalctl auth login'.")
    output.many(rows)


@auth.command()
@click.argument("name")
def switch(name: str) -> None:
    """Make another saved profile the current one.

    \b
    Example:
      portalctl auth switch customer
    """
    UserConfig().switch(name)
    message(f"Now using profile {name!r}.")
