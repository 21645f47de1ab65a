"""Ticket templates: small YAML files that describe a ticket, with `${VARIABLES}` filled in when rendered.

The model is strict (an unknown key, a wrong type or a missing variable is an error naming the file, the line and
the key), because a typo such as `priorty:` must fail loudly rather than open a ticket without its priority.

YAML is only composed into nodes, never constructed into objects, by a safe loader that refuses aliases outright:
templates have no use for anchors, and refusing the first `*alias` stops an alias bomb before it can grow.
Files over 1 MiB are refused before parsing.

Variables: `${NAME}`, `${NAME:-default}` (the default also applies when NAME is empty, as in the shell) and `$${`
for a literal `${`. Every string is substituted (list items, field values, the body file's text) except
`description` and `variables`, which describe the template itself. Values come from, strongest first: --var,
--vars-file (a YAML mapping or a .env file), the environment, the defaults under `variables:`, and the built-ins
`today`, `now`, `hostname` and `user`. The environment is read only for the names a template declares under
`variables:` (never PORTALCTL_* settings): a template from a cloned project cannot copy $GITHUB_TOKEN into a ticket.

Templates are found by path, else by name in ./.portalctl/templates/ and then in the user config directory.
"""

from __future__ import annotations

import difflib
import getpass
import io
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import yaml

from portalctl.config import ENV_PREFIX, config_dir
from portalctl.contract import ON_DUPLICATE, TicketDraft, Upload
from portalctl.errors import InvalidInput, NotFound
from portalctl.i18n import N_, _
from portalctl.model import PRIORITIES, TICKET_TYPES
from portalctl.times import now_iso

MAX_BYTES = 1 << 20
STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
SUBSTITUTED = ("subject", "body", "body_file", "priority", "type", "department", "dedupe_key", "on_duplicate")
LISTS = ("tags", "ccs", "attachments")
KNOWN_KEYS = ("subject", "body", "body_file", "priority", "type", "department", "tags", "ccs", "fields",
              "attachments", "dedupe_key", "on_duplicate", "description", "variables")
