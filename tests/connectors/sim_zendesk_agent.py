"""The agent side of the Zendesk simulator: the Tickets API, Search and the cursor-based incremental ticket export.

What it follows (Zendesk developer documentation, developer.zendesk.com/api-reference/ticketing/):
- tickets/tickets/: POST /tickets (`requester` {email, name}, `comment`, `email_ccs`, `tags`, `group_id`), GET
  /tickets/{id} (`include=users`), PUT /tickets/{id} (`comment.public: false` is an internal note; `status`,
  `priority`, `type`, `group_id`, `assignee_email`, `custom_fields`, `additional_tags`, `remove_tags`, `email_ccs`
  with put/delete actions; a closed ticket refuses updates with 422 "Status: closed prevents ticket update");
- tickets/ticket_comments/: GET /tickets/{id}/comments, internal notes included for agents, cursor-paged;
- ticket-management/search/: GET /search?query=type:ticket ... (offset pages, `per_page` at most 100, at most
  1,000 results: a page past them is 422; `count` is the full number; `sort_by`/`sort_order`; `include=
  tickets(users)` sideloads users); the keywords read here: status (with `-` for negation), priority, ticket_type,
  requester, created>=, updated>=, and words that start a word of the subject or description;
- ticket-management/incremental_exports/: GET /incremental/tickets/cursor?start_time= then ?cursor= (tickets in
  update order, up to `per_page` 1,000, `after_cursor`, `after_url`, `end_of_stream`; changes of the last minute
  are left out; 10 requests a minute, 429 with Retry-After past that).
"""

from __future__ import annotations

import base64
import math
import time
from typing import Any
from urllib.parse import urlencode

from tests.connectors.sim_zendesk import ApiError, ZendeskSim

SEARCH_CAP = 1000
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
REQUEST_ONLY = ("can_be_solved_by_me",)


def agent_route(sim: ZendeskSim, method: str, segments: list[str], query: dict[str, str], payload: Any,
                me: int) -> tuple[int, Any]:
    match (method, segments):
        case ("POST", ["tickets"]):
            return 201, {"ticket": create(sim, me, payload)}
        case ("GET", ["tickets", tid]):
            found = ticket(sim, tid)
            return 200, {"ticket": view(sim, found), "users": sim.sideload([found])}
        case ("PUT", ["tickets", tid]):
            return 200, {"ticket": view(sim, update(sim, me, ticket(sim, tid), payload))}
        case ("GET", ["tickets", tid, "comments"]):
            found = ticket(sim, tid)
            page = sim.page(sim.comments[found["id"]], query, f"/api/v2/tickets/{found['id']}/comments")
            page["comments"] = page.pop("items")
            page["users"] = [sim.users[u] for u in {c["author_id"] for c in page["comments"]}]
            return 200, page
        case ("GET", ["search"]):
            return 200, search(sim, query)
        case ("GET", ["incremental", "tickets", "cursor"]):
            return 200, export(sim, query)
    raise ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def ticket(sim: ZendeskSim, tid: str) -> dict[str, Any]:
    found = sim.requests.get(int(tid)) if tid.isdigit() else None
    if found is None:
        raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
    return found


def view(sim: ZendeskSim, request: dict[str, Any]) -> dict[str, Any]:
    """A request as the Tickets API shows it: the same record, with its tags."""
    out = {k: v for k, v in request.items() if k not in REQUEST_ONLY}
    out["url"] = f"{sim.url}/api/v2/tickets/{request['id']}.json"
    out["tags"] = list(sim.tags.get(request["id"], []))
    return out


def body_of(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict):
        raise ApiError(400, {"error": "InvalidValue", "description": "ticket parameter is missing"})
    return payload["ticket"]


