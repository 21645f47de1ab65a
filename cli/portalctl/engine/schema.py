"""The portal's schema, written once for SQLite and PostgreSQL, as numbered migrations applied in order.

Each migration is SQL that both databases read, with a few `{term}`s that each database's dialect (dialect.py,
`Dialect.schema_terms`) fills in where they differ:
- `{id}`: the integer id a row gets when none is given (INTEGER PRIMARY KEY; an identity column);
- `{citext}` and `{nocase}`: text compared without case (TEXT ... COLLATE NOCASE; CITEXT);
- `{bytes}`: a column that holds bytes (TEXT, which on SQLite keeps a BLOB as it is; BYTEA);
- `{setup}`, `{tickets_fts}`, `{articles_fts}`, `{stemmed_index}`: whole statements for full-text search (FTS5
  tables and triggers; tsvector columns, GIN indexes and the `portal` text-search configuration).
Times are ISO text with a trailing Z and flags 0/1 integers on both, so values read back the same from either.
A literal brace is doubled (`'{{}}'`), as in any str.format template.

SQLite records how many migrations a file has in PRAGMA user_version (sqlite.py); PostgreSQL in its schema_version
table, counted from migration 3 on (postgres.py): its first migration was this list's 1-3 in one.

How to add a migration: append a string to MIGRATIONS (or a `Migration`, when Python must finish its work); never
edit one that has shipped, since files and databases already carry it. Write it once, using the terms above where
the databases differ; a difference no term covers becomes a new term, with its SQL in both dialects. The schema
parity test (tests/server/test_postgresql.py) then compares the tables and columns the two databases end up with.
A migration written the old way on another branch (SQLite's text in schema.py, its counterpart in schema_pg.py)
ports as its SQLite text with `INTEGER PRIMARY KEY` ids written `{id}` (and the other terms likewise); schema_pg's
migration N is this list's N + 2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from portalctl.engine import search_index

if TYPE_CHECKING:
    from portalctl.engine.dialect import Dialect


class Migration(NamedTuple):
    """A migration with work SQL cannot do: `then(conn)` runs after its SQL, in the same transaction (re-indexing
    text with Python's stemmer). In MIGRATIONS `then` also takes the dialect; `render` binds it."""

    sql: str
    then: Callable[..., None]


# PostgreSQL's schema_version counts MIGRATIONS from the third on: its first migration was their 1-3 in one, so a
# database at version v has the first v + 2 (version 0: none).
VERSIONS_BEFORE_FIRST = 2
MIGRATIONS: list[str | Migration] = [
    # 1: the whole first schema.
    """{setup}
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE organizations (
        id {id},
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        shared_tickets INTEGER NOT NULL DEFAULT 0,
        timezone TEXT NOT NULL DEFAULT 'UTC',
        business_hours TEXT NOT NULL DEFAULT 'mon-fri 09:00-18:00',
        holidays TEXT NOT NULL DEFAULT '[]',
        resolution_hours INTEGER NOT NULL DEFAULT 24,
        created_at TEXT NOT NULL
    );

    CREATE TABLE users (
        id {id},
        email {citext} NOT NULL UNIQUE{nocase},
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('customer', 'agent', 'admin')),
        org_id INTEGER REFERENCES organizations(id),
        active INTEGER NOT NULL DEFAULT 1,
        title TEXT, phone TEXT, language TEXT, timezone TEXT,
        password_hash TEXT,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX users_org ON users(org_id);

    CREATE TABLE departments (
        id {id},
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        description TEXT
    );

    CREATE TABLE field_defs (
        id {id},
        key TEXT NOT NULL,
        label TEXT NOT NULL,
        type TEXT NOT NULL,
        required INTEGER NOT NULL DEFAULT 0,
        choices TEXT NOT NULL DEFAULT '[]',
        pattern TEXT,
        customer_editable INTEGER NOT NULL DEFAULT 1,
        department_id INTEGER REFERENCES departments(id),
        description TEXT,
        UNIQUE (key, department_id)
    );

    CREATE TABLE tickets (
        id {id},
        subject TEXT NOT NULL,
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        type TEXT,
        department_id INTEGER REFERENCES departments(id),
        requester_id INTEGER NOT NULL REFERENCES users(id),
        org_id INTEGER REFERENCES organizations(id),
        assignee_id INTEGER REFERENCES users(id),
        tags TEXT NOT NULL DEFAULT '[]',
        fields TEXT NOT NULL DEFAULT '{{}}',
        follow_up_of INTEGER REFERENCES tickets(id),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        due_at TEXT,
        resolved_at TEXT,
        closed_at TEXT
    );
    CREATE INDEX tickets_status_updated ON tickets(status, updated_at);
    CREATE INDEX tickets_updated ON tickets(updated_at);
    CREATE INDEX tickets_created ON tickets(created_at);
    CREATE INDEX tickets_requester ON tickets(requester_id, updated_at);
    CREATE INDEX tickets_org ON tickets(org_id, updated_at);
    CREATE INDEX tickets_assignee ON tickets(assignee_id, updated_at);
    CREATE INDEX tickets_department ON tickets(department_id, updated_at);
    CREATE INDEX tickets_priority ON tickets(priority, updated_at);
    CREATE INDEX tickets_type ON tickets(type, updated_at);
    CREATE INDEX tickets_due ON tickets(due_at) WHERE status NOT IN ('resolved', 'closed');
    CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE status = 'resolved';

    CREATE TABLE ticket_ccs (
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        PRIMARY KEY (ticket_id, user_id)
    );
    CREATE INDEX ticket_ccs_user ON ticket_ccs(user_id);

    CREATE TABLE comments (
        id {id},
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        author_id INTEGER NOT NULL REFERENCES users(id),
        body TEXT NOT NULL,
        internal INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX comments_ticket ON comments(ticket_id, id);

    CREATE TABLE attachments (
        id {id},
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        comment_id INTEGER REFERENCES comments(id),
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX attachments_ticket ON attachments(ticket_id);

    CREATE TABLE events (
        id {id},
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        actor_id INTEGER REFERENCES users(id),
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{{}}',
        created_at TEXT NOT NULL
    );
    CREATE INDEX events_ticket ON events(ticket_id);

    -- Public text of each ticket (subject and public comments: never internal notes), for --search.
    {tickets_fts}

    CREATE TABLE collections (
        id {id},
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        position INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE folders (
        id {id},
        collection_id INTEGER NOT NULL REFERENCES collections(id),
        name TEXT NOT NULL,
        slug TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        UNIQUE (collection_id, slug)
    );
    CREATE TABLE articles (
        id {id},
        folder_id INTEGER NOT NULL REFERENCES folders(id),
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        locale TEXT NOT NULL DEFAULT 'en',
        labels TEXT NOT NULL DEFAULT '[]',
        slug TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        helpful INTEGER NOT NULL DEFAULT 0,
        not_helpful INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_folder ON articles(folder_id, updated_at);
    CREATE INDEX articles_locale ON articles(locale);
    CREATE UNIQUE INDEX articles_slug ON articles(folder_id, slug) WHERE slug IS NOT NULL;
    CREATE TABLE article_votes (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        helpful INTEGER NOT NULL,
        PRIMARY KEY (article_id, user_id)
    );
    {articles_fts}
    """,
    # 2: de-duplication keys, so a retried or repeated CI report lands on one ticket.
    """
    ALTER TABLE tickets ADD COLUMN dedupe_key TEXT;
    CREATE INDEX tickets_dedupe ON tickets(dedupe_key, status) WHERE dedupe_key IS NOT NULL;
    """,
    # 3: the portal server: personal access tokens (only their sha256 is kept), login throttling, password
    # resets, mail kept for the admin when no SMTP server is configured, idempotent POSTs, staged uploads.
    """
    CREATE TABLE api_tokens (
        id {id},
        user_id INTEGER NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE INDEX api_tokens_user ON api_tokens(user_id);

    CREATE TABLE login_attempts (
        id {id},
        email {citext} NOT NULL{nocase},
        client TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX login_attempts_email ON login_attempts(email, created_at);
    CREATE INDEX login_attempts_client ON login_attempts(client, created_at);

    CREATE TABLE password_resets (
        id {id},
        user_id INTEGER NOT NULL REFERENCES users(id),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE INDEX password_resets_user ON password_resets(user_id, created_at);

    CREATE TABLE outbox (
        id {id},
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE idempotency_keys (
        user_id INTEGER NOT NULL REFERENCES users(id),
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER,
        body {bytes},
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

    CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 4: notices (seed 002's banner for announcements and service interruptions), and who has been shown which.
    """
    CREATE TABLE notices (
        id {id},
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'outage')),
        org_id INTEGER REFERENCES organizations(id),
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        author_id INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX notices_ends ON notices(ends_at, starts_at);

    CREATE TABLE notice_views (
        notice_id INTEGER NOT NULL REFERENCES notices(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        seen_at TEXT NOT NULL,
        PRIMARY KEY (notice_id, user_id)
    );
    """,
    # 5: sign-up with a verified address (seed 000), company contact managers (seeds 001, 004), profile photos,
    # and countries (of organisations and users, for notices aimed at countries).
    """
    ALTER TABLE users ADD COLUMN manager INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN country TEXT;
    ALTER TABLE users ADD COLUMN photo_sha256 TEXT;
    ALTER TABLE users ADD COLUMN photo_type TEXT;
    ALTER TABLE users ADD COLUMN email_verified_at TEXT;
    ALTER TABLE users ADD COLUMN terms_version TEXT;
    ALTER TABLE users ADD COLUMN terms_accepted_at TEXT;
    ALTER TABLE organizations ADD COLUMN country TEXT;
    ALTER TABLE notices ADD COLUMN countries TEXT NOT NULL DEFAULT '[]';

    CREATE TABLE org_domains (
        domain {citext} PRIMARY KEY{nocase},
        org_id INTEGER NOT NULL REFERENCES organizations(id)
    );
    CREATE INDEX org_domains_org ON org_domains(org_id);

    CREATE TABLE signups (
        id {id},
        email {citext} NOT NULL{nocase},
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        org_id INTEGER REFERENCES organizations(id),
        terms_version TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX signups_email ON signups(email, created_at);
    CREATE INDEX signups_expires ON signups(expires_at);

    CREATE TABLE signup_attempts (
        id {id},
        email {citext} NOT NULL{nocase},
        client TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX signup_attempts_client ON signup_attempts(client, created_at);
    """,
    # Search by word forms: the full-text index holds stems, written by the engine (engine/search_index.py), so
    # the articles' index triggers (SQLite) and generated document (PostgreSQL) give way; then every ticket and
    # article is indexed again, as stems.
    Migration("{stemmed_index}", then=search_index.rebuild),
    # 7: notifications and the change feed. Events of internal notes (and their files) are marked, so the feed and
    # mail leave them out for customers; each user's notification switches; the outbox becomes a queue the server
    # drains (rows claimed atomically, retried with backoff, marked sent); notifications start from the events
    # already there, so an upgraded portal does not mail its history.
    """
    ALTER TABLE events ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE notification_settings (
        user_id INTEGER NOT NULL REFERENCES users(id),
        kind TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        PRIMARY KEY (user_id, kind)
    );

    ALTER TABLE outbox ADD COLUMN user_id INTEGER REFERENCES users(id);
    ALTER TABLE outbox ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);
    ALTER TABLE outbox ADD COLUMN first_event_id INTEGER;
    ALTER TABLE outbox ADD COLUMN last_event_id INTEGER;
    ALTER TABLE outbox ADD COLUMN send_after TEXT;
    ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN claim TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    ALTER TABLE outbox ADD COLUMN sent_at TEXT;
    ALTER TABLE outbox ADD COLUMN last_error TEXT;
    CREATE INDEX outbox_due ON outbox(send_after) WHERE sent_at IS NULL;
    CREATE INDEX outbox_ticket ON outbox(user_id, ticket_id, id);
    INSERT INTO settings (key, value) SELECT 'notified_through', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM events;
    """,
]


def render(terms: Mapping[str, str], dialect: Dialect) -> list[str | Migration]:
    """MIGRATIONS in one database's SQL, its dialect's `terms` filled in (and given to the Python steps)."""
    return [migration.format_map(terms) if isinstance(migration, str) else bind(migration, terms, dialect)
            for migration in MIGRATIONS]


def bind(migration: Migration, terms: Mapping[str, str], dialect: Dialect) -> Migration:
    def then(conn: Any) -> None:
        migration.then(conn, dialect)

    return Migration(migration.sql.format_map(terms), then)