VARIABLE_KEYS = ("name", "default", "description")
CHOICES: dict[str, Sequence[str]] = {"priority": PRIORITIES, "type": TICKET_TYPES, "on_duplicate": ON_DUPLICATE}
VARIABLE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{")
SYNTAX_HINT = N_("write ${NAME} or ${NAME:-default}; write $${ for a literal ${")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOTENV_LINE = re.compile(r"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=")
SUFFIXES = (".yaml", ".yml")


def fail(path: Path | str, line: int | None, message: str, hint: str | None = None) -> NoReturn:
    raise InvalidInput(f"{path}:{line}: {message}" if line else f"{path}: {message}", hint=hint)


@dataclass(frozen=True)
class Declared:
    """A variable the template reads from the environment, with its default and what it is for."""

    name: str
    default: str | None = None
    description: str | None = None


class Variables(dict[str, str]):
    """A template's values; `undeclared` names what only the environment has (never read, but worth naming)."""

    undeclared: frozenset[str] = frozenset()


@dataclass
class TicketTemplate:
    """A checked template, variables still in place. `lines` maps each key path (`subject`, `tags[1]`,
    `fields.forms`) to its line, so errors found after substitution still point into the file."""

    path: Path
    subject: str | None = None
    body: str | None = None
    body_file: str | None = None
    priority: str | None = None
    type: str | None = None
    department: str | None = None
    tags: list[str] = field(default_factory=list)
    ccs: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)
    dedupe_key: str | None = None
    on_duplicate: str = "reply"
    description: str | None = None
    variables: list[Declared] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    blocks: set[str] = field(default_factory=set, repr=False)  # `|` scalars: a variable's line is counted inside

    def texts(self) -> list[tuple[str, str]]:
        """(key path, raw text) of every string the file gives that takes variables, in the file's order."""
        found = [(key, getattr(self, key)) for key in SUBSTITUTED if key in self.lines]
        for key in LISTS:
            found += [(f"{key}[{i}]", item) for i, item in enumerate(getattr(self, key))]
        found += [(f"fields.{name}", value) for name, value in self.fields.items()]
        return sorted(found, key=lambda pair: self.lines[pair[0]])

    def expand(self, key: str, text: str, variables: Mapping[str, str], *, file: Path | None = None,
               found: list[str] | None = None) -> str:
        """`text` (at `key`, or the whole of body `file`) with variables filled in. A missing variable fails naming
        the file, line and key, or, given `found`, is noted there and left empty."""

        def gap(name: str, offset: int) -> str:
            message = self.where(key, text, offset, file) + ": " + _(
                "key {key!r}: variable {name!r} is not set").format(key=key, name=name)
            hint = _("pass --var {name}=VALUE or --vars-file, or write ${{{name}:-default}} in the template").format(
                name=name)
            if name in getattr(variables, "undeclared", ()):
                message += " " + _("(the environment has it, but the template does not declare it)")
                hint = _("to read it from the environment, declare it in the template: variables: [{name}]; or {hint}"
                         ).format(name=name, hint=hint)
            if found is None:
                raise InvalidInput(message, hint=hint)
            found.append(message)
            return ""

        return substitute(text, variables, gap)

    def where(self, key: str, text: str, offset: int, file: Path | None = None) -> str:
        """`file:line` of the character at `offset` in `text` (at `key`, or the whole of body `file`)."""
        if file is not None:
            return f"{file}:{text.count(chr(10), 0, offset) + 1}"
        if key in self.blocks:
            return f"{self.path}:{self.lines[key] + 1 + text.count(chr(10), 0, offset)}"
        return f"{self.path}:{self.lines[key]}"

    def check_syntax(self, key: str, text: str, file: Path | None = None) -> None:
        """Refuse a `${` that is neither a reference nor escaped, before anything is substituted."""
        for match in VARIABLE.finditer(text):
            if match[0] == "${":
                raise InvalidInput(_("{where}: key {key!r}: malformed "
                                     "variable reference {text!r}").format(
                                         where=self.where(key, text, match.start(), file), key=key,
                                         text=text[match.start():][:24]), hint=_(SYNTAX_HINT))

    def values(self, given: Mapping[str, str], environ: Mapping[str, str] | None = None) -> Variables:
        """The built-ins, under the declared defaults, under the environment's declared names, under `given`."""
        environment = os.environ if environ is None else environ
        values = Variables(builtin_variables())
        for declared in self.variables:
            if declared.name in environment and not declared.name.startswith(ENV_PREFIX):
                values[declared.name] = environment[declared.name]
            elif declared.default is not None:
                values[declared.name] = declared.default
        values.update(given)
        values.undeclared = frozenset(name for name in environment if name not in values)
        return values

    def missing(self, given: Mapping[str, str], environ: Mapping[str, str] | None = None) -> list[str]:
        """Every reference with no value and no default (`validate` reports them as warnings)."""
        variables = self.values(given, environ)
        found: list[str] = []
        for key, text in self.texts():
            self.expand(key, text, variables, found=found)
        if self.body_file is not None and "$" not in self.body_file:
            path = self.resolve("body_file", self.body_file, variables)
            self.expand("body_file", self.body_text(path), variables, file=path, found=found)
        return found

    def render(self, given: Mapping[str, str], environ: Mapping[str, str] | None = None) -> RenderedTicket:
        """The ticket this template describes once its variables are filled in; choices and files are checked."""
        variables = self.values(given, environ)
        out = {key: self.expand(key, text, variables) for key, text in self.texts()}
        for key, choices in CHOICES.items():
            if key in out and out[key] not in choices:
                fail(self.path, self.lines[key], _("key {key!r}: {out!r} is not one of {choices}").format(
                    key=key, out=out[key], choices=', '.join(choices)))
        if out.get("dedupe_key") == "":
            fail(self.path, self.lines["dedupe_key"], _("key 'dedupe_key' is empty once its variables are filled in"))
        body = out.get("body")
        if "body_file" in out:
            path = self.resolve("body_file", out["body_file"], variables)
            body = self.expand("body_file", self.body_text(path), variables, file=path)
        return RenderedTicket(
            template=self.path, subject=out.get("subject"), body=body, priority=out.get("priority"),
            type=out.get("type"), department=out.get("department"),
            tags=[out[f"tags[{i}]"] for i in range(len(self.tags))],
            ccs=[out[f"ccs[{i}]"] for i in range(len(self.ccs))],
            fields={name: out[f"fields.{name}"] for name in self.fields},
            attachments=[self.resolve(f"attachments[{i}]", out[f"attachments[{i}]"], variables)
                         for i in range(len(self.attachments))],
            dedupe_key=out.get("dedupe_key"), on_duplicate=out.get("on_duplicate", self.on_duplicate),
        )

    def resolve(self, key: str, text: str, variables: Mapping[str, str]) -> Path:
        """The file named at `key`. A path written in the template is relative to the template's directory; one
        that starts with a variable given a value (--var, vars file, environment) is relative to the working
        directory, where the person or pipeline giving it stands."""
        name, _bracket, index = key.partition("[")
        raw = getattr(self, name)[int(index[:-1])] if index else getattr(self, name)
        first = VARIABLE.match(raw)
        path = Path(text).expanduser()
        if not path.is_absolute():
            base = Path.cwd() if first and first[1] and variables.get(first[1]) else self.path.parent.absolute()
            path = base / path
        if not path.is_file():
            fail(self.path, self.lines[key], _("key {key!r}: no such file {path}").format(key=key, path=path))
        return path

    def body_text(self, path: Path) -> str:
        text = read_text(path, self.path, self.lines["body_file"])
        self.check_syntax("body_file", text, path)
        return text


