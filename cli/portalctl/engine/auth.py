"""Signing in to the portal server, and the records that keep its HTTP promises.

- personal access tokens: random secrets shown once and stored only as sha256; named, expiring, revocable;
- login: passwords checked with scrypt (engine.accounts), throttled after repeated failures per e-mail or client;
- password resets: a single-use link valid for an hour, mailed by SMTP when configured, else kept in an outbox
  the admins can read;
- idempotency records: a POST repeated with the same Idempotency-Key gets the first response, not a second ticket.

The server only maps HTTP onto these functions; the rules live here, beside the rest of the engine.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from portalctl.engine.accounts import hash_password, verify_password
from portalctl.engine.db import Row, iso, parse_iso, transaction
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict, Unavailable
from portalctl.i18n import N_, _, language, using
from portalctl.model import Record, record

if TYPE_CHECKING:
    from portalctl.engine.portal import Portal, Session

TOKEN_PREFIX = "pct_"  # recognisable in a leaked log or repository, so secret scanners can flag it
TOKEN_NAME_MAX = 100
TOKEN_DAYS_MAX = 3650
# Failed sign-ins slow the next attempt down rather than lock the account: per (address, e-mail) and per address
# (one address trying many accounts). After the free failures each further one doubles the wait, from FIRST_DELAY
# up to THROTTLE_WINDOW; the right password from another address is never held up by a guesser elsewhere.
FREE_FAILURES_PER_ACCOUNT = 3
FREE_FAILURES_PER_CLIENT = 20
FIRST_DELAY = timedelta(seconds=1)
STORED_PRECISION = timedelta(seconds=1)
THROTTLE_WINDOW = timedelta(minutes=15)
RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3  # per user: the reset form cannot be used to flood someone's mailbox
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
IDEMPOTENCY_LIFETIME = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX = 255
STALE_CLAIM = timedelta(minutes=10)  # a claim left by a crashed request may be taken over after this
LAST_USED_STEP = timedelta(minutes=1)  # last_used_at moves at most this often: no write on every request
SIGN_IN_AGAIN = N_("sign in again (portalctl auth login) or create a new token")

log = logging.getLogger("portalctl.server")


class Unauthenticated(PermissionDenied, status=401, code="unauthenticated"):
    """No valid credentials: the server answers 401 (a wrong role is PermissionDenied, 403)."""


class RateLimited(Unavailable, status=429, code="rate_limited"):
    """Too many attempts; `retry_after` says in how many seconds the next one is considered."""

    def __init__(self, message: str, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Throttle:
    """Which attempts slow an address down: kept in `table` (email, client, created_at), the free ones per
    (address, e-mail) and per address, the first wait after them (doubling with each further attempt), and what a
    throttled caller is told."""

    table: str
    per_account: int
    per_client: int
    first_delay: timedelta
    message: str
    hint: str


LOGIN_THROTTLE = Throttle("login_attempts", FREE_FAILURES_PER_ACCOUNT, FREE_FAILURES_PER_CLIENT, FIRST_DELAY,
                          N_("too many failed sign-ins from this address; wait before trying again"),
                          N_("or ask for a reset link if the password is forgotten"))


@record
class TokenInfo(Record):
    """A personal access token as listed: never its secret."""

    id: int
    name: str
    created_at: str
    expires_at: str
    last_used_at: str | None


@record
class IssuedToken(Record):
    """A token just made: the only time its secret is shown."""

    id: int
    name: str
    token: str  # the secret: shown once, never stored
    expires_at: str


@dataclass
class Login:
    """What signing in gives: a token, and whether the password must be changed first."""

    token: IssuedToken
    email: str
    must_change_password: bool


@record
class Mail(Record):
    """A mail in the outbox, sent or waiting (with why the last try failed)."""

    id: int
    to: str
    subject: str
    body: str
    created_at: str
    attempts: int  # SMTP deliveries tried
    last_error: str | None  # why the last one failed


@dataclass
class StoredResponse:
    """The response kept for an Idempotency-Key, sent again to a retry."""

    status: int
    body: bytes


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.cache
def _decoy_hash() -> str:
    """Verified against when the e-mail is unknown, so timing does not tell which accounts exist."""
    return hash_password(secrets.token_urlsafe(16))


def check_new_password(password: str, email: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(_("the new password is too short (at least {PASSWORD_MIN} characters)").format(
            PASSWORD_MIN=PASSWORD_MIN),
                           hint=_("a passphrase of a few words is easy to remember and hard to guess"))
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(_("the new password is longer than {PASSWORD_MAX} characters").format(
            PASSWORD_MAX=PASSWORD_MAX))
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput(_("the new password cannot be your e-mail address"))


def _check_token_request(name: str, expires_days: int) -> str:
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_MAX:
        raise InvalidInput(_("a token needs a name of 1 to {TOKEN_NAME_MAX} characters").format(
            TOKEN_NAME_MAX=TOKEN_NAME_MAX), hint=_("e.g. cli or ci"))
    if not 1 <= expires_days <= TOKEN_DAYS_MAX:
        raise InvalidInput(_("a token expires after 1 to {TOKEN_DAYS_MAX} days").format(
            TOKEN_DAYS_MAX=TOKEN_DAYS_MAX), hint=_("e.g. 90 for a pipeline"))
    return name


def _insert_token(portal: Portal, user_id: int, name: str, expires_days: int) -> IssuedToken:
    """Inside the caller's transaction."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = iso(portal.clock() + timedelta(days=expires_days))
    cursor = portal.conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"
        " RETURNING id",
        (user_id, name, digest(secret), portal.now(), expires_at),
    )
    return IssuedToken(id=int(cursor.fetchone()[0]), name=name, token=secret, expires_at=expires_at)


