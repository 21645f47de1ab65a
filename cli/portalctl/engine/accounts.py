"""Users, organisations, departments and custom field definitions, with who may see and change them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from portalctl.engine.db import IntegrityError, Row, transaction
from portalctl.engine.fields import field_record
from portalctl.engine.lookups import (
    check_country,
    check_domain,
    check_email,
    department_id,
    org_id,
    slugify,
    user_row,
)
from portalctl.errors import InvalidInput, NotFound, StateConflict
from portalctl.i18n import _
from portalctl.model import (
    FIELD_TYPES,
    ROLES,
    Department,
    FieldDef,
    Notice,
    NotificationSettings,
    Organization,
    SignupSettings,
    User,
)

if TYPE_CHECKING:
    from typing import BinaryIO

    from portalctl.contract import Upload
    from portalctl.engine.notices import NoticeService
    from portalctl.engine.portal import Portal, Session

PROFILE_FIELDS = ("name", "title", "phone", "language", "timezone", "country")


def hash_password(password: str) -> str:
    """scrypt (memory-hard, in the standard library), salted, in one self-describing string. hashlib and secrets are
    imported where passwords are handled: a listing that reads the acting user needs neither."""
    import hashlib
    import secrets

    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    import hashlib
    import secrets

    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return secrets.compare_digest(candidate.hex(), digest)


def check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(_("unknown timezone {name!r}").format(
            name=name), hint=_("use an IANA name such as Europe/Madrid")) from exc
    return name


def bootstrap_admin(portal: Portal, *, email: str, name: str) -> None:
    """The first admin of a new portal (nobody is signed in yet to create one)."""
    with transaction(portal.conn):
        portal.conn.execute(
            "INSERT INTO users (email, name, role, created_at) VALUES (?, ?, 'admin', ?)",
            (check_email(email), name, portal.now()),
        )


def optional_country(code: str | None) -> str | None:
    """A country code as stored; None or "" (clearing it) stay None."""
    return check_country(code) if code else None


def check_manager(role: str, org: int | None) -> None:
    if role != "customer" or org is None:
        raise InvalidInput(_("a contact manager is a customer of an organisation"),
                           hint=_("give the user an organisation; agents and admins manage every contact already"),
                           about="manager")


def insert_user(portal: Portal, *, email: str, name: str, role: str = "customer", org: int | None = None,
                manager: bool = False, country: str | None = None, password_hash: str | None = None,
                verified: str | None = None, terms: tuple[str, str] | None = None) -> User:
    """One user row, for admins, contact managers and verified sign-ups alike; StateConflict if the e-mail is
    taken. `terms`: (version accepted, when)."""
    email = check_email(email)
    version, accepted = terms or (None, None)
    try:
        with transaction(portal.conn):
            portal.conn.execute(
                "INSERT INTO users (email, name, role, org_id, manager, country, password_hash, email_verified_at,"
                " terms_version, terms_accepted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (email, name.strip() or email, role, org, int(manager), country, password_hash, verified, version,
                 accepted, portal.now()),
            )
    except IntegrityError as exc:
        raise StateConflict(_("a user {email} already exists").format(email=email), about="user") from exc
    row = portal.conn.execute(f"{USER_SELECT} WHERE u.email = ?", (email,)).fetchone()
    return user_record(row)


def user_record(row: Row) -> User:
    return User(
        id=row["id"], email=row["email"], name=row["name"], role=row["role"], organization=row["org"],
        active=bool(row["active"]), title=row["title"], phone=row["phone"], language=row["language"],
        timezone=row["timezone"], created_at=row["created_at"], manager=bool(row["manager"]),
        country=row["country"], photo_sha256=row["photo_sha256"],
    )


USER_SELECT = "SELECT u.*, o.slug AS org FROM users u LEFT JOIN organizations o ON o.id = u.org_id"


class AccountService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.conn
        self.actor = session.actor

    # --- the acting user
    def me(self) -> User:
        return self._user(self.actor.email)

    def update_me(self, **given: str) -> User:
        changes: dict[str, str | None] = dict(given)
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            raise InvalidInput(
                _("cannot change {sorted}").format(sorted=', '.join(sorted(unknown))),
                    hint=_("editable: {PROFILE_FIELDS}").format(PROFILE_FIELDS=', '.join(PROFILE_FIELDS))
            )
        if given.get("timezone"):
            check_timezone(given["timezone"])
        if "country" in changes:
            changes["country"] = optional_country(given["country"])
        if "name" in changes and not given["name"].strip():
            raise InvalidInput(_("name cannot be empty"))
        if changes:
            assignments = ", ".join(f"{key} = ?" for key in changes)
            with transaction(self.conn):
                self.conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), self.actor.id))
        return self.me()

    # --- notifications (rules: engine.notifications)
    def notification_settings(self) -> NotificationSettings:
        from portalctl.engine.notifications import NotificationService

        return NotificationService(self.session).settings()

    def set_notifications(self, *, on: Sequence[str] = (), off: Sequence[str] = ()) -> NotificationSettings:
        from portalctl.engine.notifications import NotificationService

        return NotificationService(self.session).switch(on=on, off=off)

    # --- notices (rules: engine.notices)
    @cached_property
    def _notices(self) -> NoticeService:
        from portalctl.engine.notices import NoticeService

        return NoticeService(self.session)

    def notices(self, *, unseen: bool = False) -> list[Notice]:
        return self._notices.active(unseen=unseen)

    def all_notices(self) -> list[Notice]:
        return self._notices.all()

    def add_notice(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
                   organization: str | None = None, countries: Sequence[str] = ()) -> Notice:
        return self._notices.add(title=title, body=body, severity=severity, starts=starts, ends=ends,
                                 organization=organization, countries=countries)

    def end_notice(self, notice_id: int) -> Notice:
        return self._notices.end(notice_id)

    def mark_notices_seen(self, notice_ids: Sequence[int]) -> None:
        self._notices.mark_seen(notice_ids)

    # --- profile photos (rules: engine.photos)
    def set_photo(self, upload: Upload) -> User:
        from portalctl.engine.photos import set_photo

        set_photo(self.session, upload)
        return self.me()

    def photo(self, email: str) -> tuple[str, str, BinaryIO]:
        """(content type, sha256, the open file) of a user's photo, for those who may see that user."""
        from portalctl.engine.photos import open_photo

        return open_photo(self.session, email)

    # --- sign-up policy and terms (rules: engine.signup)
    def signup_settings(self) -> SignupSettings:
        from portalctl.engine.signup import settings_for_admin

        return settings_for_admin(self.session)

    def set_signup(self, *, policy: str | None = None, terms: str | None = None,
                   terms_version: str | None = None) -> SignupSettings:
        from portalctl.engine.signup import set_signup

        return set_signup(self.session, policy=policy, terms=terms, terms_version=terms_version)

    # --- users
    def users(self, *, role: str | None = None, organization: str | None = None, inactive: bool = False) -> list[User]:
        self.actor.require_staff(_("list users"))
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if role:
            where.append("u.role = ?")
            params.append(role)
        if organization:
            where.append("u.org_id = ?")
            params.append(org_id(self.conn, organization))
        if not inactive:
            where.append("u.active = 1")
        rows = self.conn.execute(f"{USER_SELECT} WHERE {' AND '.join(where)} ORDER BY u.email", params)
        return [user_record(r) for r in rows]

    def add_user(self, *, email: str, name: str, role: str = "customer", organization: str | None = None,
                 manager: bool = False, country: str | None = None) -> User:
        self.actor.require_admin(_("add users"))
        if role not in ROLES:
            raise InvalidInput(_("unknown role {role!r}").format(role=role), hint=_("roles: {ROLES}").format(
                ROLES=', '.join(ROLES)))
        org = org_id(self.conn, organization) if organization else None
        if manager:
            check_manager(role, org)
        return insert_user(self.session.portal, email=email, name=name, role=role, org=org, manager=manager,
                           country=optional_country(country))

    def update_user(self, email: str, *, manager: bool | None = None, country: str | None = None) -> User:
        """Make a customer their organisation's contact manager (or not), or set their country ("" clears it)."""
        self.actor.require_admin(_("change users"))
        row = user_row(self.conn, email)
        changes: dict[str, Any] = {}
        if manager is not None:
            if manager:
                check_manager(row["role"], row["org_id"])
            changes["manager"] = int(manager)
        if country is not None:
            changes["country"] = optional_country(country)
        if changes:
            assignments = ", ".join(f"{key} = ?" for key in changes)
            with transaction(self.conn):
                self.conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), row["id"]))
        return self._user(row["email"])

    def set_active(self, email: str, active: bool) -> User:
        """Deactivation keeps the user's tickets and comments; they just cannot act any more."""
        self.actor.require_admin(_("deactivate or reactivate users"))
        row = user_row(self.conn, email)
        if row["id"] == self.actor.id and not active:
            raise StateConflict(_("you cannot deactivate yourself"))
        with transaction(self.conn):
            self.conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), row["id"]))
        return self._user(email)

    def reset_password(self, email: str) -> str:
        """Sets a temporary password the user must change (seed 001); returns it once, for the admin to share."""
        self.actor.require_admin(_("reset passwords"))
        row = user_row(self.conn, email)
        import secrets

        temporary = secrets.token_urlsafe(12)
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?",
                (hash_password(temporary), row["id"]),
            )
        return temporary

    def _user(self, email: str) -> User:
        row = self.conn.execute(f"{USER_SELECT} WHERE u.email = ?", (email,)).fetchone()
        if row is None:
            user_row(self.conn, email)  # raises NotFound
        return user_record(row)

    # --- organisations
    def organizations(self) -> list[Organization]:
        self.actor.require_staff(_("list organisations"))
        domains: dict[int, list[str]] = {}
        for row in self.conn.execute("SELECT org_id, domain FROM org_domains ORDER BY domain"):
            domains.setdefault(row["org_id"], []).append(row["domain"])
        rows = self.conn.execute(
            "SELECT o.*, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id) AS users"
            " FROM organizations o ORDER BY o.slug"
        )
        return [self._org(r, domains.get(r["id"], [])) for r in rows]

    def update_organization(self, name: str, *, country: str | None = None, add_domains: Sequence[str] = (),
                            remove_domains: Sequence[str] = ()) -> Organization:
        """Set an organisation's country ("" clears it); map e-mail domains to it, or unmap them."""
        self.actor.require_admin(_("change organisations"))
        org = org_id(self.conn, name)
        removing = [check_domain(d) for d in remove_domains]
        with transaction(self.conn):
            if country is not None:
                self.conn.execute("UPDATE organizations SET country = ? WHERE id = ?", (optional_country(country), org))
            for domain in removing:
                gone = self.conn.execute("DELETE FROM org_domains WHERE domain = ? AND org_id = ?", (domain, org))
                if gone.rowcount == 0:
                    raise NotFound(_("the domain {domain} is not mapped to this organisation").format(
                        domain=domain), about="domain")
            self._map_domains(org, add_domains)
        return self._org_by_id(org)

    def _map_domains(self, org: int, domains: Sequence[str]) -> None:
        """Inside the caller's transaction: each domain belongs to one organisation."""
        for domain in dict.fromkeys(check_domain(d) for d in domains):
            owner = self.conn.execute("SELECT o.slug, o.id FROM org_domains d JOIN organizations o ON o.id = d.org_id"
                                      " WHERE d.domain = ?", (domain,)).fetchone()
            if owner is not None and owner["id"] != org:
                raise StateConflict(_("the domain {domain} already belongs to organisation {slug}").format(
                    domain=domain, slug=owner['slug']),
                                    hint=_("remove it there first"), about="domain")
            if owner is None:
                self.conn.execute("INSERT INTO org_domains (domain, org_id) VALUES (?, ?)", (domain, org))

    def _org_by_id(self, org: int) -> Organization:
        row = self.conn.execute(
            "SELECT o.*, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id) AS users FROM organizations o"
            " WHERE o.id = ?", (org,)).fetchone()
        domains = [r[0] for r in self.conn.execute("SELECT domain FROM org_domains WHERE org_id = ? ORDER BY domain",
                                                   (org,))]
        return self._org(row, domains)

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        self.actor.require_admin(_("add organisations"))
        portal = self.session.portal
        business_hours = str(options.get("business_hours") or portal.setting("business_hours"))
        from portalctl.engine.calendar import parse_business_hours

        parse_business_hours(business_hours)  # validates
        given_hours = options.get("resolution_hours")
        resolution_hours = int(portal.setting("resolution_hours") if given_hours is None else given_hours)
        if resolution_hours < 1:
            raise InvalidInput(_("resolution hours must be at least 1"))
        holidays = [str(d) for d in options.get("holidays") or []]
        for day in holidays:
            try:
                date.fromisoformat(day)
            except ValueError as exc:
                raise InvalidInput(_("holiday {day!r} is not a date (YYYY-MM-DD)").format(day=day)) from exc
        values = (
            int(bool(options.get("shared_tickets", False))),
            check_timezone(options.get("timezone") or portal.setting("timezone")),
            business_hours, json.dumps(holidays), resolution_hours, optional_country(options.get("country")),
        )
        slug = options.get("slug") or slugify(name)
        try:
            with transaction(self.conn):
                org = self.conn.execute(
                    "INSERT INTO organizations (name, slug, shared_tickets, timezone, business_hours, holidays,"
                    " resolution_hours, country, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (name, slug, *values, portal.now()),
                ).fetchone()[0]
                self._map_domains(int(org), options.get("domains") or [])
        except IntegrityError as exc:
            raise StateConflict(_("an organisation {slug!r} already exists").format(slug=slug)) from exc
        return self._org_by_id(int(org))

    @staticmethod
    def _org(row: Row, domains: list[str]) -> Organization:
        return Organization(
            id=row["id"], name=row["name"], slug=row["slug"], shared_tickets=bool(row["shared_tickets"]),
            timezone=row["timezone"], business_hours=row["business_hours"],
            resolution_hours=row["resolution_hours"], users=row["users"], country=row["country"], domains=domains,
        )

    # --- departments
    def departments(self) -> list[Department]:
        rows = self.conn.execute("SELECT * FROM departments ORDER BY name")
        return [Department(id=r["id"], name=r["name"], slug=r["slug"], description=r["description"]) for r in rows]

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        self.actor.require_admin(_("add departments"))
        slug = slugify(name)
        try:
            with transaction(self.conn):
                cursor = self.conn.execute(
                    "INSERT INTO departments (name, slug, description) VALUES (?, ?, ?) RETURNING id",
                    (name, slug, description),
                )
                department = Department(id=int(cursor.fetchone()[0]), name=name, slug=slug, description=description)
        except IntegrityError as exc:
            raise StateConflict(_("a department {slug!r} already exists").format(slug=slug)) from exc
        return department

    # --- custom field definitions
    def field_defs(self, *, department: str | None = None) -> list[FieldDef]:
        sql = "SELECT f.*, d.slug AS dept FROM field_defs f LEFT JOIN departments d ON d.id = f.department_id"
        if department:
            rows = self.conn.execute(
                sql + " WHERE f.department_id IS NULL OR f.department_id = ? ORDER BY f.id",
                (department_id(self.conn, department),),
            )
        else:
            rows = self.conn.execute(sql + " ORDER BY f.id")
        return [field_record(r) for r in rows]

    def add_field(self, definition: FieldDef) -> FieldDef:
        self.actor.require_admin(_("define custom fields"))
        if definition.type not in FIELD_TYPES:
            raise InvalidInput(_("unknown field type {type!r}").format(type=definition.type),
                hint=_("types: {FIELD_TYPES}").format(FIELD_TYPES=', '.join(FIELD_TYPES)))
        if definition.type in ("choice", "multichoice") and not definition.choices:
            raise InvalidInput(_("field {key!r} of type {type} needs --choice values").format(
                key=definition.key, type=definition.type))
        if not definition.key.replace("_", "").isalnum():
            raise InvalidInput(_("field key {key!r} must be letters, digits and underscores").format(
                key=definition.key))
        if definition.pattern:
            import re

            try:
                re.compile(definition.pattern)
            except re.error as exc:
                raise InvalidInput(_("bad pattern for {key!r}: {exc}").format(key=definition.key, exc=exc)) from exc
        dept = department_id(self.conn, definition.department) if definition.department else None
        values = asdict(definition)
        try:
            with transaction(self.conn):
                self.conn.execute(
                    "INSERT INTO field_defs (key, label, type, required, choices, pattern, customer_editable,"
                    " department_id, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (values["key"], values["label"], values["type"], int(values["required"]),
                     json.dumps(values["choices"], ensure_ascii=False), values["pattern"],
                     int(values["customer_editable"]), dept, values["description"]),
                )
        except IntegrityError as exc:
            raise StateConflict(_("a field {key!r} already exists there").format(key=definition.key)) from exc
        return definition

