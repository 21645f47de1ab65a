"""Reading the files templates are made of: bounded, UTF-8, and YAML composed into nodes only, safely.

It exists so that a template, a body file and a vars file are all read the same guarded way (size checked before
parsing, no aliases, control characters and bad nesting refused), and every error names the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml

from portalctl.errors import InvalidInput
from portalctl.i18n import _

MAX_BYTES = 1 << 20
STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
SUFFIXES = (".yaml", ".yml")


def fail(path: Path | str, line: int | None, message: str, hint: str | None = None) -> NoReturn:
    raise InvalidInput(f"{path}:{line}: {message}" if line else f"{path}: {message}", hint=hint)


def read_text(path: Path, source: Path | str, line: int | None = None) -> str:
    """A UTF-8 file of at most MAX_BYTES, never read further than that; errors point at `source`:`line`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        fail(source, line, _("cannot read {path}: {strerror}").format(path=path, strerror=exc.strerror))
    if len(data) > MAX_BYTES:
        fail(path, None, _("is larger than 1 MiB, too large for a template or its files"),
             hint=_("is it the right file?"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(path, data.count(b"\n", 0, exc.start) + 1, _("is not UTF-8 text"))


def compose(text: str, path: Path | str) -> yaml.Node | None:
    """The document's node tree (no Python objects are built), or an error naming the file and line."""
    try:
        loader = NoAliasLoader(text)  # its reader refuses control characters here, at once
        try:
            node: yaml.Node | None = loader.get_single_node()
        finally:
            loader.dispose()
        return node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(part for part in (exc.context, exc.problem) if part)
        hint = "inside [ ] or { }, put values that use ${...} in quotes" if "${" in text else None
        fail(path, mark.line + 1 if mark else None, _("not valid YAML: {what}").format(what=what), hint=hint)
    except yaml.reader.ReaderError as exc:
        fail(path, text.count("\n", 0, exc.position) + 1,
             _("has a control character ({code_point:#04x}) that YAML does not allow").format(
                 code_point=code_point(exc.character)),
             hint=_("remove it, or write it as an escape such as \"\\x01\" inside double quotes"))
    except RecursionError:
        fail(path, None, _("is nested too deeply to be a template"))


def code_point(character: str | int) -> int:
    """yaml's ReaderError gives the character, or its code point for text it decoded itself."""
    return character if isinstance(character, int) else ord(character)


class NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that stops at the first alias, before anything is copied."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed in templates",
                                       problem_mark=event.start_mark)
        node: yaml.Node | None = super().compose_node(parent, index)
        return node


def describe(node: yaml.Node | None) -> str:
    """What a node holds, in the words of an error message."""
    if node is None:
        return _("an empty document")
    if isinstance(node, yaml.SequenceNode):
        return _("a list")
    if isinstance(node, yaml.MappingNode):
        return _("a mapping")
    if node.tag == STR:
        return _("a string")
    return _("empty") if node.tag == NULL else _("a {kind} ({value})").format(kind=node.tag.rsplit(":", 1)[-1],
                                                                              value=node.value)


def is_string(node: yaml.Node) -> bool:
    """A string as YAML resolves it: quoted, or plain text that is not a number, boolean, date or null."""
    return isinstance(node, yaml.ScalarNode) and node.tag == STR


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def mapping(node: yaml.Node, path: Path | str, what: str) -> Iterator[tuple[str, int, yaml.Node]]:
    """(key, its line, value node) of a mapping, refusing keys that are not strings or appear twice."""
    seen: set[str] = set()
    for key_node, value_node in node.value:
        if not is_string(key_node):
            fail(path, line_of(key_node), _("{what} names must be strings, not {describe}").format(
                what=what, describe=describe(key_node)))
        if key_node.value in seen:
            fail(path, line_of(key_node), _("duplicate key {value!r}").format(value=key_node.value))
        seen.add(key_node.value)
        yield key_node.value, line_of(key_node), value_node