# --- signing in
def login(
    portal: Portal,
    *,
    email: str,
    password: str,
    client: str,
    token_name: str = "cli",
    expires_days: int = 90,
    new_password: str | None = None,
) -> Login:
    """A new token for the right e-mail and password. Throttled before the password is even checked, so a
    throttled guesser learns nothing; `new_password` replaces the password at the same time (a temporary one)."""
    name = _check_token_request(token_name, expires_days)
    email = email.strip()
    if new_password is not None:
        check_new_password(new_password, email)
    now = portal.clock()
    check_throttle(portal, LOGIN_THROTTLE, email, client, now)
    row = portal.conn.execute(
        "SELECT id, email, active, password_hash, must_change_password FROM users WHERE email = ?", (email,)
    ).fetchone()
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    if not verify_password(password, stored or _decoy_hash()) or stored is None:
        record_attempt(portal, LOGIN_THROTTLE, email, client, now)
        raise Unauthenticated(_("wrong e-mail or password"),
                              hint=_("check both, or ask for a reset link (POST /api/v1/auth/password-reset); a new "
                                     "account signs in once its address is verified from the mail"))
    if not row["active"]:
        raise PermissionDenied(_("user {email} is deactivated").format(
            email=row['email']), hint=_("ask an administrator of the portal"))
    new_hash = hash_password(new_password) if new_password is not None else None
    with transaction(portal.conn):
        portal.conn.execute("DELETE FROM login_attempts WHERE email = ? AND client = ?", (email, client))
        if new_hash is not None:
            portal.conn.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?", (new_hash, row["id"])
            )
        issued = _insert_token(portal, row["id"], name, expires_days)
    return Login(issued, row["email"], bool(row["must_change_password"]) and new_hash is None)


def record_attempt(portal: Portal, throttle: Throttle, email: str, client: str, now: datetime) -> None:
    """Count an attempt (and forget those older than the window)."""
    with transaction(portal.conn):
        portal.conn.execute(f"DELETE FROM {throttle.table} WHERE created_at < ?", (iso(now - THROTTLE_WINDOW),))
        portal.conn.execute(
            f"INSERT INTO {throttle.table} (email, client, created_at) VALUES (?, ?, ?)", (email, client, iso(now))
        )


def check_throttle(portal: Portal, throttle: Throttle, email: str, client: str, now: datetime) -> None:
    """Refuse while the last attempt from this address (for this e-mail, or for any) is more recent than the delay
    its count of attempts in the window has grown to. The counts live in the database: every server process of
    the portal sees them."""
    since = iso(now - THROTTLE_WINDOW)
    for where, values, free in (("client = ? AND email = ?", (client, email), throttle.per_account),
                                ("client = ?", (client,), throttle.per_client)):
        failures, last = portal.conn.execute(
            f"SELECT COUNT(*), MAX(created_at) FROM {throttle.table} WHERE {where} AND created_at > ?",
            (*values, since),
        ).fetchone()
        if failures < free:
            continue
        delay = min(THROTTLE_WINDOW, throttle.first_delay * 2 ** min(failures - free, 20))
        # Times are kept to the second: the last attempt may have come up to a second after the one written.
        wait = parse_iso(last) + STORED_PRECISION + delay - now
        if wait.total_seconds() > 0:
            raise RateLimited(_(throttle.message), retry_after=max(1, math.ceil(wait.total_seconds())),
                              hint=_(throttle.hint))


