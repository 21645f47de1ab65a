"""A Freshdesk API v2 simulator on 127.0.0.1 for the connector tests: tickets, conversations and solutions in memory.

Behaviour follows Freshdesk's public API reference (https://developers.freshdesk.com/api/), section by section:
- Authentication (#authentication): Basic auth, the API key as user name and any password ("X"); a wrong or missing
  key answers 401 {"code": "invalid_credentials", "message": ...}.
- Errors (#error): 400 {"description": "Validation failed", "errors": [{"field", "message", "code"}]} with codes
  missing_field, invalid_value, invalid_field ("Unexpected/invalid field in request"); 404 for an unknown id.
- Rate limit (#ratelimit): every answer carries X-RateLimit-Total, X-RateLimit-Remaining and
  X-RateLimit-Used-CurrentRequest; over the limit, 429 with Retry-After (seconds). `throttle(n, retry_after)` makes
  the next n requests answer 429 (Retry-After left out when None), to test the client's retries.
- Pagination (#pagination): `page` and `per_page` (default 30, at most 100, else 400 invalid_value); a `link`
  header `<...page=N+1>; rel="next"` while more pages exist.
- List all tickets (#list_all_tickets): filters email, requester_id, company_id, updated_since; order_by created_at
  (default), due_by, updated_at, status; order_type desc (default) or asc; include=description|requester|stats; by
  default only tickets created in the past 30 days are returned (use updated_since for older ones); pages past the
  300th answer 400 {"description": "Validation failed", "errors": [{"field": "page", "message": "You cannot access
  tickets beyond the 300th page. Please provide a smaller page number.", "code": "invalid_value"}]} (the body a
  Freshdesk account answers, kept in airbytehq/airbyte's source-freshdesk tests, PAGE_LIMIT_300TH_REACHED; the
  cap of 300 pages is confirmed by Freshworks staff, community.freshworks.com/api-and-webhooks-11406/
  api-freshdesk-40750), while the `link` header still offers the next page.
- Create a ticket (#create_ticket): one of email/requester_id is required; subject, description, status (2-5),
  priority (1-4), source, cc_emails, tags, type, group_id, custom_fields; attachments only as multipart
  `attachments[]` (with arrays as `cc_emails[]`, custom fields as `custom_fields[name]`); 201 with the ticket.
- View a ticket (#view_a_ticket): include=conversations (at most ten), requester, stats.
- Update a ticket (#update_ticket): PUT with the same fields; statuses 2 Open, 3 Pending, 4 Resolved, 5 Closed.
- Reply (#reply_ticket), Create a note (#add_note_to_a_ticket, `private` defaults to true), List all conversations
  of a ticket (#list_all_ticket_notes): paged like the tickets.
- View me (#me: GET /api/v2/agents/me), groups (#list_all_groups), ticket fields (#list_all_ticket_fields).
- Solutions (#solutions): categories > folders > articles; GET /api/v2/search/solutions?term= answers a list of
  articles; articles carry thumbs_up / thumbs_down (no vote endpoint is documented).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

API_KEY = "sim-freshdesk-key"
LAST_TICKETS_PAGE = 300
AGENT = {"id": 9001, "contact": {"name": "Ana Agent", "email": "ana@support.example", "active": True,
                                 "job_title": "Support", "language": "es", "time_zone": "Bogota"}}
CUSTOM_FIELDS = ("cf_user_code", "cf_country")
TICKET_FIELDS = {"email", "requester_id", "phone", "name", "subject", "description", "status", "priority", "source",
                 "cc_emails", "tags", "type", "group_id", "responder_id", "custom_fields", "company_id", "due_by"}
LIST_PARAMS = {"filter", "requester_id", "email", "company_id", "updated_since", "order_by", "order_type", "include",
               "page", "per_page", "unique_external_id"}
ORDER_BY = ("created_at", "due_by", "updated_at", "status")
RATE_TOTAL = 700
STATUSES = (2, 3, 4, 5, 6, 7)  # the defaults and this account's own two (see the status field's choices)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def validation(*errors: tuple[str, str, str]) -> tuple[int, Any]:
    return 400, {"description": "Validation failed",
                 "errors": [{"field": f, "message": m, "code": c} for f, m, c in errors]}


class Fail(Exception):
    def __init__(self, status: int, body: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class State:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, tuple[str, str, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    answers: list[tuple[str, str, int, Any]] = field(default_factory=list)  # (method, path, status, JSON body)
    throttled: int = 0
    retry_after: int | None = None
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    conversation_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))
    file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(7001))
    lock: threading.Lock = field(default_factory=threading.Lock)


CATEGORIES: list[dict[str, Any]] = [{"id": 11, "name": "Colombia", "description": None},
                                    {"id": 12, "name": "España", "description": None}]
FOLDERS: dict[int, list[dict[str, Any]]] = {
    11: [{"id": 21, "name": "Facturación", "articles_count": 2}],
    12: [{"id": 22, "name": "Correo", "articles_count": 1}],
}
ARTICLES: dict[int, list[dict[str, Any]]] = {
    21: [{"id": 31, "title": "Cómo emitir la factura electrónica",
          "description": "<p>Pasos para emitir la factura ante la DIAN.</p>",
          "description_text": "Pasos para emitir la factura ante la DIAN.", "thumbs_up": 4, "thumbs_down": 1},
         {"id": 32, "title": "Habilitación DIAN", "description": "<p>Habilite su empresa.</p>",
          "description_text": "Habilite su empresa.", "thumbs_up": 0, "thumbs_down": 0}],
    22: [{"id": 33, "title": "Configurar Outlook", "description": "<p>Correo en Outlook.</p>",
          "description_text": "Correo en Outlook.", "thumbs_up": 2, "thumbs_down": 0}],
}


def all_articles() -> list[dict[str, Any]]:
    found = []
    for category, folders in FOLDERS.items():
        for folder in folders:
            for article in ARTICLES[folder["id"]]:
                found.append({**article, "folder_id": folder["id"], "category_id": category, "status": 2,
                              "tags": ["dian"] if category == 11 else [], "created_at": "2026-01-05T10:00:00Z",
                              "updated_at": "2026-02-01T10:00:00Z"})
    return found


class Simulator:
    """The server and its state; `url` is the help desk's address (the API under /api/v2)."""

    def __init__(self) -> None:
        self.state = State()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Simulator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def throttle(self, count: int, retry_after: int | None) -> None:
        with self.state.lock:
            self.state.throttled, self.state.retry_after = count, retry_after

    def seed_ticket(self, *, subject: str, email: str, created: datetime, status: int = 2) -> int:
        with self.state.lock:
            return self._store({"email": email, "subject": subject, "description": f"<p>{subject}</p>",
                                "status": status, "priority": 1}, [], created)

    # -- the model ----------------------------------------------------------------------------------------------

    def _store(self, body: dict[str, Any], files: list[tuple[str, str, bytes]], moment: datetime) -> int:
        number = next(self.state.ids)
        when = stamp(moment)
        self.state.tickets[number] = {
            "id": number, "subject": body.get("subject") or "", "description": body.get("description") or "",
            "description_text": re.sub(r"<[^>]+>", "", str(body.get("description") or "").replace("<br>", "\n")),
            "status": int(body.get("status") or 2), "priority": int(body.get("priority") or 1),
            "source": int(body.get("source") or 2), "type": body.get("type"),
            "group_id": body.get("group_id"), "responder_id": None, "company_id": body.get("company_id"),
            "requester_id": 100 + sum(map(ord, str(body.get("email") or body.get("requester_id")))) % 800,
            "requester_email": str(body.get("email") or f"user{body.get('requester_id')}@sim.example"),
            "cc_emails": list(body.get("cc_emails") or []), "tags": list(body.get("tags") or []),
            "custom_fields": {name: None for name in CUSTOM_FIELDS} | dict(body.get("custom_fields") or {}),
            "created_at": when, "updated_at": when, "due_by": stamp(moment + timedelta(days=3)),
            "attachments": [self._file(f, when) for f in files], "stats": {"resolved_at": None, "closed_at": None},
            # the rest of the keys of "View a Ticket"'s example answer, at the values a portal ticket has
            "fwd_emails": [], "reply_cc_emails": list(body.get("cc_emails") or []), "email_config_id": None,
            "fr_escalated": False, "spam": False, "to_emails": None, "product_id": None, "is_escalated": False,
            "fr_due_by": stamp(moment + timedelta(days=1)),
        }
        self.state.conversations[number] = []
        return number

    def _file(self, upload: tuple[str, str, bytes], when: str, size_key: str = "file_size") -> dict[str, Any]:
        """An attachment as the reference shows it: the size is `file_size` on a ticket's and a note's attachments
        ("Create a Ticket With Attachment", "Create a Note With Attachment") and `size` on a reply's ("Reply to a
        Ticket With Attachment")."""
        number = next(self.state.file_ids)
        self.state.files[number] = upload
        return {"id": number, "name": upload[0], "content_type": upload[1], size_key: len(upload[2]),
                "attachment_url": f"{self.url}/files/{number}", "created_at": when, "updated_at": when}

    def _ticket_json(self, data: dict[str, Any], includes: set[str], *, listing: bool) -> dict[str, Any]:
        shown = {k: v for k, v in data.items() if k not in ("requester_email", "stats")}
        if listing:
            shown.pop("attachments")
            if "description" not in includes:
                shown.pop("description")
                shown.pop("description_text")
        if "requester" in includes:
            shown["requester"] = {"id": data["requester_id"], "email": data["requester_email"], "name": None}
        if "stats" in includes:
            shown["stats"] = dict(data["stats"])
        if "conversations" in includes:
            shown["conversations"] = self.state.conversations[data["id"]][:10]
        return shown

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                        raw: bytes | None = None, content_type: str = "application/json") -> None:
                payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("X-RateLimit-Total", str(RATE_TOTAL))
                self.send_header("X-RateLimit-Remaining", "0" if status == 429 else str(RATE_TOTAL - 1))
                self.send_header("X-RateLimit-Used-CurrentRequest", "1")
                if payload:
                    self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with sim.state.lock:
                    sim.state.requests.append((method, self.path))
                    if sim.state.throttled > 0:
                        sim.state.throttled -= 1
                        after = sim.state.retry_after
                        headers = {} if after is None else {"Retry-After": str(after)}
                        self._answer(429, {"message": "You have exceeded the limit of requests per minute"},
                                     headers)
                        return
                    if not self._authorised():
                        self._answer(401, {"code": "invalid_credentials",
                                           "message": "You have to be logged in to perform this action."})
                        return
                    try:
                        status, body, headers = sim.route(method, self.path, raw, self.headers.get("Content-Type",
                                                                                                     ""))
                    except Fail as exc:
                        sim.state.answers.append((method, urlsplit(self.path).path, exc.status, exc.body))
                        self._answer(exc.status, exc.body)
                        return
                    if not isinstance(body, tuple):
                        sim.state.answers.append((method, urlsplit(self.path).path, status, body))
                if isinstance(body, tuple):  # a file
                    name, kind, content = body
                    self._answer(status, raw=content, content_type=kind,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})
                    return
                self._answer(status, body, headers)

            def _authorised(self) -> bool:
                if self.path.startswith("/files/"):  # signed storage URLs need no API key
                    return True
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return False
                try:
                    user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
                except (ValueError, UnicodeDecodeError):
                    return False
                return user == API_KEY

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

        return Handler

    def route(self, method: str, target: str, raw: bytes,
              content_type: str) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/"), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and (match := re.fullmatch(r"/files/(\d+)", path)):
            if int(match[1]) not in self.state.files:
                raise Fail(404)
            return 200, self.state.files[int(match[1])], {}
        if not path.startswith("/api/v2/"):
            raise Fail(404)
        path = path[len("/api/v2"):]
        if path == "/tickets" and method == "GET":
            return self.list_tickets(query)
        if path == "/tickets" and method == "POST":
            body, files = self.read_body(raw, content_type)
            return 201, self.create(body, files), {}
        if match := re.fullmatch(r"/tickets/(\d+)", path):
            data = self.ticket(int(match[1]))
            if method == "GET":
                return 200, self._ticket_json(data, set((query.get("include") or "").split(",")), listing=False), {}
            if method == "PUT":
                body, files = self.read_body(raw, content_type)
                return 200, self.update(data, body), {}
        if (match := re.fullmatch(r"/tickets/(\d+)/(reply|notes)", path)) and method == "POST":
            body, files = self.read_body(raw, content_type)
            return 201, self.converse(self.ticket(int(match[1])), match[2], body, files), {}
        if (match := re.fullmatch(r"/tickets/(\d+)/conversations", path)) and method == "GET":
            self.ticket(int(match[1]))
            return self.paged(self.state.conversations[int(match[1])], query, path)
        if method == "GET":
            return self.read_only(path, query)
        raise Fail(405, {"code": "method_not_allowed", "message": f"{method} is not allowed on {path}"})

    def read_only(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if path == "/agents/me":
            return 200, {**AGENT, "created_at": "2025-01-01T00:00:00Z"}, {}
        if path == "/groups":
            return self.paged([{"id": 41, "name": "Soporte web", "description": None}], query, path)
        if path == "/ticket_fields":
            status = {"name": "status", "label": "Status", "type": "default_status", "default": True,
                      "choices": {"2": ["Open", "Being Processed"], "3": ["Pending", "Awaiting your Reply"],
                                  "4": ["Resolved", "This ticket has been Resolved"],
                                  "5": ["Closed", "This ticket has been Closed"],
                                  "6": ["Waiting on Customer", "Awaiting your Reply"], "7": ["On hold", "On hold"]}}
            if query.get("type") == "default_status":
                return 200, [status], {}
            return 200, [status,
                         {"name": "cf_user_code", "label": "User code", "type": "custom_text", "default": False,
                          "required_for_customers": False, "customers_can_edit": True},
                         {"name": "cf_country", "label": "Country", "type": "custom_dropdown", "default": False,
                          "choices": ["Colombia", "España"], "customers_can_edit": False}], {}
        if path == "/solutions/categories":
            return 200, CATEGORIES, {}
        if match := re.fullmatch(r"/solutions/categories/(\d+)/folders", path):
            if int(match[1]) not in FOLDERS:
                raise Fail(404)
            return self.paged(FOLDERS[int(match[1])], query, path)
        if match := re.fullmatch(r"/solutions/folders/(\d+)/articles", path):
            found = [a for a in all_articles() if a["folder_id"] == int(match[1])]
            return self.paged(found, query, path)
        if match := re.fullmatch(r"/solutions/articles/(\d+)", path):
            for article in all_articles():
                if article["id"] == int(match[1]):
                    return 200, article, {}
            raise Fail(404)
        if path == "/search/solutions":
            if not query.get("term"):
                raise Fail(*validation(("term", "It should be a/an String", "missing_field")))
            words = query["term"].casefold().split()
            return 200, [a for a in all_articles()
                         if any(w in (a["title"] + a["description_text"]).casefold() for w in words)], {}
        raise Fail(404)

    def ticket(self, number: int) -> dict[str, Any]:
        data = self.state.tickets.get(number)
        if data is None:
            raise Fail(404)
        return data

    def read_body(self, raw: bytes, content_type: str) -> tuple[dict[str, Any], list[tuple[str, str, bytes]]]:
        """JSON, or multipart form data with Freshdesk's `name[]` arrays and `custom_fields[key]` entries."""
        if content_type.startswith("application/json"):
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise Fail(400, {"code": "invalid_json", "message": "Request body has invalid json format"}) from None
            if not isinstance(body, dict):
                raise Fail(400, {"code": "invalid_json", "message": "Request body has invalid json format"})
            if "attachments" in body:
                raise Fail(*validation(("attachments", "It should be in the 'multipart/form-data' format",
                                        "invalid_value")))
            return body, []
        if not content_type.startswith("multipart/form-data"):
            raise Fail(415, {"code": "invalid_content_type",
                             "message": f"Content-Type header is set to {content_type}. It should be set to "
                                        "application/json"})
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        form: dict[str, Any] = {}
        files: list[tuple[str, str, bytes]] = []
        for part in message.iter_parts():
            name = str(part.get_param("name", header="content-disposition"))
            content = part.get_payload(decode=True)
            if not isinstance(content, bytes):
                content = b""
            if name == "attachments[]":
                files.append((str(part.get_filename()), part.get_content_type(), content))
            elif name.endswith("[]"):
                form.setdefault(name[:-2], []).append(content.decode())
            elif match := re.fullmatch(r"(\w+)\[(\w+)\]", name):
                form.setdefault(match[1], {})[match[2]] = content.decode()
            else:
                form[name] = content.decode()
        for key in ("status", "priority", "source", "group_id"):
            if key in form and str(form[key]).isdigit():
                form[key] = int(form[key])
        if "private" in form:
            form["private"] = form["private"] == "true"
        return form, files

    def check_ticket(self, body: dict[str, Any], *, creating: bool) -> None:
        unknown = sorted(set(body) - TICKET_FIELDS)
        if unknown:
            raise Fail(*validation(*[(k, "Unexpected/invalid field in request", "invalid_field") for k in unknown]))
        errors = []
        if creating and not (body.get("email") or body.get("requester_id") or body.get("phone")):
            errors.append(("requester_id", "Please fill at least 1 of requester_id, phone, email, facebook_id, "
                                           "twitter_id, unique_external_id fields", "missing_field"))
        if creating and not body.get("subject"):
            errors.append(("subject", "It should be a/an String", "missing_field"))
        if "status" in body and body["status"] not in STATUSES:
            errors.append(("status", f"It should be one of these values: '{','.join(map(str, STATUSES))}'",
                           "invalid_value"))
        if "priority" in body and body["priority"] not in (1, 2, 3, 4):
            errors.append(("priority", "It should be one of these values: '1,2,3,4'", "invalid_value"))
        for key in body.get("custom_fields") or {}:
            if key not in CUSTOM_FIELDS:
                errors.append((key, "Unexpected/invalid field in request", "invalid_field"))
        if errors:
            raise Fail(*validation(*errors))

    def create(self, body: dict[str, Any], files: list[tuple[str, str, bytes]]) -> dict[str, Any]:
        self.check_ticket(body, creating=True)
        number = self._store(body, files, datetime.now(UTC))
        return self._ticket_json(self.state.tickets[number], {"description"}, listing=False)

    def update(self, data: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        self.check_ticket(body, creating=False)
        when = stamp(datetime.now(UTC))
        for key, value in body.items():
            data[key] = {**data["custom_fields"], **value} if key == "custom_fields" else value
        if body.get("status") == 4:
            data["stats"]["resolved_at"] = when
        if body.get("status") == 5:
            data["stats"]["closed_at"] = when
        data["updated_at"] = when
        return self._ticket_json(data, set(), listing=False)

    def converse(self, data: dict[str, Any], kind: str, body: dict[str, Any],
                 files: list[tuple[str, str, bytes]]) -> dict[str, Any]:
        allowed = {"body", "cc_emails", "bcc_emails", "from_email", "user_id"} | (
            {"private", "notify_emails", "incoming"} if kind == "notes" else set())
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise Fail(*validation(*[(k, "Unexpected/invalid field in request", "invalid_field") for k in unknown]))
        if not body.get("body"):
            raise Fail(*validation(("body", "It should be a/an String", "missing_field")))
        when = stamp(datetime.now(UTC))
        entry = {"id": next(self.state.conversation_ids), "body": body["body"],
                 "body_text": re.sub(r"<[^>]+>", "", str(body["body"]).replace("<br>", "\n")),
                 "incoming": False, "private": bool(body.get("private", True)) if kind == "notes" else False,
                 "user_id": AGENT["id"], "source": 2 if kind == "notes" else 0, "ticket_id": data["id"],
                 "created_at": when, "updated_at": when, "support_email": None,
                 "from_email": None if kind == "notes" else "support@acme.freshdesk.test",
                 "to_emails": None if kind == "notes" else [data["requester_email"]],
                 "cc_emails": list(body.get("cc_emails") or []), "bcc_emails": list(body.get("bcc_emails") or []),
                 "replied_to": [] if kind == "notes" else [data["requester_email"]],
                 "notified_to": list(body.get("notify_emails") or []),
                 "attachments": [self._file(f, when, "file_size" if kind == "notes" else "size") for f in files]}
        self.state.conversations[data["id"]].append(entry)
        data["updated_at"] = when
        return entry

    def paged(self, items: list[dict[str, Any]], query: dict[str, str], path: str,
              extra: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        try:
            page = int(query.get("page") or 1)
            per_page = int(query.get("per_page") or 30)
        except ValueError:
            raise Fail(*validation(("page", "It should be a Positive Integer", "invalid_value"))) from None
        if not 1 <= per_page <= 100:
            raise Fail(*validation(("per_page", "It should be a Positive Integer less than or equal to 100",
                                    "invalid_value")))
        if page < 1:
            raise Fail(*validation(("page", "It should be a Positive Integer", "invalid_value")))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            following = {**query, **(extra or {}), "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{self.url}/api/v2{path}?{urlencode(following)}>; rel="next"'
        return 200, chunk, headers

    def list_tickets(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        unknown = sorted(set(query) - LIST_PARAMS)
        if unknown:
            raise Fail(*validation(*[(k, "Unexpected/invalid field in request", "invalid_field") for k in unknown]))
        order_by, order_type = query.get("order_by", "created_at"), query.get("order_type", "desc")
        if order_by not in ORDER_BY:
            raise Fail(*validation(("order_by", f"It should be one of these values: '{','.join(ORDER_BY)}'",
                                    "invalid_value")))
        if order_type not in ("asc", "desc"):
            raise Fail(*validation(("order_type", "It should be one of these values: 'asc,desc'", "invalid_value")))
        includes = set((query.get("include") or "").split(",")) - {""}
        if includes - {"description", "requester", "stats"}:
            raise Fail(*validation(("include", "It should be one of these values: 'requester,stats,description'",
                                    "invalid_value")))
        rows = list(self.state.tickets.values())
        if "updated_since" in query:
            rows = [t for t in rows if t["updated_at"] >= query["updated_since"]]
        else:  # documented: without updated_since only the last 30 days' tickets are listed
            since = stamp(datetime.now(UTC) - timedelta(days=30))
            rows = [t for t in rows if t["created_at"] >= since]
        if "email" in query:
            rows = [t for t in rows if t["requester_email"].lower() == query["email"].lower()]
        if "company_id" in query:
            rows = [t for t in rows if str(t["company_id"]) == query["company_id"]]
        rows.sort(key=lambda t: (t[order_by], t["id"]), reverse=order_type == "desc")
        if int(query.get("page") or 1) > LAST_TICKETS_PAGE:
            raise Fail(*validation(("page", "You cannot access tickets beyond the 300th page. Please provide a "
                                            "smaller page number.", "invalid_value")))
        shown = [self._ticket_json(t, includes, listing=True) for t in rows]
        return self.paged(shown, query, "/tickets")
