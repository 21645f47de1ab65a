"""The knowledge base on a portalctl server: the `articles` namespace of the server backend, over its API v1.

It exists apart so the backend's module holds only how the namespaces are put together; articles share nothing
with tickets but the Api and the record mapping.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any

from portalctl.backends.server_api import Api, given, segment
from portalctl.backends.server_map import collection, record
from portalctl.model import Article, ArticleRefs, Collection

ARTICLE_PAGE = 100


def label_list(labels: Sequence[str] | str) -> list[str]:
    """Labels as a list; "a, b" from a script means two labels, as the engine reads it."""
    return labels.split(",") if isinstance(labels, str) else list(labels)


class ServerArticles:
    def __init__(self, api: Api) -> None:
        self.api = api

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
               limit: int = 10) -> builtins.list[Article]:
        params = {"q": query, "collection": collection, "folder": folder, "locale": locale, "limit": limit}
        return [record(Article, a) for a in self.api.items("/articles/search", params)]

    def get(self, article_id: int) -> Article:
        return record(Article, self.api.json("GET", f"/articles/{segment(article_id)}"))

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        params = [(key, value) for key, value in (("collection", collection), ("folder", folder),
                                                  ("locale", locale)) if value]
        return (record(Article, a) for a in self.api.pages("/articles", params, limit, ARTICLE_PAGE))

    def collections(self) -> builtins.list[Collection]:
        return [collection(c) for c in self.api.items("/collections")]

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        return record(Article, self.api.json("POST", f"/articles/{segment(article_id)}/votes",
                                           json={"helpful": helpful}))

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        payload = given({"collection": collection, "folder": folder, "title": title, "body": body,
                         "locale": locale, "labels": label_list(labels), "slug": slug})
        return record(Article, self.api.json("POST", "/articles", json=payload))

    def related(self, article_id: int) -> ArticleRefs:
        data = self.api.json("GET", f"/articles/{segment(article_id)}/related")
        return ArticleRefs(folder=[record(Article, a) for a in data["folder"]],
                           related=[record(Article, a) for a in data["related"]])

    def edit(self, article_id: int, **changes: Any) -> Article:
        payload = given(changes)
        if "labels" in payload:
            payload["labels"] = label_list(payload["labels"])
        return record(Article, self.api.json("PATCH", f"/articles/{segment(article_id)}", json=payload))
