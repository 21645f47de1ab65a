"""Builds portalctl's gettext catalogs with Babel: extract the messages, merge them into each language's .po, compile
the .mo files the package ships, and check that every message is translated.

    python scripts/i18n.py extract    # cli/portalctl/locale/portalctl.pot, from the code (and click's own texts)
    python scripts/i18n.py update     # merge the .pot into locale/es/LC_MESSAGES/portalctl.po (new entries empty)
    python scripts/i18n.py compile    # .po -> .mo
    python scripts/i18n.py check      # exit 1 naming what is untranslated, stale or not translatable

Adding a message: wrap it in `_()` (or `ngettext(singular, plural, n)`; `N_()` in a table built at import time,
with `_()` where it is shown); click help (command docstrings, `help=` of options) is found as it is. Then
`update`, translate the new entries in the .po, `compile`. A message with values keeps them as named fields,
`_("ticket #{id} is closed").format(id=...)`, never an f-string: the catalog holds the text before it is filled.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cli" / "portalctl"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "portalctl.pot"
LANGUAGES = ("es",)
# GNU gettext's rule for Spanish (what msginit writes), two forms as in English: "1 ticket", "2 tickets". CLDR, which
# Babel follows, adds a third for round millions ("un millón de tickets"), a form no message here needs.
PLURAL_FORMS = {"es": "nplurals=2; plural=(n != 1);"}
HEADERS = {"Report-Msgid-Bugs-To": "", "Last-Translator": "portalctl", "Language-Team": "portalctl"}
MESSAGE_CALLS = {"_": 1, "gettext": 1, "N_": 1, "formatted": 1, "ngettext": 2, "pgettext": 2, "npgettext": 3}
HELP_KEYWORDS = ("help", "short_help", "epilog", "prompt")
COMMAND_DECORATORS = ("command", "group")
# click's modules whose messages a portalctl user reads (i18n.CLICK_MODULES, and decorators' help texts)
CLICK_FILES = ("core", "decorators", "exceptions", "formatting", "parser", "shell_completion", "termui", "types",
               "utils")
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)?(![rsa])?(:[^{}]*)?\}")


Key = tuple[str | None, str | tuple[str, str]]  # (context, message or (singular, plural))


@dataclass
class Found:
    """What one extraction found: messages -> where, and what could not be a message."""

    messages: dict[Key, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, message: str | tuple[str, str], where: str, context: str | None = None) -> None:
        self.messages.setdefault((context, message), []).append(where)


def name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return name_of(node.func)
    return ""


def is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def portalctl_messages(source: str, filename: str, found: Found) -> None:
    """`_`, `N_`, `ngettext` and `formatted` calls; `help=` and friends of any call (click options, commands); the
    docstrings of functions decorated as click commands or groups."""
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and unfilled(node):
            found.problems.append(f"{where}: .format() leaves {', '.join(unfilled(node))} unfilled")
        if isinstance(node, ast.Call):
            called = name_of(node.func)
            count = MESSAGE_CALLS.get(called) if isinstance(node.func, ast.Name) else None
            if count:
                texts = node.args[:count]
                if any(isinstance(t, ast.JoinedStr | ast.BinOp) for t in texts):
                    found.problems.append(f"{where}: {called}() needs a plain string (no f-string)")
                if len(texts) < count or not all(is_text(t) for t in texts):
                    continue  # _(variable): a message marked with N_ where it was defined
                values = [t.value for t in texts]  # type: ignore[attr-defined]
                context = values.pop(0) if called.startswith(("pgettext", "npgettext")) else None
                found.add(values[0] if len(values) == 1 else (values[0], values[1]), where, context)
            for keyword in node.keywords:
                if keyword.arg in HELP_KEYWORDS:
                    if is_text(keyword.value):
                        found.add(inspect.cleandoc(keyword.value.value), where)  # type: ignore[attr-defined]
                    elif isinstance(keyword.value, ast.JoinedStr):
                        found.problems.append(f"{where}: {keyword.arg}= is an f-string; use i18n.formatted()")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                name_of(d) in COMMAND_DECORATORS for d in node.decorator_list):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                found.add(doc, where)


def unfilled(call: ast.Call) -> list[str]:
    """The fields of `_("...").format(name=...)` that the format call gives no value (it would raise KeyError)."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "format"
            and isinstance(call.func.value, ast.Call) and name_of(call.func.value.func) in MESSAGE_CALLS
            and not call.args and all(keyword.arg for keyword in call.keywords)):
        return []
    texts = [arg.value for arg in call.func.value.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    if name_of(call.func.value.func).startswith(("pgettext", "npgettext")):
        texts = texts[1:]
    named = {keyword.arg for keyword in call.keywords}
    return sorted({name for text in texts for name in fields(text) if name and name not in named})


def click_messages(found: Found) -> None:
    """click's own texts, as Babel's Python extractor finds them (gettext and ngettext calls)."""
    import click
    from babel.messages.extract import extract_python

    folder = Path(click.__file__).parent
    for name in CLICK_FILES:
        path = folder / f"{name}.py"
        with path.open("rb") as handle:
            for lineno, _function, message, _comments in extract_python(
                handle, {"_": None, "gettext": None, "ngettext": (1, 2)}, [], {}
            ):
                if isinstance(message, tuple):
                    found.add((message[0], message[1]), f"click/{name}.py:{lineno}")
                elif message:
                    found.add(message, f"click/{name}.py:{lineno}")


def data_messages(found: Found) -> None:
    """Words the code holds as data: each vocabulary's values (labels.VOCABULARIES, the kind as context) and the
    spreadsheet headers (cells.py's column labels)."""
    sys.path.insert(0, str(PACKAGE.parent))
    from portalctl import cells, labels

    for kind, values in labels.VOCABULARIES.items():
        for value in values:
            found.add(value, "portalctl/labels.py:0", kind)
    for columns in (cells.TICKET_COLUMNS, cells.ARTICLE_COLUMNS, cells.COMMENT_COLUMNS):
        for column in columns:
            found.add(column.label, "portalctl/cells.py:0")


def extract(package: Path = PACKAGE) -> Found:
    found = Found()
    for path in sorted(package.rglob("*.py")):
        portalctl_messages(path.read_text(encoding="utf-8"), str(path.relative_to(package.parent)), found)
    data_messages(found)
    click_messages(found)
    return found


def template(found: Found) -> Any:
    """The .pot: every message with where it is used."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="portalctl", domain="portalctl", charset="utf-8", fuzzy=False)
    for (context, message), places in found.messages.items():
        locations = [(where.rsplit(":", 1)[0], int(where.rsplit(":", 1)[1])) for where in places]
        catalog.add(message, locations=locations, context=context,
                    flags=("python-brace-format",) if has_fields(message) else ())
    return catalog


def has_fields(message: str | tuple[str, str]) -> bool:
    text = message if isinstance(message, str) else message[0]
    return bool(fields(text))


def fields(text: str) -> list[str]:
    """The named fields of a brace-format text, e.g. ['id'] for 'ticket #{id}' (`{{` is a brace, not a field)."""
    return sorted(match.group(1) or "" for match in FIELD.finditer(text.replace("{{", "").replace("}}", "")))


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "portalctl.po"


def read_po(language: str) -> Any:
    from babel.messages.pofile import read_po as read

    with po_path(language).open("rb") as handle:
        return read(handle, locale=language)


def settle(catalog: Any, language: str) -> Any:
    """The catalog's header as this project writes it: its plural rule, its names, not fuzzy."""
    catalog.mime_headers = [*HEADERS.items(), ("Plural-Forms", PLURAL_FORMS[language])]
    catalog.project, catalog.fuzzy = "portalctl", False
    catalog.header_comment = f"# portalctl's messages in {language}, built by scripts/i18n.py: translate the entries."
    return catalog


def write(catalog: Any, path: Path, **options: Any) -> None:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=False, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def compiled(catalog: Any) -> bytes:
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def problems(language: str, found: Found) -> list[str]:
    """What keeps the catalog from being complete: code that is no message, messages missing from the .po or
    untranslated there, entries the code no longer has, fields that differ, a .mo older than its .po."""
    catalog = read_po(language)
    issues = list(found.problems)
    entries = {(message.context, message.id): message for message in catalog if message.id}
    for key in found.messages:
        message_id = key[1]
        entry = entries.get(key)
        if entry is None:
            issues.append(f"{language}: not in the catalog (run update): {message_id!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings) or entry.fuzzy:
            issues.append(f"{language}: untranslated{' (fuzzy)' if entry.fuzzy else ''}: {message_id!r}")
            continue
        wanted = fields(message_id if isinstance(message_id, str) else message_id[1])
        for string in strings:
            if fields(string) != wanted and not (isinstance(message_id, tuple) and fields(string) == fields(
                    message_id[0])):
                issues.append(f"{language}: the translation's fields {fields(string)} are not {wanted}: {string!r}")
    issues += [f"{language}: no longer in the code (run update): {key[1]!r}"
               for key in entries if key not in found.messages]
    mo = po_path(language).with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(catalog):
        issues.append(f"{language}: {mo.relative_to(ROOT)} does not match its .po (run compile)")
    return issues


def update(found: Found) -> None:
    """Merge the messages into each .po: translations kept, new entries empty, gone ones dropped."""
    from babel.messages.catalog import Catalog

    pot = template(found)
    write(pot, POT, omit_header=False)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read_po(language) if path.exists() else Catalog(locale=language, domain="portalctl")
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write(settle(catalog, language), path)


def compile_all() -> None:
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(read_po(language)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("extract", "update", "compile", "check"))
    action = parser.parse_args().action
    found = extract()
    if action == "extract":
        write(template(found), POT, omit_header=False)
    elif action == "update":
        update(found)
    elif action == "compile":
        compile_all()
    else:
        issues = [issue for language in LANGUAGES for issue in problems(language, found)]
        for issue in issues:
            print(issue)
        print(f"{len(found.messages)} messages, {len(issues)} problems")
        return 1 if issues else 0
    return 0



if __name__ == "__main__":
    sys.exit(main())
