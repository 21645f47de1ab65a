"""Custom ticket fields: checking values against their definitions (type, choices, pattern, required)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from portalctl.engine.db import Row
from portalctl.errors import InvalidInput, PermissionDenied
from portalctl.i18n import _
from portalctl.model import FieldDef

TRUE = {"true", "yes", "y", "1", "si", "sí", "on"}
FALSE = {"false", "no", "n", "0", "off"}


def coerce(definition: FieldDef, raw: Any) -> Any:
    """The stored value for `raw` (text from the command line, or JSON-typed), or InvalidInput naming the field."""
    key, kind = definition.key, definition.type
    text = raw if isinstance(raw, str) else None
    if kind == "text":
        value = str(raw)
        if definition.pattern and not re.fullmatch(definition.pattern, value):
            raise InvalidInput(
                _("field {key}: {value!r} does not match the pattern {pattern}").format(
                    key=key, value=value, pattern=definition.pattern),
                hint=definition.description, about=None if definition.description else f"field_pattern:{key}",
            )
        return value
    if kind == "number":
        try:
            number = float(raw)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("field {key}: {raw!r} is not a number").format(key=key, raw=raw)) from exc
        if not math.isfinite(number):
            raise InvalidInput(_("field {key}: {raw!r} is not a finite number").format(key=key, raw=raw))
        return int(number) if number.is_integer() else number
    if kind == "date":
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError as exc:
            raise InvalidInput(_("field {key}: {raw!r} is not a date (YYYY-MM-DD)").format(key=key, raw=raw)) from exc
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        word = (text or str(raw)).strip().lower()
        if word in TRUE | FALSE:
            return word in TRUE
        raise InvalidInput(_("field {key}: {raw!r} is not yes or no").format(key=key, raw=raw))
    values = raw if isinstance(raw, list) else [v.strip() for v in str(raw).split(",") if v.strip()]
    if kind == "choice" and len(values) != 1:
        raise InvalidInput(_("field {key} takes one value").format(key=key), hint=_("choices: {choices}").format(
            choices=', '.join(definition.choices)))
    for value in values:
        if value not in definition.choices:
            raise InvalidInput(
                _("field {key}: {value!r} is not one of its choices").format(key=key, value=value),
                    hint=_("choices: {choices}").format(choices=', '.join(definition.choices))
            )
    return values[0] if kind == "choice" else values


def check_values(
    definitions: list[FieldDef],
    values: Mapping[str, Any],
    *,
    customer: bool,
    creating: bool,
) -> dict[str, Any]:
    """Validate `values` for a ticket; on create, every required field must be present."""
    by_key = {d.key: d for d in definitions}
    unknown = sorted(set(values) - set(by_key))
    if unknown:
        raise InvalidInput(
            _("unknown field {unknown}").format(unknown=', '.join(unknown)),
            hint=_("fields here: {value}").format(value=', '.join(by_key) or _('none defined')), about="fields",
        )
    if customer and not creating:
        locked = sorted(k for k in values if not by_key[k].customer_editable)
        if locked:
            raise PermissionDenied(
                _("you may not edit {locked}").format(
                    locked=', '.join(locked)), hint=_("ask your support team to change it")
            )
    emptied = [k for k, raw in values.items() if raw in (None, "", []) and by_key[k].required]
    if emptied:
        raise InvalidInput(_("missing required field {emptied}").format(emptied=', '.join(emptied)),
            hint=_("{emptied} cannot be empty").format(emptied=emptied[0]))
    result = {key: coerce(by_key[key], raw) for key, raw in values.items()}
    if creating:
        missing = [d.key for d in definitions if d.required and result.get(d.key) in (None, "", [])]
        if missing:
            raise InvalidInput(_("missing required field {missing}").format(
                missing=', '.join(missing)), about=f"field:{missing[0]}")
    return result


def field_record(row: Row) -> FieldDef:
    return FieldDef(
        key=row["key"], label=row["label"], type=row["type"], required=bool(row["required"]),
        choices=json.loads(row["choices"]), pattern=row["pattern"],
        customer_editable=bool(row["customer_editable"]), department=row["dept"], description=row["description"],
    )
