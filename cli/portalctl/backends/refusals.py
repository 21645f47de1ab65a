"""What a help desk cannot do, said by name: shared by the connectors so no platform refuses in its own way."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from portalctl.errors import Unsupported
from portalctl.model import Article, Collection


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
