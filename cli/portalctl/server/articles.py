"""The knowledge base: search, browse, read, rate; agents write (rules: engine.articles)."""

from __future__ import annotations

import base64
import binascii
from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query

from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import Article, ArticleRefs, Collection
from portalctl.server.deps import IDEMPOTENT, SessionDep
from portalctl.server.schemas import ArticleChanges, ArticleIn, Items, Page, PathId, VoteIn

router = APIRouter(tags=["articles"])
Text = Annotated[str | None, Query(max_length=200)]
MAX_POSITION = 10**9


@router.get("/articles/search", response_model=Items[Article])
def search(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words; accents are ignored.")],
    collection: Text = None,
    folder: Text = None,
    locale: Text = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Items[Article]:
    """Best matches first, each with a snippet and a score."""
    return Items(items=session.articles.search(q, collection=collection, folder=folder, locale=locale, limit=limit))


@router.get("/articles", response_model=Page[Article])
def list_articles(
    session: SessionDep,
    collection: Text = None,
    folder: Text = None,
    locale: Text = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[Article]:
    """In tree order (collection, folder, title). A knowledge base is small, so the cursor is a position."""
    start = decode_position(cursor) if cursor else 0
    found = list(islice(session.articles.list(collection=collection, folder=folder, locale=locale),
                        start, start + limit + 1))
    more = len(found) > limit
    next_cursor = base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None
    return Page(items=found[:limit], next_cursor=next_cursor)


def decode_position(cursor: str) -> int:
    try:
        position = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error):
        position = -1
    if not 0 <= position <= MAX_POSITION:
        raise InvalidInput(_("not a cursor from this server"),
            hint=_("pass next_cursor from the previous page as it is"))
    return position


@router.get("/articles/{article_id}", response_model=Article)
def get_article(article_id: PathId, session: SessionDep) -> Article:
    return session.articles.get(article_id)


@router.get("/articles/{article_id}/related", response_model=ArticleRefs)
def related(article_id: PathId, session: SessionDep) -> ArticleRefs:
    """What to read next: the other articles of its folder, and related ones (shared labels, then similar text)."""
    return session.articles.related(article_id)


@router.get("/collections", response_model=Items[Collection])
def collections(session: SessionDep) -> Items[Collection]:
    return Items(items=session.articles.collections())


@router.post("/articles/{article_id}/votes", response_model=Article, dependencies=IDEMPOTENT)
def vote(article_id: PathId, body: VoteIn, session: SessionDep) -> Article:
    """One vote per user and article; voting again replaces your earlier vote."""
    return session.articles.rate(article_id, helpful=body.helpful)


@router.post("/articles", status_code=201, response_model=Article, dependencies=IDEMPOTENT)
def add_article(body: ArticleIn, session: SessionDep) -> Article:
    """Agents and admins. Collection and folder are created when missing; an existing slug updates that article."""
    return session.articles.add(**body.model_dump())


@router.patch("/articles/{article_id}", response_model=Article)
def edit_article(article_id: PathId, body: ArticleChanges, session: SessionDep) -> Article:
    return session.articles.edit(article_id, **body.model_dump())
