"""Sign-up (seed 000): `auth register` and `auth verify` for the person registering, `admin signup` for the
admins who choose who may (rules: engine.signup)."""

from __future__ import annotations

from typing import IO
from urllib.parse import parse_qs, urlsplit

import click

from portalctl.commands.context import Output, app, message, output_options
from portalctl.i18n import _
from portalctl.model import SIGNUP_POLICIES

SIGNUP_COLUMNS = ("policy", "terms_version")


@click.command()
@click.option("--url", required=True, help="The portal's address, e.g. https://help.example.com.")
@click.option("--email", help="Your e-mail address: the verification link goes there.")
@click.option("--name", help="Your full name (default: the part of the e-mail before @).")
@click.option("--accept-terms", is_flag=True,
              help="Accept the portal's terms (printed on stderr first) without being asked: for scripts.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def register(url: str, email: str | None, name: str | None, accept_terms: bool, password_stdin: bool) -> None:
    """Create an account on a portalctl server: choose a password, accept the terms, then verify the address.

    The account signs in once the link mailed to you is opened (or passed to 'portalctl auth verify'). Whether the
    address already has an account, the answer is the same; its owner is mailed instead.

    \b
    Examples:
      portalctl auth register --url https://help.example.com --email marta@andina.example
      printf '%s\\n' "$PASSWORD" | portalctl auth register --url URL --email E --accept-terms --password-stdin
    """
    from portalctl.backends import server
    from portalctl.config import Profile

    ctx = app()
    email = ctx.require(email, "--email", _("E-mail"))
    anonymous = server.connect(Profile(name="register", backend="server", url=url), None)
    settings = server.signup_settings(anonymous)
    if settings.policy == "closed":
        from portalctl.errors import PermissionDenied

        raise PermissionDenied(_("{url} does not take sign-ups").format(
            url=url), hint=_("ask its administrators for an account"))
    message(_("Terms of the portal (version {terms_version}):\n\n{strip}\n").format(
        terms_version=settings.terms_version, strip=(settings.terms or '').strip()))
    if not accept_terms:
        if not ctx.interactive:
            raise click.UsageError(_("accepting the terms needs a terminal to ask on; pass --accept-terms to accept "
                                     "the terms printed above"))
        click.confirm(_("Do you accept these terms (version {terms_version})?").format(
            terms_version=settings.terms_version), abort=True, err=True)
    if password_stdin:
        password = ctx.io.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.UsageError(_("--password-stdin read an empty line"))
    elif ctx.interactive:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True, err=True)
    else:
        raise click.UsageError(_("missing the password (no prompt without a terminal): pass --password-stdin"))
    server.register(anonymous, email=email, password=password, terms_version=str(settings.terms_version),
                    name=name)
    message(_("Registered {email}, if the portal takes it: open the link mailed to that address to verify it (or "
              "run 'portalctl auth verify LINK'), then sign in: portalctl auth login --url {url} --user {email}")
            .format(email=email, url=url))


@click.command()
@click.argument("link")
@click.option("--url", help="The portal's address, when LINK is the token alone.")
def verify(link: str, url: str | None) -> None:
    """Verify your address with the link from the verification mail (or its token with --url).

    \b
    Example:
      portalctl auth verify 'https://help.example.com/verify-email?token=...'
    """
    from portalctl.backends import server
    from portalctl.config import Profile

    token, where = link.strip(), url
    parts = urlsplit(token)
    if parts.scheme in ("http", "https"):
        token = (parse_qs(parts.query).get("token") or [""])[0]
        where = where or f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/verify-email', 1)[0]}"
    if not token:
        raise click.BadParameter(_("the link has no token; paste it whole from the mail"), param_hint="LINK")
    if not where:
        raise click.UsageError(_("pass --url with a bare token (or paste the whole link)"))
    done = server.verify(server.connect(Profile(name="verify", backend="server", url=where), None), token)
    message(_("Verified {email}. Sign in now: portalctl auth login --url {where} --user {email}").format(
        email=done['email'], where=where))


@click.group("signup")
def admin_signup() -> None:
    """Who may register on the portal ('portalctl auth register'), and the terms they accept.

    \b
    Policies:
      closed   only admins and contact managers add people (the default)
      open     anyone may register; a mapped e-mail domain puts them in its organisation
      domains  only addresses of domains mapped to an organisation ('admin orgs add --domain')

    \b
    Examples:
      portalctl admin signup set --policy domains --terms-file terminos.md --terms-version 2026-01
      portalctl admin signup show
    """


@admin_signup.command("show")
@output_options(SIGNUP_COLUMNS)
def signup_show(output: Output) -> None:
    """The policy and the version of the terms (the terms' text with -o json).

    \b
    Example:
      portalctl admin signup show -o json
    """
    output.one(app().client.portal_accounts.signup_settings())


@admin_signup.command("set")
@click.option("--policy", type=click.Choice(SIGNUP_POLICIES), help="Who may register.")
@click.option("--terms-file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="The terms people accept when registering ('-' for stdin).")
@click.option("--terms-version", metavar="TEXT", help="The terms' version (default: the start of their sha256).")
@output_options(SIGNUP_COLUMNS)
def signup_set(policy: str | None, terms_file: IO[str] | None, terms_version: str | None, output: Output) -> None:
    """Change the policy and/or the terms; what is not given stays.

    \b
    Example:
      portalctl admin signup set --policy open --terms-file terminos.md
    """
    if policy is None and terms_file is None:
        raise click.UsageError(_("pass --policy or --terms-file"))
    if terms_version is not None and terms_file is None:
        raise click.UsageError(_("--terms-version goes with --terms-file"))
    terms = terms_file.read() if terms_file is not None else None
    settings = app().client.portal_accounts.set_signup(policy=policy, terms=terms, terms_version=terms_version)
    message(_("Sign-up is {policy}; terms version {value}.").format(
        policy=settings.policy, value=settings.terms_version or _('none')))
    output.one(settings)
