"""Freshdesk's knowledge base (solutions) as the portal's articles namespace."""

from __future__ import annotations

import builtins
import itertools
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from portalctl.backends import freshdesk_map as fm
from portalctl.backends.freshdesk_api import Api
from portalctl.errors import InvalidInput, Unsupported
from portalctl.i18n import _
from portalctl.model import Article, Collection, Folder
from portalctl.times import normal_iso

PLATFORM = fm.PLATFORM


class FreshdeskArticles:
    """Solutions: categories (collections) > folders > articles. Freshdesk's API has no votes for articles."""

    def __init__(self, api: Api, page_size: int) -> None:
        self.api = api
        self.page_size = page_size

    def _article(self, data: dict[str, Any], collection: str = "", folder: str = "") -> Article:
        return Article(
            id=int(data["id"]), title=str(data.get("title") or ""),
            collection=collection or str(data.get("category_id") or ""),
            folder=folder or str(data.get("folder_id") or ""), locale=str(data.get("language") or "en"),
            labels=[str(t) for t in data.get("tags") or []],
            created_at=normal_iso(data.get("created_at")) or "",
            updated_at=normal_iso(data.get("updated_at")) or "",
            helpful=int(data.get("thumbs_up") or 0), not_helpful=int(data.get("thumbs_down") or 0),
            body=fm.plain(data, "description_text", "description") if "description" in data else None,
        )

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None,
               locale: str | None = None, limit: int = 10) -> builtins.list[Article]:
        if not query.strip():
            raise InvalidInput(_("an article search needs a word"))
        found = [self._article(a) for a in self.api.json("GET", "search/solutions", params={"term": query})]
        found = [a for a in found if (not collection or a.collection == collection)
                 and (not folder or a.folder == folder) and (not locale or a.locale == locale)]
        for article in found:
            article.body = None
        return found[:limit]

    def get(self, article_id: int) -> Article:
        return self._article(self.api.json("GET", f"solutions/articles/{int(article_id)}",
                                           missing=f"article #{article_id}"))

    def _folders(self, category: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return list(self.api.pages(f"solutions/categories/{category['id']}/folders", {"per_page": self.page_size}))

    def _categories(self) -> builtins.list[dict[str, Any]]:
        return list(self.api.json("GET", "solutions/categories"))

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        def walk() -> Iterator[Article]:
            for category in self._categories():
                if collection and collection not in (str(category["id"]), category.get("name")):
                    continue
                for item in self._folders(category):
                    if folder and folder not in (str(item["id"]), item.get("name")):
                        continue
                    for data in self.api.pages(f"solutions/folders/{item['id']}/articles",
                                               {"per_page": self.page_size}):
                        article = self._article(data, str(category["id"]), str(item["id"]))
                        article.body = None
                        if not locale or article.locale == locale:
                            yield article

        return itertools.islice(walk(), limit)

    def collections(self) -> builtins.list[Collection]:
        found = []
        for category in self._categories():
            folders = [Folder(id=int(f["id"]), name=str(f.get("name") or ""), slug=str(f["id"]),
                              articles=int(f.get("articles_count") or 0)) for f in self._folders(category)]
            found.append(Collection(id=int(category["id"]), name=str(category.get("name") or ""),
                                    slug=str(category["id"]), folders=folders))
        return found

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        raise Unsupported(_("{platform}'s API has no article votes").format(
            platform=PLATFORM), hint=_("vote on the article's page in the portal"))

    @staticmethod
    def _no_writing() -> NoReturn:
        raise Unsupported(_("portalctl does not write {platform} articles yet").format(platform=PLATFORM),
                          hint=_("write them in Freshdesk under Solutions"))

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        self._no_writing()

    def edit(self, article_id: int, **changes: Any) -> Article:
        self._no_writing()
