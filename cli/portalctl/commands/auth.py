"""`portalctl auth`: named profiles (backend kind, URL, acting user) and their secrets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from portalctl.backends import KINDS
from portalctl.commands import complete
from portalctl.commands.context import Output, app, message, output_options
from portalctl.commands.params import key_values
from portalctl.commands.signup import register, verify
from portalctl.config import Profile, Settings, UserConfig
from portalctl.errors import PermissionDenied
from portalctl.i18n import _
from portalctl.labels import label

if TYPE_CHECKING:
    from portalctl.backends.server_accounts import ServerTokens

PROFILE_COLUMNS = ("current", "name", "backend", "url", "user", "db")
TOKEN_COLUMNS = ("id", "name", "created_at", "expires_at", "last_used_at")


@click.group()
def auth() -> None:
    """Sign in to portals and manage profiles.

    A profile names a portal (the embedded one, and later a server or help desk) and who you act as there.

    \b
    Examples:
      portalctl auth login --name agent --user agent@example.com
      portalctl auth switch agent
      portalctl -p customer tickets list
      portalctl auth register --url https://help.example.com --email marta@andina.example
    """


@auth.command()
@click.option("--name", "profile_name", default="default", show_default=True, help="Profile name.")
@click.option("--backend", type=click.Choice(sorted(KINDS)),
              help="Kind of portal (default: server with --url, else embedded).")
@click.option("--url", help="The portal's address (server and connectors), e.g. http://localhost:8000.")
@click.option("--user", help="Who you act as: an e-mail of the portal (embedded) or your login.")
@click.option("--db", type=click.Path(dir_okay=False), help="Embedded: the portal file (default: the data dir's).")
@click.option("--with-token", is_flag=True, help="Read a token from stdin (for CI; or set PORTALCTL_TOKEN).")
@click.option("--option", "option_pairs", multiple=True, metavar="KEY=VALUE",
              help="A backend setting kept in the profile (repeatable), e.g. queue=2 for django-helpdesk.")
def login(profile_name: str, backend: str | None, url: str | None, user: str | None, db: str | None,
          with_token: bool, option_pairs: tuple[str, ...]) -> None:
    """Save a profile and make it current; the portal is checked before anything is saved.

    On a portalctl server, sign in with your e-mail and password (asked on a terminal) or pass a token on stdin
    with --with-token. The token goes to the system keyring or a 0600 file, never to config.json.

    \b
    Examples:
      portalctl auth login --user ana@acme.example              # act as Ana on the embedded portal
      portalctl auth login --name team --url http://help.example.com:8000 --user ana@acme.example
      echo "$TOKEN" | portalctl auth login --name ci --url https://help.example.com --with-token
    """
    from portalctl.backends import open_backend
    from portalctl.secrets import SecretStore

    ctx = app()
    if not profile_name.strip():
        raise click.BadParameter(_("a profile needs a name"), param_hint="--name")
    backend = backend or ("server" if url else "embedded")
    token = read_token() if with_token else None
    if backend != "embedded" and not url:
        url = ctx.require(url, "--url", _("Portal URL"))
    profile = Profile(name=profile_name, backend=backend, url=url, user=user, db=db,
                      options=key_values(option_pairs, "--option"))
    if backend == "server":
        sign_in(profile, token)
        return
    store = SecretStore()
    previous = store.stored(profile_name) if token else None
    if token:
        store.set(profile_name, token)  # the backend reads it from the store while it checks it
    try:
        me = open_backend(profile).accounts.me()  # a wrong user, file or token fails before the profile is saved
    except BaseException:
        if token:  # a refused token is not kept; an earlier one of this profile is put back
            store.set(profile_name, previous) if previous else store.delete(profile_name)
        raise
    UserConfig().put(profile)
    done = (_("Profile {profile_name!r} now acts as {name} <{email}> ({role}); token kept in {where}.") if token
            else _("Profile {profile_name!r} now acts as {name} <{email}> ({role})."))
    message(done.format(profile_name=profile_name, name=me.name, email=me.email, role=label("role", me.role),
                        where=store.where() if token else ""))


def read_token() -> str:
    token = app().io.stdin.readline().strip()
    if not token:
        raise click.UsageError(_("--with-token read an empty line from stdin"))
    return token


def sign_in(profile: Profile, token: str | None) -> None:
    """A portalctl server: get a token (stdin, PORTALCTL_TOKEN or e-mail and password), check it, then save."""
    import os
    import socket

    from portalctl.backends import server
    from portalctl.secrets import SecretStore

    ctx = app()
    profile.url = (profile.url or "").strip().rstrip("/")
    from_env = os.environ.get("PORTALCTL_TOKEN")
    use_env = token is None and not ctx.interactive and bool(from_env)  # CI: the environment holds the token
    expires = None
    if use_env:
        token = from_env
    elif token is None:
        if not ctx.interactive:
            raise click.UsageError(
                _("signing in with a password needs a terminal; pass a token on stdin with --with-token "
                  "(or set PORTALCTL_TOKEN)")
            )
        email = ctx.require(profile.user, "--user", _("E-mail"))
        password = click.prompt(_("Password"), hide_input=True, err=True)
        anonymous, name = server.connect(profile, None), f"portalctl on {socket.gethostname()}"  # a token's name
        signed = server.login(anonymous, email=email, password=password, token_name=name)
        if signed.get("must_change_password"):  # a temporary password from an admin (seed 001)
            message(_("Your password is temporary: choose a new one."))
            first = signed
            try:  # the temporary sign-in's token is only a step: never left behind, whether this works or not
                new = click.prompt(_("New password"), hide_input=True, confirmation_prompt=True, err=True)
                signed = server.login(anonymous, email=email, password=password, token_name=name, new_password=new)
            finally:
                server.connect(profile, str(first["token"])).tokens.revoke(str(first["id"]))
        token, expires = str(signed["token"]), signed.get("expires_at")
    me = server.connect(profile, token).accounts.me()  # a wrong URL or token fails before anything is saved
    if profile.user and profile.user.lower() != me.email.lower():
        raise click.UsageError(_("that token signs in as {email}, not {user}").format(
            email=me.email, user=profile.user))
    profile.user = me.email
    store = SecretStore()
    if token and not use_env:
        store.set(profile.name, token)
    UserConfig().put(profile)
    where = "PORTALCTL_TOKEN" if use_env else store.where()
    done = (_("Signed in to {url} as {name} <{email}> ({role}); profile {profile!r}, token kept in {where}, expires "
              "{expires}.") if expires
            else _("Signed in to {url} as {name} <{email}> ({role}); profile {profile!r}, token kept in {where}."))
    message(done.format(url=profile.url, name=me.name, email=me.email, role=label("role", me.role),
                        profile=profile.name, where=where, expires=expires))
    if from_env and not use_env:
        message(_("Note: PORTALCTL_TOKEN is set, and wins over the saved token while it is."))


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
        raise click.UsageError(_("no current profile; name the one to forget"))
    config.get(name)
    SecretStore().delete(name)
    config.remove(name)
    message(_("Forgot profile {name!r}.").format(name=name))


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
    settings = Settings({"profile": ctx.profile})
    if not (settings.get("profile") or settings.user_config.current or settings.get("user")):
        raise PermissionDenied(_("not signed in: no profile is in use"),
                               hint=_("run 'portalctl auth login' (or 'portalctl init' for a portal on this machine)"))
    profile = settings.profile()
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
    rows = [{"current": "*" if name == config.current else "", **dict.fromkeys(PROFILE_COLUMNS[1:]), **profile.public()}
            for name, profile in config.profiles().items()]  # every column, set or not: url and db often are not
    if not rows:
        message(_("No profiles yet: run 'portalctl init' or 'portalctl auth login'."))
    output.many(rows)


@auth.command()
@click.argument("name", shell_complete=complete.shell(complete.profiles))
def switch(name: str) -> None:
    """Make another saved profile the current one.

    \b
    Example:
      portalctl auth switch customer
    """
    UserConfig().switch(name)
    message(_("Now using profile {name!r}.").format(name=name))


@auth.group()
def token() -> None:
    """Create, list and revoke API tokens on a portalctl server, e.g. one per CI pipeline.

    \b
    Examples:
      portalctl auth token create --name ci --expires 90d
      portalctl auth token list
      portalctl auth token revoke 7 --yes
    """


def server_tokens() -> ServerTokens:
    """The tokens namespace of the current profile's backend; only a portalctl server has one."""
    from portalctl.backends.server import ServerBackend
    from portalctl.errors import Unsupported

    client = app().client
    if not isinstance(client.backend, ServerBackend):
        raise Unsupported(
            _("profile {name!r} ({backend}) has no API tokens").format(
                name=client.profile.name, backend=client.profile.backend),
            hint=_("tokens belong to a portalctl server: sign in first with 'portalctl auth login --url URL'"),
        )
    return client.backend.tokens


