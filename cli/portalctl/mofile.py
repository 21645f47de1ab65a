"""A compiled gettext catalog (.mo) that translates a message without decoding the whole file.

The stdlib's `gettext.GNUTranslations` decodes every entry when it opens a catalog (about 2 ms for portalctl's
1,600 on each Spanish start), though `--help` shows a few dozen. A .mo is built to be read in place (GNU libintl
does): a header, a table of (length, offset) for the originals, one for the translations, then the strings.
`MoCatalog` indexes the originals' bytes and decodes a translation only when it is asked for; its answers are
GNUTranslations' own, entry for entry (tests/test_mofile.py compares them over the whole catalog):

- an entry with plural forms is found by its singular; `gettext` gives its form for n=1, `ngettext` the form the
  header's Plural-Forms rule picks (the stdlib's `gettext.c2py` turns the rule into a function), and a message
  without that form, or missing, is the English one given;
- text is decoded in the header's charset (ASCII without one); a context is `context + "\\x04" + message`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from gettext import c2py  # click imports gettext: no cost

MAGIC = 0x950412DE  # the first word of a .mo, in the byte order of its tables
SWAPPED_MAGIC = 0xDE120495  # the same word read in the other byte order
CONTEXT = "{}\x04{}"


def words(data: bytes, start: int, count: int, swapped: bool) -> list[int]:
    """`count` unsigned 32-bit words from `start`, in the file's byte order."""
    chunk = data[start:start + 4 * count]
    if len(chunk) != 4 * count:
        raise OSError(f"not a complete .mo file ({len(data)} bytes)")
    if not swapped:
        return memoryview(chunk).cast("I").tolist()
    import array  # a catalog compiled on a machine of the other byte order: rare, and a module to load

    table = array.array("I", chunk)
    table.byteswap()
    return table.tolist()


class MoCatalog:
    """One language's catalog, from the bytes of its .mo file."""

    def __init__(self, data: bytes) -> None:
        magic = words(data, 0, 1, False)[0]
        if magic not in (MAGIC, SWAPPED_MAGIC):
            raise OSError("not a .mo file (bad magic number)")
        swapped = magic == SWAPPED_MAGIC
        revision, count, originals_at, translations_at = words(data, 4, 4, swapped)
        if revision >> 16 not in (0, 1):
            raise OSError(f"unknown .mo revision {revision >> 16}")
        self._data = data
        self._originals = words(data, originals_at, 2 * count, swapped)  # length, offset, length, offset, ...
        self._translations = words(data, translations_at, 2 * count, swapped)
        for table in (self._originals, self._translations):  # each string ends before the file does, with a NUL
            if max(map(operator.add, table[0::2], table[1::2]), default=0) >= len(data):
                raise OSError(f"not a complete .mo file ({len(data)} bytes)")
        # an entry by its original's bytes, up to the NUL that separates a plural entry's singular and plural
        self._index = {data[offset:offset + length].partition(b"\0")[0]: entry for entry, (length, offset) in
                       enumerate(zip(self._originals[0::2], self._originals[1::2], strict=True))}
        self.charset = "ascii"
        self._plural_rule: str | None = None
        self._read_header()

    @functools.cached_property
    def plural(self) -> Callable[[int], int]:
        """Which form (0, 1, ...) a count takes: the header's rule, turned into a function when first needed (the
        help screens need none); English's without one."""
        return c2py(self._plural_rule) if self._plural_rule else lambda n: int(n != 1)

    def _read_header(self) -> None:
        """The charset and the plural rule, from the entry with the empty original (as GNUTranslations reads it)."""
        header = self._forms("")
        for line in (header[1][0] if header else b"").decode().splitlines():
            name, colon, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if colon and name == "content-type" and "charset=" in value:
                self.charset = value.split("charset=")[1]
            elif colon and name == "plural-forms":
                self._plural_rule = value.split(";")[1].split("plural=")[1]

    def _forms(self, original: str) -> tuple[bool, list[bytes]] | None:
        """The entry whose (singular) original is `original`: whether it has plural forms, and its translations."""
        try:
            key = original.encode(self.charset)
        except UnicodeEncodeError:
            return None  # not a text this catalog can hold
        entry = self._index.get(key)
        if entry is None:
            return None
        length, offset = self._translations[2 * entry], self._translations[2 * entry + 1]
        text = self._data[offset:offset + length]
        if self._originals[2 * entry] == len(key):
            return False, [text]
        return True, text.split(b"\0")

    def _singular(self, original: str) -> str | None:
        found = self._forms(original)
        if found is None:
            return None
        plural, forms = found
        index = self.plural(1) if plural else 0
        return forms[index].decode(self.charset) if 0 <= index < len(forms) else None

    def _plural(self, original: str, n: int) -> str | None:
        found = self._forms(original)
        if found is None or not found[0]:
            return None
        index = self.plural(n)
        return found[1][index].decode(self.charset) if 0 <= index < len(found[1]) else None

    def gettext(self, message: str) -> str:
        translated = self._singular(message)
        return message if translated is None else translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = self._plural(singular, n)
        if translated is None:
            return singular if n == 1 else plural
        return translated

    def pgettext(self, context: str, message: str) -> str:
        translated = self._singular(CONTEXT.format(context, message))
        return message if translated is None else translated

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        translated = self._plural(CONTEXT.format(context, singular), n)
        if translated is None:
            return singular if n == 1 else plural
        return translated


def read(path: str) -> MoCatalog:
    """The catalog in the .mo file at `path`."""
    with open(path, "rb") as handle:
        return MoCatalog(handle.read())

