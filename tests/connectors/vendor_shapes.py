"""WHMCS and Freshdesk publish no OpenAPI document: the simulators' answers are held to the shape of the vendors'
documented example answers instead.

tests/vendor/whmcs/answers.json and tests/vendor/freshdesk/answers.json hold, per answer, the keys the vendor's
examples always carry and their JSON types, as JSON Schema written for portalctl (each file's "about" and "source"
say from which pages; no text of the vendors' is kept). `problems` validates one answer with jsonschema; the
simulators record their answers, and the tests' fixtures fail on any problem.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

VENDOR = Path(__file__).resolve().parents[1] / "vendor"
# Freshdesk: (method, path pattern) of a successful answer -> the documented answer it must look like
FRESHDESK = [("GET", r"/api/v2/tickets", "list_tickets"), ("POST", r"/api/v2/tickets", "view_ticket"),
             ("GET", r"/api/v2/tickets/\d+", "view_ticket"), ("PUT", r"/api/v2/tickets/\d+", "view_ticket"),
             ("POST", r"/api/v2/tickets/\d+/reply", "reply"), ("POST", r"/api/v2/tickets/\d+/notes", "note"),
             ("GET", r"/api/v2/tickets/\d+/conversations", "list_conversations")]


@functools.cache
def validator(vendor: str, name: str) -> Draft202012Validator:
    shapes = json.loads((VENDOR / vendor / "answers.json").read_text(encoding="utf-8"))
    return Draft202012Validator({**shapes["answers"][name]["schema"], "$defs": shapes["$defs"]})


def problems(vendor: str, name: str, answer: Any) -> list[str]:
    """How one answer departs from the documented shape (empty: it does not)."""
    return [f"{name}: ${''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in error.absolute_path)}: "
            f"{error.message[:200]}" for error in validator(vendor, name).iter_errors(answer)]


def whmcs(answers: list[tuple[str, int, dict[str, Any]]]) -> list[str]:
    """Every successful WHMCS answer (action, HTTP status, body) against its action's documented shape."""
    known = json.loads((VENDOR / "whmcs" / "answers.json").read_text(encoding="utf-8"))["answers"]
    found = []
    for action, _, body in answers:
        if body.get("result") == "success":
            found += problems("whmcs", action, body) if action in known else [f"{action}: no documented shape"]
    return found


def freshdesk(answers: list[tuple[str, str, int, Any]]) -> list[str]:
    """Every Freshdesk answer (method, path, HTTP status, body) against the documented answer of its endpoint."""
    found = []
    for method, path, status, body in answers:
        if status == 400:
            found += problems("freshdesk", "validation_error", body)
            continue
        name = next((n for verb, pattern, n in FRESHDESK if verb == method and re.fullmatch(pattern, path)), None)
        if status < 300 and name is not None:
            found += problems("freshdesk", name, body)
    return found