def days(text: str) -> int:
    """90d, 12w or a plain number of days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text.lower())
    if match is None or int(match[1]) < 1:
        raise click.BadParameter(_("{text!r} is not a lifetime such as 90d, 12w or 30").format(
            text=text), param_hint="--expires")
    return int(match[1]) * (7 if match[2] == "w" else 1)


@token.command("create")
@click.option("--name", required=True, help="What the token is for (shown by 'auth token list').")
@click.option("--expires", default="90d", show_default=True, metavar="LIFETIME", help="90d, 12w or days.")
def create_token(name: str, expires: str) -> None:
    """Create a token for a pipeline: the token alone goes to stdout, once; everything else to stderr.

    \b
    Example:
      portalctl auth token create --name ci --expires 90d | gh secret set PORTALCTL_TOKEN
    """
    created = server_tokens().create(name=name, expires_days=days(expires))
    app().io.echo(created["token"])
    message(_("Created token {name!r} (id {id}), expires {expires_at}. "
              "It is shown only this once: store it as a secret (e.g. PORTALCTL_TOKEN).").format(
                  name=created['name'], id=created['id'], expires_at=created['expires_at']))


@token.command("list")
@output_options(TOKEN_COLUMNS)
def list_tokens(output: Output) -> None:
    """List your tokens on the server (never their secrets).

    \b
    Example:
      portalctl auth token list -o json
    """
    output.many(server_tokens().list())


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def revoke_token(token_id: str, yes: bool) -> None:
    """Revoke a token: whatever uses it is refused from then on.

    \b
    Example:
      portalctl auth token revoke 7 --yes
    """
    app().confirm(_("Revoke token {token_id}? Anything using it stops working.").format(token_id=token_id), yes)
    server_tokens().revoke(token_id)
    message(_("Revoked token {token_id}.").format(token_id=token_id))


auth.add_command(register)
auth.add_command(verify)
