"""A Jira Service Management Cloud simulator on 127.0.0.1: the customer REST API (/rest/servicedeskapi/).

Held to Atlassian's OpenAPI document (the facts of it in jsm-openapi-facts.json, see jsm_openapi.py): every request
it receives and every answer it gives goes through `Judge`, and `problems` lists any mismatch (the tests fail on
them). Behaviour, each from Atlassian's reference (developer.atlassian.com/cloud/jira/service-desk/rest/) unless
said otherwise:
- auth: HTTP Basic e-mail:API token ("Basic auth for REST APIs"); errors are ErrorResponse {"errorMessage",
  "i18nErrorMessage"} ("Status codes and responses");
- paging: start, limit, size, isLastPage, values ("Pagination"); a method may cap `limit` (`max_page`);
- getCustomerRequests: "ordered chronologically by the latest activity on each request"; "For customers, the list
  returned will include request they created (or were created on their behalf) or are participating in only";
  requestOwnership (default OWNED_REQUESTS, PARTICIPATED_REQUESTS and ALL_ORGANIZATIONS), requestStatus
  (CLOSED_REQUESTS, OPEN_REQUESTS, ALL_REQUESTS), searchTerm on the summary, serviceDeskId, requestTypeId;
- createCustomerRequest: "must include the service desk and customer request type, as well as any fields that are
  required for the request type"; options by id, attachments as temporary attachment ids ("Field input formats");
- getRequestComments: "Customers are returned public comments only"; createRequestComment: "Customers can set
  comments to public visibility only";
- attachTemporaryFile: multipart/form-data, parts named `file`, the `X-Atlassian-Token: no-check` header or the
  request "will be blocked" by XSRF protection; createCommentWithAttachment adds a comment whose body ends with the
  files' wiki marks, as the reference's example answer shows ("... !screenshot.png|thumbnail! [^log.txt] _(32 kB)_");
- getAttachmentContent: 303 to where the file is ("See the `Location` header for the download URL");
- getCustomerTransitions / performCustomerTransition (204); the default workflow's statuses and categories
  (Waiting for Support, Waiting for Customer, In Progress, Resolved, Canceled); a customer's comment on a request
  waiting for them sends it back to support (JSM's default automation rule "Transition on comment");
- knowledge base: getArticles needs `query`; an article is a Confluence page (source.pageId); viewArticle's answer
  is typed as a JSON string;
- rate limits (Jira Cloud's "Rate limiting" page): X-RateLimit-Limit and X-RateLimit-Remaining on answers; past the
  limit 429 with Retry-After (seconds), X-RateLimit-Reset (ISO 8601, yyyy-MM-ddTHH:mmZ) and RateLimit-Reason
  (jira-burst-based); the limit here is a token bucket of `limit` tokens refilled at `limit` per `window` seconds.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from base64 import b64decode
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from tests.connectors.jsm_openapi import Judge

API = "/rest/servicedeskapi"
FILES = "/servicedesk/customershim/secure/attachment"
TOKEN = "jsm-api-token"
CUSTOMER = "ana@cliente.test"
OTHER = "otro@otra.test"
AGENT = "agente@acme.test"
USERS = {CUSTOMER: ("qm:1:ana", "Ana Cliente"), OTHER: ("qm:1:otro", "Otro Cliente"),
         AGENT: ("qm:1:agente", "Agente Soporte")}
DESKS = [{"id": "1", "projectId": "10000", "projectKey": "AYU", "projectName": "Mesa de Ayuda"},
         {"id": "2", "projectId": "10001", "projectKey": "FAC", "projectName": "Facturación"}]
PRIORITIES = [{"value": str(n), "label": label, "children": []}
              for n, label in enumerate(("Highest", "High", "Medium", "Low", "Lowest"), start=1)]
SUMMARY = {"fieldId": "summary", "name": "Asunto", "required": True, "visible": True, "validValues": [],
           "jiraSchema": {"type": "string", "system": "summary"}}
DESCRIPTION = {"fieldId": "description", "name": "Descripción", "required": False, "visible": True,
               "validValues": [], "jiraSchema": {"type": "string", "system": "description"}}
PRIORITY = {"fieldId": "priority", "name": "Prioridad", "required": False, "visible": True,
            "validValues": PRIORITIES, "jiraSchema": {"type": "priority", "system": "priority"}}
ATTACHMENT = {"fieldId": "attachment", "name": "Adjuntos", "required": False, "visible": True, "validValues": [],
              "jiraSchema": {"type": "array", "items": "attachment", "system": "attachment"}}
USER_CODE = {"fieldId": "customfield_10050", "name": "Código de usuario", "required": False, "visible": True,
             "validValues": [], "jiraSchema": {"type": "string", "custom":
                                               "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
                                               "customId": 10050}}
COUNTRY = {"fieldId": "customfield_10051", "name": "País", "required": True, "visible": True,
           "validValues": [{"value": "10100", "label": "Colombia", "children": []},
                           {"value": "10101", "label": "Perú", "children": []}],
           "jiraSchema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
                          "customId": 10051}}
HIDDEN = {"fieldId": "customfield_10052", "name": "Canal", "required": True, "visible": False, "validValues": [],
          "presetValues": ["portal"], "jiraSchema": {"type": "string", "customId": 10052}}
REQUEST_TYPES: dict[str, list[dict[str, Any]]] = {
    "1": [{"id": "11", "name": "Obtener ayuda", "fields": [SUMMARY, DESCRIPTION, PRIORITY, ATTACHMENT, USER_CODE]},
          {"id": "12", "name": "Reportar un incidente", "fields": [SUMMARY, DESCRIPTION, PRIORITY, ATTACHMENT]},
          {"id": "13", "name": "Cambio en formulario 5412",
           "fields": [SUMMARY, DESCRIPTION, {**USER_CODE, "required": True}, COUNTRY, HIDDEN]}],
    "2": [{"id": "21", "name": "Consulta de facturación", "fields": [SUMMARY, DESCRIPTION]}],
}
CATEGORY = {"Waiting for Support": "NEW", "Waiting for Customer": "INDETERMINATE", "In Progress": "INDETERMINATE",
            "Resolved": "DONE", "Canceled": "DONE"}
# The customer transitions of the default workflow: (id, name, target), by the status they leave.
TRANSITIONS = {
    "Waiting for Support": [("771", "Resolve this issue", "Resolved"), ("781", "Cancel request", "Canceled")],
    "Waiting for Customer": [("771", "Resolve this issue", "Resolved"), ("781", "Cancel request", "Canceled")],
    "In Progress": [("781", "Cancel request", "Canceled")],
    "Resolved": [("791", "Reopen", "Waiting for Support")],
    "Canceled": [],
}


class Failure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Issue:
    id: int
    key: str
    desk: str
    type_id: str
    reporter: str
    values: dict[str, Any]
    created: float
    status: str = "Waiting for Support"
    status_at: float = 0.0
    activity: float = 0.0
    participants: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[int] = field(default_factory=list)  # ids, in the order they came
    approvals: list[dict[str, Any]] = field(default_factory=list)


def date(moment: float) -> dict[str, Any]:
    """A DateDTO."""
    when = datetime.fromtimestamp(moment, UTC)
    return {"epochMillis": int(moment * 1000), "friendly": when.strftime("%d/%b/%y %I:%M %p"),
            "iso8601": when.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "jira": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"}


class JsmSim:
    """A site with two service desks, three customers' worth of users and a Confluence knowledge base.

    `limit`/`window`: the rate limit (None: none); `max_page`: the most a page holds whatever `limit` asks;
    `judge`: validate every exchange against the OpenAPI facts (off for benchmarks, where speed is measured).
    """

    def __init__(self, *, limit: int | None = None, window: float = 1.0, max_page: int = 50,
                 judge: bool = True) -> None:
        self.lock = threading.RLock()
        self.issues: dict[int, Issue] = {}
        self.files: dict[int, tuple[str, str, bytes, str, float]] = {}  # id -> name, type, bytes, author, time
        self.temporary: dict[str, tuple[str, str, bytes, str]] = {}  # temp id -> name, type, bytes, owner
        self.articles: dict[int, tuple[str, str, str]] = {}  # page id -> title, space, html
        self.next_id = 10000
        self.numbers: dict[str, int] = {}  # the last issue number of each desk's project
        self.changes = 0  # counts every write, so a kept listing is known stale
        self.listed: tuple[Any, list[Issue]] = ((), [])
        self.next_file = 20000
        self.max_page = max_page
        self.set_limit(limit, window)
        self.hits = self.count_429 = 0
        self.log: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.judge = Judge() if judge else None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @contextmanager
    def serving(self) -> Iterator[JsmSim]:
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)

    @property
    def problems(self) -> list[str]:
        return list(self.judge.problems) if self.judge else []

    # -- the site's state, for tests -----------------------------------------------------------------------------

    def add_article(self, page_id: int, title: str, html: str, space: str = "AYU") -> None:
        self.articles[page_id] = (title, space, html)

    def bulk_requests(self, count: int, reporter: str = CUSTOMER) -> None:
        """`count` requests made directly, for benchmarks."""
        with self.lock:
            for n in range(count):
                self.new_issue("1", "11", reporter, {"summary": f"Solicitud {n}", "description": "b"})

    def new_issue(self, desk: str, type_id: str, reporter: str, values: dict[str, Any]) -> Issue:
        self.next_id += 1
        self.changes += 1
        self.numbers[desk] = number = self.numbers.get(desk, 0) + 1
        key = next(d["projectKey"] for d in DESKS if d["id"] == desk)
        now = time.time()
        issue = Issue(self.next_id, f"{key}-{number}", desk, type_id, reporter, values, now, status_at=now,
                      activity=now)
        self.issues[issue.id] = issue
        return issue

    def set_status(self, issue_id: int, status: str) -> None:
        """An agent moves the request in Jira."""
        with self.lock:
            self.changes += 1
            issue = self.issues[issue_id]
            issue.status, issue.status_at = status, time.time()
            issue.activity = issue.status_at

    def agent_comment(self, issue_id: int, body: str, *, public: bool) -> None:
        with self.lock:
            self.changes += 1
            self.add_comment(self.issues[issue_id], AGENT, body, public, [])

    def add_approval(self, issue_id: int, name: str, approvers: dict[str, str], final: str = "pending") -> None:
        with self.lock:
            self.changes += 1
            issue = self.issues[issue_id]
            issue.approvals.append({"id": str(len(issue.approvals) + 1), "name": name, "finalDecision": final,
                                    "canAnswerApproval": CUSTOMER in approvers, "createdDate": date(time.time()),
                                    "approvers": [{"approver": self.user(who), "approverDecision": decision}
                                                  for who, decision in approvers.items()]})

    # -- views ---------------------------------------------------------------------------------------------------

    def user(self, email: str) -> dict[str, Any]:
        account, name = USERS[email]
        return {"accountId": account, "emailAddress": email, "displayName": name, "active": True,
                "timeZone": "America/Bogota", "_links": {"self": f"{self.url}/rest/api/2/user?accountId={account}"}}

    def page(self, values: list[Any], query: dict[str, list[str]], path: str,
             view: Callable[[Any], Any] = lambda value: value) -> dict[str, Any]:
        """One page of `values`, each shown through `view` (only the page's are built)."""
        try:
            start = int(one(query, "start") or 0)
            limit = int(one(query, "limit") or 50)
        except ValueError:
            raise Failure(400, "start and limit must be numbers") from None
        if start < 0 or limit < 1:
            raise Failure(400, "start must be 0 or more and limit 1 or more")
        size = min(limit, self.max_page)
        chunk = [view(value) for value in values[start:start + size]]
        last = start + len(chunk) >= len(values)
        links: dict[str, Any] = {"base": f"{self.url}{API}", "context": "", "self": f"{self.url}{path}"}
        if not last:
            links["next"] = f"{self.url}{path}?start={start + len(chunk)}&limit={limit}"
        return {"_expands": [], "size": len(chunk), "start": start, "limit": limit, "isLastPage": last,
                "_links": links, "values": chunk}

    def attachment_view(self, file_id: int) -> dict[str, Any]:
        name, kind, content, author, moment = self.files[file_id]
        return {"filename": name, "author": self.user(author), "created": date(moment), "size": len(content),
                "mimeType": kind, "_links": {"jiraRest": f"{self.url}/rest/api/2/attachment/{file_id}",
                                             "content": f"{self.url}{FILES}/{file_id}/{quote(name)}"}}

    def comment_view(self, issue: Issue, comment: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        view = {"_expands": ["attachment", "renderedBody"], "id": str(comment["id"]), "body": comment["body"],
                "public": comment["public"], "author": self.user(comment["author"]),
                "created": date(comment["created"]),
                "_links": {"self": f"{self.url}{API}/request/{issue.id}/comment/{comment['id']}"}}
        if "attachment" in expand:
            files = [self.attachment_view(f) for f in comment["files"]]
            view["attachments"] = {"_expands": [], "size": len(files), "start": 0, "limit": len(files) or 1,
                                   "isLastPage": True, "values": files}
        return view

    def request_view(self, issue: Issue, expand: set[str]) -> dict[str, Any]:
        kind = self.request_type(issue.desk, issue.type_id)
        labels = {f["fieldId"]: f["name"] for f in kind["fields"]}
        values = []
        for key, value in issue.values.items():
            if key == "attachment" or not any(f["fieldId"] == key and f["visible"] for f in kind["fields"]):
                continue  # "This list does not include hidden fields"
            values.append({"fieldId": key, "label": labels[key], "value": self.shown(key, value, kind)})
        view: dict[str, Any] = {
            "_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment", "action",
                         "comment"],
            "issueId": str(issue.id), "issueKey": issue.key, "summary": issue.values.get("summary", ""),
            "requestTypeId": issue.type_id, "serviceDeskId": issue.desk, "createdDate": date(issue.created),
            "reporter": self.user(issue.reporter), "requestFieldValues": values,
            "currentStatus": {"status": issue.status, "statusCategory": CATEGORY[issue.status],
                              "statusDate": date(issue.status_at)},
            "_links": {"jiraRest": f"{self.url}/rest/api/2/issue/{issue.id}",
                       "web": f"{self.url}/servicedesk/customer/portal/{issue.desk}/{issue.key}",
                       "agent": f"{self.url}/browse/{issue.key}", "self": f"{self.url}{API}/request/{issue.id}"}}
        if "participant" in expand:
            users = [self.user(p) for p in issue.participants]
            view["participants"] = {"_expands": [], "size": len(users), "start": 0, "limit": 50,
                                    "isLastPage": True, "values": users}
        return view

    @staticmethod
    def shown(key: str, value: Any, kind: dict[str, Any]) -> Any:
        """A field's value as the API gives it back: an option as {"id", "value"}, a priority as {"id", "name"}."""
        field_def = next(f for f in kind["fields"] if f["fieldId"] == key)
        if isinstance(value, dict) and "id" in value:
            label = next(o["label"] for o in field_def["validValues"] if o["value"] == value["id"])
            return {"id": value["id"], "name": label} if key == "priority" else {"id": value["id"], "value": label}
        return value

    def request_type(self, desk: str, type_id: str) -> dict[str, Any]:
        for kind in REQUEST_TYPES.get(desk, []):
            if kind["id"] == type_id:
                return kind
        raise Failure(404, f"The request type {type_id} does not exist in service desk {desk}.")

    # -- behaviour -----------------------------------------------------------------------------------------------

    def visible(self, issue_id: str, who: str) -> Issue:
        issue = self.issues.get(int(issue_id)) if issue_id.isdigit() else \
            next((i for i in self.issues.values() if i.key == issue_id), None)
        if issue is None or (who != AGENT and who != issue.reporter and who not in issue.participants):
            raise Failure(404, "The request could not be found or you do not have permission to view it.")
        return issue

    def create(self, body: dict[str, Any], who: str) -> Issue:
        desk, type_id = str(body.get("serviceDeskId") or ""), str(body.get("requestTypeId") or "")
        if desk not in REQUEST_TYPES:
            raise Failure(400, f"The service desk {desk!r} does not exist.")
        kind = self.request_type(desk, type_id)
        given = dict(body.get("requestFieldValues") or {})
        known = {f["fieldId"]: f for f in kind["fields"]}
        for key, value in given.items():
            if key not in known or not known[key]["visible"]:
                raise Failure(400, f"Field '{key}' cannot be set. It is not on the appropriate screen, or unknown.")
            options = [o["value"] for o in known[key]["validValues"]]
            if options and not (isinstance(value, dict) and value.get("id") in options):
                raise Failure(400, f"Specify a valid value for {known[key]['name']}")
        for key, field_def in known.items():
            if not field_def["visible"]:
                given[key] = field_def.get("presetValues", [""])[0]
            elif field_def["required"] and given.get(key) in (None, "", []):
                raise Failure(400, f"{field_def['name']} is required.")
        files = []
        for temp in given.get("attachment") or []:
            held = self.temporary.pop(str(temp), None)
            if held is None or held[3] != who:
                raise Failure(400, f"The temporary attachment {temp} does not exist or has expired.")
            files.append(self.keep_file(held, who))
        issue = self.new_issue(desk, type_id, who, given)
        issue.attachments = files
        return issue

    def keep_file(self, held: tuple[str, str, bytes, str], who: str) -> int:
        self.next_file += 1
        self.files[self.next_file] = (held[0], held[1], held[2], who, time.time())
        return self.next_file

    def add_comment(self, issue: Issue, who: str, body: str, public: bool, files: list[int]) -> dict[str, Any]:
        comment = {"id": 30000 + sum(len(i.comments) for i in self.issues.values()) + 1, "author": who,
                   "body": body, "public": public, "created": time.time(), "files": files}
        issue.comments.append(comment)
        issue.attachments += files
        issue.activity = comment["created"]
        if who == issue.reporter and issue.status == "Waiting for Customer":
            issue.status, issue.status_at = "Waiting for Support", comment["created"]
        return comment

    def attach(self, issue: Issue, body: dict[str, Any], who: str) -> dict[str, Any]:
        ids = body.get("temporaryAttachmentIds") or []
        if "public" not in body or not ids:
            raise Failure(400, "The 'public' field and the temporary attachment ids are required.")
        if who != AGENT and not body["public"]:
            raise Failure(403, "Customers can add public attachments only.")
        held = []
        for temp in ids:
            found = self.temporary.pop(str(temp), None)
            if found is None or found[3] != who:
                raise Failure(400, f"The temporary attachment {temp} does not exist or has expired.")
            held.append(found)
        files = [self.keep_file(h, who) for h in held]
        marks = " ".join(f"!{h[0]}|thumbnail!" if h[1].startswith("image/") else
                         f"[^{h[0]}] _({max(1, math.ceil(len(h[2]) / 1024))} kB)_" for h in held)
        text = str((body.get("additionalComment") or {}).get("body") or "")
        comment = self.add_comment(issue, who, f"{text} {marks}".strip(), bool(body["public"]), files)
        return {"comment": self.comment_view(issue, comment, set()),
                "attachments": {"_expands": [], "size": len(files), "start": 0, "limit": len(files),
                                "isLastPage": True, "values": [self.attachment_view(f) for f in files]}}

    def upload(self, content_type: str, raw: bytes, who: str) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
        made = []
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") != "file":
                raise Failure(400, "The multipart/form-data parameter that contains the attachments must be 'file'.")
            name = str(part.get_filename() or "file")
            temp = f"temp{uuid.uuid4().int % 10 ** 18}"
            self.temporary[temp] = (name, part.get_content_type(), part.get_payload(decode=True) or b"", who)
            made.append({"temporaryAttachmentId": temp, "fileName": name})
        if not made:
            raise Failure(400, "No file was attached.")
        return {"temporaryAttachments": made}

    def listing(self, query: dict[str, list[str]], who: str) -> list[Issue]:
        """The requests a listing shows, newest activity first; kept while nothing changes, so paging through
        thousands (benchmarks) does not filter them all again for every page."""
        key = (who, self.changes, *((k, tuple(v)) for k, v in sorted(query.items()) if k not in ("start", "limit")))
        if self.listed[0] != key:
            self.listed = (key, self.filtered(query, who))
        return self.listed[1]

    def filtered(self, query: dict[str, list[str]], who: str) -> list[Issue]:
        ownership = set(query.get("requestOwnership") or ["OWNED_REQUESTS", "PARTICIPATED_REQUESTS",
                                                          "ALL_ORGANIZATIONS"])
        status = one(query, "requestStatus") or "ALL_REQUESTS"
        words = (one(query, "searchTerm") or "").casefold().split()
        desk, kind = one(query, "serviceDeskId"), one(query, "requestTypeId")
        found = []
        for issue in self.issues.values():
            mine = issue.reporter == who and "OWNED_REQUESTS" in ownership
            taking_part = who in issue.participants and "PARTICIPATED_REQUESTS" in ownership
            if not (mine or taking_part or (who == AGENT and "ALL_REQUESTS" in ownership)):
                continue
            done = CATEGORY[issue.status] == "DONE"
            if (status == "OPEN_REQUESTS" and done) or (status == "CLOSED_REQUESTS" and not done):
                continue
            summary = str(issue.values.get("summary") or "").casefold()
            if any(w not in summary for w in words) or (desk and issue.desk != desk) or \
                    (kind and issue.type_id != kind):
                continue
            found.append(issue)
        return sorted(found, key=lambda i: (i.activity, i.id), reverse=True)

    def throttled(self) -> dict[str, str] | None:
        """Take a token from the bucket; the 429's headers when there is none. The bucket holds `limit` tokens and
        gains `limit` every `window` seconds: Jira Cloud's limits are "enforced using industry-standard token bucket
        algorithms, allowing for short bursts of activity but maintaining a sustainable average rate over time"
        (Atlassian's developer community, "Update your Apps to comply with Jira Cloud Burst API rate limits")."""
        if self.limit is None:
            return None
        now = time.monotonic()
        rate = self.limit / self.window
        self.tokens = min(float(self.limit), self.tokens + (now - self.filled) * rate)
        self.filled = now
        if self.tokens < 1.0:
            wait = (1.0 - self.tokens) / rate
            reset = datetime.fromtimestamp(time.time() + wait, UTC).strftime("%Y-%m-%dT%H:%MZ")
            return {"Retry-After": str(max(1, math.ceil(wait))), "X-RateLimit-Reset": reset,
                    "RateLimit-Reason": "jira-burst-based", "X-RateLimit-Limit": str(self.limit),
                    "X-RateLimit-Remaining": "0"}
        self.tokens -= 1.0
        return {}

    def budget(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(int(self.tokens))}

    def set_limit(self, limit: int | None, window: float = 1.0, tokens: float | None = None) -> None:
        """A new rate limit, its bucket full (or holding `tokens`)."""
        with self.lock:
            self.limit, self.window = limit, window
            self.tokens, self.filled = float(limit or 0) if tokens is None else tokens, time.monotonic()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, method: str, path: str, status: int, body: Any, headers: dict[str, str],
                       raw: bytes | None = None, content_type: str = "application/json;charset=UTF-8") -> None:
                data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
                if sim.judge is not None and path.startswith(API):
                    sim.judge.response(method, path, status, content_type if data or status != 303 else "", data,
                                       headers)
                self.send_response(status)
                if data or raw is not None:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self, method: str) -> None:
                parts = urlsplit(self.path)
                pairs = parse_qsl(parts.query, keep_blank_values=True)
                query: dict[str, list[str]] = {}
                for key, value in pairs:
                    query.setdefault(key, []).extend(value.split(",") if key in ("expand", "requestOwnership")
                                                     else [value])
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sim.lock:
                    sim.hits += 1
                    sim.changes += method != "GET"
                    sim.log.append(f"{method} {self.path}")
                    if sim.judge is not None and parts.path.startswith(API):
                        sim.judge.request(method, parts.path, pairs, dict(self.headers.items()), raw)
                    limited = sim.throttled()
                    if limited:
                        sim.count_429 += 1
                        self.answer(method, parts.path, 429, {"errorMessage": "Rate limit exceeded."}, limited)
                        return
                    headers = sim.budget()
                    try:
                        who = self.signed_in()
                        status, body, extra = self.route(method, parts.path, query, raw, who)
                    except Failure as failure:
                        self.answer(method, parts.path, failure.status, {"errorMessage": failure.message,
                                                                         "i18nErrorMessage": {
                                                                             "i18nKey": "sd.error", "parameters": []}},
                                    headers)
                        return
                    if isinstance(body, bytes):
                        self.answer(method, parts.path, status, None, {**headers, **extra}, raw=body,
                                    content_type=extra.pop("Content-Type", "application/octet-stream"))
                        return
                    self.answer(method, parts.path, status, body, {**headers, **extra})

            def signed_in(self) -> str:
                given = self.headers.get("Authorization") or ""
                if given.startswith("Basic "):
                    email, _, token = b64decode(given[6:]).decode().partition(":")
                    if email in USERS and token == TOKEN:
                        return email
                raise Failure(401, "Client must be authenticated to access this resource.")

            def route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes,
                      who: str) -> tuple[int, Any, dict[str, str]]:
                expand = set(query.get("expand") or [])
                body: Any = json.loads(raw) if raw and "json" in (self.headers.get("Content-Type") or "") else {}
                if path.startswith(FILES + "/"):
                    file_id = int(path[len(FILES) + 1:].split("/")[0])
                    issue = next((i for i in sim.issues.values() if file_id in i.attachments), None)
                    if issue is None:
                        raise Failure(404, "Attachment not found")
                    sim.visible(str(issue.id), who)
                    name, kind, content, _, _ = sim.files[file_id]
                    return 200, content, {"Content-Type": kind}
                segments = path.removeprefix(API).strip("/").split("/")
                match (method, segments):
                    case ("GET", ["servicedesk"]):
                        return 200, sim.page([{**d, "_links": {"self": f"{sim.url}{API}/servicedesk/{d['id']}"}}
                                              for d in DESKS], query, path), {}
                    case ("GET", ["servicedesk", desk, "requesttype"]):
                        if desk not in REQUEST_TYPES:
                            raise Failure(404, "The service desk does not exist.")
                        kinds = [{"id": k["id"], "name": k["name"], "description": "", "helpText": "",
                                  "serviceDeskId": desk, "groupIds": ["1"], "canCreateRequest": True,
                                  "_links": {"self": f"{sim.url}{API}/servicedesk/{desk}/requesttype/{k['id']}"}}
                                 for k in REQUEST_TYPES[desk]]
                        return 200, sim.page(kinds, query, path), {}
                    case ("GET", ["servicedesk", desk, "requesttype", type_id, "field"]):
                        kind = sim.request_type(desk, type_id)
                        return 200, {"canAddRequestParticipants": False, "canRaiseOnBehalfOf": False,
                                     "requestTypeFields": kind["fields"]}, {}
                    case ("POST", ["servicedesk", desk, "attachTemporaryFile"]):
                        if self.headers.get("X-Atlassian-Token") != "no-check":
                            raise Failure(403, "XSRF check failed")
                        if desk not in REQUEST_TYPES:
                            raise Failure(404, "The service desk does not exist.")
                        return 201, sim.upload(self.headers.get("Content-Type") or "", raw, who), {}
                    case ("GET", ["request"]):
                        return 200, sim.page(sim.listing(query, who), query, path,
                                             lambda issue: sim.request_view(issue, expand)), {}
                    case ("POST", ["request"]):
                        return 201, sim.request_view(sim.create(body, who), set()), {}
                    case ("GET", ["request", key]):
                        return 200, sim.request_view(sim.visible(key, who), expand), {}
                    case ("GET", ["request", key, "comment"]):
                        issue = sim.visible(key, who)
                        shown = [c for c in issue.comments if c["public"] or who == AGENT]
                        return 200, sim.page([sim.comment_view(issue, c, expand) for c in shown], query, path), {}
                    case ("POST", ["request", key, "comment"]):
                        issue = sim.visible(key, who)
                        if "public" not in body:
                            raise Failure(400, "The 'public' field is required.")
                        if not body["public"] and who != AGENT:
                            raise Failure(403, "Customers can set comments to public visibility only.")
                        comment = sim.add_comment(issue, who, str(body.get("body") or ""), bool(body["public"]), [])
                        return 201, sim.comment_view(issue, comment, set()), {}
                    case ("GET", ["request", key, "attachment"]):
                        issue = sim.visible(key, who)
                        public = {f for c in issue.comments if c["public"] or who == AGENT for f in c["files"]}
                        opening = [f for f in issue.attachments if not any(f in c["files"] for c in issue.comments)]
                        files = [sim.attachment_view(f) for f in issue.attachments if f in public or f in opening]
                        return 200, sim.page(files, query, path), {}
                    case ("POST", ["request", key, "attachment"]):
                        return 201, sim.attach(sim.visible(key, who), body, who), {}
                    case ("GET", ["request", key, "attachment", file_id]):
                        issue = sim.visible(key, who)
                        if not file_id.isdigit() or int(file_id) not in issue.attachments:
                            raise Failure(404, "The attachment is not found.")
                        name = sim.files[int(file_id)][0]
                        return 303, None, {"Location": f"{sim.url}{FILES}/{file_id}/{quote(name)}"}
                    case ("GET", ["request", key, "transition"]):
                        issue = sim.visible(key, who)
                        offered = [{"id": i, "name": n} for i, n, _ in TRANSITIONS[issue.status]]
                        return 200, sim.page(offered, query, path), {}
                    case ("POST", ["request", key, "transition"]):
                        issue = sim.visible(key, who)
                        target = next((t for i, _, t in TRANSITIONS[issue.status] if i == str(body.get("id"))),
                                      None)
                        if target is None:
                            raise Failure(400, f"The transition {body.get('id')} is not valid for this request.")
                        issue.status, issue.status_at = target, time.time()
                        issue.activity = issue.status_at
                        return 204, None, {}
                    case ("GET", ["request", key, "approval"]):
                        return 200, sim.page(sim.visible(key, who).approvals, query, path), {}
                    case ("GET", ["knowledgebase", "article"]):
                        words = (one(query, "query") or "").casefold().split()
                        if not words:
                            raise Failure(400, "The query parameter is required.")
                        hits = [{"title": title, "excerpt": html[:80], "source": {"type": "confluence",
                                 "pageId": str(page), "spaceKey": space},
                                 "content": {"iframeSrc": f"{sim.url}{API}/knowledgebase/article/view/{page}"}}
                                for page, (title, space, html) in sorted(sim.articles.items())
                                if all(w in f"{title} {html}".casefold() for w in words)]
                        return 200, sim.page(hits, query, path), {}
                    case ("GET", ["knowledgebase", "article", "view", page]):
                        found = sim.articles.get(int(page)) if page.isdigit() else None
                        if found is None:
                            raise Failure(404, "The article does not exist.")
                        return 200, found[2], {}
                raise Failure(404, f"No resource for {method} {path}")

            def do_GET(self) -> None:
                self.handle_any("GET")

            def do_POST(self) -> None:
                self.handle_any("POST")

        return Handler


def one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None
