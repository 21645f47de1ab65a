"""The embedded backend: the engine on the profile's SQLite file, acting as the profile's user."""

from __future__ import annotations

from portalctl.config import Profile
from portalctl.engine.closing import auto_close
from portalctl.engine.portal import Portal, Session
from portalctl.errors import PortalError
from portalctl.i18n import _


def open_backend(profile: Profile) -> Session:
    """The session a command acts through. Opening it runs the rule no one runs by hand: resolved tickets whose
    grace period has passed close (once per command, before it reads anything)."""
    portal = Portal(profile.db_path())
    email = profile.user or first_admin(portal)
    session = portal.session(email)
    auto_close(portal)
    return session


def first_admin(portal: Portal) -> str:
    row = portal.conn.execute("SELECT email FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 1").fetchone()
    if row is None:
        raise PortalError(_("this portal has no admin user"), hint=_("run 'portalctl init' to set one up"))
    return str(row[0])
