"""Profile photos (seed 002's user profile): PNG, JPEG or WebP judged by content, at most PHOTO_MAX bytes, kept in
the portal's blob store by sha256, like attachments.

A photo is shown to whoever may see its owner: themselves, staff, the people of their own organisation, and, for
an agent's or admin's photo, everyone (staff answer every customer). To anyone else a user with a photo looks like
a user without one or no user at all: the same "not found".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from portalctl.engine.attachments import BlobStore, UnsupportedType, safe_name, sniff
from portalctl.engine.db import transaction
from portalctl.engine.uploads import PayloadTooLarge
from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import _

if TYPE_CHECKING:
    from portalctl.contract import Upload
    from portalctl.engine.portal import Session

PHOTO_TYPES = ("image/png", "image/jpeg", "image/webp")
PHOTO_MAX = 5_000_000


def too_large(name: str) -> PayloadTooLarge:
    return PayloadTooLarge(_("{name} is larger than the {PHOTO_MAX:,}-byte ({value:.0f} MB) photo limit").format(
        name=name, PHOTO_MAX=PHOTO_MAX, value=PHOTO_MAX / 1000000.0),
                           hint=_("a photo of a few hundred pixels a side is plenty"), about="photo")


def set_photo(session: Session, upload: Upload) -> None:
    """Check the file (type by its first bytes, then that it decodes), store it, and make it the user's photo.
    A refused file changes nothing: it is checked before anything is stored."""
    name = safe_name(upload.filename)
    try:
        with upload.path.open("rb") as handle:
            head = handle.read(8192)
        size = upload.path.stat().st_size
    except OSError as exc:
        raise InvalidInput(_("cannot read photo {path}: {strerror}").format(
            path=upload.path, strerror=exc.strerror), about="photo") from exc
    if size > PHOTO_MAX:
        raise too_large(name)
    content_type = sniff(head, name)
    if content_type not in PHOTO_TYPES:
        raise UnsupportedType(_("{name} is not a photo: its content is {content_type}").format(
            name=name, content_type=content_type),
                              hint=_("use a PNG, JPEG or WebP image"), about="photo")
    portal = session.portal
    stored_type, sha, _size = BlobStore(portal.blob_dir, PHOTO_MAX).add(upload.path, name)  # decodes it, or refuses
    with transaction(portal.conn):
        portal.conn.execute("UPDATE users SET photo_sha256 = ?, photo_type = ? WHERE id = ?",
                            (sha, stored_type, session.actor.id))


def open_photo(session: Session, email: str) -> tuple[str, str, BinaryIO]:
    """(content type, sha256, the open file) of `email`'s photo, if the acting user may see that user."""
    row = session.conn.execute(
        "SELECT id, role, org_id, photo_sha256, photo_type FROM users WHERE email = ?", (email.strip(),)
    ).fetchone()
    actor = session.actor
    visible = row is not None and (
        row["id"] == actor.id or actor.is_staff or row["role"] in ("agent", "admin")
        or (actor.org_id is not None and row["org_id"] == actor.org_id)
    )
    if row is None or not visible or not row["photo_sha256"]:
        raise NotFound(_("no photo of {email}").format(email=email), about="photo")
    blobs = BlobStore(session.portal.blob_dir, PHOTO_MAX)
    return row["photo_type"], row["photo_sha256"], blobs.open(row["photo_sha256"])
