"""What a help desk cannot do, said by name: shared by the connectors so no platform refuses in its own way."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from portalctl.errors import Unsupported
from portalctl.i18n import N_, _
from portalctl.model import Article, Collection, Department, FieldDef, Notice, Organization, User


class NoKnowledgeBase:
    """The articles namespace of a platform whose knowledge base has no API: every operation is refused."""

    def __init__(self, message: str, hint: str) -> None:
        self.message = message
        self.hint = hint

    def _refuse(self) -> NoReturn:
        raise Unsupported(self.message, hint=self.hint)

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None,
               locale: str | None = None, limit: int = 10) -> builtins.list[Article]:
        self._refuse()

    def get(self, article_id: int) -> Article:
        self._refuse()

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        self._refuse()

    def collections(self) -> builtins.list[Collection]:
        self._refuse()

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        self._refuse()

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        self._refuse()

    def edit(self, article_id: int, **changes: Any) -> Article:
        self._refuse()


class NoNotices:
    """Portal notices (announcements, service interruptions) on a help desk that has none portalctl can reach: every
    operation refused by name. The banner before `tickets` commands reads the refusal as "no notices"."""

    platform = N_("this help desk")
    admin_hint = N_("do it in the help desk's own admin pages")

    def _refuse(self, what: str) -> NoReturn:
        """`what`: a message naming the {platform}."""
        raise Unsupported(_(what).format(platform=_(self.platform)), hint=_(self.admin_hint))

    def notices(self, *, unseen: bool = False) -> builtins.list[Notice]:
        self._refuse(N_("portalctl cannot read portal notices on {platform}"))

    def all_notices(self) -> builtins.list[Notice]:
        self._refuse(N_("portalctl cannot read portal notices on {platform}"))

    def add_notice(self, *, title: str, body: str, severity: str = "info", starts: str | None = None, ends: str,
                   organization: str | None = None, countries: Sequence[str] = ()) -> Notice:
        self._refuse(N_("portalctl cannot publish portal notices on {platform}"))

    def end_notice(self, notice_id: int) -> Notice:
        self._refuse(N_("portalctl cannot end portal notices on {platform}"))

    def mark_notices_seen(self, notice_ids: Sequence[int]) -> None:
        self._refuse(N_("portalctl cannot read portal notices on {platform}"))


class NoAccountAdmin(NoNotices):
    """Account administration a connector leaves to the platform's own pages: every operation refused by name.

    A connector's accounts class inherits it, sets `platform` and `admin_hint`, and overrides what it can do.
    """

    def update_me(self, **changes: str) -> User:
        self._refuse(N_("portalctl cannot change your profile on {platform}"))

    def users(self, *, role: str | None = None, organization: str | None = None,
              inactive: bool = False) -> builtins.list[User]:
        self._refuse(N_("portalctl cannot list users on {platform}"))

    def add_user(self, *, email: str, name: str, role: str = "customer", organization: str | None = None) -> User:
        self._refuse(N_("portalctl cannot add users on {platform}"))

    def set_active(self, email: str, active: bool) -> User:
        self._refuse(N_("portalctl cannot deactivate or reactivate users on {platform}"))

    def reset_password(self, email: str) -> str:
        self._refuse(N_("portalctl cannot reset passwords on {platform}"))

    def organizations(self) -> builtins.list[Organization]:
        self._refuse(N_("portalctl cannot list organisations on {platform}"))

    def add_organization(self, *, name: str, **options: Any) -> Organization:
        self._refuse(N_("portalctl cannot add organisations on {platform}"))

    def add_department(self, *, name: str, description: str | None = None) -> Department:
        self._refuse(N_("portalctl cannot add departments on {platform}"))

    def add_field(self, definition: FieldDef) -> FieldDef:
        self._refuse(N_("portalctl cannot add ticket fields on {platform}"))
