"""HubSpot's requests and answers as HubSpot's own Python SDK reads them: the judge of the HubSpot simulator and of
what the connector sends it.

HubSpot's OpenAPI collection is proprietary (not for external use), so it is not kept here; hubspot-api-client
(Apache-2.0) has models generated from those specs, which list each object's fields, their types, the required ones
and the allowed values of enumerations. Deserialising through them with client-side validation on fails on a missing
required field, a null where the spec forbids one, or a value outside an enumeration. `model_for` names the model
the SDK's own API class declares as the response type of each call the connector makes.

Requests: `check_request` reads each JSON body through the model the SDK's API class takes for that call (its
`body` parameter), strictly: a key the model does not declare, or a value of another type, is an error (the SDK
itself would drop the one and turn the other into a string). A file upload's form fields must be the ones the
SDK's FilesApi.upload sends. One known gap of the SDK, written down as an exception: PublicObjectSearchRequest
types `sorts` as a list of strings, while HubSpot's CRM search guide sorts with objects {"propertyName",
"direction": "ASCENDING"|"DESCENDING"} (developers.hubspot.com/docs/api/crm/search, "Sorting search results").
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from types import SimpleNamespace
from typing import Any

PAGE = "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging"
FOUND = "CollectionResponseWithTotalSimplePublicObjectForwardPaging"
# (method, path pattern) -> (SDK package, model): the response_type of the SDK call for that endpoint
MODELS: list[tuple[str, str, str, str]] = [
    ("GET", r"/crm/v3/objects/tickets", "crm.tickets", PAGE),
    ("POST", r"/crm/v3/objects/tickets", "crm.tickets", "SimplePublicObject"),
    ("POST", r"/crm/v3/objects/tickets/search", "crm.tickets", FOUND),
    ("GET", r"/crm/v3/objects/tickets/\d+", "crm.tickets", "SimplePublicObjectWithAssociations"),
    ("PATCH", r"/crm/v3/objects/tickets/\d+", "crm.tickets", "SimplePublicObject"),
    ("POST", r"/crm/v3/objects/contacts/search", "crm.contacts", FOUND),
    ("GET", r"/crm/v3/objects/contacts/\d+", "crm.contacts", "SimplePublicObjectWithAssociations"),
    ("POST", r"/crm/v3/objects/notes", "crm.objects.notes", "SimplePublicObject"),
    ("POST", r"/crm/v3/objects/notes/batch/read", "crm.objects.notes", "BatchResponseSimplePublicObject"),
    ("GET", r"/crm/v3/pipelines/tickets", "crm.pipelines", "CollectionResponsePipelineNoPaging"),
    ("GET", r"/crm/v3/properties/tickets", "crm.properties", "CollectionResponsePropertyNoPaging"),
    ("GET", r"/crm/v3/properties/tickets/[a-z_]+", "crm.properties", "ModelProperty"),
    ("POST", r"/files/v3/files", "files", "File"),
    ("GET", r"/files/v3/files/\d+", "files", "File"),
    ("GET", r"/files/v3/files/\d+/signed-url", "files", "SignedUrl"),
]


def model_for(method: str, path: str, status: int) -> tuple[str, str] | None:
    """The SDK model of an answer; error answers are the SDK's `Error` model."""
    for verb, pattern, package, model in MODELS:
        if verb == method and re.fullmatch(pattern, path):
            return (package, "Error") if status >= 400 else (package, model)
    return None


def read(method: str, path: str, status: int, body: Any) -> object:
    """Deserialise one answer as the SDK would; raises (ValueError, TypeError) where the SDK cannot read it."""
    found = model_for(method, path, status)
    if found is None:
        raise LookupError(f"no SDK model known for {method} {path}")
    package, model = found
    client_module = importlib.import_module(f"hubspot.{package}.api_client")
    settings = importlib.import_module(f"hubspot.{package}.configuration").Configuration()
    settings.client_side_validation = True  # the SDK's default is off: on, its models check required and enums
    models = importlib.import_module(f"hubspot.{package}.models")
    client = client_module.ApiClient(settings)
    return client.deserialize(SimpleNamespace(data=json.dumps(body)), getattr(models, model))


# (method, path pattern) -> (SDK package, model): the `body` type of the SDK call for that endpoint
BODIES: list[tuple[str, str, str, str]] = [
    ("POST", r"/crm/v3/objects/tickets", "crm.tickets", "SimplePublicObjectInputForCreate"),
    ("PATCH", r"/crm/v3/objects/tickets/\d+", "crm.tickets", "SimplePublicObjectInput"),
    ("POST", r"/crm/v3/objects/tickets/search", "crm.tickets", "PublicObjectSearchRequest"),
    ("POST", r"/crm/v3/objects/contacts/search", "crm.contacts", "PublicObjectSearchRequest"),
    ("POST", r"/crm/v3/objects/notes", "crm.objects.notes", "SimplePublicObjectInputForCreate"),
    ("POST", r"/crm/v3/objects/notes/batch/read", "crm.objects.notes", "BatchReadInputSimplePublicObjectId"),
]
SORT_KEYS = {"propertyName", "direction"}
DIRECTIONS = {"ASCENDING", "DESCENDING"}
PRIMITIVES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float),
                                           "object": (object,)}