def create(sim: ZendeskSim, me: int, payload: Any) -> dict[str, Any]:
    data = body_of(payload)
    requester = data.get("requester")
    requester_id = sim.emails_to_ids([requester["email"]])[0] if isinstance(requester, dict) else me
    made = sim.create(requester_id, {"request": {k: v for k, v in data.items()
                                                 if k in ("subject", "comment", "priority", "type", "custom_fields",
                                                          "via_followup_source_id")}})["request"]
    sim.tags[made["id"]] = []
    public = (data.get("comment") or {}).get("public", True)
    sim.comments[made["id"]][-1]["public"] = bool(public)
    return view(sim, apply(sim, made, {k: v for k, v in data.items() if k in ("tags", "group_id", "email_ccs")}))


def apply(sim: ZendeskSim, found: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    if data.get("status") is not None:
        if data["status"] not in STATUSES:
            raise sim.invalid("status", f"Status: {data['status']} is not valid")
        found["status"] = data["status"]
    if data.get("priority") is not None:
        if data["priority"] not in ("low", "normal", "high", "urgent"):
            raise sim.invalid("priority", f"Priority: {data['priority']} is not valid")
        found["priority"] = data["priority"]
    for key in ("subject", "type", "group_id"):
        if key in data:
            found[key] = data[key]
    if "assignee_email" in data:
        agents = [u for u, d in sim.users.items() if d["email"] == data["assignee_email"] and d["role"] != "end-user"]
        if data["assignee_email"] is not None and not agents:
            raise sim.invalid("assignee", "Assignee: is not an agent")
        found["assignee_id"] = agents[0] if agents else None
    if data.get("custom_fields"):
        values = {int(f["id"]): f for f in found["custom_fields"]}
        values.update({int(f["id"]): f for f in data["custom_fields"]})
        found["custom_fields"] = list(values.values())
    tags = sim.tags.setdefault(found["id"], [])
    if "tags" in data:
        tags[:] = list(dict.fromkeys(data["tags"]))
    tags += [t for t in data.get("additional_tags") or [] if t not in tags]
    tags[:] = [t for t in tags if t not in (data.get("remove_tags") or [])]
    for change in data.get("email_ccs") or []:
        [uid] = sim.emails_to_ids([change["user_email"]])
        if change.get("action") == "delete":
            found["collaborator_ids"] = [i for i in found["collaborator_ids"] if i != uid]
        elif uid not in found["collaborator_ids"]:
            found["collaborator_ids"].append(uid)
        found["email_cc_ids"] = list(found["collaborator_ids"])
    return found


def update(sim: ZendeskSim, me: int, found: dict[str, Any], payload: Any) -> dict[str, Any]:
    data = body_of(payload)
    if found["status"] == "closed":
        raise sim.invalid("status", "Status: closed prevents ticket update")
    when = now()
    if "comment" in data:
        sim.add_comment(found["id"], me, data["comment"], when)
        sim.comments[found["id"]][-1]["public"] = bool(data["comment"].get("public", True))
    apply(sim, found, data)
    found["updated_at"] = when
    return found


def words_of(item: dict[str, Any]) -> list[str]:
    return f"{item['subject']} {item['description']}".lower().split()


def matches(item: dict[str, Any], terms: list[str], sim: ZendeskSim) -> bool:
    for term in terms:
        negated, text = term.startswith("-"), term.lstrip("-")
        key, op, value = next(((text.partition(o)[0], o, text.partition(o)[2]) for o in (">=", "<", ":")
                               if o in text), ("", "", text))
        if key == "type":
            continue
        if key == "status":
            hit = item["status"] == value
        elif key == "priority":
            hit = item["priority"] == value
        elif key == "ticket_type":
            hit = (item["type"] or "") == value
        elif key == "requester":
            hit = sim.users[item["requester_id"]]["email"] == value
        elif key in ("created", "updated"):
            stamp = item[f"{key}_at"][:10]
            hit = stamp >= value if op == ">=" else stamp < value
        else:
            hit = any(word.startswith(text.lower()) for word in words_of(item))
        if hit == negated:
            return False
    return True


def search(sim: ZendeskSim, query: dict[str, str]) -> dict[str, Any]:
    terms = (query.get("query") or "").split()
    if not terms:
        raise ApiError(400, {"error": "InvalidSearchQuery", "description": "query is required"})
    size, page = int(query.get("per_page") or 100), int(query.get("page") or 1)
    if not 1 <= size <= 100:
        raise ApiError(400, {"error": "InvalidPaginationParameter", "description": "per_page must be 1 to 100"})
    if (page - 1) * size >= SEARCH_CAP:
        raise ApiError(422, {"error": "InsufficientResourceError",
                             "description": "Search results are limited to 1000 results"})
    hits = [t for t in sim.requests.values() if matches(t, terms, sim)]
    # sort_by "Defaults to sorting by relevance", sort_order "Defaults to desc" (Zendesk's OpenAPI document,
    # ListSearchResults); relevance, which a client cannot foresee, is ticket id order here
    key = query.get("sort_by") or "id"
    hits.sort(key=lambda t: (t[key] or "", t["id"]), reverse=query.get("sort_order", "desc") == "desc")
    chunk = hits[(page - 1) * size:page * size]
    more = page * size < min(len(hits), SEARCH_CAP)
    link = f"{sim.url}/api/v2/search.json?{urlencode({**query, 'page': page + 1})}" if more else None
    out: dict[str, Any] = {"results": [{**view(sim, t), "result_type": "ticket"} for t in chunk],
                           "count": len(hits), "next_page": link, "previous_page": None, "facets": None}
    if "users" in (query.get("include") or ""):
        out["users"] = sim.sideload(chunk)
    return out


def limited(sim: ZendeskSim) -> None:
    """The export's own limit: `export_limit` requests per fixed `export_window`, then 429 with Retry-After."""
    clock = time.monotonic()
    state = sim.__dict__.setdefault("export_state", {"start": clock, "used": 0})
    if clock - state["start"] >= sim.export_window:
        state["start"] += sim.export_window * math.floor((clock - state["start"]) / sim.export_window)
        state["used"] = 0
    state["used"] += 1
    if state["used"] > sim.export_limit:
        wait = max(1, math.ceil(state["start"] + sim.export_window - clock))
        raise ApiError(429, {"error": "APIRateLimitExceeded",
                             "description": "Number of allowed incremental export API requests per minute exceeded"},
                       {"Retry-After": str(wait)})


def key(item: dict[str, Any]) -> str:
    """Where a ticket stands in the export: update time, then id (a cursor is this, encoded)."""
    return f"{item['updated_at']}|{item['id']:012d}"


def position(item: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(key(item).encode()).decode()


def export(sim: ZendeskSim, query: dict[str, str]) -> dict[str, Any]:
    limited(sim)
    size = int(query.get("per_page") or 1000)
    if query.get("cursor"):
        after = base64.urlsafe_b64decode(query["cursor"].encode()).decode()
    elif query.get("start_time", "").isdigit():
        start = int(query["start_time"])
        if start > time.time():
            raise sim.invalid("start_time", "start_time cannot be in the future")
        after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start - 1)) + "|" + "9" * 12
    else:
        raise ApiError(400, {"error": "InvalidValue", "description": "start_time or cursor is required"})
    settled = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - sim.export_lag))
    ready = sorted((t for t in sim.requests.values() if t["updated_at"] <= settled), key=key)
    keyed = [t for t in ready if key(t) > after]
    chunk = keyed[:size]
    cursor = position(chunk[-1]) if chunk else base64.urlsafe_b64encode(after.encode()).decode()
    out: dict[str, Any] = {"tickets": [view(sim, t) for t in chunk], "after_cursor": cursor,
                           "after_url": f"{sim.url}/api/v2/incremental/tickets/cursor.json?"
                                        f"{urlencode({'cursor': cursor, 'per_page': size})}",
                           "before_cursor": None, "before_url": None, "end_of_stream": len(keyed) <= size}
    if "users" in (query.get("include") or ""):
        out["users"] = sim.sideload(chunk)
    return out
