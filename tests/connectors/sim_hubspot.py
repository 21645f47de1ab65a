"""A HubSpot CRM v3 simulator on 127.0.0.1 for the connector tests: tickets, notes, pipelines, properties, files.

It follows HubSpot's documented behaviour, each with where it is documented:
- auth: private app token as `Authorization: Bearer`; anything else is 401 with category INVALID_AUTHENTICATION
  (developers.hubspot.com/docs/api/private-apps, /docs/api/error-handling);
- error bodies {"status": "error", "message", "correlationId", "category"} (/docs/api/error-handling);
- objects: POST/GET/PATCH /crm/v3/objects/tickets[/{id}], properties and associations query parameters, cursor
  paging `paging.next.after`, limit at most 100 (/docs/api/crm/tickets, "CRM API | Tickets");
- search: POST /crm/v3/objects/tickets/search with filterGroups (at most 5 groups of at most 6 filters), sorts (one),
  query, properties, limit, after (/docs/api/crm/search, "CRM API | Search");
- unknown properties refused with VALIDATION_ERROR / PROPERTY_DOESNT_EXIST (/docs/api/crm/properties);
- pipelines: GET /crm/v3/pipelines/tickets, stages with metadata.ticketState OPEN/CLOSED; the default "Support
  Pipeline" New / Waiting on contact / Waiting on us / Closed (/docs/api/crm/pipelines, "CRM API | Pipelines");
- notes: POST /crm/v3/objects/notes, hs_timestamp required, hs_attachment_ids separated by ';', association type
  228 note -> ticket; POST /crm/v3/objects/notes/batch/read (/docs/api/crm/notes, "CRM API | Notes");
- files: POST /files/v3/files multipart (file, options JSON with `access` required, folderPath or folderId),
  GET /files/v3/files/{id}, GET /files/v3/files/{id}/signed-url (/docs/api/files/files, "Files API v3");
- 429 with category RATE_LIMITS and X-HubSpot-RateLimit-Max / -Remaining / -Interval-Milliseconds headers;
  Retry-After may be absent (/docs/api/usage-details, "API usage guidelines and limits");
- search: "The search endpoints are rate limited to five requests per second per account" ("CRM API | Search",
  Limitations), a limit apart from the app's burst limit, and search answers carry no X-HubSpot-RateLimit-*
  headers (issue 11, point 8): five searches in any second, the sixth gets a 429;
- scopes: a call the private app has no scope for is a 403 with category MISSING_SCOPES whose
  errors[].context.requiredGranularScopes names the scopes that would do ("Error handling"; the body as
  HubSpot sends it, e.g. github.com/HubSpot/hubspot-api-nodejs/issues/268). Notes need crm.objects.contacts.write
  to be created and crm.objects.contacts.read to be read ("CRM API | Notes", Scope requirements), files `files`,
  tickets, their pipelines and properties `tickets`, contacts crm.objects.contacts.read;
- hs_ticket_priority is an enumeration whose options belong to the account (GET
  /crm/v3/properties/tickets/{propertyName}, "CRM API | Properties"): `priority_options` sets them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
READ_ONLY_TOKEN = "pat-na1-readonly"  # a private app granted only tickets read: writes get 403 MISSING_SCOPES
NO_NOTES_TOKEN = "pat-na1-nonotes"  # the scopes portalctl's hint once named: tickets, files, contacts read only
SCOPES = {TOKEN: {"tickets", "files", "crm.objects.contacts.read", "crm.objects.contacts.write"},
          READ_ONLY_TOKEN: {"tickets", "files", "crm.objects.contacts.read", "crm.objects.contacts.write"},
          NO_NOTES_TOKEN: {"tickets", "files", "crm.objects.contacts.read"}}
SEARCH_PER_SECOND = 5  # "CRM API | Search": five requests per second per account
PIPELINES: list[dict[str, Any]] = [
    {"id": "0", "label": "Support Pipeline", "displayOrder": 0, "archived": False, "stages": [
        {"id": "1", "label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}, "archived": False},
        {"id": "2", "label": "Waiting on contact", "displayOrder": 1, "metadata": {"ticketState": "OPEN"},
         "archived": False},
        {"id": "3", "label": "Waiting on us", "displayOrder": 2, "metadata": {"ticketState": "OPEN"},
         "archived": False},
        {"id": "4", "label": "Closed", "displayOrder": 3, "metadata": {"ticketState": "CLOSED"}, "archived": False},
    ]},
    {"id": "7001", "label": "VAI Formularios", "displayOrder": 1, "archived": False, "stages": [
        {"id": "7101", "label": "Nuevo", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}, "archived": False},
        {"id": "7102", "label": "En proceso", "displayOrder": 1, "metadata": {"ticketState": "OPEN"},
         "archived": False},
        {"id": "7103", "label": "Resuelto", "displayOrder": 2, "metadata": {"ticketState": "CLOSED"},
         "archived": False},
    ]},
]
CREATED = {"createdAt": "2024-01-02T10:00:00.000Z", "updatedAt": "2024-01-02T10:00:00.000Z"}
for _pipe in PIPELINES:  # "CRM API | Pipelines": pipelines and stages carry createdAt and updatedAt (required)
    _pipe.update(CREATED)
    for _stage in _pipe["stages"]:
        _stage.update(CREATED, writePermissions="CRM_PERMISSIONS_ENFORCEMENT")
DEFINED = ("subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "createdate",
           "hs_lastmodifieddate", "closed_date", "hubspot_owner_id", "hs_object_id", "hs_ticket_category")
CUSTOM: list[dict[str, Any]] = [
    {"name": "user_code", "label": "Código de usuario", "type": "string", "fieldType": "text", "options": []},
    {"name": "form_numbers", "label": "Números de formulario", "type": "string", "fieldType": "text", "options": []},
    {"name": "topic", "label": "Tema", "type": "enumeration", "fieldType": "select",
     "options": [{"label": "Importación", "value": "importacion", "hidden": False, "displayOrder": 0},
                 {"label": "Exportación", "value": "exportacion", "hidden": False, "displayOrder": 1}]},
]
CONTACTS: dict[int, dict[str, Any]] = {
    501: {"id": "501", "properties": {"email": "ana@vai.test", "firstname": "Ana", "lastname": "Importadora"},
          "archived": False, **CREATED},
}
PRIORITY_OPTIONS = [{"label": label.title(), "value": label, "displayOrder": i, "hidden": False}
                    for i, label in enumerate(("LOW", "MEDIUM", "HIGH", "URGENT"))]
DEFAULT_PROPERTIES = ("content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority",
                      "subject", "createdate", "hs_lastmodifieddate", "hs_object_id")


def required_scopes(method: str, path: str) -> set[str]:
    """The scopes any one of which lets a call through (HubSpot's reference pages, "Scope requirements")."""
    if path.startswith("/crm/v3/objects/notes"):
        return {"crm.objects.contacts.write"} if path == "/crm/v3/objects/notes" and method == "POST" \
            else {"crm.objects.contacts.read", "crm.objects.contacts.write"}
    if path.startswith("/crm/v3/objects/contacts"):
        return {"crm.objects.contacts.read", "crm.objects.contacts.write"}
    if path.startswith("/files/"):
        return {"files"}
    if path.startswith(("/crm/v3/objects/tickets", "/crm/v3/pipelines/tickets", "/crm/v3/properties/tickets")):
        return {"tickets"}
    return set()


def iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def as_millis(value: str) -> int:
    if value.isdigit():
        return int(value)
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


class Failure(Exception):
    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra


class HubSpotSim:
    """The account's state; `throttle(n, retry_after)` answers the next n requests with 429."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, dict[str, Any]] = {}
        self.links: dict[int, list[int]] = {}  # ticket id -> note ids
        self.contacts: dict[int, list[int]] = {}  # ticket id -> contact ids
        self.files: dict[int, dict[str, Any]] = {}
        self.blobs: dict[int, bytes] = {}
        self.next_id = 1000
        self.throttled = 0
        self.retry_after: int | None = None
        self.requests: list[tuple[str, str]] = []
        self.reported_total = 0  # a search's `total` at least this: stands in for an account with >10,000 tickets
        self.priority_options: list[dict[str, Any]] = [dict(o) for o in PRIORITY_OPTIONS]
        self.searches: list[float] = []  # when the last searches came (monotonic), for the per-second limit
        self.search_429s = 0
        self.answers: list[tuple[str, str, int, Any]] = []  # (method, path, status, JSON body) of every answer
        self.sent: list[tuple[str, str, str, bytes]] = []  # (method, path, Content-Type, body) of every request body
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubSpotSim:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def throttle(self, count: int, retry_after: int | None = None) -> None:
        with self.lock:
            self.throttled, self.retry_after = count, retry_after

    def bulk_tickets(self, count: int, priority: str = "HIGH") -> None:
        """`count` tickets in the default pipeline's first stage, made directly (for benchmarks)."""
        with self.lock:
            for n in range(count):
                ticket_id, moment = self.new_id(), iso()
                self.tickets[ticket_id] = {"id": ticket_id, "createdAt": moment, "properties": {
                    "subject": f"Ticket {n}", "content": "b", "hs_pipeline": "0", "hs_pipeline_stage": "1",
                    "hs_ticket_priority": priority, "createdate": moment, "hs_lastmodifieddate": moment,
                    "hs_object_id": str(ticket_id)}}

    def over_search_limit(self) -> bool:
        """Whether a search now would be the sixth in one second (then it is refused and not counted)."""
        now = time.monotonic()
        self.searches = [t for t in self.searches if now - t < 1.0]
        if len(self.searches) >= SEARCH_PER_SECOND:
            self.search_429s += 1
            return True
        self.searches.append(now)
        return False

    def priority_property(self) -> dict[str, Any]:
        moment = iso()
        return {"name": "hs_ticket_priority", "label": "Priority", "type": "enumeration", "fieldType": "select",
                "description": "The level of attention needed on the ticket", "groupName": "ticketinformation",
                "options": self.priority_options, "displayOrder": -1, "calculated": False,
                "externalOptions": False, "hasUniqueValue": False, "hidden": False, "hubspotDefined": True,
                "modificationMetadata": {"archivable": True, "readOnlyDefinition": True, "readOnlyValue": False},
                "formField": True, "createdAt": moment, "updatedAt": moment, "archived": False}

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # -- behaviour ---------------------------------------------------------------------------------------------

    def check_properties(self, props: Any, known: set[str]) -> None:
        if not isinstance(props, dict):
            raise Failure(400, "Invalid input JSON on line 1: properties must be an object", "VALIDATION_ERROR")
        bad = [name for name in props if name not in known]
        if bad:
            errors = [{"isValid": False, "message": f'Property "{n}" does not exist', "error": "PROPERTY_DOESNT_EXIST",
                       "name": n} for n in bad]
            raise Failure(400, f"Property values were not valid: {json.dumps(errors)}", "VALIDATION_ERROR")
        priority = props.get("hs_ticket_priority")
        allowed = [o["value"] for o in self.priority_options]
        if priority not in (None, "") and priority not in allowed:
            errors = [{"isValid": False, "message": f"{priority} was not one of the allowed options: "
                       f"[{', '.join(allowed)}]", "error": "INVALID_OPTION", "name": "hs_ticket_priority"}]
            raise Failure(400, f"Property values were not valid: {json.dumps(errors)}", "VALIDATION_ERROR")

    def check_stage(self, props: dict[str, Any]) -> None:
        pipe = next((p for p in PIPELINES if p["id"] == props.get("hs_pipeline")), None)
        if pipe is None:
            raise Failure(400, f"Property values were not valid: pipeline {props.get('hs_pipeline')!r} does not "
                          "exist", "VALIDATION_ERROR")
        if props.get("hs_pipeline_stage") not in {s["id"] for s in pipe["stages"]}:
            raise Failure(400, f"Property values were not valid: {props.get('hs_pipeline_stage')} is not a valid "
                          f"pipeline stage for pipeline {pipe['id']}", "VALIDATION_ERROR")

    def ticket_view(self, ticket: dict[str, Any], wanted: list[str] | None, notes: bool) -> dict[str, Any]:
        names = wanted or list(DEFAULT_PROPERTIES)
        view: dict[str, Any] = {"id": str(ticket["id"]), "createdAt": ticket["createdAt"],
                                "updatedAt": ticket["properties"]["hs_lastmodifieddate"], "archived": False,
                                "properties": {n: ticket["properties"].get(n) for n in names
                                               if n in DEFINED or n in {c["name"] for c in CUSTOM}}}
        if notes:
            found = {"notes": [(i, "ticket_to_note") for i in self.links.get(ticket["id"], [])],
                     "contacts": [(i, "ticket_to_contact") for i in self.contacts.get(ticket["id"], [])]}
            if any(found.values()):  # HubSpot leaves out associations that do not exist
                view["associations"] = {k: {"results": [{"id": str(i), "type": t} for i, t in v]}
                                        for k, v in found.items() if v}
        return view

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        found = self.tickets.get(int(ticket_id)) if ticket_id.isdigit() else None
        if found is None:
            raise Failure(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        return found

    def create_ticket(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or "properties" not in body:
            raise Failure(400, "Invalid input JSON on line 1, column 2: Some required fields were not set: "
                          "[properties]", "VALIDATION_ERROR")
        props = dict(body["properties"])
        self.check_properties(props, set(DEFINED) | {c["name"] for c in CUSTOM})
        props.setdefault("hs_pipeline", "0")
        if not props.get("hs_pipeline_stage"):
            raise Failure(400, "Property values were not valid: hs_pipeline_stage is required", "VALIDATION_ERROR")
        self.check_stage(props)
        contacts = []
        for assoc in body.get("associations") or []:
            types = assoc.get("types") or []
            if not types or any(t.get("associationCategory") != "HUBSPOT_DEFINED"
                                or t.get("associationTypeId") != 16 for t in types):
                raise Failure(400, f"invalid association type {types!r} for tickets to contacts (16)",
                              "VALIDATION_ERROR")
            contact_id = str((assoc.get("to") or {}).get("id"))
            if not contact_id.isdigit() or int(contact_id) not in CONTACTS:
                raise Failure(400, f"Object {contact_id} does not exist", "VALIDATION_ERROR")
            contacts.append(int(contact_id))
        ticket_id, moment = self.new_id(), iso()
        self.contacts[ticket_id] = contacts
        props.update(createdate=moment, hs_lastmodifieddate=moment, hs_object_id=str(ticket_id))
        self.tickets[ticket_id] = {"id": ticket_id, "createdAt": moment, "properties": props}
        return self.ticket_view(self.tickets[ticket_id], list(props), False)

    def update_ticket(self, ticket_id: str, body: Any) -> dict[str, Any]:
        ticket = self.ticket(ticket_id)
        if not isinstance(body, dict) or "properties" not in body:
            raise Failure(400, "Invalid input JSON: Some required fields were not set: [properties]",
                          "VALIDATION_ERROR")
        self.check_properties(body["properties"], set(DEFINED) | {c["name"] for c in CUSTOM})
        props = {**ticket["properties"], **body["properties"]}
        self.check_stage(props)
        stage = next(s for p in PIPELINES for s in p["stages"] if s["id"] == props["hs_pipeline_stage"])
        props["closed_date"] = iso() if stage["metadata"]["ticketState"] == "CLOSED" else None
        props["hs_lastmodifieddate"] = iso()
        ticket["properties"] = props
        return self.ticket_view(ticket, list(props), False)

    def page(self, rows: list[dict[str, Any]], limit: Any, after: Any, most: int) -> dict[str, Any]:
        try:
            size, start = int(limit or 10), int(after or 0)
        except ValueError as exc:
            raise Failure(400, f"Invalid input: {exc}", "VALIDATION_ERROR") from None
        if not 0 < size <= most:
            raise Failure(400, f"limit must be between 1 and {most}", "VALIDATION_ERROR")
        chunk = rows[start:start + size]
        data: dict[str, Any] = {"results": chunk}
        if start + size < len(rows):
            data["paging"] = {"next": {"after": str(start + size), "link": "?after=" + str(start + size)}}
        return data

    def matches(self, ticket: dict[str, Any], flt: dict[str, Any]) -> bool:
        value = ticket["properties"].get(flt.get("propertyName"))
        op = flt.get("operator")
        if op in ("IN", "NOT_IN"):
            inside = str(value) in [str(v) for v in flt.get("values") or []]
            return inside if op == "IN" else not inside
        if op == "EQ":
            return str(value) == str(flt.get("value"))
        if op == "NEQ":
            return str(value) != str(flt.get("value"))
        if op == "HAS_PROPERTY":
            return value not in (None, "")
        if op in ("GT", "GTE", "LT", "LTE"):
            if value in (None, ""):
                return False
            left, right = as_millis(str(value)), as_millis(str(flt.get("value")))
            return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}[op]
        raise Failure(400, f"Unsupported operator {op!r}", "VALIDATION_ERROR")

    def search(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Failure(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []
        if len(groups) > 5 or any(len(g.get("filters") or []) > 6 for g in groups):
            raise Failure(400, "Too many filter groups or filters (at most 5 groups of 6 filters)",
                          "VALIDATION_ERROR")
        sorts = body.get("sorts") or []
        if len(sorts) > 1:
            raise Failure(400, "Only one sort is allowed", "VALIDATION_ERROR")
        rows = [t for t in self.tickets.values()
                if not groups or any(all(self.matches(t, f) for f in g.get("filters") or []) for g in groups)]
        words = str(body.get("query") or "").casefold().split()
        rows = [t for t in rows if all(w in f"{t['properties'].get('subject') or ''} "
                                       f"{t['properties'].get('content') or ''}".casefold() for w in words)]
        if sorts:
            name, desc = sorts[0].get("propertyName"), sorts[0].get("direction") == "DESCENDING"
            numeric = name == "hs_object_id"
            rows.sort(key=lambda t: (int(t["id"]) if numeric else str(t["properties"].get(name) or ""), t["id"]),
                      reverse=desc)
        else:
            rows.sort(key=lambda t: t["id"])
        views = [self.ticket_view(t, body.get("properties"), False) for t in rows]
        if int(body.get("after") or 0) >= 10_000:
            raise Failure(400, "Search results are limited to 10,000", "VALIDATION_ERROR")
        data = self.page(views, body.get("limit"), body.get("after"), 200)
        data["total"] = max(len(views), self.reported_total)
        return data

    def create_note(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            raise Failure(400, "Invalid input JSON: Some required fields were not set: [properties]",
                          "VALIDATION_ERROR")
        props = body["properties"]
        self.check_properties(props, {"hs_note_body", "hs_timestamp", "hs_attachment_ids", "hubspot_owner_id"})
        if not props.get("hs_timestamp"):
            raise Failure(400, "Property values were not valid: hs_timestamp is required", "VALIDATION_ERROR")
        for file_id in str(props.get("hs_attachment_ids") or "").split(";"):
            if file_id and int(file_id) not in self.files:
                raise Failure(400, f"Attachment {file_id} does not exist", "VALIDATION_ERROR")
        targets = []
        for assoc in body.get("associations") or []:
            types = assoc.get("types") or []
            if not types or any(t.get("associationCategory") != "HUBSPOT_DEFINED"
                                or t.get("associationTypeId") != 228 for t in types):
                raise Failure(400, f"invalid association type {types!r} for notes to tickets (228)",
                              "VALIDATION_ERROR")
            targets.append(self.ticket(str((assoc.get("to") or {}).get("id"))))
        note_id, moment = self.new_id(), iso()
        self.notes[note_id] = {"id": str(note_id), "createdAt": moment, "updatedAt": moment, "archived": False,
                               "properties": {**props, "hs_createdate": moment, "hs_object_id": str(note_id)}}
        for ticket in targets:
            self.links.setdefault(ticket["id"], []).append(note_id)
            ticket["properties"]["hs_lastmodifieddate"] = iso()
        return self.notes[note_id]

    def read_notes(self, body: Any) -> dict[str, Any]:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > 100:
            raise Failure(400, "inputs must be a list of at most 100 ids", "VALIDATION_ERROR")
        wanted = body.get("properties") or ["hs_note_body", "hs_timestamp"]
        results = []
        for item in inputs:
            note = self.notes.get(int(item["id"]))
            if note:
                results.append({**note, "properties": {k: note["properties"].get(k) for k in wanted}})
        return {"status": "COMPLETE", "results": results, "startedAt": iso(), "completedAt": iso()}

    def upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        if not content_type.startswith("multipart/form-data"):
            raise Failure(415, "Content type must be multipart/form-data", "VALIDATION_ERROR")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        if "file" not in parts:
            raise Failure(400, "file is required", "VALIDATION_ERROR")
        options = json.loads(str(parts["options"].get_content())) if "options" in parts else {}
        if options.get("access") not in ("PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "PRIVATE"):
            raise Failure(400, "options.access is required", "VALIDATION_ERROR")
        if "folderPath" not in parts and "folderId" not in parts:
            raise Failure(400, "Either folderId or folderPath is required", "VALIDATION_ERROR")
        filename = str(parts["fileName"].get_content()) if "fileName" in parts else \
            str(parts["file"].get_filename() or "file")
        content = parts["file"].get_payload(decode=True) or b""
        file_id = self.new_id()
        name, _, extension = filename.rpartition(".") if "." in filename else (filename, "", "")
        self.files[file_id] = {"id": str(file_id), "name": name, "extension": extension, "size": len(content),
                               "type": "DOCUMENT", "access": options["access"], "createdAt": iso(),
                               "updatedAt": iso(), "archived": False, "path": f"/portalctl/{filename}"}
        self.blobs[file_id] = bytes(content)
        return self.files[file_id]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            seen: tuple[str, str] = ("", "")

            def log_message(self, *args: Any) -> None:
                pass

            def send(self, status: int, body: Any, headers: dict[str, str] | None = None,
                     raw: bytes | None = None, search: bool = False) -> None:
                data = raw if raw is not None else json.dumps(body).encode()
                if raw is None:
                    sim.answers.append((*self.seen, status, body))
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if raw is not None
                                 else "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                budget = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "189",
                          "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}  # on every answer but search's
                for key, value in {**({} if search else budget), **(headers or {})}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def fail(self, failure: Failure, headers: dict[str, str] | None = None, search: bool = False) -> None:
                self.send(failure.status, {"status": "error", "message": failure.message,
                                           "correlationId": str(uuid.uuid4()), "category": failure.category,
                                           **failure.extra}, headers, search=search)

            def handle_any(self, method: str) -> None:
                parts = urlsplit(self.path)
                self.seen = (method, parts.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with sim.lock:
                    sim.requests.append((method, parts.path))
                    if raw and not parts.path.startswith("/_signed/"):
                        sim.sent.append((method, parts.path, self.headers.get("Content-Type") or "", raw))
                    searching = method == "POST" and parts.path.endswith("/search")
                    if searching and sim.over_search_limit():
                        self.fail(Failure(429, "You have reached your secondly limit.", "RATE_LIMITS",
                                          errorType="RATE_LIMIT", policyName="SECONDLY"), search=True)
                        return
                    if sim.throttled:
                        sim.throttled -= 1
                        headers = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "0",
                                   "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}
                        if sim.retry_after is not None:
                            headers["Retry-After"] = str(sim.retry_after)
                        self.fail(Failure(429, "You have reached your secondly limit.", "RATE_LIMITS",
                                          errorType="RATE_LIMIT", policyName="SECONDLY"), headers)
                        return
                    try:
                        if parts.path.startswith("/_signed/"):  # a signed URL carries its own authorisation
                            file_id = int(parts.path.rsplit("/", 1)[1])
                            if query.get("sig") != f"s{file_id}":
                                raise Failure(403, "Signature does not match", "FORBIDDEN")
                            self.send(200, None, raw=sim.blobs[file_id])
                            return
                        given = self.headers.get("Authorization")
                        if given == f"Bearer {READ_ONLY_TOKEN}" and method != "GET" \
                                and not parts.path.endswith("/search"):
                            raise Failure(403, "This app hasn't been granted all required scopes to make this call. "
                                          "Read more about required scopes here: https://developers.hubspot.com/"
                                          "scopes.", "MISSING_SCOPES",
                                          errors=[{"message": "One or more of the following scopes are required.",
                                                   "context": {"requiredGranularScopes": ["tickets"]}}])
                        granted = SCOPES.get((given or "").removeprefix("Bearer "))
                        if granted is None:
                            raise Failure(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                                          "authentication and you can find more details at "
                                          "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                                          "INVALID_AUTHENTICATION")
                        needed = required_scopes(method, parts.path)
                        if needed and not needed & granted:
                            raise Failure(403, "This app hasn't been granted all required scopes to make this call. "
                                          "Read more about required scopes here: https://developers.hubspot.com/"
                                          "scopes.", "MISSING_SCOPES",
                                          errors=[{"message": "One or more of the following scopes are required.",
                                                   "context": {"requiredGranularScopes": sorted(needed)}}],
                                          links={"scopes": "https://developers.hubspot.com/scopes"})
                        body: Any = None
                        if raw and "json" in (self.headers.get("Content-Type") or ""):
                            try:
                                body = json.loads(raw)
                            except ValueError:
                                raise Failure(400, "Invalid input JSON on line 1, column 1", "VALIDATION_ERROR") \
                                    from None
                        status, data = self.route(method, parts.path, query, body, raw)
                    except Failure as failure:
                        self.fail(failure, search=searching)
                        return
                self.send(status, data, search=searching)

            def route(self, method: str, path: str, query: dict[str, str], body: Any,
                      raw: bytes) -> tuple[int, Any]:
                wanted = query["properties"].split(",") if query.get("properties") else None
                segments = path.strip("/").split("/")
                if method == "GET" and path == "/crm/v3/pipelines/tickets":
                    return 200, {"results": PIPELINES}
                if method == "GET" and path == "/crm/v3/properties/tickets/hs_ticket_priority":
                    return 200, sim.priority_property()
                if method == "GET" and path == "/crm/v3/properties/tickets":
                    defined = [{"name": n, "label": n, "type": "string", "fieldType": "text", "options": [],
                                "hubspotDefined": True} for n in DEFINED]
                    # "CRM API | Properties": description, groupName and options are always there (required)
                    return 200, {"results": [{"description": "", "groupName": "ticketinformation", **p}
                                             for p in defined + CUSTOM]}
                if path == "/crm/v3/objects/tickets":
                    if method == "POST":
                        return 201, sim.create_ticket(body)
                    if method == "GET":
                        views = [sim.ticket_view(t, wanted, "notes" in query.get("associations", ""))
                                 for _, t in sorted(sim.tickets.items())]
                        return 200, sim.page(views, query.get("limit"), query.get("after"), 100)
                if method == "POST" and path == "/crm/v3/objects/tickets/search":
                    return 200, sim.search(body)
                if segments[:4] == ["crm", "v3", "objects", "tickets"] and len(segments) == 5:
                    if method == "GET":
                        return 200, sim.ticket_view(sim.ticket(segments[4]), wanted,
                                                    "notes" in query.get("associations", ""))
                    if method == "PATCH":
                        return 200, sim.update_ticket(segments[4], body)
                if method == "POST" and path == "/crm/v3/objects/contacts/search":
                    value = (((body or {}).get("filterGroups") or [{}])[0].get("filters") or [{}])[0].get("value")
                    hits = [c for c in CONTACTS.values() if c["properties"]["email"] == value]
                    return 200, {"total": len(hits), "results": hits}
                if method == "GET" and segments[:4] == ["crm", "v3", "objects", "contacts"] and len(segments) == 5:
                    contact = CONTACTS.get(int(segments[4])) if segments[4].isdigit() else None
                    if contact is None:
                        raise Failure(404, "Object not found.", "OBJECT_NOT_FOUND")
                    return 200, contact
                if method == "POST" and path == "/crm/v3/objects/notes":
                    return 201, sim.create_note(body)
                if method == "POST" and path == "/crm/v3/objects/notes/batch/read":
                    return 200, sim.read_notes(body)
                if method == "POST" and path == "/files/v3/files":
                    return 201, sim.upload(self.headers.get("Content-Type") or "", raw)
                if method == "GET" and segments[:3] == ["files", "v3", "files"] and len(segments) >= 4:
                    file_id = int(segments[3]) if segments[3].isdigit() else 0
                    if file_id not in sim.files:
                        raise Failure(404, f"File {segments[3]} not found", "OBJECT_NOT_FOUND")
                    if len(segments) == 5 and segments[4] == "signed-url":
                        meta = sim.files[file_id]
                        return 200, {"url": f"{sim.url}/_signed/{file_id}?sig=s{file_id}", "name": meta["name"],
                                     "extension": meta["extension"], "size": meta["size"], "type": meta["type"],
                                     "expiresAt": iso()}
                    return 200, sim.files[file_id]
                raise Failure(404, f"No route for {method} {path}", "OBJECT_NOT_FOUND")

            def do_GET(self) -> None:
                self.handle_any("GET")

            def do_POST(self) -> None:
                self.handle_any("POST")

            def do_PATCH(self) -> None:
                self.handle_any("PATCH")

        return Handler
