"""Notices: announcements and service interruptions an admin publishes for a time window (seed 002's banner).

A notice is for everyone, or aimed at one organisation and/or some countries (ISO 3166-1 alpha-2): then it is for
the users of that organisation and the users in those countries (staff see every notice). A user's country is
their own (`me update --country`), else their organisation's (`admin orgs update --country`): a company sits in a
country, and a person working elsewhere says so. Each user is shown an active notice once: `mark_seen` records it,
so a banner does not repeat on every command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from portalctl.engine.db import Row, iso, transaction
from portalctl.engine.lookups import check_country, org_id
from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import _
from portalctl.model import NOTICE_SEVERITIES, Notice
from portalctl.times import parse_iso

if TYPE_CHECKING:
    from portalctl.engine.portal import Session

SELECT = ("SELECT n.*, o.slug AS org FROM notices n LEFT JOIN organizations o ON o.id = n.org_id")


def notice_time(text: str, what: str) -> str:
    """An ISO 8601 time as stored (a time without an offset is UTC)."""
    try:
        moment: datetime = parse_iso(text)
    except ValueError as exc:
        raise InvalidInput(_("the notice's {what} time is not an ISO 8601 time: {text!r}").format(what=what, text=text),
                           hint=_("e.g. 2025-06-01T08:00Z or 2025-06-01 08:00"), about="notice_time") from exc
    return iso(moment)


def notice_record(row: Row, now: str) -> Notice:
    return Notice(id=row["id"], title=row["title"], body=row["body"], severity=row["severity"],
                  organization=row["org"], starts_at=row["starts_at"], ends_at=row["ends_at"],
                  active=row["starts_at"] <= now < row["ends_at"], created_at=row["created_at"],
                  countries=json.loads(row["countries"]))


class NoticeService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.conn
        self.actor = session.actor

    def active(self, *, unseen: bool = False) -> list[Notice]:
        """The notices in force now that this user may see, most severe first; `unseen`: only those not yet shown."""
        now = self.session.portal.now()
        sql = f"{SELECT} WHERE n.starts_at <= ? AND n.ends_at > ?"
        params: list[object] = [now, now]
        if not self.actor.is_staff:  # for everyone, or aimed at their organisation or their country
            country = self.conn.execute(  # read now: the profile may change while a session lasts
                "SELECT COALESCE(u.country, o.country) FROM users u LEFT JOIN organizations o ON o.id = u.org_id"
                " WHERE u.id = ?", (self.actor.id,)).fetchone()[0]
            sql += " AND ((n.org_id IS NULL AND n.countries = '[]') OR n.org_id = ? OR n.countries LIKE ?)"
            params += [self.actor.org_id, f'%"{country}"%' if country else ""]
        if unseen:
            sql += " AND NOT EXISTS (SELECT 1 FROM notice_views v WHERE v.notice_id = n.id AND v.user_id = ?)"
            params.append(self.actor.id)
        sql += " ORDER BY CASE n.severity WHEN 'outage' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, n.starts_at, n.id"
        return [notice_record(row, now) for row in self.conn.execute(sql, params)]

    def all(self) -> list[Notice]:
        """Every notice, past, present and future, newest first (admins)."""
        self.actor.require_admin(_("list every notice"))
        now = self.session.portal.now()
        return [notice_record(row, now) for row in self.conn.execute(f"{SELECT} ORDER BY n.starts_at DESC, n.id DESC")]

    def add(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
            organization: str | None = None, countries: Sequence[str] = ()) -> Notice:
        """Publish a notice for [starts, ends) (starts: now when not given), for everyone or for the users of one
        organisation and of some countries."""
        self.actor.require_admin(_("publish notices"))
        if not title.strip():
            raise InvalidInput(_("the notice's title cannot be empty"), about="notice_title")
        if severity not in NOTICE_SEVERITIES:
            raise InvalidInput(_("unknown severity {severity!r}").format(severity=severity),
                hint=_("severities: {NOTICE_SEVERITIES}").format(NOTICE_SEVERITIES=', '.join(NOTICE_SEVERITIES)))
        now = self.session.portal.now()
        start = notice_time(starts, _("start")) if starts else now
        end = notice_time(ends, _("end"))
        codes = sorted({check_country(code) for code in countries})
        if end <= start:
            raise InvalidInput(_("the notice ends ({end}) before it starts ({start})").format(end=end, start=start),
                               hint=_("give an end time after the start"), about="notice_time")
        with transaction(self.conn):
            org = org_id(self.conn, organization) if organization else None
            notice_id = self.conn.execute(
                "INSERT INTO notices (title, body, severity, org_id, countries, starts_at, ends_at, author_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (title.strip(), body, severity, org, json.dumps(codes), start, end, self.actor.id, now),
            ).fetchone()[0]
        return self._get(int(notice_id))

    def end(self, notice_id: int) -> Notice:
        """End a notice now (one not started yet ends before it ever shows); an ended one stays as it is."""
        self.actor.require_admin(_("end notices"))
        with transaction(self.conn):
            now = self.session.portal.now()
            notice = self._get(notice_id)
            if notice.ends_at > now:
                self.conn.execute("UPDATE notices SET ends_at = ?, starts_at = CASE WHEN starts_at > ? THEN ?"
                                  " ELSE starts_at END WHERE id = ?", (now, now, now, notice_id))
        return self._get(notice_id)

    def mark_seen(self, notice_ids: Sequence[int]) -> None:
        """Record that this user was shown these notices (ids they may not see are ignored)."""
        visible = {notice.id for notice in self.active()}
        now = self.session.portal.now()
        with transaction(self.conn):
            for notice_id in sorted(set(notice_ids) & visible):
                self.conn.execute("INSERT INTO notice_views (notice_id, user_id, seen_at) VALUES (?, ?, ?)"
                                  " ON CONFLICT (notice_id, user_id) DO NOTHING", (notice_id, self.actor.id, now))

    def _get(self, notice_id: int) -> Notice:
        row = self.conn.execute(f"{SELECT} WHERE n.id = ?", (notice_id,)).fetchone()
        if row is None:
            raise NotFound(_("no notice {notice_id}").format(notice_id=notice_id), about="notice")
        return notice_record(row, self.session.portal.now())
