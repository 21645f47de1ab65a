"""E-mail notifications (seed 001: "notificaciones automáticas por email ... configuradas a nivel de usuario").

Three steps, each safe with several server processes on one database:
- the change: engine/tickets.py writes an event in the change's own transaction (engine/events.py);
- `collect`: the server turns new events into outbox rows, one per recipient and ticket, in one write transaction
  that also moves the `notified_through` cursor, so an event is turned into mail once whoever runs it. Changes
  that come while a recipient's mail about a ticket still waits are added to it; the next mail about the same
  ticket waits until the batch window (5 minutes by default; `serve` reads PORTALCTL_NOTIFY_BATCH_SECONDS) has passed
  since the last.
- `deliver`: rows are claimed in a write transaction (a claim token and a deadline), sent by SMTP, then marked sent;
  a failure puts the row back with a doubling delay. Two workers never claim the same row; a worker that dies
  mid-send leaves a claim that expires, and the row goes again with the same Message-ID (receivers drop repeats).

Who is mailed: the requester, CC'd users, the assignee and, for a new ticket, those who see their organisation's
tickets (Actor.sees_org_tickets: a contact manager, or a user of an organisation that shares them), each only while
active, only if the engine's visibility rule lets them see the
ticket (ticket_reads.can_see: the rule reads use, not a copy), never about their own change, never about an internal
note or its files, and only for the kinds they left switched on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from portalctl.engine import mailtexts
from portalctl.engine.db import Row, iso, parse_iso, transaction
from portalctl.engine.events import reply_texts
from portalctl.errors import InvalidInput
from portalctl.i18n import _
from portalctl.model import NOTIFICATION_KINDS, NotificationSettings

if TYPE_CHECKING:
    from portalctl.engine.portal import Actor, Portal, Session

log = logging.getLogger("portalctl.server")

# The notification kind each event kind belongs to; other events (updates, CCs, internal notes) send no mail.
KIND_OF_EVENT = {"created": "new_ticket", "status": "status", "auto_closed": "status", "reply": "reply",
                 "attachment": "attachment"}
STALE = timedelta(days=1)  # older changes are not mailed: a portal served after a long pause does not mail history
CLAIM_FOR = timedelta(minutes=2)  # a claimed row not marked sent by then (its process died) is claimed again
MAX_ATTEMPTS = 10  # then the row stays in the outbox for an admin to read
RETRY_MAX = timedelta(hours=1)
CURSOR_KEY = "notified_through"
BATCH_WINDOW = 300.0  # seconds: at most one mail per recipient and ticket this often
COLLECT_CHUNK = 100  # events turned into mail per write transaction (collect)
SEND_BATCH = 5  # rows claimed at once: 5 deliveries of at most 20 s each fit in CLAIM_FOR


class NotificationService:
    """The acting user's own switches."""

    def __init__(self, session: Session) -> None:
        self.conn = session.conn
        self.actor = session.actor

    def settings(self) -> NotificationSettings:
        switched = dict(self.conn.execute(
            "SELECT kind, enabled FROM notification_settings WHERE user_id = ?", (self.actor.id,)).fetchall())
        return NotificationSettings(email=self.actor.email,
                                    **{kind: bool(switched.get(kind, 1)) for kind in NOTIFICATION_KINDS})

    def switch(self, *, on: Sequence[str] = (), off: Sequence[str] = ()) -> NotificationSettings:
        """Switch kinds on and off (`all` for every kind); a kind both on and off, or unknown, changes nothing."""
        wanted_on, wanted_off = kinds(on), kinds(off)
        both = sorted(set(wanted_on) & set(wanted_off))
        if both:
            raise InvalidInput(_("{both} cannot be switched both on and off").format(
                both=', '.join(both)), about="notification_kind")
        with transaction(self.conn):
            for kind, enabled in [*((k, 1) for k in wanted_on), *((k, 0) for k in wanted_off)]:
                self.conn.execute(
                    "INSERT INTO notification_settings (user_id, kind, enabled) VALUES (?, ?, ?)"
                    " ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled",
                    (self.actor.id, kind, enabled))
        return self.settings()


def kinds(names: Sequence[str]) -> list[str]:
    """Notification kinds by name (several may come comma-separated; `all` is every kind)."""
    found: list[str] = []
    for name in (part.strip().lower() for given in names for part in given.split(",")):
        if name == "all":
            found.extend(NOTIFICATION_KINDS)
        elif name in NOTIFICATION_KINDS:
            found.append(name)
        else:
            raise InvalidInput(_("unknown notification kind {name!r}").format(name=name),
                               hint=_("kinds: {NOTIFICATION_KINDS} (or all)").format(
                                   NOTIFICATION_KINDS=', '.join(NOTIFICATION_KINDS)), about="notification_kind")
    return list(dict.fromkeys(found))