def check_request(method: str, path: str, content_type: str, raw: bytes) -> list[str]:
    """What in one request departs from the SDK's models (empty: nothing)."""
    if method == "POST" and path == "/files/v3/files":
        return check_upload(content_type, raw)
    for verb, pattern, package, model in BODIES:
        if verb == method and re.fullmatch(pattern, path):
            body = json.loads(raw)
            models = importlib.import_module(f"hubspot.{package}.models")
            problems = strict(models, model, body, "$")
            try:
                read_as(package, model, body)
            except (ValueError, TypeError) as exc:
                problems.append(f"$: {exc}")
            return problems
    return [f"no SDK model known for the body of {method} {path}"] if raw else []


def read_as(package: str, model: str, body: Any) -> object:
    client_module = importlib.import_module(f"hubspot.{package}.api_client")
    settings = importlib.import_module(f"hubspot.{package}.configuration").Configuration()
    settings.client_side_validation = True
    client = client_module.ApiClient(settings)
    return client.deserialize(SimpleNamespace(data=json.dumps(body)), model)


def strict(models: Any, kind: str, value: Any, where: str) -> list[str]:
    """Every key the SDK's type does not declare and every value of another type, under `where`."""
    if value is None:
        return []
    if kind.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: a list expected, not {type(value).__name__}"]
        if where.endswith(".sorts") and kind == "list[str]":  # the SDK's known gap: see the module's docstring
            return [f"{where}[{i}]: not a sort" for i, item in enumerate(value) if not (
                isinstance(item, str) or (isinstance(item, dict) and set(item) == SORT_KEYS
                                          and item["direction"] in DIRECTIONS))]
        return [p for i, item in enumerate(value) for p in strict(models, kind[5:-1], item, f"{where}[{i}]")]
    if kind.startswith("dict["):
        if not isinstance(value, dict):
            return [f"{where}: an object expected, not {type(value).__name__}"]
        inner = kind[5:-1].split(", ", 1)[1]
        return [p for key, item in value.items() for p in strict(models, inner, item, f"{where}.{key}")]
    if kind in PRIMITIVES:
        wanted = PRIMITIVES[kind]
        wrong = not isinstance(value, wanted) or (kind == "int" and isinstance(value, bool))
        return [f"{where}: {kind} expected, not {type(value).__name__} {value!r}"] if wrong else []
    cls = getattr(models, kind)
    if not isinstance(value, dict):
        return [f"{where}: {kind} expected, not {type(value).__name__}"]
    names = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    problems = [f"{where}.{key}: not a field of {kind}" for key in value if key not in names]
    return problems + [p for key, item in value.items() if key in names
                       for p in strict(models, cls.openapi_types[names[key]], item, f"{where}.{key}")]


def upload_fields() -> set[str]:
    """The multipart fields HubSpot's SDK sends to POST /files/v3/files (FilesApi.upload)."""
    source = inspect.getsource(importlib.import_module("hubspot.files.api.files_api").FilesApi.upload_with_http_info)
    return set(re.findall(r'form_params\.append\(\("(\w+)"', source)) | set(
        re.findall(r'local_var_files\["(\w+)"\]', source))


def check_upload(content_type: str, raw: bytes) -> list[str]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    names = [part.get_param("name", header="content-disposition") for part in message.iter_parts()]
    problems = [f"form field {name!r} is not one FilesApi.upload sends" for name in names
                if name not in upload_fields()]
    if ("folderId" in names) == ("folderPath" in names):  # "Either 'folderId' or 'folderPath' is required"
        problems.append("exactly one of folderId and folderPath")
    return problems + ([] if "file" in names else ["no file"])


def problems(answers: list[tuple[str, str, int, Any]], sent: list[tuple[str, str, str, bytes]]) -> list[str]:
    """Every answer the SDK cannot read and every request body that departs from its models (a simulator's
    `answers` and `sent`)."""
    found = []
    for method, path, status, body in answers:
        try:
            read(method, path, status, body)
        except (LookupError, ValueError, TypeError) as exc:
            found.append(f"answer {status} to {method} {path}: {exc}")
    for method, path, content_type, raw in sent:
        found += [f"request {method} {path}: {problem}" for problem in check_request(method, path, content_type, raw)]
    return found
