"""People on a portalctl server: the `accounts`, `contacts` and `tokens` namespaces of the server backend.

It exists apart so the backend's module holds only how the namespaces are put together. Accounts are the signed-in
user's profile and notices and the administrators' users, organisations, departments, fields and sign-up policy;
contacts are a contact manager's view of their organisation; tokens are the user's API tokens, which only a server
has (the embedded portal signs no one in).
"""

from __future__ import annotations

import builtins
import io
from collections.abc import Sequence
from typing import Any, BinaryIO

from portalctl.backends.server_api import Api, given, segment
from portalctl.backends.server_map import record
from portalctl.contract import Upload
from portalctl.model import Department, FieldDef, Notice, NotificationSettings, Organization, SignupSettings, User


class ServerAccounts:
    def __init__(self, api: Api) -> None:
        self.api = api

    def notices(self, *, unseen: bool = False) -> builtins.list[Notice]:
        return [record(Notice, n) for n in self.api.items("/notices", {"unseen": "true" if unseen else None})]

    def all_notices(self) -> builtins.list[Notice]:
        return [record(Notice, n) for n in self.api.items("/admin/notices")]

    def add_notice(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
                   organization: str | None = None, countries: Sequence[str] = ()) -> Notice:
        payload = given({"title": title, "body": body, "severity": severity, "starts": starts, "ends": ends,
                         "organization": organization, "countries": list(countries) or None})
        return record(Notice, self.api.json("POST", "/admin/notices", json=payload))

    def end_notice(self, notice_id: int) -> Notice:
        return record(Notice, self.api.json("POST", f"/admin/notices/{segment(notice_id)}/end"))

    def mark_notices_seen(self, notice_ids: Sequence[int]) -> None:
        self.api.request("POST", "/notices/seen", json={"ids": list(notice_ids)}, idempotent=True).close()

    def notification_settings(self) -> NotificationSettings:
        return record(NotificationSettings, self.api.json("GET", "/me/notifications"))

    def set_notifications(self, *, on: Sequence[str] = (), off: Sequence[str] = ()) -> NotificationSettings:
        return record(NotificationSettings,
                      self.api.json("PATCH", "/me/notifications", json={"on": list(on), "off": list(off)}))

    def me(self) -> User:
        return record(User, self.api.json("GET", "/me"))

    def update_me(self, **changes: str) -> User:
        return record(User, self.api.json("PATCH", "/me", json=changes))

    def users(
        self, *, role: str | None = None, organization: str | None = None, inactive: bool = False
    ) -> builtins.list[User]:
        params = {"role": role, "organization": organization, "inactive": "true" if inactive else None}
        return [record(User, u) for u in self.api.items("/users", params)]

    def add_user(
        self, *, email: str, name: str, role: str = "customer", organization: str | None = None,
        manager: bool = False, country: str | None = None,
    ) -> User:
        body = given({"email": email, "name": name, "role": role, "organization": organization,
                      "manager": manager or None, "country": country})
        return record(User, self.api.json("POST", "/users", json=body))

    def update_user(self, email: str, *, manager: bool | None = None, country: str | None = None) -> User:
        body = given({"manager": manager, "country": country})
        return record(User, self.api.json("PATCH", f"/users/{segment(email)}", json=body))

    def update_organization(self, name: str, *, country: str | None = None, add_domains: Sequence[str] = (),
                            remove_domains: Sequence[str] = ()) -> Organization:
        body = given({"country": country, "add_domains": list(add_domains), "remove_domains": list(remove_domains)})
        return record(Organization, self.api.json("PATCH", f"/organizations/{segment(name)}", json=body))

    def set_photo(self, upload: Upload) -> User:
        """Uploaded as an attachment is (POST /uploads: streamed, checked on arrival), then made the photo."""
        return record(User, self.api.json("POST", "/me/photo", json={"upload": self.api.upload(upload)}))

    def photo(self, email: str) -> tuple[str, str, BinaryIO]:
        response = self.api.request("GET", f"/users/{segment(email)}/photo")
        sha = response.headers.get("ETag", "").strip('"')
        return response.headers.get("Content-Type", "application/octet-stream"), sha, io.BytesIO(response.content)

    def signup_settings(self) -> SignupSettings:
        return record(SignupSettings, self.api.json("GET", "/admin/signup"))

    def set_signup(self, *, policy: str | None = None, terms: str | None = None,
                   terms_version: str | None = None) -> SignupSettings:
        body = given({"policy": policy, "terms": terms, "terms_version": terms_version})
        return record(SignupSettings, self.api.json("POST", "/admin/signup", json=body))

    def set_active(self, email: str, active: bool) -> User:
        action = "reactivate" if active else "deactivate"
        return record(User, self.api.json("POST", f"/users/{segment(email)}/{action}"))

    def reset_password(self, email: str) -> str:
        return str(self.api.json("POST", f"/users/{segment(email)}/temporary-password")["password"])

    def organizations(self) -> builtins.list[Organization]:
        return [record(Organization, o) for o in self.api.items("/organizations")]

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        return record(Organization, self.api.json("POST", "/organizations", json=given({"name": name, **options})))

    def departments(self) -> builtins.list[Department]:
        return [record(Department, d) for d in self.api.items("/departments")]

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        body = given({"name": name, "description": description})
        return record(Department, self.api.json("POST", "/departments", json=body))

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        return [record(FieldDef, f) for f in self.api.items("/fields", {"department": department})]

    def add_field(self, definition: FieldDef) -> FieldDef:
        return record(FieldDef, self.api.json("POST", "/fields", json=definition.to_dict()))


class ServerContacts:
    """The organisation's contacts, for its contact manager."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def list(self, *, inactive: bool = False) -> builtins.list[User]:
        return [record(User, u) for u in self.api.items("/contacts", {"inactive": "true" if inactive else None})]

    def add(self, *, email: str, name: str) -> User:
        return record(User, self.api.json("POST", "/contacts", json={"email": email, "name": name}))

    def deactivate(self, email: str) -> User:
        return record(User, self.api.json("POST", f"/contacts/{segment(email)}/deactivate"))

    def temporary_password(self, email: str) -> str:
        return str(self.api.json("POST", f"/contacts/{segment(email)}/temporary-password")["password"])

    def send_reset_link(self, email: str) -> None:
        self.api.json("POST", f"/contacts/{segment(email)}/reset-link")


class ServerTokens:
    """The signed-in user's API tokens (a server-only namespace: the embedded portal has no tokens)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def list(self) -> builtins.list[dict[str, Any]]:
        return self.api.items("/auth/tokens")

    def create(self, *, name: str, expires_days: int) -> dict[str, Any]:
        result: dict[str, Any] = self.api.json("POST", "/auth/tokens",
                                             json={"name": name, "expires_days": expires_days})
        return result

    def revoke(self, token_id: str) -> None:
        self.api.request("DELETE", f"/auth/tokens/{segment(token_id)}", idempotent=True).close()
