"""Content checks by structure: a file of an allowed type must be what its first bytes claim, not an executable
with `%PDF` in front. Each check reads a bounded part of the file and decompresses nothing large, so a hostile
file cannot make the check itself slow or large:

- PDF: the trailer in the last KiB, `startxref` and `%%EOF`, whose offset points at a cross-reference table
  (`xref`) or stream (`N G obj`) inside the file. This is what a PDF reader reads first; parsing the
  whole object graph (pypdf) would cost time in proportion to a 95 MB file for no stronger answer about stowaways.
- images (PNG, JPEG, GIF, WebP): Pillow reads the declared size, refuses more than MAX_PIXELS before decoding
  (a decompression bomb), checks the structure (`verify`), and decodes images up to DECODE_PIXELS in full.
- Office: .docx and .xlsx are zips with `[Content_Types].xml` and their main part; only the central directory is
  read, at most MAX_ZIP_ENTRIES entries. Legacy .doc/.xls are OLE2 compound files: the header's fixed fields.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

from portalctl.i18n import _

MAX_PIXELS = 50_000_000  # a 50-megapixel photo; more is refused unread (a decompression bomb)
DECODE_PIXELS = 16_000_000  # decoded in full up to this size (64 MB as RGBA); larger ones are verified only
MAX_ZIP_ENTRIES = 10_000
TAIL = 1024
STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF")
XREF_AT = re.compile(rb"\s*(xref|\d{1,10}\s+\d{1,5}\s+obj)")
OFFICE_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "word/document.xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xl/workbook.xml",
}
IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def structure_problem(path: Path, content_type: str) -> str | None:
    """Why the file at `path` is not the `content_type` its first bytes claim; None when it is (or is text)."""
    if content_type == "application/pdf":
        return _pdf(path)
    if content_type in IMAGES:
        return _image(path)
    if content_type in OFFICE_PARTS or content_type == "application/zip":
        return _zip(path, OFFICE_PARTS.get(content_type))
    if content_type in ("application/msword", "application/vnd.ms-excel"):
        return _ole(path)
    return None


def _pdf(path: Path) -> str | None:
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - TAIL))
        # the last one: readers tolerate bytes after it
        match = next(reversed(list(STARTXREF.finditer(handle.read(TAIL)))), None)
        if match is None:
            return _("it has no PDF trailer (startxref and %%EOF at its end)")
        offset = int(match[1])
        if offset >= size:
            return _("its trailer points outside the file")
        handle.seek(offset)
        if not XREF_AT.match(handle.read(64)):
            return _("its trailer does not point at a cross-reference table")
    return None


def _image(path: Path) -> str | None:
    from PIL import Image  # imported here: only attachments need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS is the limit that counts
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return _("its declared size ({width}x{height}) is over the {limit:,}-pixel limit").format(
                        width=width, height=height, limit=MAX_PIXELS)
                image.verify()
            if width * height <= DECODE_PIXELS:
                with Image.open(path) as image:
                    image.load()
    except Image.DecompressionBombError:  # Pillow's own, far larger, limit: refused before it decodes too
        return _("its declared size is over the {limit:,}-pixel limit").format(limit=MAX_PIXELS)
    except (OSError, ValueError, SyntaxError) as exc:
        return _("it does not decode as an image ({error})").format(error=exc)
    return None


def _zip(path: Path, main_part: str | None) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set()
            for count, info in enumerate(archive.infolist(), 1):
                if count > MAX_ZIP_ENTRIES:
                    return _("it has more than {limit:,} entries").format(limit=MAX_ZIP_ENTRIES)
                names.add(info.filename)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return _("it is not a readable zip archive ({error})").format(error=exc)
    if main_part is not None and not {"[Content_Types].xml", main_part} <= names:
        return _("it lacks the parts of its Office type ([Content_Types].xml and {part})").format(part=main_part)
    return None


def _ole(path: Path) -> str | None:
    with path.open("rb") as handle:
        header = handle.read(512)
    # byte order mark FFFE at 28; sector shift 9 (512-byte sectors, version 3) or 12 (4096, version 4) at 30
    if len(header) < 512 or header[28:30] != b"\xfe\xff" or header[30:32] not in (b"\x09\x00", b"\x0c\x00"):
        return _("it is not a valid OLE2 compound file (legacy .doc/.xls)")
    return None
