"""Zendesk's Support OpenAPI document as the judge of the Zendesk simulator and of what the connector sends it.

tests/vendor/zendesk/support-api-excerpt.yaml holds the facts of Zendesk's document for the operations the
connectors use (README.md there says where it comes from and why only an excerpt is kept); amendments.yaml beside
it lists, with their source, the few places where Zendesk's real answers differ from its document (fields it
sends as null that the document types without `nullable`). openapi-core validates each request a connector sends
and each answer the simulator gives against that document: `Judge.check` is the simulator's hook, and a fixture
fails its test when `Judge.problems` is not empty.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "zendesk"
HOST = "https://example.zendesk.com"  # the document's server, {subdomain}.{domain}.com with its defaults
# Not the Support API: the Help Center has its own API reference, and `content_url` links are signed file downloads.
OUTSIDE = ("/api/v2/help_center/", "/attachments/")


def amended(document: dict[str, Any], amendments: dict[str, Any]) -> dict[str, Any]:
    """The document with amendments.yaml applied (each kind is explained, with its source, in that file)."""
    schemas = document["components"]["schemas"]
    for item in amendments["nullable"]:
        schemas[item["schema"]]["properties"][item["property"]]["nullable"] = True
    if amendments["nullable_enums"]:
        for node in walk(document):
            if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
    for name, kind in amendments["deep_object_branch"].items():
        parameter = document["components"]["parameters"][name]
        [parameter["schema"]] = [s for s in parameter["schema"]["oneOf"] if s.get("type") == kind]
    for name, scheme in amendments["security"].items():
        document["components"]["securitySchemes"][name] = scheme
        document["security"].append({name: []})
    return document


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping in the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@functools.cache
def document() -> dict[str, Any]:
    excerpt = yaml.safe_load((VENDOR / "support-api-excerpt.yaml").read_text(encoding="utf-8"))
    return amended(excerpt, yaml.safe_load((VENDOR / "amendments.yaml").read_text(encoding="utf-8")))


@functools.cache
def spec() -> OpenAPI:
    return OpenAPI.from_dict(document())


def documented(status: int, method: str, path: str) -> bool:
    """Whether the document describes an answer with this status (it describes successes, not errors)."""
    for pattern, item in document()["paths"].items():
        if match(pattern, path) and method.lower() in item:
            return str(status) in {str(code) for code in item[method.lower()]["responses"]}
    return False


def match(pattern: str, path: str) -> bool:
    want, have = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(have) and all(w.startswith("{") or w == h for w, h in zip(want, have, strict=True))


class Judge:
    """Collects every way a request or an answer departs from Zendesk's document."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked = 0

    def check(self, method: str, target: str, headers: dict[str, str], body: bytes, status: int,
              answer_headers: dict[str, str], answer: bytes) -> None:
        try:
            self.judge(method, target, headers, body, status, answer_headers, answer)
        except Exception as exc:  # any failure: the simulator's thread must still answer; the test reports it
            self.problems.append(f"{method} {target}: the validator failed: {exc!r}")

    def judge(self, method: str, target: str, headers: dict[str, str], body: bytes, status: int,
              answer_headers: dict[str, str], answer: bytes) -> None:
        parts = urlsplit(target)
        path = parts.path.removesuffix(".json")  # "The .json extension is optional" (doc conventions)
        if path.startswith(OUTSIDE):
            return
        lower = {k.lower(): v for k, v in headers.items()}
        request = MockRequest(HOST, method.lower(), path, args=dict(parse_qsl(parts.query)),
                              headers={"Authorization": lower.get("authorization", "")}, data=body or None,
                              content_type=(lower.get("content-type") or "application/json").split(";")[0])
        self.checked += 1
        where = f"{method} {path}"
        for error in spec().iter_request_errors(request):
            self.problems.append(f"request {where}: {describe(error)}")
        if status == 429 or not documented(status, method, path):
            return  # the document describes successful answers only
        kind = (answer_headers.get("Content-Type") or "").split(";")[0]
        response = MockResponse(answer, status_code=status, content_type=kind)
        for error in spec().iter_response_errors(request, response):
            self.problems.append(f"answer {status} to {where}: {describe(error)}")

    def verdict(self) -> str:
        """One line per problem (the first 20), for a test's failure message."""
        return "\n".join(self.problems[:20])


def describe(error: BaseException) -> str:
    """The innermost schema errors (where in the body, what is wrong), else the error itself."""
    found: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        for leaf in getattr(seen, "schema_errors", None) or []:
            found.append(f"{leaf.json_path}: {leaf.message[:200]}")
        seen = seen.__cause__
    return "; ".join(dict.fromkeys(found)) or f"{type(error).__name__}: {str(error)[:300]}"
