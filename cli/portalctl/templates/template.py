"""A checked ticket template, variables still in place, and how it renders into a ticket.

It exists so that everything found after variables are filled in (a choice that is not one, a missing file, an
unset variable) is checked in one place that still knows each key's line in the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from portalctl.config import ENV_PREFIX
from portalctl.contract import ON_DUPLICATE
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import PRIORITIES, TICKET_TYPES
from portalctl.templates.reading import fail, read_text
from portalctl.templates.rendered import RenderedTicket
from portalctl.templates.variables import SYNTAX_HINT, VARIABLE, Declared, Variables, builtin_variables, substitute

SUBSTITUTED = ("subject", "body", "body_file", "priority", "type", "department", "dedupe_key", "on_duplicate")
LISTS = ("tags", "ccs", "attachments")
CHOICES: dict[str, Sequence[str]] = {"priority": PRIORITIES, "type": TICKET_TYPES, "on_duplicate": ON_DUPLICATE}


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