def authenticate(portal: Portal, token: str) -> str:
    """The e-mail of the user a token acts for; Unauthenticated for unknown, revoked or expired tokens."""
    email, due = token_user(portal, token)
    if due is not None:
        touch_token(portal, due)
    return email


def token_user(portal: Portal, token: str) -> tuple[str, int | None]:
    """`authenticate` without its write: the e-mail, and the token's id when its last_used_at is due to move
    (touch_token), else None. The server reads on its event loop and writes on a worker thread."""
    return _checked(portal, _token_row(portal, token))


def token_session(portal: Portal, token: str) -> tuple[Session, int | None]:
    """The session of a token's user and token_user's id-if-due, what a server request starts with.

    The token's row and its user are remembered on the portal's connection for as long as the database has not
    changed (Connection.changes: any commit, of any process, or a write on this connection, forgets them all),
    so a revoked token, a deactivated user or a changed role count from the next request, as without it. The
    checks that depend on the clock (expiry, when last_used_at moves) are made every time.
    """
    from portalctl.engine.portal import Session

    changes = portal.conn.changes()
    if changes is None or changes != portal.signed_in_at:
        portal.signed_in.clear()
        portal.signed_in_at = changes
    key = digest(token)
    found = portal.signed_in.get(key)
    if found is None:
        row = _token_row(portal, token)
        found = row, portal.session(row["email"]).actor
        if changes is not None:
            portal.signed_in[key] = found
    row, actor = found
    _, due = _checked(portal, row)
    return Session(portal, actor), due


def _token_row(portal: Portal, token: str) -> Row:
    row: Row | None = portal.conn.execute(
        "SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, u.email FROM api_tokens t"
        " JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
        (digest(token),),
    ).fetchone()
    if row is None:
        raise Unauthenticated(_("this token is not valid"), hint=_(SIGN_IN_AGAIN))
    return row


def _checked(portal: Portal, row: Row) -> tuple[str, int | None]:
    if row["revoked_at"]:
        raise Unauthenticated(_("this token was revoked"), hint=_(SIGN_IN_AGAIN))
    now = portal.clock()
    if row["expires_at"] <= iso(now):
        raise Unauthenticated(_("this token expired at {expires_at}").format(
            expires_at=row['expires_at']), hint=_(SIGN_IN_AGAIN))
    due = row["last_used_at"] is None or parse_iso(row["last_used_at"]) <= now - LAST_USED_STEP
    return str(row["email"]), row["id"] if due else None


def touch_token(portal: Portal, token_id: int) -> None:
    with transaction(portal.conn):
        portal.conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (portal.now(), token_id))


class TokenService:
    """The acting user's own tokens: nobody lists or revokes another user's."""

    def __init__(self, session: Session) -> None:
        self.portal = session.portal
        self.actor = session.actor

    def list(self) -> list[TokenInfo]:
        rows = self.portal.conn.execute(
            "SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens"
            " WHERE user_id = ? AND revoked_at IS NULL ORDER BY id",
            (self.actor.id,),
        )
        return [TokenInfo(**dict(row)) for row in rows]

    def create(self, *, name: str, expires_days: int = 90) -> IssuedToken:
        name = _check_token_request(name, expires_days)
        with transaction(self.portal.conn):
            return _insert_token(self.portal, self.actor.id, name, expires_days)

    def revoke(self, token_id: int) -> None:
        with transaction(self.portal.conn):
            cursor = self.portal.conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                (self.portal.now(), token_id, self.actor.id),
            )
        if cursor.rowcount == 0:
            raise NotFound(_("you have no token {token_id}").format(
                token_id=token_id), hint=_("see your tokens: GET /api/v1/auth/tokens"))


