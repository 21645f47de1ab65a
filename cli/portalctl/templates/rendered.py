"""The ticket a template gives once its variables are filled in, with command-line flags over it.

It exists apart from the template so what is sent (a TicketDraft), shown (`templates render`, YAML or JSON) and
overridden by flags is one plain record, free of the file and its lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from portalctl.contract import TicketDraft, Upload
from portalctl.i18n import _
from portalctl.templates.reading import STR, fail


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


class BlockDumper(yaml.SafeDumper):
    """A SafeDumper that writes multi-line strings as `|` blocks."""


def _block_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(STR, value, style="|" if "\n" in value else None)


BlockDumper.add_representer(str, _block_text)