# --- collecting: events into outbox rows
def collect(portal: Portal, *, public_url: str, window: float = BATCH_WINDOW, chunk: int = COLLECT_CHUNK,
            rest: Callable[[float], object] = lambda held: None) -> int:
    """Turn the events since the last run into mail in the outbox; how many rows were written or extended.

    Under a team's load five seconds of changes are thousands of events, and turning them all into mail in one
    write transaction held the write lock for up to 600 ms, every writer waiting. So, `chunk` events at a time:
    who is told of what is worked out first, with reads only; then one short write transaction writes the mail and
    moves the cursor, unless another process moved it meanwhile (then that chunk is worked out again). Between two
    chunks `rest` is called with how long the last held the lock: the server waits as long, so a backlog takes at
    most half the lock's time. A ticket's events split across two chunks go in one mail all the same: the second
    adds to the mail the first started. A change to someone's switches or access made while their mail is being
    worked out applies from the next chunk."""
    if portal.read_only:
        return 0
    conn = portal.conn
    written = 0
    while True:
        start = notified_through(portal)
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM events WHERE id > ? ORDER BY id LIMIT ?", (start, chunk + 1))]
        if not ids:
            return written
        newest = ids[min(chunk, len(ids)) - 1]
        mail = to_tell(portal, start, newest)
        began = time.monotonic()
        with transaction(conn):  # one collector at a time: the cursor moves with the rows it wrote
            if notified_through(portal) == start:
                for user, actor, ticket_id, event_ids in mail:
                    enqueue(portal, user, actor, ticket_id, event_ids, public_url=public_url,
                            window=timedelta(seconds=window))
                conn.execute("UPDATE settings SET value = ? WHERE key = ?", (str(newest), CURSOR_KEY))
                written += len(mail)
        if len(ids) <= chunk:
            return written
        rest(time.monotonic() - began)


def notified_through(portal: Portal) -> int:
    """The newest event turned into mail."""
    return int(portal.conn.execute("SELECT value FROM settings WHERE key = ?", (CURSOR_KEY,)).fetchone()[0])


def to_tell(portal: Portal, start: int, newest: int) -> list[tuple[Row, Actor, int, list[int]]]:
    """Who is to be told of which of events (start, newest]: (user, as an actor, ticket, event ids). Reads only."""
    rows = portal.conn.execute(
        f"SELECT id, ticket_id, actor_id, kind, detail, created_at FROM events WHERE id > ? AND id <= ?"
        f" AND internal = 0 AND kind IN ({', '.join('?' * len(KIND_OF_EVENT))}) AND created_at >= ?"
        " ORDER BY id", (start, newest, *KIND_OF_EVENT, iso(portal.clock() - STALE))).fetchall()
    by_ticket: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_ticket[row["ticket_id"]].append(row)
    found = []
    for ticket_id, events in by_ticket.items():
        for user in recipients(portal, ticket_id):
            session = portal.session(user["email"])
            switches = switched_on(portal, user["id"])
            mine = [e["id"] for e in events if concerns(user, session.actor, e, switches)]
            if mine and session.tickets.can_see(ticket_id):
                found.append((user, session.actor, ticket_id, mine))
    return found


def skip_history(portal: Portal) -> None:
    """Count every change so far as told: what happened before (demo stories, an import) is never mailed."""
    with transaction(portal.conn):
        portal.conn.execute("UPDATE settings SET value = (SELECT CAST(COALESCE(MAX(id), 0) AS TEXT) FROM events)"
                            " WHERE key = ?", (CURSOR_KEY,))


def recipients(portal: Portal, ticket_id: int) -> list[Row]:
    """The active users a change to this ticket may concern, with what the rules below need to know of them."""
    return portal.conn.execute(
        "SELECT u.id, u.email, u.name, u.language, t.requester_id, CASE WHEN u.org_id = t.org_id THEN 1 ELSE 0 END"
        " AS same_org FROM tickets t JOIN users u ON u.active = 1 AND (u.id = t.requester_id OR u.id = t.assignee_id"
        " OR u.id IN (SELECT c.user_id FROM ticket_ccs c WHERE c.ticket_id = t.id) OR u.org_id = t.org_id)"
        " WHERE t.id = ? ORDER BY u.id", (ticket_id,)).fetchall()


