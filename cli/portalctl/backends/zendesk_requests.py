"""Zendesk's end-user Requests API: the API client every Zendesk path shares (`Api`), and a customer's own requests
(`ZendeskTickets`). The backend that chooses between this and the agents' Tickets API (zendesk_agent.py) is in
zendesk.py.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import requests

from portalctl.backends import zendesk_map as zm
from portalctl.backends.connector import ConnectorTickets, api_root, follow, read_files
from portalctl.config import Profile
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload, state_of
from portalctl.engine.attachments import sniff
from portalctl.errors import (
    PermissionDenied,
    PortalError,
    StateConflict,
    Unsupported,
    follow_up_hint,
    no_attachment,
)
from portalctl.http import BearerAuth, JsonApi, status_line
from portalctl.i18n import N_, _
from portalctl.model import STATES, Attachment, Comment, Ticket
from portalctl.times import normal_iso, now_iso

PLATFORM = zm.PLATFORM
PAGE_SIZE = 100  # Zendesk's maximum page[size]
TOKEN_HINT = N_("sign in with an API token: echo TOKEN | portalctl auth login --backend zendesk --url "
                "https://SUBDOMAIN.zendesk.com --user EMAIL --with-token (Admin Center > Apps and integrations > "
                "Zendesk API), or an OAuth token with --option auth=oauth")
REOPEN_TEXT = "Reopening this request."
ROLES = ("end-user", "agent", "admin")
CHUNK = 1 << 16


def error_text(data: Any) -> str:
    """Zendesk's error body ({"error", "description", "details": {field: [{"description"}]}}) in one line."""
    if isinstance(data, dict):
        parts = []
        error = data.get("error")
        if isinstance(error, dict):
            parts.append(str(error.get("message") or error.get("title") or ""))
        elif error:
            parts.append(str(error))
        if data.get("description"):
            parts.append(str(data["description"]))
        for field, problems in (data.get("details") or {}).items():
            for problem in problems if isinstance(problems, list) else [problems]:
                text = problem.get("description") if isinstance(problem, dict) else problem
                parts.append(f"{field}: {text}")
        return " - ".join(p for p in parts if p) or str(data)
    return " ".join(str(data).split())



class Api(JsonApi):
    platform = PLATFORM
    token_hint = TOKEN_HINT
    forbidden_hint = N_("your Zendesk role cannot do this (end users see only their own requests)")
    busy_hint = N_("Zendesk is rate limiting or failing; try again later")

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, api_root(profile.url, PLATFORM, "https://SUBDOMAIN.zendesk.com", "/api/v2/",
                                           ("/api/v2", "/api")))
        self.address_hint = _("is {url} your Zendesk address?").format(url=profile.url)
        if secret:
            if str(profile.options.get("auth", "token")).lower() == "oauth":
                self.session.auth = BearerAuth(secret)
            elif profile.user and "@" in profile.user:
                self.session.auth = requests.auth.HTTPBasicAuth(f"{profile.user}/token", secret)

    def not_signed_in(self) -> PortalError:
        if not (self.profile.user and "@" in self.profile.user):
            return PermissionDenied(_("profile {name!r} has no Zendesk e-mail to sign in with").format(
                name=self.profile.name),
                                    hint=_(TOKEN_HINT))
        return super().not_signed_in()

    def pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[int, Any]]]:
        """Every item of a cursor-paged list with the users sideloaded on its page. The first page is read now,
        so a refused token fails before a caller writes anything."""
        first = self.json("GET", path, params=params)
        return follow(first, lambda page: self._items(page, key), self._next, lambda link: self.json("GET", link))

    @staticmethod
    def _items(page: dict[str, Any], key: str) -> Iterator[tuple[dict[str, Any], dict[int, Any]]]:
        users = {int(u["id"]): u for u in page.get("users") or []}
        return ((item, users) for item in page.get(key) or [])

    @staticmethod
    def _next(page: dict[str, Any]) -> str | None:
        link = (page.get("links") or {}).get("next")
        return str(link) if link and (page.get("meta") or {}).get("has_more") else None

    def comments(self, path: str, users: dict[int, Any], *, by_role: bool = False) -> builtins.list[Comment]:
        """Every comment at `path` (a request's or a ticket's), each author read from the users sideloaded with it,
        so an agent's comment is never labelled as the customer's. List Comments for requests documents no users
        sideload, only a `role` filter ("agent", "end_user"): with `by_role`, when an author is missing from the
        users, the comments filtered by role=agent say which are the team's."""
        rows = list(self.pages(path, "comments", {"page[size]": PAGE_SIZE, "include": "users"}))
        known = {**users, **{uid: user for _, more in rows for uid, user in more.items()}}
        agents: builtins.set[int] = set()
        if by_role and any(int(item.get("author_id") or 0) not in known for item, _ in rows):
            agents = {int(item["id"]) for item, _ in self.pages(path, "comments",
                                                                  {"page[size]": PAGE_SIZE, "role": "agent"})}
        return [zm.comment(item, known, agent=int(item["id"]) in agents) for item, _ in rows]

    def describe(self, response: requests.Response, data: Any) -> str:
        return error_text(data) if data else (error_text(response.text[:300]) or status_line(response))


