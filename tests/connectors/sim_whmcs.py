"""A WHMCS API simulator on 127.0.0.1: `POST /includes/api.php`, tickets in memory, for the connector tests.

It follows the WHMCS developer documentation (https://developers.whmcs.com/api/ and its API reference pages):
- every call is a form-encoded POST with `identifier`, `secret`, `action`, `responsetype=json`
  (https://developers.whmcs.com/api/authentication); a wrong credential answers result=error "Authentication
  Failed"; an install with an API access key refuses calls without it as an IP restriction would ("Invalid IP",
  https://developers.whmcs.com/api/access-control/);
- answers carry `result: success|error` and `message` (https://developers.whmcs.com/api/getting-started/);
- GetTickets pages with `limitstart`/`limitnum` (default 25) and returns `totalresults`, `startnumber`,
  `numreturned`, `tickets.ticket[]` (https://developers.whmcs.com/api-reference/gettickets/);
- GetTicket (ticketid or ticketnum) returns `replies.reply[]` (the opening message first) and `notes.note[]`
  (https://developers.whmcs.com/api-reference/getticket/); a reply or note without files carries
  `"attachments": [[]]` and `"attachment": ""`, and every one carries `attachments_removed` (the files were deleted
  from storage: the names stay, the bytes are gone), as that page's example response shows (WHMCS 7.10+);
- GetTickets keeps to the departments the API user's admin is assigned to unless
  `ignore_dept_assignments` is true ("Pass as true to not adhere to the departments the API user is a member of",
  https://developers.whmcs.com/api-reference/gettickets/); `assigned_departments` sets them (None: all);
- OpenTicket, AddTicketReply, AddTicketNote take `attachments` as base64 JSON [{name, data}]
  (https://developers.whmcs.com/api-reference/openticket/, .../addticketreply/, .../addticketnote/);
- GetTicketAttachment (relatedid, type ticket|reply|note, index) returns filename and base64 data
  (https://developers.whmcs.com/api-reference/getticketattachment/);
- GetSupportStatuses / GetSupportDepartments list `statuses.status[]` / `departments.department[]`
  (https://developers.whmcs.com/api-reference/getsupportstatuses/, .../getsupportdepartments/).
Not from the documentation (assumed): the HTTP status of an authentication failure (403 here, switchable to 200)
and the exact wording of validation messages. 429 is not a WHMCS answer of its own: it stands for a proxy or WAF in
front of the install, with or without Retry-After.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

IDENTIFIER = "sim-identifier"
SECRET = "sim-secret"
STATUSES = ["Open", "Answered", "Customer-Reply", "Closed", "On Hold", "In Progress", "Escalated"]
DEPARTMENTS = {1: "Soporte Técnico", 2: "Facturación"}
CLIENTS: dict[int, dict[str, Any]] = {7: {"id": 7, "firstname": "Ana", "lastname": "Pérez", "email": "ana@cliente.test",
               "companyname": "Cliente SA", "phonenumber": "+34 600 000 000", "datecreated": "2024-01-10"}}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class SimTicket:
    id: int
    tid: str
    deptid: int
    userid: int
    name: str
    email: str
    subject: str
    status: str
    priority: str
    date: str
    lastreply: str
    cc: str = ""
    replies: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)


class ApiError(Exception):
    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class WhmcsSim:
    def __init__(self, *, accesskey: str | None = None) -> None:
        self.accesskey = accesskey
        self.assigned_departments: set[int] | None = None  # the API user's admin departments (None: all)
        self.auth_failure_status = 403
        self.tickets: dict[int, SimTicket] = {}
        self.files: dict[tuple[str, int], list[tuple[str, bytes]]] = {}
        self.calls: list[dict[str, str]] = []
        self.answers: list[tuple[str, int, dict[str, Any]]] = []  # (action, HTTP status, body) of every answer
        self.lock = threading.Lock()
        self.clock = 0
        self.next_reply = 100
        self.next_note = 500
        self.throttle = 0
        self.throttle_retry_after: str | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> WhmcsSim:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count: int, retry_after: str | None = None) -> None:
        """Answer the next `count` requests with 429 (with `Retry-After: retry_after` when given)."""
        self.throttle, self.throttle_retry_after = count, retry_after

    def actions(self) -> list[str]:
        return [c.get("action", "") for c in self.calls]

    def now(self) -> str:
        """The install's clock: real time, and at least a second past its last answer (messages keep their order,
        and a change made after an export started is stamped after it, as on a real install)."""
        self.clock = max(self.clock + 1, int((datetime.now(UTC) - START).total_seconds()))
        return (START + timedelta(seconds=self.clock)).strftime("%Y-%m-%d %H:%M:%S")

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self.send(404, b"<html>Not Found</html>", "text/html")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.split("?")[0] != "/includes/api.php":
                    self.send(404, b"<html>Not Found</html>", "text/html")
                    return
                with sim.lock:
                    if sim.throttle > 0:
                        sim.throttle -= 1
                        headers = {"Retry-After": sim.throttle_retry_after} if sim.throttle_retry_after else {}
                        self.send(429, b"<html>Too Many Requests</html>", "text/html", headers)
                        return
                    form: dict[str, str] = {}
                    if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                        form = {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
                    sim.calls.append({k: v for k, v in form.items() if k not in ("secret", "attachments")})
                    status, answer = sim.dispatch(form)
                    sim.answers.append((form.get("action", ""), status, answer))
                if form.get("responsetype") != "json":  # WHMCS answers XML (or key=value) unless asked for JSON
                    text = "".join(f"<{k}>{v}</{k}>" for k, v in answer.items() if not isinstance(v, dict | list))
                    self.send(status, f"<?xml version=\"1.0\"?><whmcsapi>{text}</whmcsapi>".encode(), "text/xml")
                    return
                self.send(status, json.dumps(answer).encode(), "application/json")

        return Handler

    def dispatch(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("identifier") != IDENTIFIER or form.get("secret") != SECRET:
            return self.auth_failure_status, {"result": "error", "message": "Authentication Failed"}
        if self.accesskey and form.get("accesskey") != self.accesskey:
            return 403, {"result": "error", "message": "Invalid IP 127.0.0.1"}
        action = form.get("action", "")
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            return 200, {"result": "error", "message": "Command Not Found"}
        try:
            return 200, {"result": "success", **handler(form)}
        except ApiError as exc:
            return exc.status, {"result": "error", "message": exc.message}

    # -- helpers ------------------------------------------------------------------------------------------------

    def ticket(self, form: dict[str, str]) -> SimTicket:
        number = form.get("ticketnum")
        if number:
            for found in self.tickets.values():
                if found.tid == number:
                    return found
            raise ApiError("Ticket ID Not Found")
        try:
            return self.tickets[int(form.get("ticketid") or 0)]
        except (KeyError, ValueError):
            raise ApiError("Ticket ID Not Found") from None

    def attachments(self, form: dict[str, str], kind: str, related: int) -> list[dict[str, Any]]:
        encoded = form.get("attachments")
        if not encoded:
            return []
        try:
            files = json.loads(base64.b64decode(encoded, validate=True))
            stored = [(str(f["name"]), base64.b64decode(f["data"], validate=True)) for f in files]
        except (ValueError, KeyError, TypeError):
            raise ApiError("Invalid attachments: expected base64 encoded JSON [{name, data}]") from None
        self.files[(kind, related)] = stored
        return [{"filename": name, "index": index} for index, (name, _) in enumerate(stored)]

    def attached(self, form: dict[str, str], kind: str, related: int) -> dict[str, Any]:
        """`attachments` [{filename, index}] and the older `attachment` string (stored names joined with |); no
        files is `[[]]`, as the GetTicket reference's example shows."""
        files = self.attachments(form, kind, related)
        return {"attachments": files or [[]], "attachments_removed": False,
                "attachment": "|".join(f"{100000 + i}_{f['filename']}" for i, f in enumerate(files))}

    def remove_files(self, kind: str, related: int) -> None:
        """Delete a message's files from storage as an admin's clean-up does: GetTicket keeps the names and says
        `attachments_removed: true`; GetTicketAttachment finds nothing."""
        self.files.pop((kind, related), None)
        for t in self.tickets.values():
            for entry in t.replies + t.notes:
                key = ("note", entry.get("noteid")) if "noteid" in entry else (
                    ("ticket", t.id) if entry.get("replyid") == 0 else ("reply", entry.get("replyid")))
                if key == (kind, related):
                    entry["attachments_removed"] = True

    def visible(self, form: dict[str, str], t: SimTicket) -> bool:
        """Whether the API user's department assignments let it see `t`."""
        ignore = str(form.get("ignore_dept_assignments") or "").lower() in ("1", "true")
        return ignore or self.assigned_departments is None or t.deptid in self.assigned_departments

    @staticmethod
    def priority(form: dict[str, str]) -> str:
        value = form.get("priority") or "Medium"
        if value not in ("Low", "Medium", "High"):
            raise ApiError("Invalid Ticket Priority. Valid priorities are: Low,Medium,High")
        return value

    def row(self, t: SimTicket) -> dict[str, Any]:
        """A ticket's fields; ids and numbers are strings, as the reference's example answers give them."""
        return {"id": str(t.id), "tid": t.tid, "deptid": str(t.deptid), "userid": str(t.userid), "contactid": "0",
                "name": t.name, "email": t.email, "cc": t.cc, "c": f"c{t.id}", "date": t.date, "subject": t.subject,
                "status": t.status, "priority": t.priority, "admin": "", "attachment": "", "lastreply": t.lastreply,
                "flag": "0", "service": ""}

    @staticmethod
    def shown_reply(entry: dict[str, Any]) -> dict[str, Any]:
        """A reply as GetTicket shows it: string ids, and who wrote it in requestor_name/_email/_type ("Owner" for
        the client, "Operator" for an admin, as the reference's example shows)."""
        operator = bool(entry.get("admin"))
        return {**entry, "replyid": str(entry["replyid"]), "userid": str(entry["userid"]), "contactid": "0",
                "requestor_name": entry["admin"] if operator else entry["name"],
                "requestor_email": "" if operator else entry["email"],
                "requestor_type": "Operator" if operator else ("Owner" if entry["userid"] else "Guest")}

    def listed(self, t: SimTicket) -> dict[str, Any]:
        """A GetTickets row: a client's ticket keeps its submitter in requestor_name/_email/_type and owner_name
        (https://developers.whmcs.com/api-reference/gettickets/), its name and email columns empty (they hold a
        guest's, who is no client)."""
        row = self.row(t)
        row.update(requestor_name=t.name, requestor_email=t.email, requestor_type="Owner" if t.userid else "Guest",
                   owner_name=t.name if t.userid else "")
        opening = t.replies[0]  # the row carries the opening message's files, as the reference's example shows
        row.update(attachment=opening["attachment"], attachments=opening["attachments"],
                   attachments_removed=opening["attachments_removed"])
        if t.userid:
            row.update(name="", email="")
        return row

    # -- actions ------------------------------------------------------------------------------------------------

    def do_GetSupportStatuses(self, form: dict[str, str]) -> dict[str, Any]:
        statuses = [{"title": s, "count": sum(t.status == s for t in self.tickets.values()), "color": "#888"}
                    for s in STATUSES]
        return {"totalresults": len(statuses), "statuses": {"status": statuses}}

    def do_GetSupportDepartments(self, form: dict[str, str]) -> dict[str, Any]:
        rows = [{"id": str(i), "name": n, "awaitingreply": "0", "opentickets": "0"} for i, n in DEPARTMENTS.items()]
        return {"totalresults": len(rows), "departments": {"department": rows}}

    def do_GetAdminDetails(self, form: dict[str, str]) -> dict[str, Any]:
        """The API credential's admin (https://developers.whmcs.com/api-reference/getadmindetails/)."""
        return {"adminid": "1", "name": "API Admin", "notes": "", "signature": "",
                "allowedpermissions": "List Support Tickets,Open New Ticket,View Support Ticket", "departments": "1,2"}

    def do_GetClientsDetails(self, form: dict[str, str]) -> dict[str, Any]:
        for client in CLIENTS.values():
            if form.get("email", "").casefold() == client["email"] or form.get("clientid") == str(client["id"]):
                return {"client": {**client, "userid": client["id"], "client_id": client["id"]}}
        raise ApiError("Client Not Found")

    def do_OpenTicket(self, form: dict[str, str]) -> dict[str, Any]:
        deptid = int(form.get("deptid") or 0)
        if deptid not in DEPARTMENTS:
            raise ApiError("Department ID not found")
        if not form.get("subject"):
            raise ApiError("Subject is required")
        if not form.get("message"):
            raise ApiError("Message is required")
        if form.get("clientid"):
            client = CLIENTS.get(int(form["clientid"]))
            if client is None:
                raise ApiError("Client ID Not Found")
            userid, name, email = int(client["id"]), f"{client['firstname']} {client['lastname']}", str(client["email"])
        elif form.get("name") and form.get("email"):
            userid, name, email = 0, form["name"], form["email"]
        else:
            raise ApiError("Name and email address are required if not a client")
        ticket_id = len(self.tickets) + 1
        when = self.now()
        ticket = SimTicket(id=ticket_id, tid=f"{480000 + ticket_id * 7}", deptid=deptid, userid=userid, name=name,
                           email=email, subject=form["subject"], status="Open", priority=self.priority(form),
                           date=when, lastreply=when)
        ticket.replies.append({"replyid": 0, "userid": userid, "name": name, "email": email, "date": when,
                               "message": form["message"], "admin": "",
                               **self.attached(form, "ticket", ticket_id)})
        self.tickets[ticket_id] = ticket
        return {"id": str(ticket_id), "tid": ticket.tid, "c": f"c{ticket_id}"}

    def do_GetTickets(self, form: dict[str, str]) -> dict[str, Any]:
        start = int(form.get("limitstart") or 0)
        count = int(form.get("limitnum") or 25)
        rows = [t for t in self.tickets.values() if self.visible(form, t)]
        if form.get("deptid"):
            rows = [t for t in rows if t.deptid == int(form["deptid"])]
        if form.get("clientid"):
            rows = [t for t in rows if t.userid == int(form["clientid"])]
        if form.get("email"):
            rows = [t for t in rows if t.userid == 0 and t.email.casefold() == form["email"].casefold()]
        if form.get("subject"):
            rows = [t for t in rows if form["subject"].casefold() in t.subject.casefold()]
        status = form.get("status")
        if status == "All Active Tickets":
            rows = [t for t in rows if t.status != "Closed"]
        elif status:
            rows = [t for t in rows if t.status == status]
        rows.sort(key=lambda t: (t.lastreply, t.id), reverse=True)
        page = rows[start: start + count]
        return {"totalresults": str(len(rows)), "startnumber": start, "numreturned": len(page),
                "tickets": {"ticket": [self.listed(t) for t in page]}}

    def do_GetTicket(self, form: dict[str, str]) -> dict[str, Any]:
        t = self.ticket(form)
        row = self.row(t)
        row["ticketid"] = row.pop("id")
        row["deptname"] = DEPARTMENTS[t.deptid]
        replies = t.replies if form.get("repliessort", "ASC").upper() == "ASC" else t.replies[::-1]
        notes = [{**note, "noteid": str(note["noteid"])} for note in t.notes]
        return {**row, "replies": {"reply": [self.shown_reply(r) for r in replies]}, "notes": {"note": notes}}

    def do_AddTicketReply(self, form: dict[str, str]) -> dict[str, Any]:
        t = self.ticket(form)
        if not form.get("message"):
            raise ApiError("Message is required")
        reply_id = self.next_reply = self.next_reply + 1
        client = CLIENTS.get(int(form.get("clientid") or 0))
        when = self.now()
        if client:
            author = {"userid": client["id"], "name": f"{client['firstname']} {client['lastname']}",
                      "email": client["email"], "admin": ""}
        else:
            author = {"userid": 0, "name": form.get("name", ""), "email": form.get("email", ""),
                      "admin": form.get("adminusername") or "API Admin"}
        status = form.get("status") or ("Customer-Reply" if client else "Answered")
        if status not in STATUSES:
            raise ApiError(f"Invalid Ticket Status. Valid statuses are: {','.join(STATUSES)}")
        t.replies.append({"replyid": reply_id, **author, "date": when, "message": form["message"],
                          **self.attached(form, "reply", reply_id)})
        t.status, t.lastreply = status, when
        return {}

    def do_AddTicketNote(self, form: dict[str, str]) -> dict[str, Any]:
        t = self.ticket(form)
        if not form.get("message"):
            raise ApiError("Message is required")
        note_id = self.next_note = self.next_note + 1
        t.notes.append({"noteid": note_id, "date": self.now(), "message": form["message"], "admin": "API Admin",
                        **self.attached(form, "note", note_id)})
        return {}

    def do_UpdateTicket(self, form: dict[str, str]) -> dict[str, Any]:
        t = self.ticket(form)
        if "status" in form:
            if form["status"] not in STATUSES:
                raise ApiError(f"Invalid Ticket Status. Valid statuses are: {','.join(STATUSES)}")
            t.status = form["status"]
        if "priority" in form:
            t.priority = self.priority(form)
        if "deptid" in form:
            if int(form["deptid"]) not in DEPARTMENTS:
                raise ApiError("Department ID Not Found")
            t.deptid = int(form["deptid"])
        if form.get("subject"):
            t.subject = form["subject"]
        if "cc" in form:
            t.cc = form["cc"]
        return {"ticketid": str(t.id)}

    def do_GetTicketAttachment(self, form: dict[str, str]) -> dict[str, Any]:
        files = self.files.get((form.get("type", ""), int(form.get("relatedid") or 0)))
        index = int(form.get("index") or 0)
        if not files or index >= len(files):
            raise ApiError("Attachment Not Found")
        name, content = files[index]
        return {"filename": name, "data": base64.b64encode(content).decode()}
