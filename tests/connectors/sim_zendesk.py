"""A Zendesk simulator on 127.0.0.1: the end-user Requests API, uploads and the Help Center, as documented.

What it follows (Zendesk developer documentation):
- auth: Basic `{email}/token:{api_token}` or `Bearer {oauth_token}`; anything else is 401
  {"error": "Couldn't authenticate you"} ("Security and authentication", developer.zendesk.com/api-reference/
  introduction/security-and-auth/);
- requests: POST/GET/PUT /api/v2/requests[/{id}], GET /requests/{id}/comments (its `role` filter, "agent" or
  "end_user", as Zendesk's OpenAPI document, ListComments, gives it), `solved: true` honoured only when
  `can_be_solved_by_me`, a comment on a solved request reopens it, a closed request refuses updates (422
  "Status: closed prevents ticket update"), follow-ups with `via_followup_source_id` ("Requests",
  developer.zendesk.com/api-reference/ticketing/tickets/ticket-requests/);
- errors: 404 {"error": "RecordNotFound", "description": "Not found"}, 422 {"error": "RecordInvalid",
  "description": "Record validation errors", "details": {...}}, 400 for a body that is not JSON ("Response format
  / errors", developer.zendesk.com/api-reference/introduction/requests/);
- paging: cursor `page[size]` (at most 100) and `page[after]`, answered with `meta.has_more`, `meta.after_cursor`,
  `links.next` ("Paginating through lists using cursor pagination", developer.zendesk.com/api-reference/
  introduction/pagination/); List Requests with cursor paging ignores `sort_by`/`sort_order` (they order offset
  pages only: a user's report confirmed by Zendesk Developer Advocacy, support.zendesk.com/hc/community/posts/
  8403358233882), so its cursor pages come in id order here, not newest first;
- uploads: POST /api/v2/uploads?filename= with the raw bytes -> {"upload": {"token", "attachment"}}; the
  attachment's `content_type` is the request's Content-Type, which must name the file's real MIME type ("Ticket
  attachments: Upload files", developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/);
- Help Center: GET /help_center/articles/search?query= -> {"results", "next_page"}, POST /articles/{id}/up|down
  ("Help Center API: Search", "Votes", developer.zendesk.com/api-reference/help_center/help-center-api/); held,
  as the Support API is, to the facts of Zendesk's Help Center OpenAPI document (zendesk_oas.py);
- rate limits: every answer carries X-Rate-Limit, X-Rate-Limit-Remaining and ratelimit-limit/-remaining/-reset;
  past the limit 429 with Retry-After in seconds; some 429 bodies are text/plain and some lack Retry-After
  ("Rate limits", developer.zendesk.com/api-reference/introduction/rate-limits/ and "Best practices for avoiding
  rate limiting", developer.zendesk.com/documentation/api-basics/best-practices/).
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

STAMP = "2026-11-20T10:00:00Z"


@dataclass
class Failure:
    status: int = 429
    retry_after: int | None = 1
    plain: bool = False  # a text/plain body, as some Zendesk 429s are


@dataclass
class ZendeskSim:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # email -> API token
    oauth: dict[str, str] = field(default_factory=dict)  # bearer token -> email
    requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    uploads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, bytes] = field(default_factory=dict)
    articles: dict[int, dict[str, Any]] = field(default_factory=dict)
    custom_statuses: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    drops: int = 0  # the next writes are done, and then their answers are lost (a dropped connection)
    auto_assign: bool = True
    comment_users: bool = True  # users sideloaded on a request's comments (False: as the OpenAPI example shows)
    limit: int = 700  # requests per window (Zendesk Enterprise: 700 a minute)
    window: float = 60.0
    enforce: bool = False  # answer 429 past the limit
    export_limit: int = 10  # incremental exports: requests per export_window, enforced always (sim_zendesk_agent.py)
    export_window: float = 60.0
    export_lag: float = 60.0  # the export leaves out the changes of the last minute
    tags: dict[int, list[str]] = field(default_factory=dict)  # ticket tags (the Tickets API shows them)
    hits: int = 0
    count_429: int = 0
    log: list[str] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""
    # called with each exchange (method, target, headers, body, status, answer headers, answer): zendesk_oas.Judge
    judge: Callable[[str, str, dict[str, str], bytes, int, dict[str, str], bytes], None] | None = None

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.window_start = time.monotonic()
        self.used = 0
        self.agent = self.add_user("agent@acme.zendesk.test", "Alex Agent", role="agent")

    # -- seeding -----------------------------------------------------------------------------------------------

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_user(self, email: str, name: str, *, role: str = "end-user", token: str | None = None) -> int:
        uid = self.new_id()
        self.users[uid] = {"id": uid, "email": email, "name": name, "role": role, "active": True,
                           "organization_id": None, "locale": "es", "time_zone": "Bogota", "created_at": STAMP}
        if token:
            self.tokens[email] = token
        return uid

    def bulk_requests(self, count: int, requester: int) -> None:
        """`count` requests at once (for the benchmark), spread over a day of update times."""
        for n in range(count):
            rid = self.new_id()
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + n * 7))
            self.requests[rid] = self._request(rid, requester, f"Bulk request {n}", "Generated", when)
            self.comments[rid] = []

    def add_article(self, title: str, body: str, *, section: int = 360001, labels: tuple[str, ...] = ()) -> int:
        aid = self.new_id()
        self.articles[aid] = {"id": aid, "title": title, "body": body, "locale": "es", "section_id": section,
                              "label_names": list(labels), "created_at": STAMP, "updated_at": STAMP,
                              "vote_sum": 0, "vote_count": 0,
                              "permission_group_id": 1}  # required by the Help Center document's ArticleObject
        return aid

    def fail_next(self, count: int, *, retry_after: int | None = 1, plain: bool = False, status: int = 429) -> None:
        self.failures.extend(Failure(status, retry_after, plain) for _ in range(count))

    def _request(self, rid: int, requester: int, subject: str, description: str, when: str) -> dict[str, Any]:
        return {"id": rid, "url": f"{self.url}/api/v2/requests/{rid}.json", "subject": subject,
                "description": description, "status": "open" if self.auto_assign else "new", "priority": "normal",
                "type": None, "custom_fields": [], "requester_id": requester,
                "assignee_id": next(iter(self.users)) if self.auto_assign else None, "organization_id": None,
                "group_id": None, "collaborator_ids": [], "email_cc_ids": [], "created_at": when,
                "updated_at": when, "due_at": None, "can_be_solved_by_me": self.auto_assign,
                "followup_source_id": None, "custom_status_id": None, "is_public": True}

    # -- serving -----------------------------------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[ZendeskSim]:
        """The simulator on a loopback port for the block's length (a fixture's body)."""
        server = self.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def start(self) -> ThreadingHTTPServer:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = sim.handle(method, self.path, dict(self.headers.items()), body)
                if method != "GET" and sim.drops and status < 400:
                    sim.drops -= 1
                    self.close_connection = True  # committed, but the client never hears of it
                    return
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def rate_headers(self) -> tuple[dict[str, str], bool]:
        """This answer's rate-limit headers, and whether it is over the limit."""
        now = time.monotonic()
        elapsed = now - self.window_start
        if elapsed >= self.window:
            self.window_start += self.window * math.floor(elapsed / self.window)
            self.used = 0
        self.used += 1
        over = self.enforce and self.used > self.limit
        remaining = max(0, self.limit - self.used)
        reset = max(1, math.ceil(self.window_start + self.window - now))
        return {"X-Rate-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(remaining),
                "ratelimit-limit": str(self.limit), "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(reset)}, over

    def handle(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        status, answer_headers, answer = self.answer(method, target, headers, body)
        if self.judge is not None:
            self.judge(method, target, headers, body, status, answer_headers, answer)
        return status, answer_headers, answer

    def answer(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.hits += 1
            self.log.append(f"{method} {target}")
            limits, over = self.rate_headers()
            failure = self.failures.pop(0) if self.failures else None
            if failure is None and over:
                failure = Failure(429, max(1, math.ceil(self.window_start + self.window - time.monotonic())))
            if failure is not None:
                if failure.status == 429:
                    self.count_429 += 1
                extra = dict(limits)
                if failure.retry_after is not None:
                    extra["Retry-After"] = str(failure.retry_after)
                if failure.plain:
                    extra["Content-Type"] = "text/plain; charset=utf-8"
                    return failure.status, extra, b"Too Many Requests"
                return self.reply(failure.status, {"error": "APIRateLimitExceeded" if failure.status == 429
                                                   else "ServiceUnavailable",
                                                   "description": "Number of allowed API requests per minute "
                                                                  "exceeded"}, extra)
            try:
                status, data = self.route(method, target, headers, body)
            except ApiError as exc:
                status, data = exc.status, exc.body
                limits.update(exc.headers)
                self.count_429 += status == 429
            if isinstance(data, bytes):
                return status, {"Content-Type": "application/octet-stream", **limits}, data
            return self.reply(status, data, limits)

    @staticmethod
    def reply(status: int, data: Any, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json; charset=utf-8", **headers}, json.dumps(data).encode()

    def who(self, headers: dict[str, str]) -> int:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        email = None
        if auth.startswith("Basic "):
            try:
                user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                user, secret = "", ""
            if user.endswith("/token") and self.tokens.get(user[:-6]) == secret and secret:
                email = user[:-6]
        elif auth.startswith("Bearer "):
            email = self.oauth.get(auth[7:])
        for uid, user_data in self.users.items():
            if email and user_data["email"] == email:
                return uid
        raise ApiError(401, {"error": "Couldn't authenticate you"})

    def route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = parts.path.removesuffix(".json").rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/attachments/"):  # content_url: a signed link, no credentials needed
            file_id = int(path.rsplit("/", 1)[-1])
            if file_id not in self.files:
                raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
            return 200, self.files[file_id]
        me = self.who(headers)
        segments = path.removeprefix("/api/v2/").split("/")
        payload: Any = None
        if method in ("POST", "PUT") and not path.startswith(("/api/v2/uploads", "/api/v2/help_center")):
            try:
                payload = json.loads(body or b"null")
            except ValueError:
                raise ApiError(400, {"error": "Unprocessable Entity",
                                     "description": "The request body is not valid JSON"}) from None
        match (method, segments):
            case ("GET", ["users", "me"]):
                return 200, {"user": self.users[me]}
            case ("GET", ["custom_statuses"]):  # Zendesk's OpenAPI, ListCustomStatuses: "Allowed For: End Users"
                return 200, {"custom_statuses": self.custom_statuses}
            case ("GET", ["requests"]):
                return 200, self.list_requests(me, query)
            case ("POST", ["requests"]):
                return 201, self.create(me, payload)
            case ("GET", ["requests", rid]):
                found = self.mine(me, rid)
                return 200, {"request": found, "users": self.sideload([found])}
            case ("PUT", ["requests", rid]):
                return 200, self.update(me, self.mine(me, rid), payload)
            case ("GET", ["requests", rid, "comments"]):
                found = self.mine(me, rid)
                role = query.get("role")  # "agent" or "end_user"; "If not specified it does not filter"
                items = [c for c in self.comments[found["id"]] if c["public"] and role in (
                    None, "end_user" if self.users[c["author_id"]]["role"] == "end-user" else "agent")]
                page = self.page(items, query, f"/api/v2/requests/{found['id']}/comments")
                page["comments"] = page.pop("items")
                if self.comment_users:
                    page["users"] = [self.users[u] for u in {c["author_id"] for c in page["comments"]}]
                return 200, page
            case ("POST", ["uploads"]):
                return 201, self.upload(query, body, headers.get("Content-Type") or "")
            case ("GET", ["help_center", "articles", "search"]):
                if not query.get("query"):
                    raise ApiError(400, {"error": "InvalidSearchQuery", "description": "query is required"})
                words = query["query"].lower().split()
                hits = [a for a in self.articles.values()
                         if all(w in (a["title"] + " " + a["body"]).lower() for w in words)]
                size = int(query.get("per_page") or 25)
                return 200, {"results": [{**a, "snippet": a["body"][:80]} for a in hits[:size]],
                             "count": len(hits), "page": 1, "per_page": size, "next_page": None}
            case ("GET", ["help_center", "articles", article_id]):
                return 200, {"article": self.article(article_id)}
            case ("POST", ["help_center", "articles", article_id, direction]) if direction in ("up", "down"):
                article = self.article(article_id)
                article["vote_count"] += 1
                article["vote_sum"] += 1 if direction == "up" else -1
                return 200, {"vote": {"id": self.new_id(), "value": 1 if direction == "up" else -1,
                                      "item_id": article["id"], "item_type": "Article"}}
        if self.users[me]["role"] != "end-user":  # agents and admins: the Tickets, Search and export APIs
            from tests.connectors.sim_zendesk_agent import agent_route

            return agent_route(self, method, segments, query, payload, me)
        raise ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})

    # -- behaviour ---------------------------------------------------------------------------------------------

    def article(self, aid: str) -> dict[str, Any]:
        if not aid.isdigit() or int(aid) not in self.articles:
            raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
        return self.articles[int(aid)]

    def mine(self, me: int, rid: str) -> dict[str, Any]:
        found = self.requests.get(int(rid)) if rid.isdigit() else None
        if found is None or (found["requester_id"] != me and me not in found["collaborator_ids"]):
            raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
        return found

    def sideload(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = {r["requester_id"] for r in requests} | {i for r in requests for i in r["collaborator_ids"]}
        return [self.users[i] for i in ids if i in self.users]

    def page(self, items: list[Any], query: dict[str, str], path: str) -> dict[str, Any]:
        raw_size = query.get("page[size]", "100")
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
            raise ApiError(400, {"error": "InvalidPaginationParameter",
                                 "description": f"page[size] is {raw_size}, must be between 1 and 100"})
        size = int(raw_size)
        after = query.get("page[after]")
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        chunk = items[start:start + size]
        more = start + size < len(items)
        cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
        rest = {k: v for k, v in query.items() if k != "page[after]"}
        return {"items": chunk, "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": None},
                "links": {"next": f"{self.url}{path}?{urlencode({**rest, 'page[after]': cursor})}" if more else None,
                          "prev": None}}

    def list_requests(self, me: int, query: dict[str, str]) -> dict[str, Any]:
        statuses = set((query.get("status") or "new,open,pending,hold,solved,closed").split(","))
        key = query.get("sort_by", "updated_at")
        if key not in ("updated_at", "created_at"):
            raise ApiError(400, {"error": "InvalidValue", "description": f"sort_by {key} is not valid"})
        mine = [r for r in self.requests.values()
                if (r["requester_id"] == me or me in r["collaborator_ids"]) and r["status"] in statuses]
        if "page[size]" in query:  # cursor paging: sort_by/sort_order are not applied
            mine.sort(key=lambda r: r["id"])
        else:
            # sort_order: "One of "asc", "desc". Defaults to "asc"" (Zendesk's OpenAPI document, ListRequests)
            mine.sort(key=lambda r: (r[key], r["id"]), reverse=query.get("sort_order", "asc") == "desc")
        page = self.page(mine, query, "/api/v2/requests")
        page["requests"] = page.pop("items")
        if "users" in (query.get("include") or ""):
            page["users"] = self.sideload(page["requests"])
        return page

    def invalid(self, field_name: str, text: str) -> ApiError:
        return ApiError(422, {"error": "RecordInvalid", "description": "Record validation errors",
                              "details": {field_name: [{"description": text}]}})

    def take_uploads(self, tokens: Any) -> list[dict[str, Any]]:
        found = []
        for token in tokens or []:
            if token not in self.uploads:
                raise self.invalid("base", f"Upload token {token} is invalid or expired")
            found.extend(self.uploads.pop(token))
        return found

    def add_comment(self, rid: int, author: int, comment: Any, when: str) -> None:
        if not isinstance(comment, dict) or not str(comment.get("body") or comment.get("html_body") or "").strip():
            raise self.invalid("description", "Description: cannot be blank")
        attachments = self.take_uploads(comment.get("uploads"))
        self.comments[rid].append({"id": self.new_id(), "type": "Comment", "author_id": author,
                                   "body": str(comment.get("body") or ""), "public": True,
                                   "attachments": attachments, "created_at": when})

    def emails_to_ids(self, emails: Any) -> list[int]:
        ids = []
        for email in emails or []:
            match = [u for u, d in self.users.items() if d["email"] == email]
            ids.append(match[0] if match else self.add_user(str(email), str(email).split("@")[0]))
        return ids

    def create(self, me: int, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("request"), dict):
            raise ApiError(400, {"error": "InvalidValue", "description": "request parameter is missing"})
        data = payload["request"]
        if not str(data.get("subject") or "").strip():
            raise self.invalid("subject", "Subject: cannot be blank")
        if data.get("priority") not in (None, "low", "normal", "high", "urgent"):
            raise self.invalid("priority", f"Priority: {data['priority']} is not valid")
        for item in data.get("custom_fields") or []:
            if not isinstance(item, dict) or "id" not in item:
                raise self.invalid("custom_fields", "Custom fields: each needs an id and a value")
        source = data.get("via_followup_source_id")
        if source is not None:
            linked = self.requests.get(int(source))
            if linked is None or linked["status"] != "closed":
                raise self.invalid("via_followup_source_id", "Follow-up source: must be a closed ticket")
        rid = self.new_id()
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        request = self._request(rid, me, str(data["subject"]), "", when)
        self.comments[rid] = []
        self.add_comment(rid, me, data.get("comment"), when)
        request["description"] = self.comments[rid][0]["body"]
        request.update(priority=data.get("priority") or "normal", type=data.get("type"),
                       custom_fields=list(data.get("custom_fields") or []), followup_source_id=source,
                       collaborator_ids=self.emails_to_ids(data.get("collaborators")))
        request["email_cc_ids"] = list(request["collaborator_ids"])
        self.requests[rid] = request
        return {"request": request}

    def update(self, me: int, request: dict[str, Any], payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("request"), dict):
            raise ApiError(400, {"error": "InvalidValue", "description": "request parameter is missing"})
        data = payload["request"]
        if request["status"] == "closed":
            raise self.invalid("status", "Status: closed prevents ticket update")
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if "comment" in data:
            self.add_comment(request["id"], me, data["comment"], when)
            if request["status"] in ("solved", "pending"):
                request["status"] = "open"  # the requester's comment reopens the request
        if data.get("additional_collaborators"):
            request["collaborator_ids"] += self.emails_to_ids(data["additional_collaborators"])
            request["email_cc_ids"] = list(request["collaborator_ids"])
        if data.get("solved") and request["can_be_solved_by_me"]:  # otherwise Zendesk silently ignores it
            request["status"] = "solved"
        request["updated_at"] = when
        return {"request": request}

    def upload(self, query: dict[str, str], body: bytes, content_type: str) -> dict[str, Any]:
        name = query.get("filename")
        if not name:
            raise ApiError(400, {"error": "InvalidValue", "description": "filename is required"})
        aid = self.new_id()
        self.files[aid] = body
        attachment = {"id": aid, "file_name": name, "content_url": f"{self.url}/attachments/token/x/{aid}",
                      "content_type": content_type.split(";")[0].strip(), "size": len(body)}
        token = f"tok{aid}"
        self.uploads[token] = [attachment]
        return {"upload": {"token": token, "attachment": attachment, "attachments": [attachment]}}


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}
