"""Sign-up with a verified address (seed 000: register, accept the terms, verify the e-mail, then sign in).

The admins choose the policy: `closed` (the default: accounts are made by admins and contact managers), `open`
(anyone), or `domains` (only addresses whose domain is mapped to an organisation, `admin orgs add --domain`). A
mapped domain puts the new user in that organisation under either open policy.

A registration is not an account: it is a row of `signups` holding the password's hash, the terms version accepted
and a verification link's hash. The account is made when the link is used (once, within VERIFY_LIFETIME), so an
unverified address cannot sign in, and nobody but the mailbox's owner can complete it. Used and expired
registrations are deleted, password hashes with them. Whether the address already
has an account, the answer is the same; the owner of an existing account gets a mail saying so instead of a link.
Registrations are throttled per address like sign-ins, counting every one, so the form cannot flood a mailbox.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from portalctl.engine.accounts import hash_password, insert_user
from portalctl.engine.auth import (
    Throttle,
    check_new_password,
    check_throttle,
    digest,
    record_attempt,
    send_mail,
)
from portalctl.engine.db import iso, transaction
from portalctl.engine.lookups import check_email
from portalctl.errors import InvalidInput, PermissionDenied
from portalctl.i18n import N_, _, language, using
from portalctl.model import SIGNUP_POLICIES, Record, SignupSettings, record

if TYPE_CHECKING:
    from portalctl.engine.portal import Portal, Session

VERIFY_LIFETIME = timedelta(hours=24)
# A verification token may be typed as a command's argument (`portalctl auth verify TOKEN --url URL`): the prefix
# keeps it from starting with "-", which would read as an option (token_urlsafe's alphabet has "-").
VERIFY_PREFIX = "pcv_"
TERMS_MAX = 100_000
TERMS_VERSION_MAX = 64
# Every registration counts (it sends a mail): 5 from an address in 15 minutes (2 for one e-mail), then a minute's
# wait that doubles with each further one.
SIGNUP_THROTTLE = Throttle("signup_attempts", 2, 5, timedelta(minutes=1),
                           N_("too many sign-ups from this address; wait before trying again"),
                           N_("an address may register a few times in 15 minutes"))


@record
class Verified(Record):
    email: str
    organization: str | None


def public_settings(portal: Portal) -> SignupSettings:
    """What anyone may read before registering: the policy and the terms they would accept."""
    return SignupSettings(policy=portal.setting("signup_policy"), terms_version=portal.setting("terms_version") or None,
                          terms=portal.setting("terms_text") or None)


def settings_for_admin(session: Session) -> SignupSettings:
    session.actor.require_admin(_("read the sign-up settings"))
    return public_settings(session.portal)


def set_signup(session: Session, *, policy: str | None = None, terms: str | None = None,
               terms_version: str | None = None) -> SignupSettings:
    """Change the policy and/or the terms. New terms get a version (given, or the start of their sha256), and only
    registrations accepting that version are taken from then on. Opening sign-up needs terms."""
    session.actor.require_admin(_("change the sign-up settings"))
    portal = session.portal
    if policy is not None and policy not in SIGNUP_POLICIES:
        raise InvalidInput(_("unknown sign-up policy {policy!r}").format(policy=policy),
            hint=_("policies: {SIGNUP_POLICIES}").format(SIGNUP_POLICIES=', '.join(SIGNUP_POLICIES)),
                           about="policy")
    if terms is not None:
        if not terms.strip() or len(terms) > TERMS_MAX:
            raise InvalidInput(_("the terms need 1 to {TERMS_MAX:,} characters of text").format(
                TERMS_MAX=TERMS_MAX), about="terms")
        terms_version = (terms_version or hashlib.sha256(terms.encode()).hexdigest()[:12]).strip()
    elif terms_version is not None:
        raise InvalidInput(_("a terms version goes with the terms' text"), about="terms")
    if terms_version is not None and not 0 < len(terms_version) <= TERMS_VERSION_MAX:
        raise InvalidInput(_("a terms version has 1 to {TERMS_VERSION_MAX} characters").format(
            TERMS_VERSION_MAX=TERMS_VERSION_MAX), about="terms")
    if (policy or portal.setting("signup_policy")) != "closed" and not (terms or portal.setting("terms_text")):
        raise InvalidInput(_("sign-up cannot open before the portal has terms to accept"), about="terms",
                           hint=_("give the terms' text with the policy"))
    with transaction(portal.conn):
        if policy is not None:
            portal.set_setting("signup_policy", policy)
        if terms is not None and terms_version is not None:
            portal.set_setting("terms_text", terms)
            portal.set_setting("terms_version", terms_version)
    return public_settings(portal)


def register(portal: Portal, *, email: str, password: str, terms_version: str, client: str, public_url: str,
             smtp_url: str | None = None, name: str | None = None) -> None:
    """Take a registration and mail its verification link; returns the same (nothing) whether or not the address
    has an account. Refusals: closed (PermissionDenied), a domain not open here, terms not accepted, a weak
    password (InvalidInput), too many attempts (RateLimited)."""
    now = portal.clock()
    email = check_email(email)
    check_throttle(portal, SIGNUP_THROTTLE, email, client, now)
    policy = portal.setting("signup_policy")
    if policy == "closed":
        raise PermissionDenied(_("this portal does not take sign-ups"), hint=_("ask its administrators for an account"),
                               about="signup")
    current = portal.setting("terms_version")
    if terms_version != current:
        raise InvalidInput(_("accept the portal's terms (version {current}) to register").format(
            current=current), about="terms",
                           hint=_("read them first: GET /api/v1/auth/signup"))
    check_new_password(password, email)
    domain = email.rsplit("@", 1)[1].lower()
    row = portal.conn.execute("SELECT org_id FROM org_domains WHERE domain = ?", (domain,)).fetchone()
    org = row["org_id"] if row else None
    if policy == "domains" and org is None:
        record_attempt(portal, SIGNUP_THROTTLE, email, client, now)  # so the domains cannot be probed for free
        raise InvalidInput(_("sign-ups here are open only to the e-mail domains of the portal's client companies, "
                             "and {domain} is not one").format(
                                 domain=domain), hint=_("register with your company's address, or ask the "
                             "portal's administrators"), about="domain")
    password_hash = hash_password(password)  # whether or not it is used: the answer takes as long either way
    record_attempt(portal, SIGNUP_THROTTLE, email, client, now)
    base = public_url.rstrip("/")
    existing = portal.conn.execute("SELECT name, language FROM users WHERE email = ?", (email,)).fetchone()
    if existing is not None:
        with using(existing["language"] or language()):  # the account's language, else the request's
            subject = _("You already have an account on the support portal")
            body = _("Hello {name},\n\nsomeone (we hope you) tried to register this address on the support portal, "
                     "but it already has an account: sign in with it.\nIf you forgot the password, ask for a reset "
                     "link: POST {{\"email\": \"{email}\"}} to {reset}.\n\nIf it was not you, ignore this message.\n"
                     ).format(name=existing["name"], email=email, reset=f"{base}/api/v1/auth/password-reset")
        send_mail(portal, to=email, subject=subject, smtp_url=smtp_url, body=body)
        return
    secret = VERIFY_PREFIX + secrets.token_urlsafe(32)
    with transaction(portal.conn):
        portal.conn.execute("DELETE FROM signups WHERE expires_at <= ?", (iso(now),))
        portal.conn.execute(
            "INSERT INTO signups (email, name, password_hash, org_id, terms_version, token_hash, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (email, (name or "").strip() or email.split("@")[0], password_hash, org, current, digest(secret),
             iso(now), iso(now + VERIFY_LIFETIME)),
        )
    link = f"{base}/verify-email?token={secret}"
    body = _("Hello,\n\nto finish creating your account on the support portal, verify your address here (the link "
             "works once, for {hours:.0f} hours):\n\n    {link}\n\nportalctl: portalctl auth verify '{link}'\n\n"
             "Until then the account cannot sign in. If you did not register, ignore this message: no account is "
             "made.\n").format(hours=VERIFY_LIFETIME.total_seconds() / 3600, link=link)  # the request's language
    send_mail(portal, to=email, subject=_("Verify your address for the support portal"), smtp_url=smtp_url, body=body)


def verify(portal: Portal, token: str) -> Verified:
    """Make the account of a registration from its link. The link, and every other pending link of that address,
    stops working: their rows are deleted."""
    invalid = InvalidInput(_("this verification link is not valid: it was used already, has expired or is mistyped"),
                           hint=_("register again for a new link"), about="verification")
    row = portal.conn.execute(
        "SELECT s.*, o.slug AS org FROM signups s LEFT JOIN organizations o ON o.id = s.org_id"
        " WHERE s.token_hash = ?", (digest(token.strip()),),
    ).fetchone()
    now = portal.now()
    if row is None or row["expires_at"] <= now:
        raise invalid
    with transaction(portal.conn):
        used = portal.conn.execute("DELETE FROM signups WHERE email = ?", (row["email"],))
        if used.rowcount == 0:  # a concurrent verification won
            raise invalid
        insert_user(portal, email=row["email"], name=row["name"], org=row["org_id"],
                    password_hash=row["password_hash"], verified=now,
                    terms=(row["terms_version"], row["created_at"]))
    return Verified(email=row["email"], organization=row["org"])
