"""mofile.MoCatalog, which the CLI translates with, answers exactly as the stdlib's gettext.GNUTranslations (which
nobody here wrote) for every message of the shipped Spanish catalog: each singular, each plural form for many counts,
each context, and messages the catalog lacks. Also for the same catalog as GNU msgfmt compiles it (the other byte
order, GNU's order of entries and its hash table), and for a catalog with three plural forms in Latin-1."""

from __future__ import annotations

import gettext
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portalctl import i18n, mofile

SPANISH_PO = Path(i18n.LOCALE_DIR) / "es" / "LC_MESSAGES" / "portalctl.po"
SPANISH_MO = SPANISH_PO.with_suffix(".mo")
COUNTS = (0, 1, 2, 3, 5, 11, 22, 101, 1_000_000)
MISSING = "a message no catalog has"

Question = tuple[str, tuple[Any, ...]]  # a method of the catalog and its arguments


def questions(catalog: Catalog) -> Iterator[Question]:
    """Every way the code may ask for each message of `catalog`, right and wrong, and for messages it lacks."""
    for message in catalog:
        context = message.context
        if message.pluralizable:
            singular, plural = message.id
            for n in COUNTS:
                if context:
                    yield "npgettext", (context, singular, plural, n)
                else:
                    yield "ngettext", (singular, plural, n)
                    yield "ngettext", (singular, "another plural", n)  # found by its singular, as in GNU gettext
                    yield "npgettext", ("status", singular, plural, n)  # the wrong context: English back
            yield ("pgettext", (context, singular)) if context else ("gettext", (singular,))  # the form for 1
        elif context:
            yield "pgettext", (context, message.id)
            yield "gettext", (message.id,)  # without its context: another entry, or English back
            yield "npgettext", (context, message.id, message.id + "s", 1)
        else:
            yield "gettext", (message.id,)  # the header's entry too, for the empty message
            for n in (1, 2):  # an entry without plural forms, asked for one: English back
                yield "ngettext", (message.id, message.id + "s", n)
    yield "gettext", (MISSING,)
    yield "gettext", ("ticket \udcff",)  # a command line's undecodable byte: no catalog can hold it
    yield "pgettext", ("status", MISSING)
    for n in COUNTS:
        yield "ngettext", (MISSING, MISSING + "s", n)
        yield "npgettext", ("status", MISSING, MISSING + "s", n)


def answers(translations: Any, asked: list[Question]) -> list[str]:
    return [getattr(translations, method)(*arguments) for method, arguments in asked]


def assert_same_answers(path: Path, catalog: Catalog) -> int:
    asked = list(questions(catalog))
    with path.open("rb") as handle:
        reference = gettext.GNUTranslations(handle)
    expected = answers(reference, asked)
    assert answers(mofile.read(str(path)), asked) == expected
    return sum(answer != arguments[-2 if method.startswith("n") else -1]
               for answer, (method, arguments) in zip(expected, asked, strict=True))


def spanish() -> Catalog:
    with SPANISH_PO.open("rb") as handle:
        return read_po(handle, locale="es")


def test_the_shipped_catalog_answers_as_the_stdlib_does() -> None:
    catalog = spanish()
    assert len(catalog) > 1000 and any(message.pluralizable for message in catalog)
    assert any(message.context for message in catalog)
    assert assert_same_answers(SPANISH_MO, catalog) > 1000  # translated answers, not English handed back


def test_a_catalog_compiled_by_gnu_msgfmt_in_the_other_byte_order(tmp_path: Path) -> None:
    """GNU's compiler sorts entries as strcmp does (Babel sorts by message, then context) and adds a hash table;
    big-endian is the other byte order on the machines we run on."""
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext's msgfmt is not installed (scripts/test.sh installs Debian's gettext)")
    compiled = tmp_path / "portalctl.mo"
    subprocess.run(["msgfmt", "--endianness=big", "-o", str(compiled), str(SPANISH_PO)], check=True)
    assert compiled.read_bytes()[:4] == bytes.fromhex("950412de")
    assert assert_same_answers(compiled, spanish()) > 1000


def test_three_plural_forms_and_a_charset_other_than_utf_8(tmp_path: Path) -> None:
    """Polish has three forms (CLDR's rule, as Babel writes it), and its old charset is Latin-2."""
    catalog = Catalog(locale="pl", charset="iso-8859-2")
    catalog.add(("{count} ticket", "{count} tickets"), ("{count} zgłoszenie", "{count} zgłoszenia", "{count} zgłoszeń"))
    catalog.add(("{count} file", "{count} files"), ("{count} plik", "", ""))  # forms left empty: English for them
    catalog.add("closed", "Zamknięte", context="status")
    catalog.add("Open", "Otwórz")
    path = tmp_path / "latin2.mo"
    with path.open("wb") as handle:
        write_mo(handle, catalog)
    assert b"Zamkni\xeate" in path.read_bytes()
    assert assert_same_answers(path, catalog) > 20
    translations = mofile.read(str(path))
    assert [translations.ngettext("{count} ticket", "{count} tickets", n) for n in (1, 3, 5, 22, 25)] == [
        "{count} zgłoszenie", "{count} zgłoszenia", "{count} zgłoszeń", "{count} zgłoszenia", "{count} zgłoszeń"]


def test_what_is_not_a_catalog_is_refused_as_the_stdlib_refuses_it(tmp_path: Path) -> None:
    whole = SPANISH_MO.read_bytes()
    for name, data in (("text.mo", b"msgid \"\"\nmsgstr \"\"\n"), ("cut.mo", whole[:4000]), ("short.mo", whole[:-100]),
                       ("revision.mo", whole[:4] + (7 << 16).to_bytes(4, "little") + whole[8:])):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises((OSError, struct.error)), path.open("rb") as handle:  # cut in its tables: struct.error
            gettext.GNUTranslations(handle)
        with pytest.raises(OSError):
            mofile.read(str(path))


def test_the_cli_reads_its_catalogs_in_place_and_english_without_one() -> None:
    i18n.catalog.cache_clear()
    assert isinstance(i18n.catalog("es"), mofile.MoCatalog)
    with i18n.using("es"):
        assert i18n.ngettext("Exported {count} ticket to {target}", "Exported {count} tickets to {target}", 2) == (
            "{count} tickets exportados a {target}")
        assert i18n.pgettext("status", "pending") == "Esperando su respuesta"
    assert i18n.catalog("xx").gettext("Open") == "Open"  # a language without a .mo: its messages stay English
    i18n.catalog.cache_clear()

