"""The knowledge base: collections (e.g. countries) > folders (e.g. products) > articles, with votes and search.

Everyone may read, search and rate; only agents and admins write. Search is one full-text query (the portal's
dialect spells it: FTS5 on SQLite, tsvector on PostgreSQL): accent-insensitive (the index folds diacritics), ranked
with titles weighted above labels above bodies, with a snippet.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from portalctl.engine import search_index
from portalctl.engine.db import IntegrityError, Row, transaction
from portalctl.engine.lookups import collection_id, folder_id, slugify
from portalctl.errors import InvalidInput, NotFound, StateConflict
from portalctl.i18n import _
from portalctl.model import Article, ArticleRefs, Collection, Folder

if TYPE_CHECKING:
    from portalctl.engine.portal import Session

PARENTS = "JOIN folders f ON f.id = a.folder_id JOIN collections c ON c.id = f.collection_id"
TREE = f"articles a {PARENTS}"
COLUMNS = (
    "a.id, a.title, a.locale, a.labels, a.created_at, a.updated_at, a.helpful, a.not_helpful,"
    " c.name AS collection, f.name AS folder"
)
TREE_ORDER = "c.position, c.name, f.position, f.name"  # collections and folders in the order they were made
EDITABLE = ("title", "body", "locale", "labels", "collection", "folder")
LOCALE = re.compile(r"^([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{2,8})*)$")
HEADING = re.compile(r"(?:^|\s)#{1,6}\s")
EMPHASIS = re.compile(r"[*`]+")
FOLDER_PEERS = 10  # at most this many others of the article's folder
RELATED = 5  # and this many related articles from anywhere


def normal_locale(text: str) -> str:
    """`es`, `es-CO`, `pt_br` -> `pt-BR`: one spelling, so filters match what people type."""
    match = LOCALE.match(text.strip())
    if match is None:
        raise InvalidInput(_("not a locale: {text!r}").format(
            text=text), hint=_("use a language code such as es, en or es-CO"))
    parts = [p for p in re.split(r"[-_]", match[2]) if p]
    return "-".join([match[1].lower(), *(p.upper() if len(p) == 2 else p for p in parts)])


def normal_labels(labels: Sequence[str] | str) -> str:
    """Labels as stored: trimmed, unique, in order, as JSON with the accents kept (the index reads this text)."""
    if isinstance(labels, str):  # "a, b" from a script: never one label per character
        labels = labels.split(",")
    unique = dict.fromkeys(label.strip() for label in labels if label.strip())
    return json.dumps(list(unique), ensure_ascii=False)


def required_text(value: str, what: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(_("the article's {what} cannot be empty").format(what=what))
    return value.strip() if what != "body" else value


def clean_snippet(text: str) -> str:
    """One line of plain text: snippets come from Markdown bodies with newlines and markup."""
    return " ".join(EMPHASIS.sub("", HEADING.sub(" ", text)).split())


def article_record(row: Row) -> Article:
    return Article(
        id=row["id"], title=row["title"], collection=row["collection"], folder=row["folder"], locale=row["locale"],
        labels=json.loads(row["labels"]), created_at=row["created_at"], updated_at=row["updated_at"],
        helpful=row["helpful"], not_helpful=row["not_helpful"],
    )


class ArticleService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn = session.conn
        self.actor = session.actor

    # --- reading
    def search(self, query: str, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
               limit: int = 10) -> builtins.list[Article]:
        """Best matches first. Every word is a prefix term; all must match, or, if none match that way, any."""
        dialect = self.session.portal.dialect
        if dialect.search_words(query) is None:
            raise InvalidInput(_("the search needs at least one word"), about="search")
        if limit < 1:
            raise InvalidInput(_("the limit must be at least 1"))
        where, params = self._filters(collection, folder, locale)
        found: builtins.list[Article] = []
        for expression in dict.fromkeys([dialect.search_words(query), dialect.search_words(query, operator="OR")]):
            found = self._ranked(expression, where, params, limit)
            if found:
                break
        return found

    def _ranked(self, expression: str | None, where: Sequence[str], params: Sequence[Any],
                limit: int) -> builtins.list[Article]:
        """The articles a full-text `expression` matches, best first, with snippets and scores."""
        filtered = f" JOIN articles a ON a.id = articles_fts.rowid {PARENTS}" if where else ""
        sql = self.session.portal.dialect.article_search.format(columns=COLUMNS, parents=PARENTS, filtered=filtered,
                                                                filters="".join(" AND " + w for w in where))
        found = []
        for row in self.conn.execute(sql, (expression, *params, limit)).fetchall():
            article = article_record(row)
            article.snippet = clean_snippet(row["snippet"])
            article.score = -row["rank"]  # bm25 is lower-is-better; people expect higher-is-better
            found.append(article)
        return found

    def get(self, article_id: int) -> Article:
        row = self._row(article_id)
        article = article_record(row)
        article.body = row["body"]
        return article

    def related(self, article_id: int) -> ArticleRefs:
        """What to read next: the other articles of its folder (by title), then related ones elsewhere: those
        sharing the most labels first, then those whose text is most like its title (search similarity)."""
        row = self._row(article_id)
        folder = [article_record(r) for r in self.conn.execute(
            f"SELECT {COLUMNS} FROM {TREE} WHERE a.folder_id = ? AND a.id <> ? ORDER BY lower(a.title), a.id LIMIT ?",
            (row["folder_id"], article_id, FOLDER_PEERS))]
        taken = {article_id, *(a.id for a in folder)}
        labels = {label.casefold() for label in json.loads(row["labels"])}
        shared = []
        if labels:
            for other in self.list():
                common = len(labels & {label.casefold() for label in other.labels})
                if common and other.id not in taken:
                    shared.append((-common, other.title.casefold(), other))
        related = [other for *_, other in sorted(shared, key=lambda item: item[:2])][:RELATED]
        taken.update(a.id for a in related)
        similar_to = self.session.portal.dialect.search_words(row["title"], operator="OR")
        if len(related) < RELATED and similar_to is not None:
            similar = self._ranked(similar_to, [], [], RELATED + len(taken))
            related += [a for a in similar if a.id not in taken][:RELATED - len(related)]
        for article in related:
            article.snippet = article.score = None
        return ArticleRefs(folder=folder, related=related)

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        """In tree order. Filters are checked now, so a wrong name fails before any output is written."""
        where, params = self._filters(collection, folder, locale)
        sql = (f"SELECT {COLUMNS} FROM {TREE} WHERE {' AND '.join(where) or 'TRUE'}"
               f" ORDER BY {TREE_ORDER}, lower(a.title)")
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return (article_record(row) for row in self.conn.execute(sql, params))

    def collections(self) -> builtins.list[Collection]:
        rows = self.conn.execute(
            "SELECT c.id, c.name, c.slug, f.id AS folder_id, f.name AS folder_name, f.slug AS folder_slug,"
            " (SELECT COUNT(*) FROM articles a WHERE a.folder_id = f.id) AS articles"
            f" FROM collections c LEFT JOIN folders f ON f.collection_id = c.id ORDER BY {TREE_ORDER}"
        )
        tree: dict[int, Collection] = {}
        for row in rows:
            collection = tree.setdefault(row["id"], Collection(row["id"], row["name"], row["slug"], []))
            if row["folder_id"] is not None:
                collection.folders.append(
                    Folder(row["folder_id"], row["folder_name"], row["folder_slug"], row["articles"])
                )
        return builtins.list(tree.values())

    # --- votes
    def rate(self, article_id: int, *, helpful: bool) -> Article:
        """One vote per user and article; voting again replaces the earlier vote."""
        with transaction(self.conn):
            self._row(article_id)
            self.conn.execute(
                "INSERT INTO article_votes (article_id, user_id, helpful) VALUES (?, ?, ?)"
                " ON CONFLICT (article_id, user_id) DO UPDATE SET helpful = excluded.helpful",
                (article_id, self.actor.id, int(helpful)),
            )
            self.conn.execute(
                "UPDATE articles SET"
                " helpful = (SELECT COUNT(*) FROM article_votes v WHERE v.article_id = articles.id AND v.helpful = 1),"
                " not_helpful = (SELECT COUNT(*) FROM article_votes v WHERE v.article_id = articles.id"
                " AND v.helpful = 0) WHERE id = ?",
                (article_id,),
            )
        return self.get(article_id)

    # --- writing (staff)
    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        """A new article, its collection and folder made if missing. With a `slug` already in that folder, the
        article is updated instead, so importing the same files twice changes nothing."""
        self.actor.require_staff(_("add articles"))
        values: dict[str, Any] = {
            "title": required_text(title, _("title")), "body": required_text(body, _("body")),
            "locale": normal_locale(locale), "labels": normal_labels(labels),
        }
        key = slugify(slug) if slug else None
        with transaction(self.conn):
            values["folder_id"] = self._place(collection, folder)
            same = "a.slug = ?" if key else "lower(a.title) = lower(?)"  # without a slug, a title is taken once
            existing = self.conn.execute(
                f"SELECT a.*, c.name AS collection, f.name AS folder FROM {TREE} WHERE a.folder_id = ? AND {same}",
                (values["folder_id"], key or values["title"]),
            ).fetchone()
            if existing is not None and key is None:
                raise StateConflict(
                    _("{collection} > {folder} already has an article titled"
                      " {title!r} (#{id})").format(
                          collection=existing['collection'], folder=existing['folder'], title=existing['title'],
                          id=existing['id']),
                    hint=_("change article {id} instead").format(id=existing['id']), about=f"article:{existing['id']}",
                )
            if existing is not None:
                self._update(existing, values)
                return self.get(existing["id"])
            now = self.session.portal.now()
            cursor = self.conn.execute(
                "INSERT INTO articles (folder_id, title, body, locale, labels, slug, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (values["folder_id"], values["title"], values["body"], values["locale"], values["labels"], key,
                 now, now),
            )
            article_id = int(cursor.fetchone()[0])
            search_index.index_article(self.conn, self.session.portal.dialect, article_id,
                                       (values["title"], values["body"], values["labels"], values["locale"]))
        return self.get(article_id)

    def edit(self, article_id: int, **changes: Any) -> Article:
        """Change any of title, body, locale, labels, collection, folder (None leaves it as it is); updated_at
        moves only when something actually changed."""
        self.actor.require_staff(_("edit articles"))
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(_("cannot change {sorted}").format(sorted=', '.join(sorted(unknown))),
                hint=_("editable: {EDITABLE}").format(EDITABLE=', '.join(EDITABLE)))
        given = {key: value for key, value in changes.items() if value is not None}
        values: dict[str, Any] = {}
        for what in ("title", "body"):
            if what in given:
                values[what] = required_text(given[what], what)
        if "locale" in given:
            values["locale"] = normal_locale(given["locale"])
        if "labels" in given:
            values["labels"] = normal_labels(given["labels"])
        with transaction(self.conn):
            row = self._row(article_id)
            if "collection" in given or "folder" in given:
                values["folder_id"] = self._place(given.get("collection", row["collection"]),
                                                  given.get("folder", row["folder"]))
            self._update(row, values)
        return self.get(article_id)

    # --- helpers
    def _row(self, article_id: int) -> Row:
        row: Row | None = self.conn.execute(
            f"SELECT a.*, c.name AS collection, f.name AS folder FROM {TREE} WHERE a.id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise NotFound(_("no article {article_id}").format(article_id=article_id), about="article")
        return row

    def _filters(
        self, collection: str | None, folder: str | None, locale: str | None
    ) -> tuple[builtins.list[str], builtins.list[Any]]:
        where: builtins.list[str] = []
        params: builtins.list[Any] = []
        within = collection_id(self.conn, collection) if collection else None
        if within is not None:
            where.append("f.collection_id = ?")
            params.append(within)
        if folder and within is not None:
            where.append("a.folder_id = ?")
            params.append(folder_id(self.conn, folder, within))
        elif folder:  # the same product folder may exist in every country: match them all
            ids = [r[0] for r in self.conn.execute(
                "SELECT id FROM folders WHERE slug = ? OR lower(name) = lower(?)", (slugify(folder), folder)
            )]
            if not ids:
                known = [r[0] for r in self.conn.execute("SELECT DISTINCT slug FROM folders ORDER BY slug")]
                raise InvalidInput(_("unknown folder {folder!r}").format(folder=folder),
                    hint=_("known: {value}").format(value=', '.join(known) or _('none yet')))
            where.append(f"a.folder_id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        if locale:
            code = normal_locale(locale)
            where.append("(lower(a.locale) = lower(?) OR lower(a.locale) LIKE lower(?))")  # es also finds es-CO
            params.extend([code, f"{code}-%"])
        return where, params

    def _place(self, collection: str, folder: str) -> int:
        """The folder's id, creating the collection and folder when missing (inside the caller's transaction)."""
        collection_name, folder_name = required_text(collection, _("collection")), required_text(folder, _("folder"))
        try:
            parent = collection_id(self.conn, collection_name)
        except InvalidInput:
            parent = self._insert(
                "INSERT INTO collections (name, slug, position)"
                " VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM collections))",
                (collection_name, slugify(collection_name)),
            )
        try:
            return folder_id(self.conn, folder_name, parent)
        except InvalidInput:
            return self._insert(
                "INSERT INTO folders (collection_id, name, slug, position)"
                " VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM folders WHERE collection_id = ?))",
                (parent, folder_name, slugify(folder_name), parent),
            )

    def _insert(self, sql: str, params: tuple[Any, ...]) -> int:
        return int(self.conn.execute(sql + " RETURNING id", params).fetchone()[0])

    def _update(self, row: Row, values: dict[str, Any]) -> None:
        """Write what differs; updated_at moves only when something did (a re-import of the same file is a no-op)."""
        changed = {key: value for key, value in values.items() if row[key] != value}
        if not changed:
            return
        changed["updated_at"] = self.session.portal.now()
        assignments = ", ".join(f"{key} = ?" for key in changed)
        try:
            self.conn.execute(f"UPDATE articles SET {assignments} WHERE id = ?", (*changed.values(), row["id"]))
        except IntegrityError as exc:
            raise StateConflict(
                _("the target folder already has an article like #{id} (same slug)").format(id=row['id']),
                hint=_("rename one of them first"),
            ) from exc
        text = ("title", "body", "labels", "locale")
        if any(key in changed for key in text):
            search_index.index_article(self.conn, self.session.portal.dialect, row["id"],
                                       [values.get(key, row[key]) for key in text], old=[row[key] for key in text])