@dataclass
class RenderedTicket:
    """A template with its variables filled in: what `tickets create --template` sends, after flag overrides."""

    template: Path
    subject: str | None
    body: str | None
    priority: str | None
    type: str | None
    department: str | None
    tags: list[str]
    ccs: list[str]
    fields: dict[str, str]
    attachments: list[Path]
    dedupe_key: str | None
    on_duplicate: str

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "template"}
        data["attachments"] = [str(path) for path in self.attachments]
        return data

    def to_yaml(self) -> str:
        """The ticket as YAML, multi-line text as `|` blocks so a body reads as it will appear in the ticket."""
        return yaml.dump(self.to_dict(), Dumper=BlockDumper, allow_unicode=True, sort_keys=False)

    def override(self, *, subject: str | None = None, body: str | None = None, priority: str | None = None,
                 type: str | None = None, department: str | None = None, ccs: Sequence[str] = (),
                 tags: Sequence[str] = (), fields: Mapping[str, str] | None = None, attachments: Sequence[Path] = (),
                 dedupe_key: str | None = None, on_duplicate: str | None = None) -> RenderedTicket:
        """Command-line flags over the template: a value given replaces the template's, a field given replaces
        that field, and tags, CCs and attachments given are added to the template's."""
        given: dict[str, Any] = {"subject": subject, "body": body, "priority": priority, "type": type,
                                 "department": department, "dedupe_key": dedupe_key, "on_duplicate": on_duplicate}
        return replace(
            self, **{name: value for name, value in given.items() if value is not None},
            tags=list(dict.fromkeys([*self.tags, *tags])), ccs=list(dict.fromkeys([*self.ccs, *ccs])),
            fields={**self.fields, **(fields or {})},
            attachments=list(dict.fromkeys([*self.attachments, *attachments])),
        )

    def draft(self) -> TicketDraft:
        """The ticket to open (`TicketsAPI.create`); by now a subject and a body must be known."""
        for name, flag in (("subject", "--subject"), ("body", "--body or --body-file")):
            if not (getattr(self, name) or "").strip():
                fail(self.template, None, _("the template gives no {name}").format(name=name),
                    hint=_("add {name}: to it, or pass {flag}").format(name=name, flag=flag))
        return TicketDraft(
            subject=self.subject or "", body=self.body or "", priority=self.priority, type=self.type,
            department=self.department, ccs=self.ccs, fields=self.fields, tags=self.tags,
            attachments=[Upload(filename=path.name, path=path) for path in self.attachments],
            dedupe_key=self.dedupe_key, on_duplicate=self.on_duplicate,
        )


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


