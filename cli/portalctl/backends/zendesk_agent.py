"""Zendesk for the support team: an agent's or admin's token reads and writes every ticket through the Tickets API.

Chosen with `--option role=agent` (or admin), or found from `GET /api/v2/users/me` when the profile names no role.
End users keep the Requests API (zendesk.py). Endpoints, from Zendesk's developer documentation
(developer.zendesk.com/api-reference/ticketing/...):

- tickets/tickets/: `POST /tickets` (Create Ticket: `requester` {email, name}, `comment`, `group_id`, `tags`,
  `custom_fields`, `email_ccs`), `GET /tickets/{id}` (Show Ticket, `include=users`), `PUT /tickets/{id}` (Update
  Ticket: `status`, `priority`, `type`, `group_id`, `assignee_email`, `custom_fields`, `additional_tags` and
  `remove_tags`, and a `comment` whose `public: false` makes an internal note);
- tickets/ticket_comments/: `GET /tickets/{id}/comments` (List Comments: internal notes too, for agents);
- ticket-management/search/: `GET /search.json?query=type:ticket ...` (offset pages of at most 100, at most 1,000
  results a query: page 11 answers 422; `count` says how many match in all);
- ticket-management/incremental_exports/: `GET /incremental/tickets/cursor.json?start_time=` then `?cursor=`
  (`after_cursor`, `end_of_stream`; up to 1,000 tickets a page; 10 requests a minute, 30 with the High Volume API
  add-on; changes of the last minute are left for the next call).

A listing asks Search; a search that matches more than 1,000 tickets and wants more than its first 1,000 walks the
incremental export instead and filters here. `export tickets --incremental` keeps the export's cursor in its state
file (`IncrementalAPI`), so a nightly run reads only the pages written since the last one.
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from portalctl.backends import zendesk_map as zm
from portalctl.backends.connector import follow, read_files
from portalctl.backends.zendesk_requests import PLATFORM, Api, ZendeskTickets
from portalctl.config import Profile
from portalctl.contract import (
    ChangeFeed,
    TicketChanges,
    TicketDraft,
    TicketQuery,
    Upload,
    sort_order,
    sorted_tickets,
    state_of,
)
from portalctl.errors import InvalidInput, StateConflict, follow_up_hint
from portalctl.i18n import _
from portalctl.model import STATES, Ticket
from portalctl.times import now_iso, parse_iso

SEARCH_CAP = 1000  # Search API: "returns up to 1,000 results per query"
EXPORT_PAGE = 1000  # incremental export: tickets a page
EXPORT_LIMIT, EXPORT_WINDOW = 10, 60.0  # incremental export: "up to 10 requests per minute"
SORT_FIELDS = {"updated": "updated_at", "created": "created_at", "priority": "priority", "status": "status"}


class Spacing:
    """Spaces calls to an endpoint with its own limit (`limit` per `window` seconds) evenly: n calls never fall in
    one window more than `limit` times, so the export neither trips the limit nor waits longer than it must."""

    def __init__(self, limit: int, window: float) -> None:
        self.interval = window / limit
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            delay = self.next - now
            self.next = max(now, self.next) + self.interval
        if delay > 0:
            time.sleep(delay)


def export_spacing(profile: Profile) -> Spacing:
    """The incremental export's limit: 10 a minute, or the profile's incremental_limit / incremental_window."""
    try:
        limit = int(profile.options.get("incremental_limit") or EXPORT_LIMIT)
        window = float(profile.options.get("incremental_window") or EXPORT_WINDOW)
    except ValueError:
        raise InvalidInput(_("profile {name!r}: incremental_limit and incremental_window must be numbers").format(
            name=profile.name),
                           hint=_("the High Volume API add-on allows --option incremental_limit=30")) from None
    if limit < 1 or window <= 0:
        raise InvalidInput(_("profile {name!r}: incremental_limit must be 1 or more, incremental_window > 0").format(
            name=profile.name))
    return Spacing(limit, window)


def search_terms(query: TicketQuery, natives: builtins.set[str]) -> builtins.list[str]:
    """The query as Search API keywords: the states as negations of the others (each `-status:x` narrows, so any set
    of states is exact), plus the filters Search reads; what it cannot read is filtered here."""
    terms = ["type:ticket"]
    terms += [f"-status:{native}" for native in zm.NATIVE.values() if native not in natives]
    if query.requester:
        terms.append(f"requester:{query.requester.strip()}")
    if query.created_since:
        terms.append(f"created>={query.created_since[:10]}")
    if query.updated_since:
        terms.append(f"updated>={query.updated_since[:10]}")
    if len(query.priorities) == 1:
        terms.append(f"priority:{zm.priority_native(query.priorities[0])}")
    if len(query.types) == 1:
        terms.append(f"ticket_type:{query.types[0].strip().lower()}")
    if query.search:
        terms.extend(query.search.split())
    return terms


def counted_by_search(query: TicketQuery) -> bool:
    """Whether Search's `count` is the listing's total: every filter of `query` is one Search applies as portalctl
    does (its dates are whole days; its words, several priorities or types, and the rest are filtered here)."""
    whole_days = all(not moment or moment.endswith("T00:00:00Z") for moment in (query.created_since,
                                                                                 query.updated_since))
    return whole_days and len(query.priorities) <= 1 and len(query.types) <= 1 and not (
        query.search or query.created_until or query.departments or query.assignees or query.tags
        or query.organization or query.overdue or query.mine)


class AgentTickets(ZendeskTickets):
    """Every ticket of the account, as an agent or admin sees it (internal notes included)."""

    noun = "ticket"
    resource = "tickets"

    def __init__(self, api: Api, labels: zm.Labels, profile: Profile, page_size: int) -> None:
        super().__init__(api, labels, profile, page_size)
        self.profile = profile
        self.spacing = export_spacing(profile)

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> tuple[dict[str, Any], dict[int, Any]]:
        data = self.api.json("GET", f"tickets/{int(ticket_id)}", params={"include": "users"},
                             missing=f"ticket #{ticket_id}")
        return data["ticket"], {int(u["id"]): u for u in data.get("users") or []}

    def _ticket(self, data: dict[str, Any], users: dict[int, Any], now: str,
                comments: builtins.list[Any] | None = None) -> Ticket:
        found = zm.ticket(data, users, self.labels, now, comments)
        found.tags = [str(t) for t in data.get("tags") or []]
        assignee = users.get(int(data.get("assignee_id") or 0))
        if assignee and assignee.get("email"):
            found.assignee = str(assignee["email"])
        return found

    def get(self, ticket_id: int) -> Ticket:
        ticket, users = self._raw(ticket_id)
        return self._ticket(ticket, users, now_iso(), self.api.comments(f"tickets/{int(ticket_id)}/comments", users))

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Search first; past its 1,000 results, the incremental export filtered here."""
        key, descending = sort_order(query.sort)
        match = self.matcher(query)
        self.needs_email(query, "set your e-mail: portalctl auth login --backend zendesk --user EMAIL ...")
        natives = {zm.NATIVE[s] for s in match.states or STATES}
        params: dict[str, Any] = {"query": " ".join(search_terms(query, natives)), "per_page": min(self.page_size, 100),
                                  "include": "tickets(users)"}
        if key in SORT_FIELDS:
            params.update(sort_by=SORT_FIELDS[key], sort_order="desc" if descending else "asc")
        first = self.api.json("GET", "search", params=params)
        if counted_by_search(query):
            self.heard_total(query, int(first.get("count") or 0))
        wanted = query.limit if query.limit is not None else int(first.get("count") or 0)
        if int(first.get("count") or 0) > SEARCH_CAP and wanted > SEARCH_CAP:
            return self._exported(query)
        moment = now_iso()
        rows = follow(first, self._results, lambda page: page.get("next_page") or None,
                      lambda link: self.api.json("GET", link))
        return self.listing(rows, lambda row: self._ticket(row[0], row[1], moment),
                            lambda row, ticket: match(ticket, zm.search_text(row[0])), query,
                            streamed=key in ("updated", "created"))

    @staticmethod
    def _results(page: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[int, Any]]]:
        users = {int(u["id"]): u for u in page.get("users") or []}
        return ((r, users) for r in page.get("results") or [] if r.get("result_type", "ticket") == "ticket")

    def _exported(self, query: TicketQuery) -> Iterator[Ticket]:
        """Every ticket the query matches, from the incremental export (no result cap), ordered here."""
        since = query.updated_since or query.created_since
        feed = self.changes(query.but(updated_since=since), None)
        return sorted_tickets(feed.tickets, query.sort, query.limit)

    # -- the incremental export ----------------------------------------------------------------------------------

    def changes(self, query: TicketQuery, position: dict[str, Any] | None) -> ChangeFeed:
        """Tickets changed since `position` (a cursor this account's export gave), else since query.updated_since,
        else every ticket; filtered by the query here. The feed's position is the last page's after_cursor."""
        cursor = position.get("cursor") if position and position.get("account") == self.account() else None
        match = self.matcher(query.but(updated_since=None) if cursor else query)
        params: dict[str, Any] = {"per_page": EXPORT_PAGE, "include": "users", "exclude_deleted": "true"}
        if cursor:
            params["cursor"] = cursor
        else:
            params["start_time"] = int(parse_iso(query.updated_since).timestamp()) if query.updated_since else 0
        reached: dict[str, Any] = {"account": self.account(), "cursor": cursor}
        first = self._export_page("incremental/tickets/cursor", params)

        def after(page: dict[str, Any]) -> str | None:
            if page.get("after_cursor"):
                reached["cursor"] = page["after_cursor"]
            return None if page.get("end_of_stream") else page.get("after_cursor") or None

        def then(cursor: str) -> dict[str, Any]:  # our own parameters again (include, per_page), with the cursor
            kept = {k: v for k, v in params.items() if k != "start_time"}
            return self._export_page("incremental/tickets/cursor", {**kept, "cursor": cursor})

        moment = now_iso()
        rows = follow(first, lambda page: ((t, {int(u["id"]): u for u in page.get("users") or []})
                                           for t in page.get("tickets") or []), after, then)
        tickets = (t for data, users in rows for t in (self._ticket(data, users, moment),)
                   if match(t, zm.search_text(data)))
        return ChangeFeed(tickets, lambda: dict(reached))

    def _export_page(self, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
        self.spacing.wait()
        page: dict[str, Any] = self.api.json("GET", path, params=params)
        return page

    def account(self) -> str:
        """Which account a saved cursor belongs to (a state file moved to another profile starts over)."""
        return urlsplit(self.api.root).netloc

    # -- writing -------------------------------------------------------------------------------------------------

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse_draft(draft)
        ticket: dict[str, Any] = {"subject": draft.subject,
                                  "comment": self._comment(draft.body, read_files(draft.attachments))}
        if draft.requester:
            ticket["requester"] = {"email": draft.requester, "name": draft.requester.split("@")[0]}
        if draft.ccs:
            ticket["email_ccs"] = [{"user_email": e, "action": "put"} for e in draft.ccs]
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)
            ticket["via_followup_source_id"] = int(draft.follow_up_of)
        ticket.update(self._fields(TicketChanges(priority=draft.priority, type=draft.type, department=draft.department,
                                                 fields=dict(draft.fields or {}), add_tags=draft.tags)))
        ticket["tags"] = ticket.pop("additional_tags", [])
        data = self.api.json("POST", "tickets", json={"ticket": ticket})
        created = self.get(int(data["ticket"]["id"]))
        created.created = True
        return created

    def _fields(self, changes: TicketChanges) -> dict[str, Any]:
        """TicketChanges as Update Ticket's properties (each sets a value: sending it twice changes nothing)."""
        out: dict[str, Any] = {}
        if changes.subject is not None:
            out["subject"] = changes.subject
        if changes.priority:
            out["priority"] = zm.priority_native(changes.priority)
        if changes.type:
            out["type"] = changes.type.strip().lower()
        if changes.department:
            if not changes.department.strip().isdigit():
                raise InvalidInput(_("{platform} groups are named by number here, not {department!r}").format(
                    platform=PLATFORM, department=changes.department),
                                   hint=_("pass the group's id (Admin Center > People > Groups)"))
            out["group_id"] = int(changes.department)
        if changes.status:
            out["status"] = zm.NATIVE[state_of(changes.status)]
        if changes.assignee is not None:
            out["assignee_email"] = changes.assignee or None
        if changes.fields:
            out["custom_fields"] = [{"id": self.labels.field_id(k), "value": v} for k, v in changes.fields.items()]
        if changes.add_tags:
            out["additional_tags"] = builtins.list(changes.add_tags)
        if changes.remove_tags:
            out["remove_tags"] = builtins.list(changes.remove_tags)
        return out

    def _put(self, ticket_id: int, ticket: dict[str, Any], *, idempotent: bool) -> Ticket:
        self.api.request("PUT", f"tickets/{int(ticket_id)}", json={"ticket": ticket}, idempotent=idempotent,
                         missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        """A public reply or (internal) a note only agents see; a comment is not idempotent: never retried."""
        self._open_for_change(ticket_id, _("it takes no more replies"))
        comment = self._comment(body, read_files(attachments))
        comment["public"] = not internal
        ticket: dict[str, Any] = {"comment": comment}
        if status:
            ticket["status"] = zm.NATIVE[state_of(status)]
        return self._put(ticket_id, ticket, idempotent=False)

    def close(self, ticket_id: int) -> Ticket:
        """Solve it (Zendesk closes solved tickets itself, after its automation's delay)."""
        ticket = self._open_for_change(ticket_id, _("it is already final"))
        if ticket.get("status") == "solved":
            raise StateConflict(_("ticket #{ticket_id} is already solved").format(ticket_id=ticket_id))
        return self._put(ticket_id, {"status": "solved"}, idempotent=True)

    def reopen(self, ticket_id: int) -> Ticket:
        ticket = self._open_for_change(ticket_id, _("Zendesk never reopens a closed ticket"))
        if ticket.get("status") != "solved":
            raise StateConflict(_("ticket #{ticket_id} is not solved (it is {get}); nothing to reopen").format(
                ticket_id=ticket_id, get=ticket.get('status')))
        return self._put(ticket_id, {"status": "open"}, idempotent=True)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        fields = self._fields(changes)
        if not fields:
            raise InvalidInput(_("nothing to change"), hint=_("pass at least one option; see 'tickets update --help'"))
        self._open_for_change(ticket_id, _("it cannot change"))
        return self._put(ticket_id, fields, idempotent=True)

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        """`email_ccs` with put/delete actions (Update Ticket: "Setting email CCs")."""
        self._open_for_change(ticket_id, _("its CCs cannot change"))
        changes = [{"user_email": e, "action": "put"} for e in add]
        changes += [{"user_email": e, "action": "delete"} for e in remove]
        if not changes:
            return self.get(ticket_id)
        return self._put(ticket_id, {"email_ccs": changes}, idempotent=True)

    def _open_for_change(self, ticket_id: int, refusal: str) -> dict[str, Any]:
        ticket, _raw = self._raw(ticket_id)
        if ticket.get("status") == "closed":
            raise StateConflict(_("ticket #{ticket_id} is closed; {refusal}").format(
                ticket_id=ticket_id, refusal=refusal), hint=follow_up_hint(ticket_id))
        return ticket

