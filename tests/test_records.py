"""Records compare and print through Record's own methods (model.record): held against the methods dataclasses
itself writes for the same fields, so a record still behaves as the plain dataclass it was."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from portalctl.model import Attachment, Comment, FieldDef, Record, Ticket


def as_dataclasses_writes_it(cls: type[Record]) -> Any:
    """The same fields, defaults and name, as a dataclass with every generated method."""
    namespace: dict[str, Any] = {"__annotations__": dict(cls.__annotations__)}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            namespace[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            namespace[field.name] = dataclasses.field(default_factory=field.default_factory)
    return dataclasses.dataclass(type(cls.__name__, (), namespace))


def ticket(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        id=7, subject="Factura 5412 rechazada", status="open", status_label="Open", priority="high", type=None,
        department="facturación", requester="ana@acme.test", requester_name="Ana Ávila", organization="acme",
        assignee=None, ccs=["bob@acme.test"], tags=["sat"], fields={"forms": "5412"}, created_at="2026-12-01T10:00:00Z",
        updated_at="2026-12-02T10:00:00Z", due_at=None, overdue=False, resolved_at=None, closed_at=None,
        follow_up_of=None)
    return values | changes


ATTACHMENT = dict(id=1, filename="factura.pdf", content_type="application/pdf", size=2048, sha256="ab" * 32,
                  comment_id=3, created_at="2026-12-01T10:00:00Z")
COMMENT = dict(id=3, author="ana@acme.test", author_name="Ana", author_role="customer", body="Adjunto la factura",
               internal=False, created_at="2026-12-01T10:00:00Z")
CASES = [
    (Attachment, ATTACHMENT, {"size": 2049}),
    (Comment, COMMENT | {"attachments": [Attachment(**ATTACHMENT)]}, {"internal": True}),
    (Ticket, ticket(comments=[Comment(**COMMENT)]), {"tags": ["sat", "urgente"]}),
    (FieldDef, dict(key="forms", label="Forms", type="multichoice", required=False, choices=["5412"], pattern=None,
                    customer_editable=True, department=None, description="form numbers"), {"required": True}),
]


@pytest.mark.parametrize(("cls", "values", "change"), CASES, ids=[case[0].__name__ for case in CASES])
def test_a_record_prints_and_compares_as_its_dataclass_would(cls: type[Record], values: dict[str, Any],
                                                              change: dict[str, Any]) -> None:
    reference = as_dataclasses_writes_it(cls)
    assert repr(cls(**values)) == repr(reference(**values))
    assert cls(**values) == cls(**values)
    assert (cls(**values) == cls(**values | change)) is (reference(**values) == reference(**values | change)) is False
    assert cls(**values) != reference(**values)  # another class is never equal, even with the same fields
    with pytest.raises(TypeError, match="unhashable"):  # mutable, so not a set member or a dict key by mistake
        hash(cls(**values))
