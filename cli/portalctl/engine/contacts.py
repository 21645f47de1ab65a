"""Company contacts run by the company (seeds 001 and 004: "contactos autorizados"): a customer who is their
organisation's contact manager adds its users, deactivates them (their history is kept), and resets their
passwords by a mailed link or a temporary one. Only within their own organisation, and only its customers: any
other address answers "no contact", whether it exists elsewhere or not. Admins make managers
(`AccountService.add_user(manager=True)` or `update_user`); agents and admins run users with the admin commands.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from portalctl.engine.accounts import USER_SELECT, hash_password, insert_user, user_record
from portalctl.engine.db import Row, transaction
from portalctl.errors import NotFound, PermissionDenied, StateConflict, Unsupported
from portalctl.i18n import _
from portalctl.model import User

if TYPE_CHECKING:
    from portalctl.engine.portal import Session


class ContactService:
    """`mail`: (public URL, SMTP URL or None) where reset links can be mailed from (a server); None on the
    embedded portal, which has no sign-in to reset."""

    def __init__(self, session: Session, mail: tuple[str, str | None] | None = None) -> None:
        self.session = session
        self.conn = session.conn
        self.actor = session.actor
        self.mail = mail

    def _org(self) -> int:
        if not self.actor.manager or self.actor.org_id is None:
            raise PermissionDenied(_("only an organisation's contact manager may manage its contacts"), about="manager",
                                   hint=_("ask your organisation's contact manager or the portal's administrators"))
        return self.actor.org_id

    def _contact(self, email: str) -> Row:
        row: Row | None = self.conn.execute(
            "SELECT id, email, active FROM users WHERE email = ? AND org_id = ? AND role = 'customer'",
            (email.strip(), self._org()),
        ).fetchone()
        if row is None:
            raise NotFound(_("no contact {email} in your organisation").format(email=email), about="contact")
        return row

    def list(self, *, inactive: bool = False) -> list[User]:
        """The organisation's customers (deactivated ones too with `inactive`)."""
        org = self._org()
        active = "" if inactive else " AND u.active = 1"
        rows = self.conn.execute(f"{USER_SELECT} WHERE u.org_id = ? AND u.role = 'customer'{active} ORDER BY u.email",
                                 (org,))
        return [user_record(row) for row in rows]

    def add(self, *, email: str, name: str) -> User:
        """A new customer of the manager's organisation; they sign in after a reset (link or temporary)."""
        org = self._org()
        try:
            return insert_user(self.session.portal, email=email, name=name, org=org)
        except StateConflict as exc:
            raise StateConflict(_("{strip} cannot be added: the address already has an account on this portal").format(
                strip=email.strip()),
                                hint=_("ask the portal's administrators"), about="contact_exists") from exc

    def deactivate(self, email: str) -> User:
        """They can no longer sign in or use their tokens; their tickets and messages stay."""
        row = self._contact(email)
        if row["id"] == self.actor.id:
            raise StateConflict(_("you cannot deactivate yourself"), hint=_("ask the portal's administrators"))
        with transaction(self.conn):
            self.conn.execute("UPDATE users SET active = 0 WHERE id = ?", (row["id"],))
        return self._user(row["id"])

    def temporary_password(self, email: str) -> str:
        """A temporary password, returned once for the manager to pass on; replaced at the contact's next sign-in."""
        row = self._active_contact(email)
        temporary = secrets.token_urlsafe(12)
        with transaction(self.conn):
            self.conn.execute("UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?",
                              (hash_password(temporary), row["id"]))
        return temporary

    def send_reset_link(self, email: str) -> None:
        """Mail the contact a password-reset link (by SMTP, or into the outbox), as a forgotten password does."""
        from portalctl.engine.auth import request_password_reset

        row = self._active_contact(email)
        if self.mail is None:
            raise Unsupported(_("reset links are mailed by a portalctl server; this portal is a file on this machine"),
                              about="reset_link")
        public_url, smtp_url = self.mail
        request_password_reset(self.session.portal, row["email"], public_url=public_url, smtp_url=smtp_url)

    def _active_contact(self, email: str) -> Row:
        row = self._contact(email)
        if not row["active"]:
            raise StateConflict(_("{email} is deactivated").format(
                email=row['email']), hint=_("ask the portal's administrators to "
                                  "reactivate the account first"), about="contact_inactive")
        return row

    def _user(self, user_id: int) -> User:
        return user_record(self.conn.execute(f"{USER_SELECT} WHERE u.id = ?", (user_id,)).fetchone())
