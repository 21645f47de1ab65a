"""HubSpot's answers as HubSpot's own Python SDK reads them: the judge of the HubSpot simulator.

HubSpot's OpenAPI collection is proprietary (not for external use), so it is not kept here; hubspot-api-client
(Apache-2.0) has models generated from those specs, which list each object's fields, their types, the required ones
and the allowed values of enumerations. Deserialising through them with client-side validation on fails on a missing
required field, a null where the spec forbids one, or a value outside an enumeration. `model_for` names the model
the SDK's own API class declares as the response type of each call the connector makes.
"""

from __future__ import annotations

import importlib
import json
import re
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
