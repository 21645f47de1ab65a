"""A template file checked key by key into a TicketTemplate.

It exists so the file's shape is judged in one place, before anything is rendered: an unknown key (with a close
match suggested), a wrong type or a key given twice fails naming the file, the line and the key, and what can be
checked while variables are still in place (their syntax, body or body_file, choices written literally) is checked
here; the rest is checked when the template renders (template.py).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from portalctl.config import ENV_PREFIX
from portalctl.i18n import _
from portalctl.templates.reading import NULL, compose, describe, fail, is_string, line_of, mapping, read_text
from portalctl.templates.template import CHOICES, LISTS, TicketTemplate
from portalctl.templates.variables import NAME, Declared

KNOWN_KEYS = ("subject", "body", "body_file", "priority", "type", "department", "tags", "ccs", "fields",
              "attachments", "dedupe_key", "on_duplicate", "description", "variables")
VARIABLE_KEYS = ("name", "default", "description")


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
