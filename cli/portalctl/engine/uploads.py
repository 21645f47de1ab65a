"""Files uploaded before the ticket or reply that attaches them (the server's POST /uploads).

Checked on arrival as every attachment is, by content and not by name and against the portal's size limit, so a
client learns at once (413, 415) rather than when it creates the ticket. An upload is attached once, by the user
who uploaded it, within a day; its bytes live in the portal's blob store, addressed by sha256.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from portalctl.contract import Upload
from portalctl.engine.attachments import ALLOWED, BlobStore, refused_type, safe_name, sniff
from portalctl.engine.db import iso, transaction
from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import _
from portalctl.model import Record

if TYPE_CHECKING:
    from portalctl.engine.portal import Portal, Session

LIFETIME = timedelta(hours=24)


class PayloadTooLarge(InvalidInput, status=413, code="payload_too_large"):
    """Larger than the portal's attachment limit."""


@dataclass
class StagedUpload(Record):
    """An upload waiting to be attached, by its id, to a ticket or a reply of its uploader."""

    id: str
    filename: str
    size: int
    content_type: str
    sha256: str


def max_bytes(portal: Portal) -> int:
    return int(portal.setting("max_attachment_mb")) * 1_000_000


def too_large(limit: int, filename: str) -> PayloadTooLarge:
    return PayloadTooLarge(_("{filename} is larger than the {limit:,}-byte ({value:.0f} MB) attachment limit").format(
        filename=filename, limit=limit, value=limit / 1000000.0),
                           hint=_("compress it or share a link instead"))


@dataclass(frozen=True)
class Blob:
    """A file checked and in the blob store, not yet anyone's upload."""

    filename: str
    content_type: str
    sha256: str
    size: int


def stage(session: Session, source: Path, filename: str) -> StagedUpload:
    """Check and store the file at `source` for the acting user; returns the id to attach it by."""
    portal = session.portal
    return record(session, store(portal.blob_dir, max_bytes(portal), source, filename))


def store(blob_dir: Path, limit: int, source: Path, filename: str) -> Blob:
    """Check the file at `source` by content and size, and store its bytes. The slow part of an upload (reading,
    hashing, copying), kept apart so that the server does it before taking the write lock."""
    name = safe_name(filename)
    if source.stat().st_size > limit:
        raise too_large(limit, name)
    with source.open("rb") as handle:
        content_type = sniff(handle.read(8192), name)
    if content_type not in ALLOWED:
        raise refused_type(name, content_type)
    content_type, sha, size = BlobStore(blob_dir, limit).add(source, name)
    return Blob(filename=name, content_type=content_type, sha256=sha, size=size)


def record(session: Session, blob: Blob) -> StagedUpload:
    """Make a stored file the acting user's upload (a short write)."""
    portal = session.portal
    upload_id = secrets.token_urlsafe(16)
    with transaction(portal.conn):
        portal.conn.execute(
            "INSERT INTO uploads (id, user_id, filename, content_type, size, sha256, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (upload_id, session.actor.id, blob.filename, blob.content_type, blob.size, blob.sha256, portal.now()),
        )
        _purge(portal, BlobStore(portal.blob_dir, max_bytes(portal)))  # after: this upload keeps its bytes
    return StagedUpload(id=upload_id, filename=blob.filename, size=blob.size, content_type=blob.content_type,
                        sha256=blob.sha256)


def _purge(portal: Portal, blobs: BlobStore) -> None:
    """Forget expired uploads; delete their bytes unless an attachment, a profile photo or a live upload has the
    same file."""
    cutoff = iso(portal.clock() - LIFETIME)
    orphans = portal.conn.execute(
        "SELECT DISTINCT u.sha256 FROM uploads u WHERE u.created_at < ? AND u.used = 0"
        " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = u.sha256)"
        " AND NOT EXISTS (SELECT 1 FROM users p WHERE p.photo_sha256 = u.sha256)"
        " AND NOT EXISTS (SELECT 1 FROM uploads v WHERE v.sha256 = u.sha256 AND v.created_at >= ?)",
        (cutoff, cutoff),
    ).fetchall()
    portal.conn.execute("DELETE FROM uploads WHERE created_at < ?", (cutoff,))
    for (sha,) in orphans:
        blobs.path(sha).unlink(missing_ok=True)


def claim(session: Session, ids: Sequence[str]) -> list[Upload]:
    """Mark the uploads used, all or none, so two requests cannot both attach one; returns them as files."""
    if not ids:
        return []
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("the same upload is listed twice"))
    portal = session.portal
    marks = ", ".join("?" * len(ids))
    owned = (f"id IN ({marks}) AND user_id = ? AND used = 0 AND created_at >= ?",
             (*ids, session.actor.id, iso(portal.clock() - LIFETIME)))
    with transaction(portal.conn):
        rows = portal.conn.execute(f"SELECT * FROM uploads WHERE {owned[0]}", owned[1]).fetchall()
        missing = sorted(set(ids) - {row["id"] for row in rows})
        if missing:
            raise NotFound(_("no upload {missing} to attach").format(missing=', '.join(missing)),
                           hint=_("upload the file again: an upload is attached once, by its uploader, within 24 h"))
        portal.conn.execute(f"UPDATE uploads SET used = 1 WHERE {owned[0]}", owned[1])
    blobs = BlobStore(portal.blob_dir, max_bytes(portal))
    by_id = {row["id"]: row for row in rows}
    return [Upload(filename=by_id[i]["filename"], path=blobs.path(by_id[i]["sha256"])) for i in ids]


def release(session: Session, ids: Sequence[str]) -> None:
    """The ticket or reply that claimed these failed: they may be attached again."""
    if ids:
        with transaction(session.portal.conn):
            session.portal.conn.execute(
                f"UPDATE uploads SET used = 0 WHERE id IN ({', '.join('?' * len(ids))}) AND user_id = ?",
                (*ids, session.actor.id),
            )
