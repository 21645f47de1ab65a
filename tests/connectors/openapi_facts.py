"""The facts of a vendor's OpenAPI document, for documents whose licence does not let the project keep them.

`facts` drops the prose (descriptions, summaries, examples, tags, vendor extensions) and keeps what a program
needs: paths, methods, parameters, request and response schemas (types, formats, enumerations, required, nullable,
additionalProperties). Used by jsm_openapi.py (Atlassian's JSM document) and zendesk_oas.py (Zendesk's Support
document).
"""

from __future__ import annotations

from typing import Any

PROSE = {"description", "summary", "example", "examples", "tags", "externalDocs", "termsOfService", "contact"}
# keys whose value maps names to objects: there a name like `description` or `tags` is a field, and is kept
NAMED = {"properties", "schemas", "parameters", "responses", "paths", "content", "headers", "securitySchemes",
         "requestBodies", "scopes", "variables"}


def facts(node: Any, named: str = "") -> Any:
    """`node` without its prose. `named`: the key whose value `node` is, when that value maps names to objects (a
    schema's properties, the responses by status). A response object keeps an empty description, which OpenAPI
    requires; an OAuth scope keeps its name, not what it says about itself."""
    if isinstance(node, list):
        return [facts(item) for item in node]
    if not isinstance(node, dict):
        return node
    if named == "scopes":
        return {k: "" for k in node}
    if named:
        out = {k: facts(v) for k, v in node.items()}
        if named == "responses":
            for response in out.values():
                if isinstance(response, dict) and "$ref" not in response:
                    response["description"] = ""
        return out
    return {k: facts(v, k if k in NAMED else "") for k, v in node.items()
            if k not in PROSE and not str(k).startswith("x-")}