# --- password resets
def request_password_reset(portal: Portal, email: str, *, public_url: str, smtp_url: str | None = None,
                           retry_first: float = 60.0) -> None:
    """Mail a reset link to an active user. Silent for unknown addresses, so nobody can probe who has an account."""
    row = portal.conn.execute(
        "SELECT id, email, name, language FROM users WHERE email = ? AND active = 1", (email.strip(),)
    ).fetchone()
    if row is None:
        return
    now = portal.clock()
    secret = secrets.token_urlsafe(32)
    with transaction(portal.conn):
        recent = portal.conn.execute(
            "SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at > ?",
            (row["id"], iso(now - timedelta(hours=1))),
        ).fetchone()[0]
        if recent >= RESETS_PER_HOUR:
            return
        portal.conn.execute(
            "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (row["id"], digest(secret), iso(now), iso(now + RESET_LIFETIME)),
        )
    link = f"{public_url.rstrip('/')}/reset-password?token={secret}"
    with using(row["language"] or language()):  # the recipient's language (their profile's), else the request's
        body = _(
            "Hello {name},\n\n"
            "someone (we hope you) asked to reset your password for the support portal.\n"
            "Choose a new password here (the link works once, for one hour):\n\n    {link}\n\n"
            "A script can send {{\"token\": \"{secret}\", \"password\": \"...\"}} to "
            "{confirm} instead.\n\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n"
        ).format(name=row["name"], link=link, secret=secret,
                 confirm=f"{public_url.rstrip('/')}/api/v1/auth/password-reset/confirm")
        subject = _("Reset your support portal password")
    send_mail(portal, to=row["email"], subject=subject, body=body, smtp_url=smtp_url,
              retry_first=retry_first)


def confirm_password_reset(portal: Portal, token: str, password: str) -> None:
    """Set the new password; the link, and every other pending link of that user, stops working."""
    invalid = InvalidInput(_("this reset link is not valid: it was used already, has expired or is mistyped"),
                           hint=_("ask for a new one (POST /api/v1/auth/password-reset)"))
    row = portal.conn.execute(
        "SELECT r.id, r.user_id, r.expires_at, r.used_at, u.email FROM password_resets r"
        " JOIN users u ON u.id = r.user_id WHERE r.token_hash = ? AND u.active = 1",
        (digest(token),),
    ).fetchone()
    if row is None or row["used_at"] or row["expires_at"] <= portal.now():
        raise invalid
    check_new_password(password, row["email"])
    new_hash = hash_password(password)
    now = portal.now()
    with transaction(portal.conn):
        used = portal.conn.execute(
            "UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL", (now, row["user_id"])
        )
        if used.rowcount == 0:  # a concurrent confirmation won
            raise invalid
        portal.conn.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?", (new_hash, row["user_id"])
        )
        portal.conn.execute("DELETE FROM login_attempts WHERE email = ?", (row["email"],))


# --- mail
def send_mail(portal: Portal, *, to: str, subject: str, body: str, smtp_url: str | None,
              retry_first: float = 60.0) -> None:
    """By SMTP at once when configured (a person is waiting for this mail); into the outbox otherwise, or when the
    SMTP server fails: the server then sends it again later (engine.notifications.deliver), so no mail is lost."""
    attempts, error = 0, None
    if smtp_url:
        try:
            smtp_send(smtp_url, to=to, subject=subject, body=body)
            return
        except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
            log.warning("SMTP delivery to %s failed (%s); the message is kept in the outbox", to, exc)
            attempts, error = 1, f"{type(exc).__name__}: {exc}"[:300]
    now = portal.clock()
    with transaction(portal.conn):
        portal.conn.execute(
            "INSERT INTO outbox (recipient, subject, body, created_at, send_after, attempts, last_error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (to, subject, body, iso(now), iso(now + timedelta(seconds=retry_first * attempts)), attempts, error),
        )


