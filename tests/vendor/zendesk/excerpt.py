"""Cut Zendesk's Support OpenAPI document down to the facts the connectors use (see README.md beside this file).

    python tests/vendor/zendesk/excerpt.py oas.yaml > tests/vendor/zendesk/support-api-excerpt.yaml

`oas.yaml` is the document as Zendesk serves it (https://developer.zendesk.com/zendesk/oas.yaml). Kept: the
operations named in OPERATIONS (path, method, parameters, request body, responses) and the components they reach
($ref, transitively); dropped: every description (but a response's one-line title, which OpenAPI requires), summary,
example and tag, so what remains is the document's
facts (paths, parameter names and types, fields, types, formats, enumerations, required, nullable, readOnly).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import yaml

# operationId -> why the connectors call it (zendesk_requests.py, zendesk.py, zendesk_agent.py)
OPERATIONS = {
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
PROSE = {"description", "summary", "example", "examples", "tags", "externalDocs"}
METHODS = {"get", "put", "post", "patch", "delete"}


class Loader(yaml.SafeLoader):
    """Zendesk's document writes `change: =`: YAML 1.1's value tag, read here as the plain string it means."""


Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def facts(node: Any) -> Any:
    if isinstance(node, dict):
        kept = {k: facts(v) for k, v in node.items() if k not in PROSE and not str(k).startswith("x-")}
        if isinstance(node.get("responses"), dict):  # OpenAPI requires each response's description: keep its title
            kept["responses"] = {code: {"description": answer.get("description", ""), **kept["responses"][code]}
                                 for code, answer in node["responses"].items()}
        return kept
    if isinstance(node, list):
        return [facts(v) for v in node]
    return node


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def excerpt(document: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        kept = {m: facts(op) for m, op in item.items() if m in METHODS and op.get("operationId") in OPERATIONS}
        if kept:
            paths[path] = {**({"parameters": facts(item["parameters"])} if "parameters" in item else {}), **kept}
    missing = set(OPERATIONS) - {op["operationId"] for item in paths.values() for m, op in item.items()
                                 if m in METHODS}
    if missing:
        raise SystemExit(f"not in this document: {', '.join(sorted(missing))}")
    components: dict[str, dict[str, Any]] = {"securitySchemes": facts(document["components"]["securitySchemes"])}
    todo, seen = refs(paths), set()
    while todo:
        ref = todo.pop()
        seen.add(ref)
        _, _, kind, name = ref.split("/")
        node = facts(document["components"][kind][name])
        components.setdefault(kind, {})[name] = node
        todo |= refs(node) - seen
    return {"openapi": document["openapi"], "info": {"title": document["info"]["title"],
                                                     "version": document["info"]["version"]},
            "servers": document["servers"], "security": document.get("security", []),
            "paths": dict(sorted(paths.items())),
            "components": {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())}}


def main(source: str) -> None:
    raw = Path(source).read_bytes()
    document = yaml.load(raw, Loader=Loader)  # a SafeLoader subclass
    print(f"# Facts from Zendesk's Support API OpenAPI document ({document['info']['title']} "
          f"{document['info']['version']}), cut by tests/vendor/zendesk/excerpt.py:\n"
          f"# source sha256 {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes; see README.md beside this file.")
    print(yaml.safe_dump(excerpt(document), sort_keys=False, allow_unicode=True, width=120), end="")


if __name__ == "__main__":
    main(sys.argv[1])