# --- loading ------------------------------------------------------------------------------------------------------


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


class BlockDumper(yaml.SafeDumper):
    """A SafeDumper that writes multi-line strings as `|` blocks."""


def _block_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(STR, value, style="|" if "\n" in value else None)


BlockDumper.add_representer(str, _block_text)


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


def load_template(path: Path) -> TicketTemplate:
    """Read and check a template file. Variables stay in place: `render` fills them in."""
    root = compose(read_text(path, path), path)
    if not isinstance(root, yaml.MappingNode):
        fail(path, line_of(root) if root else None,
             _("a template is a mapping of keys (subject, body, ...), not {describe}").format(describe=describe(root)))
    template = TicketTemplate(path=path)
    for key, line, node in mapping(root, path, _("key")):
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            fail(path, line, _("unknown key {key!r} (known: {known})").format(
                key=key, known=', '.join(KNOWN_KEYS)),
                 hint=_("did you mean {close!r}?").format(close=close[0]) if close else None)
        template.lines[key] = line
        if key == "fields":
            template.fields = _fields(node, path, line, template.lines)
        elif key == "variables":
            template.variables = _declared(node, path, line)
        elif key in LISTS:
            setattr(template, key, _strings(node, path, key, line, template.lines))
        else:
            setattr(template, key, _string(node, path, key))
            template.lines[key] = line_of(node)  # a value's own line: where its variables are
            if isinstance(node, yaml.ScalarNode) and node.style == "|":
                template.blocks.add(key)
    _check(template)
    return template


def _string(node: yaml.Node, path: Path, key: str) -> str:
    if not is_string(node):
        quote = isinstance(node, yaml.ScalarNode) and node.tag != NULL
        fail(path, line_of(node), _("key {key!r} must be a string, not {describe}").format(
            key=key, describe=describe(node)),
             hint=_("put it in quotes: \"{value}\"").format(value=node.value) if quote else None)
    return str(node.value)


def _strings(node: yaml.Node, path: Path, key: str, line: int, lines: dict[str, int]) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        fail(path, line, _("key {key!r} must be a list of strings, not {describe}").format(
            key=key, describe=describe(node)),
             hint=_("write {key}: [one, two], or one '- item' per line").format(key=key))
    items = []
    for index, item in enumerate(node.value):
        items.append(_string(item, path, f"{key}[{index}]"))
        lines[f"{key}[{index}]"] = line_of(item)
    return items


def _declared(node: yaml.Node, path: Path, line: int) -> list[Declared]:
    """`variables:` a list of NAME, or of mappings with name, default and description."""
    if not isinstance(node, yaml.SequenceNode):
        fail(path, line, _("key 'variables' must be a list, not {describe}").format(describe=describe(node)),
             hint=_("write one '- name: NAME' (with default: and description:) or '- NAME' per line"))
    found: dict[str, Declared] = {}
    for item in node.value:
        if is_string(item):
            entry = {"name": item.value}
        elif isinstance(item, yaml.MappingNode):
            entry = {}
            for key, key_line, value in mapping(item, path, _("variable key")):
                if key not in VARIABLE_KEYS:
                    fail(path, key_line, _("unknown key {key!r} under variables (known: {known})").format(
                        key=key, known=', '.join(VARIABLE_KEYS)))
                if not isinstance(value, yaml.ScalarNode) or value.tag == NULL:
                    fail(path, line_of(value), _("key 'variables.{key}' must be a single value, not {describe}").format(
                        key=key, describe=describe(value)))
                entry[key] = str(value.value)
        else:
            fail(path, line_of(item), _("a variable is a NAME or a mapping with name:, not {describe}").format(
                describe=describe(item)))
        name = entry.get("name", "")
        if not NAME.fullmatch(name) or name.startswith(ENV_PREFIX):
            fail(path, line_of(item), _("variables: {name!r} is not a variable name").format(name=name),
                 hint=_("use letters, digits and _ (and not the {ENV_PREFIX} prefix of portalctl's settings)").format(
                     ENV_PREFIX=ENV_PREFIX))
        if name in found:
            fail(path, line_of(item), _("variables: {name!r} is declared twice").format(name=name))
        found[name] = Declared(name, entry.get("default"), entry.get("description"))
    return list(found.values())


