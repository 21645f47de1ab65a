"""Attachments: type decided by content (a renamed executable is caught), a size limit, sha256, blob storage.

Blobs live beside the portal file, addressed by their sha256, so the same file attached twice is stored once.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import _
from portalctl.private import DIR_MODE, make_dirs

# Types a customer may attach (seed 004: PDF, JPG, PNG, DOC, XLS; plus their modern forms and plain text).
ALLOWED = {
    "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip", "text/plain", "text/csv",
}
NAME_MAX = 255  # bytes in a file name on Linux, macOS and Windows file systems
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (doc, xls)
# Executables (PE, ELF, Mach-O) are refused whatever their size; filetype needs longer headers for some of them.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa")
TEXT_EXTENSIONS = {".txt": "text/plain", ".log": "text/plain", ".md": "text/plain", ".csv": "text/csv",
                   ".json": "text/plain", ".xml": "text/plain"}


class UnsupportedType(InvalidInput, status=415, code="unsupported_media_type"):
    """A type the portal does not accept, judged by content (the first bytes, then the structure)."""


def refused_type(filename: str, content_type: str) -> UnsupportedType:
    return UnsupportedType(_("{filename}: files of type {content_type} are not accepted (checked by content, not name)")
                           .format(filename=filename, content_type=content_type),
                           hint=_("attach PDF, images, Office documents, ZIP or plain text"))


def sniff(head: bytes, filename: str) -> str:
    """The content type from the first bytes; text only where the bytes are really text."""
    import filetype

    if head.startswith(OLE_MAGIC):
        return "application/vnd.ms-excel" if filename.lower().endswith((".xls", ".xlt")) else "application/msword"
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime == "application/zip":
            return _office_zip(filename)
        return str(kind.mime)
    if head.startswith(EXECUTABLE_MAGIC):
        return "application/x-executable"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
                return "application/octet-stream"
        return TEXT_EXTENSIONS.get(Path(filename).suffix.lower(), "text/plain")
    return "application/octet-stream"


def _office_zip(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix == ".docx":
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if suffix == ".xlsx":
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "application/zip"


def safe_name(filename: str) -> str:
    """A file name that cannot escape a directory or hide control characters, and that fits a file system (at most
    255 bytes, its extension kept) whatever length another portal stored."""
    name = unicodedata.normalize("NFC", Path(filename.replace("\\", "/")).name)
    name = re.sub(r"[\x00-\x1f\x7f/:*?\"<>|]", "_", name).strip(" .")
    if len(name.encode("utf-8")) > NAME_MAX:
        stem, suffix = os.path.splitext(name)
        suffix = suffix if len(suffix.encode("utf-8")) <= 16 else ""
        room = NAME_MAX - len(suffix.encode("utf-8"))
        name = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .") + suffix
    return name or "attachment"


class BlobStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def add(self, source: Path, filename: str) -> tuple[str, str, int]:
        """Check and store `source`; returns (content type, sha256, size).

        The file is opened once and counted as it is copied, so pipes and FIFOs (`--attach /dev/stdin`) are
        typed, limited and stored whole, like regular files.
        """
        import hashlib
        import tempfile  # imported here: listings never store files, and start-up time counts

        if source == self.path(source.name):  # an upload being attached: its bytes were checked when it came in
            return self.held(source, filename)
        try:
            handle = source.open("rb")
        except OSError as exc:
            raise InvalidInput(_("cannot read attachment {source}: {strerror}").format(
                source=source, strerror=exc.strerror)) from exc
        with handle:
            head = handle.read(8192)
            content_type = sniff(head, filename)
            if content_type not in ALLOWED:
                raise refused_type(filename, content_type)
            make_dirs(self.root)
            digest = hashlib.sha256()
            size = 0
            fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    chunk = head
                    while chunk:
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise self.too_large(filename)
                        digest.update(chunk)
                        out.write(chunk)
                        chunk = handle.read(1 << 20)
                from portalctl.engine.filechecks import structure_problem

                problem = structure_problem(Path(tmp_name), content_type)
                if problem is not None:
                    raise UnsupportedType(_("{filename} starts like {content_type} but is not one: {problem}").format(
                        filename=filename, content_type=content_type, problem=problem),
                                          hint=_("attach the file itself, not a renamed or damaged copy"))
                sha = digest.hexdigest()
                target = self.path(sha)
                target.parent.mkdir(mode=DIR_MODE, exist_ok=True)
                os.replace(tmp_name, target)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        return content_type, sha, size

    def held(self, source: Path, filename: str) -> tuple[str, str, int]:
        """(content type, sha256, size) of a file this store holds, without hashing or copying it again: on a
        server that happens in the write transaction, where a large file would hold up every writer."""
        try:
            with source.open("rb") as handle:
                content_type = sniff(handle.read(8192), filename)
            size = source.stat().st_size
        except OSError as exc:
            raise InvalidInput(_("cannot read attachment {source}: {strerror}").format(
                source=source, strerror=exc.strerror)) from exc
        if content_type not in ALLOWED:
            raise refused_type(filename, content_type)
        return content_type, source.name, size

    def check_sizes(self, files: Iterable[tuple[str, Path]]) -> None:
        """Refuse an over-limit file, by (name, path), before any is read; a pipe is limited as it is copied."""
        for filename, source in files:
            try:
                over = source.is_file() and source.stat().st_size > self.max_bytes
            except OSError:
                continue  # reading it fails with its own message
            if over:
                raise self.too_large(filename)

    def too_large(self, filename: str) -> InvalidInput:
        return InvalidInput(
            _("{filename} is larger than the {max_bytes:,}-byte ({value:.0f} MB) attachment limit").format(
                filename=filename, max_bytes=self.max_bytes, value=self.max_bytes / 1000000.0),
            hint=_("compress it or share a link instead"),
        )

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def open(self, sha: str) -> BinaryIO:
        path = self.path(sha)
        if not path.exists():
            raise NotFound(_("the stored file {sha} is missing from {root}").format(sha=sha[:12], root=self.root))
        return path.open("rb")