def switched_on(portal: Portal, user_id: int) -> set[str]:
    off = {row[0] for row in portal.conn.execute(
        "SELECT kind FROM notification_settings WHERE user_id = ? AND enabled = 0", (user_id,))}
    return set(NOTIFICATION_KINDS) - off


def concerns(user: Row, actor: Actor, event: Row, switches: set[str]) -> bool:
    """Whether this event is mailed to this user: not their own change, a kind they left on, and a new ticket only
    to its requester and to those who see their organisation's tickets (the engine's own rule, on `actor`)."""
    kind = KIND_OF_EVENT[event["kind"]]
    if event["actor_id"] == user["id"] or kind not in switches:
        return False
    return kind != "new_ticket" or user["id"] == user["requester_id"] or bool(user["same_org"]
                                                                              and actor.sees_org_tickets)


def enqueue(portal: Portal, user: Row, actor: Actor, ticket_id: int, event_ids: list[int], *, public_url: str,
            window: timedelta) -> None:
    """Add these events to the user's waiting mail about the ticket, or start one, due when the batch window since
    the last mail about it has passed."""
    conn = portal.conn
    waiting = conn.execute(  # not one being sent now, nor one given up on after MAX_ATTEMPTS
        "SELECT id, first_event_id, last_event_id FROM outbox WHERE user_id = ? AND ticket_id = ? AND sent_at IS NULL"
        " AND claim IS NULL AND attempts < ? ORDER BY id DESC LIMIT 1", (user["id"], ticket_id, MAX_ATTEMPTS)
    ).fetchone()
    if waiting is not None:
        ids = [*mailed_events(portal, ticket_id, waiting["first_event_id"], waiting["last_event_id"], user, actor),
               *event_ids]
        subject, body = render(portal, user, ticket_id, ids, public_url=public_url)
        conn.execute("UPDATE outbox SET subject = ?, body = ?, last_event_id = ? WHERE id = ?",
                     (subject, body, max(ids), waiting["id"]))
        return
    last = conn.execute("SELECT MAX(COALESCE(sent_at, send_after)) FROM outbox WHERE user_id = ? AND ticket_id = ?",
                        (user["id"], ticket_id)).fetchone()[0]
    now = portal.clock()
    due = max(now, parse_iso(last) + window) if last else now
    subject, body = render(portal, user, ticket_id, event_ids, public_url=public_url)
    conn.execute(
        "INSERT INTO outbox (recipient, subject, body, created_at, user_id, ticket_id, first_event_id, last_event_id,"
        " send_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user["email"], subject, body, iso(now), user["id"], ticket_id, min(event_ids), max(event_ids), iso(due)))


def mailed_events(portal: Portal, ticket_id: int, first: int, last: int, user: Row, actor: Actor) -> list[int]:
    """The events a waiting mail already tells of: those of its range the same rules chose for this user."""
    rows = portal.conn.execute(
        "SELECT id, actor_id, kind FROM events WHERE ticket_id = ? AND id >= ? AND id <= ? AND internal = 0"
        " ORDER BY id", (ticket_id, first, last)).fetchall()
    switches = switched_on(portal, user["id"])
    return [row["id"] for row in rows if row["kind"] in KIND_OF_EVENT and concerns(user, actor, row, switches)]


def render(portal: Portal, user: Row, ticket_id: int, event_ids: list[int], *, public_url: str) -> tuple[str, str]:
    """The mail's subject and body in the recipient's language: each change, public replies in full, a link."""
    language = mailtexts.language_of(user["language"])
    ticket = portal.conn.execute("SELECT subject FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    rows = portal.conn.execute(
        f"SELECT e.kind, e.detail, u.name FROM events e LEFT JOIN users u ON u.id = e.actor_id"
        f" WHERE e.id IN ({', '.join('?' * len(event_ids))}) AND e.internal = 0 ORDER BY e.id", event_ids).fetchall()
    details = [json.loads(row["detail"]) for row in rows]
    texts = reply_texts(portal.conn, [d.get("comment_id") for row, d in zip(rows, details, strict=True)
                                    if row["kind"] == "reply"])
    subject = one_line(ticket["subject"])

    def say(key: str, **values: object) -> str:
        return mailtexts.text(language, key, **values)

    lines = [say("greeting", name=user["name"]), "", say("intro", id=ticket_id, subject=subject), ""]
    for row, detail in zip(rows, details, strict=True):
        actor = row["name"] or say("portal")
        if row["kind"] == "created":
            lines.append(say("created", actor=actor))
        elif row["kind"] == "status":
            lines.append(say("status", old=mailtexts.state_name(language, detail.get("from", "")),
                             new=mailtexts.state_name(language, detail.get("to", ""))))
        elif row["kind"] == "auto_closed":
            lines.append(say("auto_closed", hours=detail.get("after_hours", "")))
        elif row["kind"] == "reply":
            lines.append(say("reply", actor=actor))
            lines.extend(["", *(f"    {line}" for line in texts.get(detail.get("comment_id"), "").splitlines()), ""])
        elif row["kind"] == "attachment":
            lines.append(say("attachment", actor=actor, filename=detail.get("filename", "")))
    kind = KIND_OF_EVENT[rows[-1]["kind"]] if rows else "all"
    lines += ["", say("link", link=f"{public_url.rstrip('/')}/api/v1/tickets/{ticket_id}", id=ticket_id), "",
              "-- ", say("footer", kind=kind)]
    return say("subject", id=ticket_id, subject=subject), "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """A subject fit for a mail header: no line breaks (a header cannot be split or added to from a ticket)."""
    return " ".join(text.split())


# --- delivering: outbox rows out by SMTP, each once
def deliver(portal: Portal, *, smtp_url: str, retry_first: float, host: str = "portalctl",
            stopping: Callable[[], bool] = lambda: False) -> int:
    """Send the outbox rows that are due; how many went. Rows are claimed before they are sent, so two server
    processes never send the same one; a failure puts the row back with a doubling delay. When `stopping` says so,
    the rows claimed but not yet sent are handed back at once for another process to send."""
    from portalctl.engine.auth import smtp_send

    sent = 0
    while not stopping() and (claimed := claim(portal)):
        for number, row in enumerate(claimed):
            if stopping():
                release(portal, claimed[number:])
                break
            try:
                smtp_send(smtp_url, to=row["recipient"], subject=row["subject"], body=row["body"],
                          message_id=message_id(row["id"], row["created_at"], host))
            except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
                retry(portal, row, exc, retry_first)
                continue
            with transaction(portal.conn):
                portal.conn.execute("UPDATE outbox SET sent_at = ?, claim = NULL, claimed_until = NULL, last_error ="
                                    " NULL WHERE id = ? AND claim = ?", (portal.now(), row["id"], row["claim"]))
            sent += 1
    return sent


def release(portal: Portal, rows: Sequence[Row]) -> None:
    """Hand back claimed rows that were not tried: free at once, their attempt not counted."""
    with transaction(portal.conn):
        for row in rows:
            portal.conn.execute("UPDATE outbox SET claim = NULL, claimed_until = NULL, attempts = attempts - 1"
                                " WHERE id = ? AND claim = ?", (row["id"], row["claim"]))


def claim(portal: Portal) -> list[Row]:
    """Take up to SEND_BATCH due rows for this process, atomically: a write transaction marks them with a token
    and a deadline, and returns them."""
    token = secrets.token_hex(8)
    now = portal.now()
    with transaction(portal.conn):
        rows: list[Row] = portal.conn.execute(
            "UPDATE outbox SET claim = ?, claimed_until = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox"
            " WHERE sent_at IS NULL AND send_after <= ? AND attempts < ? AND (claim IS NULL OR claimed_until < ?)"
            " ORDER BY id LIMIT ?) RETURNING id, recipient, subject, body, created_at, attempts, claim",
            (token, iso(portal.clock() + CLAIM_FOR), now, MAX_ATTEMPTS, now, SEND_BATCH)).fetchall()
    return sorted(rows, key=lambda row: row["id"])


def retry(portal: Portal, row: Row, error: Exception, retry_first: float) -> None:
    delay = min(RETRY_MAX, timedelta(seconds=retry_first * 2 ** (row["attempts"] - 1)))
    reason = f"{type(error).__name__}: {error}"[:300]
    log.warning("SMTP delivery of outbox mail %s failed (attempt %s: %s); trying again in %s s", row["id"],
                row["attempts"], reason, int(delay.total_seconds()))
    with transaction(portal.conn):
        portal.conn.execute("UPDATE outbox SET claim = NULL, claimed_until = NULL, send_after = ?, last_error = ?"
                            " WHERE id = ? AND claim = ?",
                            (iso(portal.clock() + delay), reason, row["id"], row["claim"]))


def message_id(row_id: int, created_at: str, host: str) -> str:
    """The same Message-ID every time a row is sent: a receiver drops a repeat after a crash between the SMTP
    server's acceptance and the row being marked sent."""
    tag = hashlib.sha256(f"{row_id}:{created_at}".encode()).hexdigest()[:16]
    return f"<outbox-{row_id}-{tag}@{host}>"