def smtp_send(url: str, *, to: str, subject: str, body: str, message_id: str | None = None) -> None:
    """smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (TLS); `?from=ADDRESS` sets the sender."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import formatdate
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("PORTALCTL_SMTP_URL must look like smtp://user:password@host:port")
    sender = parse_qs(parts.query).get("from", [f"portalctl@{parts.hostname}"])[0]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(usegmt=True)
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(body)
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25), timeout=20) as smtp:
        if parts.scheme == "smtp":
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def outbox(session: Session, *, limit: int = 100) -> list[Mail]:
    """Mail not delivered (yet), newest first: all of it when no SMTP server is configured, for the admins to read
    and pass on; otherwise what waits for its batch window or for a retry."""
    session.actor.require_admin(_("read the outbox"))
    rows = session.conn.execute(
        "SELECT id, recipient AS \"to\", subject, body, created_at, attempts, last_error FROM outbox"
        " WHERE sent_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [Mail(**dict(row)) for row in rows]


# --- idempotency
class Idempotency:
    """One record per (user, Idempotency-Key), holding the response of the request that first used the key.

    The record commits in the same transaction as the work it guards: `begin` opens a write transaction on the
    portal's connection, the request does its work on that connection (its own `transaction()` blocks become
    savepoints), and `finish` writes the record and commits both. A crash anywhere leaves both or neither, so a
    retry after any crash gets the first response, or does the work once. A request racing another with the same
    key waits for the write lock and then finds its response.
    """

    def __init__(self, portal: Portal, *, stale_after: timedelta = STALE_CLAIM) -> None:
        self.portal = portal
        self.conn = portal.conn
        self.stale_after = stale_after

    def begin(self, user_id: int, key: str, request_hash: str) -> StoredResponse | None:
        """None: go ahead; the write transaction is open for the work, and `finish` or `fail` ends it. A stored
        response: send it again instead of doing the work (the transaction is over)."""
        self.conn.begin()
        try:
            self.sweep()
            stored = self.stored(user_id, key, request_hash)
            if stored is None:
                return None
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()
        return stored

    def sweep(self) -> None:
        """Forget keys past their lifetime (in a write transaction)."""
        self.conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?",
                          (iso(self.portal.clock() - IDEMPOTENCY_LIFETIME),))

    def stored(self, user_id: int, key: str, request_hash: str) -> StoredResponse | None:
        """The response kept for this key, or None when the request is to be done (in a write transaction, so a
        request racing another with the same key finds the first one's response)."""
        if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX:
            raise InvalidInput(_("an Idempotency-Key has 1 to {IDEMPOTENCY_KEY_MAX} characters").format(
                IDEMPOTENCY_KEY_MAX=IDEMPOTENCY_KEY_MAX), hint=_("a UUID is a good key"))
        row = self.conn.execute(
            "SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE user_id = ? AND key = ?",
            (user_id, key),
        ).fetchone()
        # A claim without a response was left by an older portalctl, which committed claims on their own;
        # one older than the stale window is taken over.
        if row is None or (row["status"] is None and row["created_at"] < iso(self.portal.clock() - self.stale_after)):
            return None
        return self._stored(row, request_hash)

    @staticmethod
    def _stored(row: Row, request_hash: str) -> StoredResponse:
        if row["request_hash"] != request_hash:
            raise StateConflict(_("this Idempotency-Key was already used for a different request"),
                                hint=_("use a new key for each new request"))
        if row["status"] is None:
            raise StateConflict(_("a request with this Idempotency-Key is still in progress"),
                                hint=_("retry in a moment to get its response"))
        if row["body"] is None:
            raise StateConflict(_("this request was already done, and its response held a secret that is shown once"),
                                hint=_("make a new request with a new Idempotency-Key"))
        return StoredResponse(status=row["status"], body=bytes(row["body"]))

    def finish(self, user_id: int, key: str, request_hash: str, status: int, body: bytes | None) -> None:
        """Keep the response (`body=None` for one that held a secret: it is never stored) and commit it with the
        work."""
        try:
            self.keep(user_id, key, request_hash, status, body)
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def keep(self, user_id: int, key: str, request_hash: str, status: int, body: bytes | None) -> None:
        """Record the response with the work, in its transaction."""
        self.conn.execute(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO UPDATE SET request_hash ="
            " excluded.request_hash, status = excluded.status, body = excluded.body,"
            " created_at = excluded.created_at",
            (user_id, key, request_hash, status, body, self.portal.now()),
        )

    def fail(self, *, keep_work: bool) -> None:
        """The request failed: its key stays free for a retry. `keep_work` commits what it wrote anyway, as it
        would have without a key (a failed sign-in is counted); otherwise (it crashed) nothing of it is kept."""
        if keep_work:
            self.conn.commit()
        else:
            self.conn.rollback()