def _fields(node: yaml.Node, path: Path, line: int, lines: dict[str, int]) -> dict[str, str]:
    """Custom field values: any single value, kept as written (`user_code: 0042` stays 0042, not the number 34)."""
    if not isinstance(node, yaml.MappingNode):
        fail(path, line, _("key 'fields' must be a mapping of field names to values, not {describe}").format(
            describe=describe(node)),
             hint=_("write one 'name: value' per line under fields:"))
    values = {}
    for name, _line, value in mapping(node, path, _("field")):
        if not isinstance(value, yaml.ScalarNode) or value.tag == NULL:
            fail(path, line_of(value), _("key 'fields.{name}' must be a single value, not {describe}").format(
                name=name, describe=describe(value)))
        values[name] = str(value.value)
        lines[f"fields.{name}"] = line_of(value)
    return values


def _check(template: TicketTemplate) -> None:
    """What can be checked before variables: reference syntax, body or body_file, choices written literally."""
    path, lines = template.path, template.lines
    for key, text in template.texts():
        template.check_syntax(key, text)
    if template.body is not None and template.body_file is not None:
        fail(path, max(lines["body"], lines["body_file"]), _("key 'body_file': give body or body_file, not both"))
    for key, choices in CHOICES.items():
        value = getattr(template, key)
        if key in lines and "$" not in value and value not in choices:
            fail(path, lines[key], _("key {key!r}: {value!r} is not one of {choices}").format(
                key=key, value=value, choices=', '.join(choices)))


# --- variables ----------------------------------------------------------------------------------------------------


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


# --- finding templates --------------------------------------------------------------------------------------------


def template_dirs() -> list[Path]:
    """Where names are looked up, first match wins: the project's, then the user's."""
    return [Path.cwd() / ".portalctl" / "templates", config_dir() / "templates"]


def available() -> dict[str, Path]:
    """Every template name that resolves, with the file it resolves to."""
    found: dict[str, Path] = {}
    for folder in template_dirs():
        if folder.is_dir():
            for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
                found.setdefault(path.stem, path)
    return dict(sorted(found.items()))


def find_template(ref: str) -> Path:
    """NAME or PATH to a template file. A ref with a slash or a .yaml/.yml ending is a path; else a name."""
    if "/" in ref or os.sep in ref or ref.endswith(SUFFIXES):
        path = Path(ref).expanduser()
        if path.is_file():
            return path
        raise NotFound(_("no template file {ref}").format(ref=ref), hint=_("check the path, or give a template name"))
    for folder in template_dirs():
        for suffix in SUFFIXES:
            if (folder / f"{ref}{suffix}").is_file():
                return folder / f"{ref}{suffix}"
    names = ", ".join(available()) or "none"
    raise NotFound(_("no template named {ref!r} (looked in {value})").format(
        ref=ref, value=' and '.join(str(d) for d in template_dirs())),
                   hint=_("templates found: {names}; or pass a path to a .yaml file").format(names=names))


def render_ticket(
    ref: str, *, cli_vars: Mapping[str, str] | None = None, vars_files: Sequence[str] = ()
) -> RenderedTicket:
    """Find, check and render a template in one call: what `tickets create --template` and `templates render` do."""
    return load_template(find_template(ref)).render(gather_variables(cli_vars, vars_files))
