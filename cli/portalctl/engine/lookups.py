"""Resolving the names people type (e-mails, slugs, names) to rows, with errors that list what exists."""

from __future__ import annotations

import re
import unicodedata

from portalctl.engine.db import Connection, Row
from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import _


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "item"


def _named(
    conn: Connection, table: str, what: str, name: str, extra: str = "", params: tuple[int, ...] = ()
) -> int:
    row = conn.execute(
        f"SELECT id FROM {table} WHERE (slug = ? OR lower(name) = lower(?)) {extra}", (slugify(name), name, *params)
    ).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(f"SELECT slug FROM {table} WHERE TRUE {extra} ORDER BY slug", params)]
        raise InvalidInput(_("unknown {what} {name!r}").format(what=what, name=name), hint=_("known: {value}").format(
            value=', '.join(known[:20]) or _('none yet')))
    return int(row[0])


def org_id(conn: Connection, name: str, *, list_known: bool = True) -> int:
    """`list_known=False` for customers: the error must not list the portal's other client companies."""
    if list_known:
        return _named(conn, "organizations", "organisation", name)
    row = conn.execute("SELECT id FROM organizations WHERE slug = ? OR lower(name) = lower(?)",
                       (slugify(name), name)).fetchone()
    if row is None:
        raise InvalidInput(_("unknown organisation {name!r}").format(name=name))
    return int(row[0])


def department_id(conn: Connection, name: str) -> int:
    return _named(conn, "departments", "department", name)


def collection_id(conn: Connection, name: str) -> int:
    return _named(conn, "collections", "collection", name)


def folder_id(conn: Connection, name: str, collection: int | None = None) -> int:
    if collection is None:
        return _named(conn, "folders", "folder", name)
    return _named(conn, "folders", "folder", name, "AND collection_id = ?", (collection,))


def user_row(conn: Connection, email: str) -> Row:
    row: Row | None = conn.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
    if row is None:
        raise NotFound(_("no user {email}").format(email=email), about="user")
    return row


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def check_email(email: str) -> str:
    email = email.strip()
    if not EMAIL.match(email):
        raise InvalidInput(_("not an e-mail address: {email!r}").format(email=email))
    return email


DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


def check_domain(domain: str) -> str:
    """An e-mail domain as stored (lower case, no leading @): andina.example."""
    name = domain.strip().lstrip("@").lower().rstrip(".")
    if not DOMAIN.match(name):
        raise InvalidInput(_("not an e-mail domain: {domain!r}").format(
            domain=domain), hint=_("e.g. andina.example"), about="domain")
    return name


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code, in upper case (iso3166 holds the list)."""
    from iso3166 import countries_by_alpha2

    key = code.strip().upper()
    if key not in countries_by_alpha2:
        raise InvalidInput(_("unknown country {code!r}").format(
            code=code), hint=_("use an ISO 3166-1 alpha-2 code such as CO, MX or ES"),
                           about="country")
    return key
