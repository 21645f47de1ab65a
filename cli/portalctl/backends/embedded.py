"""The embedded backend: the engine on the profile's SQLite file, acting as the profile's user."""

from __future__ import annotations

from portalctl.config import Profile
from portalctl.engine.portal import Portal, Session
from portalctl.errors import PortalError


def open_backend(profile: Profile) -> Session:
    portal = Portal(profile.db_path())
    email = profile.user or first_admin(portal)
    return portal.session(email)


def first_admin(portal: Portal) -> str:
    row = portal.conn.execute("SELECT email FROM users WHERE role = 'admin' AND active ORDER BY id LIMIT 1").fetchone()
    if row is None:
        raise PortalError("this portal has no admin user", hint="run 'portalctl init' to set one up")
    return str(row[0])
