"""Template variables: the `${NAME}` syntax, how it is filled in, and where values come from.

It exists apart from the template because values have sources of their own to read: --var, vars files (a YAML
mapping or a .env file), and the built-ins `today`, `now`, `hostname` and `user`; the template itself adds the
environment's values only for the names it declares.
"""

from __future__ import annotations

import getpass
import io
import re
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from portalctl.i18n import N_, _
from portalctl.templates.reading import NULL, SUFFIXES, compose, describe, fail, line_of, mapping, read_text
from portalctl.times import now_iso

VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{")
SYNTAX_HINT = N_("write ${NAME} or ${NAME:-default}; write $${ for a literal ${")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOTENV_LINE = re.compile(r"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=")


@dataclass(frozen=True)
class Declared:
    """A variable the template reads from the environment, with its default and what it is for."""

    name: str
    default: str | None = None
    description: str | None = None


class Variables(dict[str, str]):
    """A template's values; `undeclared` names what only the environment has (never read, but worth naming)."""

    undeclared: frozenset[str] = frozenset()


def substitute(text: str, variables: Mapping[str, str], gap: Callable[[str, int], str]) -> str:
    """Fill `${NAME}` and `${NAME:-default}`, turn `$${` into `${`; `gap(name, offset)` answers for a missing NAME.
    Malformed references were refused by `TicketTemplate.check_syntax` before any substitution."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$${":
            return "${"
        name, default = match[1], match[2]
        value = variables.get(name)
        if default is not None and not value:
            return default
        return gap(name, match.start()) if value is None else value

    return VARIABLE.sub(one, text)


def gather_variables(cli_vars: Mapping[str, str] | None = None, vars_files: Sequence[str] = ()) -> dict[str, str]:
    """The values given for a template: --var over --vars-file (later files over earlier). The environment and the
    built-ins are the template's to add (`TicketTemplate.values`): it reads only the names it declares."""
    merged: dict[str, str] = {}
    for name in vars_files:
        merged.update(read_vars_file(name))
    merged.update(cli_vars or {})
    return merged


def builtin_variables() -> dict[str, str]:
    try:
        user = getpass.getuser()
    except OSError:  # no login name and no password entry (some containers)
        user = ""
    return {"today": date.today().isoformat(), "now": now_iso(),
            "hostname": socket.gethostname(), "user": user}


def read_vars_file(name: str) -> dict[str, str]:
    """A vars file: YAML (.yaml, .yml, .json) or .env (anything else); `-` is stdin, in whichever it looks like."""
    if name == "-":
        text = sys.stdin.read()
        first = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
        return _dotenv(text) if DOTENV_LINE.match(first) else _yaml_vars(text, "<stdin>")
    path = Path(name)
    text = read_text(path, path)
    return _yaml_vars(text, name) if path.suffix in (*SUFFIXES, ".json") else _dotenv(text)


def _yaml_vars(text: str, source: str) -> dict[str, str]:
    """A mapping of names to single values, kept as written (`code: 0042` stays 0042; empty or ~ is "")."""
    root = compose(text, source)
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        fail(source, line_of(root), _("a vars file is a mapping of NAME: value, not {describe}").format(
            describe=describe(root)))
    values = {}
    for name, line, node in mapping(root, source, _("variable")):
        if not NAME.fullmatch(name):
            fail(source, line, _("key {name!r} is not a variable name").format(
                name=name), hint=_("use letters, digits and _"))
        if not isinstance(node, yaml.ScalarNode):
            fail(source, line_of(node), _("key {name!r} must be a single value, not {describe}").format(
                name=name, describe=describe(node)))
        values[name] = "" if node.tag == NULL else str(node.value)
    return values


def _dotenv(text: str) -> dict[str, str]:
    """KEY=VALUE lines as python-dotenv reads them (quotes, `export`, comments); a bare KEY is empty."""
    from dotenv import dotenv_values

    values = dotenv_values(stream=io.StringIO(text))
    return {name: value or "" for name, value in values.items()}
