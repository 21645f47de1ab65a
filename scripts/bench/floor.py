"""The floor `portalctl serve` is measured against: bare Starlette + sqlite3 on a portal file, one process.

    python scripts/bench/floor.py --db FILE --port PORT

GET /api/v1/tickets?limit=50 and GET /api/v1/tickets/{id} answer the fields `portalctl serve` answers an admin
(staff: every ticket, internal notes included), with no sign-in, no rules, no validation: what reading the same
rows and writing the same JSON costs at the least. One connection, used from the event loop only.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

LABELS = {"new": "New", "open": "Open", "pending": "Pending", "on_hold": "On hold", "resolved": "Resolved",
          "closed": "Closed"}
LATE = ("new", "open", "pending", "on_hold")
TICKET = (
    "SELECT t.*, d.slug AS department, r.email AS requester, r.name AS requester_name, o.slug AS organization,"
    " a.email AS assignee FROM tickets t JOIN users r ON r.id = t.requester_id"
    " LEFT JOIN organizations o ON o.id = t.org_id LEFT JOIN users a ON a.id = t.assignee_id"
    " LEFT JOIN departments d ON d.id = t.department_id"
)


def ticket(conn: sqlite3.Connection, row: sqlite3.Row, now: str) -> dict[str, Any]:
    ccs = [r[0] for r in conn.execute("SELECT u.email FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
                                      " WHERE c.ticket_id = ? ORDER BY u.email", (row["id"],))]
    return {
        "id": row["id"], "subject": row["subject"], "status": row["status"], "status_label": LABELS[row["status"]],
        "priority": row["priority"], "type": row["type"], "department": row["department"],
        "requester": row["requester"], "requester_name": row["requester_name"], "organization": row["organization"],
        "assignee": row["assignee"], "ccs": ccs, "tags": json.loads(row["tags"]), "fields": json.loads(row["fields"]),
        "created_at": row["created_at"], "updated_at": row["updated_at"], "due_at": row["due_at"],
        "overdue": bool(row["due_at"] and row["due_at"] < now and row["status"] in LATE),
        "resolved_at": row["resolved_at"], "closed_at": row["closed_at"], "follow_up_of": row["follow_up_of"],
        "comments": None, "attachments": None, "dedupe_key": row["dedupe_key"], "created": None,
    }


def make_app(path: str) -> Starlette:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row

    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def list_tickets(request: Request) -> Response:
        limit = int(request.query_params.get("limit", 50))
        rows = conn.execute(f"{TICKET} WHERE t.status != 'closed' ORDER BY t.updated_at DESC, t.id DESC LIMIT ?",
                            (limit,)).fetchall()
        moment = now()
        items = [ticket(conn, row, moment) for row in rows]
        return Response(json.dumps({"items": items, "next_cursor": None}), media_type="application/json")

    async def show_ticket(request: Request) -> Response:
        row = conn.execute(f"{TICKET} WHERE t.id = ?", (int(request.path_params["id"]),)).fetchone()
        if row is None:
            return Response(status_code=404)
        found = ticket(conn, row, now())
        comments = {
            c["id"]: {"id": c["id"], "author": c["email"], "author_name": c["name"], "author_role": c["role"],
                      "body": c["body"], "internal": bool(c["internal"]), "created_at": c["created_at"],
                      "attachments": []}
            for c in conn.execute("SELECT c.*, u.email, u.name, u.role FROM comments c JOIN users u"
                                  " ON u.id = c.author_id WHERE c.ticket_id = ? ORDER BY c.id", (row["id"],))
        }
        files = [{"id": a["id"], "filename": a["filename"], "content_type": a["content_type"], "size": a["size"],
                  "sha256": a["sha256"], "comment_id": a["comment_id"], "created_at": a["created_at"]}
                 for a in conn.execute("SELECT * FROM attachments WHERE ticket_id = ? ORDER BY id", (row["id"],))]
        for file in files:
            if file["comment_id"] in comments:
                comments[file["comment_id"]]["attachments"].append(file)
        found.update(comments=list(comments.values()), attachments=files)
        return Response(json.dumps(found), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route("/api/v1/tickets", list_tickets), Route("/api/v1/tickets/{id:int}", show_ticket),
                             Route("/api/v1/health", health)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(make_app(args.db), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