class ZendeskTickets(ConnectorTickets[Api]):
    platform = PLATFORM
    noun = "request"
    resource = "requests"  # the API's path for them: an agent reads "tickets"

    def __init__(self, api: Api, labels: zm.Labels, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.labels = labels

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int) -> tuple[dict[str, Any], dict[int, Any]]:
        data = self.api.json("GET", f"requests/{int(ticket_id)}", params={"include": "users"},
                             missing=f"ticket #{ticket_id}")
        return data["request"], {int(u["id"]): u for u in data.get("users") or []}

    def get(self, ticket_id: int) -> Ticket:
        request, users = self._raw(ticket_id)
        comments = self.api.comments(f"requests/{int(ticket_id)}/comments", users, by_role=True)
        return zm.ticket(request, users, self.labels, now_iso(), comments)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Your requests matching `query`: the state on the server, the rest and the order here."""
        self.refuse_listing(query,
                            (N_("{platform}'s end-user API cannot filter by group"), query.departments, "--department"),
                            (N_("{platform}'s end-user API cannot filter by organisation"), query.organization,
                             "--org"))
        match = self.matcher(query)
        # With cursor paging List Requests ignores sort_by/sort_order (they order offset pages, which stop at 10,000
        # records), so a user's requests are all read and ordered here: "newest" means newest.
        params: dict[str, Any] = {"page[size]": self.page_size, "include": "users",
                                  "status": ",".join(zm.NATIVE[s] for s in STATES if s in (match.states or ()))}
        moment = now_iso()
        rows = self.api.pages("requests", "requests", params)
        return self.listing(rows, lambda row: zm.ticket(row[0], row[1], self.labels, moment),
                            lambda row, ticket: match(ticket, zm.search_text(row[0])), query, streamed=False)

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        for item, _page in self.api.pages(f"{self.resource}/{int(ticket_id)}/comments", "comments",
                                      {"page[size]": PAGE_SIZE}):
            for data in item.get("attachments") or []:
                if int(data["id"]) == attachment_id:
                    found = zm.attachment(data, int(item["id"]), normal_iso(item.get("created_at")) or "")
                    return found, self.fetch(str(data["content_url"]), found)
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def _upload(self, files: Sequence[tuple[str, bytes]]) -> builtins.list[str]:
        """Each file to POST /uploads?filename= typed by its content (Zendesk keeps the Content-Type sent as the
        file's type); the tokens go in the comment's `uploads`."""
        tokens = []
        for name, content in files:
            data = self.api.json("POST", "uploads", params={"filename": name}, data=content,
                                 headers={"Content-Type": sniff(content[:8192], name)})
            tokens.append(str(data["upload"]["token"]))
        return tokens

    def _comment(self, body: str, files: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
        comment: dict[str, Any] = {"body": body}
        if files:
            comment["uploads"] = self._upload(files)
        return comment

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse_draft(draft, (N_("{platform} end users cannot choose a group"), draft.department, "--department"),
                          (N_("{platform} end users cannot set tags"), draft.tags, "--tag"),
                          (N_("{platform}'s Requests API opens requests as you"), draft.requester, "--requester"))
        custom = [{"id": self.labels.field_id(k), "value": v} for k, v in (draft.fields or {}).items()]
        files = read_files(draft.attachments)
        request: dict[str, Any] = {"subject": draft.subject}
        if draft.priority:
            request["priority"] = zm.priority_native(draft.priority)
        if draft.type:
            request["type"] = draft.type.strip().lower()
        if draft.ccs:
            request["collaborators"] = list(draft.ccs)
        if custom:
            request["custom_fields"] = custom
        if draft.follow_up_of is not None:
            self._raw(draft.follow_up_of)  # NotFound for a wrong number, before anything is made
            request["via_followup_source_id"] = int(draft.follow_up_of)
        request["comment"] = self._comment(draft.body, files)
        data = self.api.json("POST", "requests", json={"request": request})
        created = self.get(int(data["request"]["id"]))
        created.created = True
        return created

    def _open_for_change(self, ticket_id: int, refusal: str) -> dict[str, Any]:
        request, _raw = self._raw(ticket_id)
        if request.get("status") == "closed":
            raise StateConflict(_("ticket #{ticket_id} is closed; {refusal}").format(
                ticket_id=ticket_id, refusal=refusal), hint=follow_up_hint(ticket_id))
        return request

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        if internal:
            raise Unsupported(_("{platform} end users cannot write internal notes").format(
                platform=PLATFORM), hint=_("leave out --internal"))
        target = zm.NATIVE[state_of(status)] if status else None
        if target not in (None, "solved"):
            raise Unsupported(_("{platform} end users can only mark a request solved, not {status!r}").format(
                platform=PLATFORM, status=status),
                              hint=_("leave out --status, or pass --status resolved"))
        request = self._open_for_change(ticket_id, _("it takes no more replies"))
        payload: dict[str, Any] = {"comment": self._comment(body, read_files(attachments))}
        if target == "solved":
            self._check_solvable(ticket_id, request)
            payload["solved"] = True
        self.api.request("PUT", f"requests/{int(ticket_id)}", json={"request": payload})
        return self.get(ticket_id)

    @staticmethod
    def _check_solvable(ticket_id: int, request: dict[str, Any]) -> None:
        if not request.get("can_be_solved_by_me"):
            raise StateConflict(_("{platform} does not let you mark ticket #{ticket_id} solved yet").format(
                platform=PLATFORM, ticket_id=ticket_id),
                                hint=_("an agent must be assigned first; reply to say it is no longer needed"))

    def close(self, ticket_id: int) -> Ticket:
        request = self._open_for_change(ticket_id, _("it is already final"))
        if request.get("status") == "solved":
            raise StateConflict(_("ticket #{ticket_id} is already solved").format(ticket_id=ticket_id))
        self._check_solvable(ticket_id, request)
        self.api.request("PUT", f"requests/{int(ticket_id)}", json={"request": {"solved": True}}, idempotent=True)
        return self.get(ticket_id)

    def reopen(self, ticket_id: int) -> Ticket:
        request, _raw = self._raw(ticket_id)
        if request.get("status") == "closed":
            raise StateConflict(_("ticket #{ticket_id} is closed, and {platform} never reopens a closed request")
                                .format(ticket_id=ticket_id, platform=PLATFORM),
                                hint=follow_up_hint(ticket_id))
        if request.get("status") != "solved":
            raise StateConflict(_("ticket #{ticket_id} is not solved (it is {get}); "
                                  "nothing to reopen").format(ticket_id=ticket_id, get=request.get('status')))
        self.api.request("PUT", f"requests/{int(ticket_id)}", json={"request": {"comment": {"body": REOPEN_TEXT}}})
        return self.get(ticket_id)

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        if changes.status and zm.NATIVE[state_of(changes.status)] == "solved" and not any(
                (changes.subject, changes.priority, changes.type, changes.department, changes.assignee,
                 changes.fields, changes.add_tags, changes.remove_tags)):
            return self.close(ticket_id)
        raise Unsupported(_("{platform} end users cannot change a request after opening it (only mark it solved)")
                          .format(platform=PLATFORM),
                          hint=_("reply with what should change, or use --status resolved"))

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        if remove:
            raise Unsupported(_("{platform} end users cannot remove CCs").format(
                platform=PLATFORM), hint=_("ask an agent to remove them"))
        self._open_for_change(ticket_id, _("its CCs cannot change"))
        if add:
            self.api.request("PUT", f"requests/{int(ticket_id)}",
                             json={"request": {"additional_collaborators": list(add)}}, idempotent=True)
        return self.get(ticket_id)

