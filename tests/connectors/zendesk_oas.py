"""Zendesk's Support OpenAPI document as the judge of the Zendesk simulator and of what the connector sends it.

tests/vendor/zendesk/support-api-excerpt.yaml holds the facts of Zendesk's document for the operations the
connectors use (README.md there says where it comes from and why only an excerpt is kept); amendments.yaml beside
it lists, with their source, the few places where Zendesk's real answers differ from its document (fields it
sends as null that the document types without `nullable`). openapi-core validates each request a connector sends
and each answer the simulator gives against that document: `Judge.check` is the simulator's hook, and a fixture
fails its test when `Judge.problems` is not empty.

Zendesk publishes two documents the connectors use: the Support API's and the Help Center API's (paths under
/api/v2/help_center/); DOCUMENTS names each one's excerpt, amendments and operations. An excerpt is made again from
a fresh download with `python -m tests.connectors.zendesk_oas support oas.yaml > tests/vendor/zendesk/
support-api-excerpt.yaml` (or `help-center HC.yaml > .../help-center-api-excerpt.yaml`): the operations named and
every component they reach ($ref, transitively), through openapi_facts.facts (no prose).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.connectors.openapi_facts import facts

VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "zendesk"
HOST = "https://example.zendesk.com"  # the Support document's server, {subdomain}.{domain}.com with its defaults
OUTSIDE = ("/attachments/",)  # `content_url` links: signed file downloads, not the API
HELP_CENTER = "/api/v2/help_center/"  # paths of the Help Center API, which has its own document
# operationId -> why the connectors call it (zendesk_requests.py, zendesk.py, zendesk_agent.py)
SUPPORT = {
    "ShowCurrentUser": "whoami; the token's role",
    "ListCustomStatuses": "custom status labels",
    "ListRequests": "tickets list (end user)",
    "CreateRequest": "tickets create (end user)",
    "ShowRequest": "tickets show (end user)",
    "UpdateRequest": "reply, close (end user)",
    "ListComments": "a request's comments",
    "UploadFiles": "attachments",
    "CreateTicket": "tickets create (agent)",
    "ShowTicket": "tickets show (agent)",
    "UpdateTicket": "reply, note, update, close (agent)",
    "ListTicketComments": "a ticket's comments, internal notes included",
    "ListSearchResults": "tickets list (agent)",
    "IncrementalTicketExportCursor": "export tickets --incremental",
}
HELP_CENTER_OPERATIONS = {
    "ArticleSearch": "articles search",
    "ShowArticleNoLocale": "articles show",
    "ListArticlesNoLocale": "articles list",
    "ListArticlesBySectionNoLocale": "articles list --folder",
    "ListSectionsNoLocale": "articles collections (folders)",
    "ListCategoriesNoLocale": "articles collections",
    "UpvoteArticleNoLocale": "articles rate --helpful",
    "DownvoteArticleNoLocale": "articles rate --not-helpful",
}
# document -> (its excerpt, its amendments, the operations kept)
DOCUMENTS = {"support": ("support-api-excerpt.yaml", "amendments.yaml", SUPPORT),
             "help-center": ("help-center-api-excerpt.yaml", "help-center-amendments.yaml", HELP_CENTER_OPERATIONS)}
METHODS = {"get", "put", "post", "patch", "delete"}


def amended(document: dict[str, Any], amendments: dict[str, Any]) -> dict[str, Any]:
    """The document with amendments.yaml applied (each kind is explained, with its source, in that file)."""
    schemas = document["components"]["schemas"]
    for item in amendments.get("nullable", []):
        schemas[item["schema"]]["properties"][item["property"]]["nullable"] = True
    if amendments.get("nullable_enums"):
        for node in walk(document):
            if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
    for name, kind in amendments.get("deep_object_branch", {}).items():
        parameter = document["components"]["parameters"][name]
        [parameter["schema"]] = [s for s in parameter["schema"]["oneOf"] if s.get("type") == kind]
    if "servers" in amendments:
        document["servers"] = amendments["servers"]
    for name, scheme in amendments.get("security", {}).items():
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
def document(name: str = "support") -> dict[str, Any]:
    """One of DOCUMENTS, amended."""
    excerpt, amendments, _ = DOCUMENTS[name]
    found = yaml.safe_load((VENDOR / excerpt).read_text(encoding="utf-8"))
    return amended(found, yaml.safe_load((VENDOR / amendments).read_text(encoding="utf-8")))


@functools.cache
def spec(name: str) -> OpenAPI:
    return OpenAPI.from_dict(document(name))


def documented(name: str, status: int, method: str, path: str) -> bool:
    """Whether the document describes an answer with this status (it describes successes, not errors)."""
    for pattern, item in document(name)["paths"].items():
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
        name = "help-center" if path.startswith(HELP_CENTER) else "support"
        lower = {k.lower(): v for k, v in headers.items()}
        request = MockRequest(HOST, method.lower(), path, args=dict(parse_qsl(parts.query)),
                              headers={"Authorization": lower.get("authorization", "")}, data=body or None,
                              content_type=(lower.get("content-type") or "application/json").split(";")[0])
        self.checked += 1
        where = f"{method} {path}"
        for error in spec(name).iter_request_errors(request):
            self.problems.append(f"request {where}: {describe(error)}")
        if status == 429 or not documented(name, status, method, path):
            return  # the document describes successful answers only
        kind = (answer_headers.get("Content-Type") or "").split(";")[0]
        response = MockResponse(answer, status_code=status, content_type=kind)
        for error in spec(name).iter_response_errors(request, response):
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


# -- making the excerpt ------------------------------------------------------------------------------------------


class Loader(yaml.SafeLoader):
    """Zendesk's document writes `change: =`: YAML 1.1's value tag, read here as the plain string it means."""


Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def refs(node: Any) -> set[str]:
    return {item["$ref"] for item in walk(node) if isinstance(item.get("$ref"), str)}


def excerpt(source: dict[str, Any], operations: dict[str, str]) -> dict[str, Any]:
    """The facts of `operations` in one of Zendesk's documents, with every component they reach."""
    paths: dict[str, Any] = {}
    for path, item in source["paths"].items():
        kept = {m: facts(op) for m, op in item.items() if m in METHODS and op.get("operationId") in operations}
        if kept:
            paths[path] = {**({"parameters": facts(item["parameters"])} if "parameters" in item else {}), **kept}
    missing = set(operations) - {op["operationId"] for item in paths.values() for m, op in item.items()
                                 if m in METHODS}
    if missing:
        raise SystemExit(f"not in this document: {', '.join(sorted(missing))}")
    components: dict[str, dict[str, Any]] = {"securitySchemes": facts(source["components"]["securitySchemes"],
                                                                      "securitySchemes")}
    todo, seen = refs(paths), set()
    while todo:
        ref = todo.pop()
        seen.add(ref)
        _, _, kind, name = ref.split("/")
        node = facts(source["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        todo |= refs(node) - seen
    return {"openapi": source["openapi"], "info": {"title": source["info"]["title"],
                                                   "version": source["info"]["version"]},
            "servers": source.get("servers", []), "security": source.get("security", []),
            "paths": dict(sorted(paths.items())),
            "components": {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())}}


def main(name: str, path: str) -> None:
    raw = Path(path).read_bytes()
    source = yaml.load(raw, Loader=Loader)  # a SafeLoader subclass
    print(f"# Facts from Zendesk's OpenAPI document {source['info']['title']} {source['info']['version']}, cut by "
          f"tests/connectors/zendesk_oas.py:\n"
          f"# source sha256 {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes; see README.md beside this file.")
    print(yaml.safe_dump(excerpt(source, DOCUMENTS[name][2]), sort_keys=False, allow_unicode=True, width=120), end="")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
