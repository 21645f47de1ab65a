"""The Jira Service Management connector: your requests through JSM's customer REST API (/rest/servicedeskapi/).

Profile: backend "jsm", url https://SITE.atlassian.net, user your Atlassian e-mail; the secret is an API token
(HTTP Basic e-mail:token). Options: service_desk (id, project key or name; default: the first you see),
request_type (id or name; default: the desk's first), type.<question|incident|problem|task>=<request type> (what
--type picks; by default a request type with that word in its name or practice), field_<name>=<fieldId> (names a
field, e.g. field_user_code=customfield_10050), status.<Name>=<state> (how a workflow status maps), close_transition
and reopen_transition (a transition's id or name), rate_window (seconds; 1), page_size, role (customer; agent is
refused: the customer API has no team view).

A customer opens a request of a request type; the type's fields come from the desk (`--field` fills them, and a
required one left empty is named before anything is sent). Comments are public: a customer writes no internal
notes and is shown none. Close and reopen are the customer transitions the workflow offers. On JSM's side: the
open/closed split of the state filter, the service desk, `--mine` (your own requests, not those you take part in)
and `--search` (the summary); everything else here. A request's `updated` is its last change of status (the API
says no more). Approvals show as fields ("approval: NAME"). What the customer API cannot do - internal notes,
editing a request, CCs by e-mail, tags, follow-up links, rating articles - raises Unsupported.
"""

from __future__ import annotations

import builtins
import html
import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from portalctl.backends import jsm_map as jm
from portalctl.backends.connector import Connector, ConnectorTickets, File, read_files
from portalctl.backends.jsm_api import PLATFORM, Api, Site
from portalctl.backends.refusals import NoAccountAdmin
from portalctl.config import Profile
from portalctl.contract import NativeState, TicketChanges, TicketDraft, TicketQuery, Upload, listed_states, state_of
from portalctl.engine.attachments import sniff
from portalctl.errors import InvalidInput, StateConflict, Unsupported, follow_up_hint, no_attachment
from portalctl.i18n import N_, _
from portalctl.model import STATES, Article, Attachment, Collection, Department, FieldDef, Ticket, User

PAGE_SIZE = 50  # JSM's default `limit` on its lists
CLOSED_STATES = {"resolved", "closed"}
# Transition names that move a request where `close` and `reopen` mean, best first.
CLOSE_WORDS = ("resolve", "done", "complete", "close", "cancel")
REOPEN_WORDS = ("reopen", "re-open", "open again")
FIELD_KINDS = {"string": "text", "number": "number", "date": "date", "datetime": "date", "option": "choice",
               "array": "multichoice"}
ROLES = ("customer", "agent")
NO_INTERNAL = (N_("{platform}'s customers write public comments only (internal notes are for agents in Jira)"),
               "--internal")


class JsmTickets(ConnectorTickets[Api]):
    platform = PLATFORM
    noun = "request"

    def __init__(self, api: Api, site: Site, profile: Profile, page_size: int) -> None:
        super().__init__(api, profile, page_size)
        self.site = site
        self.options = profile.options

    # -- reading -------------------------------------------------------------------------------------------------

    def _raw(self, ticket_id: int, expand: str | None = None) -> dict[str, Any]:
        params = {"expand": expand} if expand else None
        data: dict[str, Any] = self.api.json("GET", f"request/{int(ticket_id)}", params=params,
                                             missing=f"ticket #{ticket_id}")
        return data

    def _attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return [jm.attachment(a, None) for a in self.api.pages(f"request/{int(ticket_id)}/attachment",
                                                              {"start": 0, "limit": self.page_size})]

    def get(self, ticket_id: int) -> Ticket:
        data = self._raw(ticket_id, "participant")
        taking_part = (data.get("participants") or {}).get("values") or []
        customers = {jm.user_email(user) for user in [data.get("reporter"), *taking_part]}
        comments = [jm.comment(c, customers) for c in self.api.pages(
            f"request/{int(ticket_id)}/comment",
            {"public": "true", "internal": "false", "expand": "attachment", "limit": self.page_size})]
        in_comments = {a.id for c in comments for a in c.attachments}
        opening = jm.description(data, [a for a in self._attachments(ticket_id) if a.id not in in_comments])
        approvals = jm.approval_fields(self.api.pages(f"request/{int(ticket_id)}/approval",
                                                      {"limit": self.page_size}))
        conversation = [opening, *comments]
        return jm.ticket(data, self.site.context([str(data.get("serviceDeskId"))]), conversation,
                         [a for c in conversation for a in c.attachments], approvals)

    def list(self, query: TicketQuery) -> Iterator[Ticket]:
        """Your requests matching `query`: JSM narrows by open/closed, desk, ownership and summary words."""
        self.refuse_listing(query, (N_("{platform}'s customer API cannot filter by organisation"), query.organization,
                                    "--org"))
        desks = [self.site.desk(name) for name in query.departments]  # an id, key or name; unknown ones refused
        # --mine is JSM's own ownership filter (an e-mail may be hidden by the reporter's privacy settings); the
        # desks are matched by the name tickets show.
        match = self.matcher(query.but(mine=False, departments=[str(d.get("projectName")) for d in desks]))
        params: dict[str, Any] = {"limit": self.page_size, "requestStatus": self._request_status(query)}
        if query.search is not None:
            params["searchTerm"] = query.search
        if query.mine:
            params["requestOwnership"] = "OWNED_REQUESTS"
        if len(desks) == 1:
            params["serviceDeskId"] = desks[0]["id"]
        rows = self.api.pages("request", params)
        ctx = self.site.context()
        return self.listing(rows, lambda row: jm.ticket(row, ctx), lambda row, ticket: match(ticket), query,
                            streamed=False)

    def _request_status(self, query: TicketQuery) -> str:
        """OPEN_REQUESTS or CLOSED_REQUESTS where the states asked for fall on one side (JSM's own split: a
        request is closed once resolved); ALL_REQUESTS otherwise, or where the profile remaps statuses."""
        wanted = set(listed_states(query.statuses))
        if self.site.states.overrides or wanted == set(STATES):
            return "ALL_REQUESTS"
        if wanted <= CLOSED_STATES:
            return "CLOSED_REQUESTS"
        return "OPEN_REQUESTS" if not wanted & CLOSED_STATES else "ALL_REQUESTS"

    def attachments(self, ticket_id: int) -> builtins.list[Attachment]:
        return self.get(ticket_id).attachments or []

    def download(self, ticket_id: int, attachment_id: int) -> tuple[Attachment, BinaryIO]:
        """The file through getAttachmentContent, which answers with the bytes or a 303 to where they are."""
        for found in self._attachments(ticket_id):
            if found.id == attachment_id:
                return found, self.fetch(f"{self.api.root}request/{int(ticket_id)}/attachment/{attachment_id}",
                                         found)
        raise no_attachment(ticket_id, attachment_id)

    # -- writing -------------------------------------------------------------------------------------------------

    def _upload(self, desk_id: str, files: Sequence[File]) -> builtins.list[str]:
        """Temporary attachments (POST servicedesk/{id}/attachTemporaryFile, multipart field `file`, with the
        X-Atlassian-Token header its XSRF check wants), each typed by its content; their ids."""
        if not files:
            return []
        parts = [("file", (name, content, sniff(content[:8192], name))) for name, content in files]
        data = self.api.json("POST", f"servicedesk/{desk_id}/attachTemporaryFile", files=parts,
                             headers={"X-Atlassian-Token": "no-check", "X-ExperimentalApi": "opt-in"})
        return [str(t["temporaryAttachmentId"]) for t in data.get("temporaryAttachments") or []]

    def create(self, draft: TicketDraft) -> Ticket:
        self.refuse_draft(draft, (N_("{platform}'s customer API names participants by Atlassian account, not e-mail"),
                                  draft.ccs, "--cc"),
                          (N_("{platform} requests carry no tags a customer can set"), draft.tags, "--tag"),
                          (N_("{platform} opens requests as you"), draft.requester, "--requester"),
                          (N_("{platform} has no follow-up link between requests"), draft.follow_up_of,
                           "--follow-up-of"))
        desk = self.site.desk(draft.department)
        kind = self.site.request_type(desk, draft.type)
        desk_id, type_id, type_name = str(desk["id"]), str(kind["id"]), str(kind.get("name") or kind["id"])
        fields = self.site.fields(desk_id, type_id)
        by_id = {str(f.get("fieldId")): f for f in fields}
        values: dict[str, Any] = {"summary": draft.subject}
        if "description" in by_id:
            values["description"] = draft.body
        if draft.priority:
            if "priority" not in by_id:
                raise Unsupported(_("{platform} request type {type_name!r} has no priority a customer sets").format(
                    platform=PLATFORM, type_name=type_name),
                                  hint=_("leave out --priority"))
            values["priority"] = self._priority(by_id["priority"], draft.priority)
        for key, value in (draft.fields or {}).items():
            field = self.site.field_id(key, fields, type_name)
            values[str(field["fieldId"])] = self._value(field, str(value))
        files = read_files(draft.attachments)
        missing = [f for f in fields if f.get("required") and f.get("visible", True)
                   and str(f.get("fieldId")) not in values and not (f.get("fieldId") == "attachment" and files)]
        if missing:
            names = ", ".join(f"{f.get('name')} ({f.get('fieldId')})" for f in missing)
            raise InvalidInput(_("{platform} request type {type_name!r} requires {names}").format(
                platform=PLATFORM, type_name=type_name, names=names),
                               hint=_("pass --field {get}=VALUE").format(get=missing[0].get('fieldId')))
        if files and "attachment" in by_id:
            values["attachment"] = self._upload(desk_id, files)
        body = {"serviceDeskId": desk_id, "requestTypeId": type_id, "requestFieldValues": values}
        created = self.api.json("POST", "request", json=body)
        ticket_id = int(created["issueId"])
        if "description" not in by_id:
            self._comment(ticket_id, desk_id, draft.body, files if "attachment" not in by_id else [])
        elif files and "attachment" not in by_id:
            self._comment(ticket_id, desk_id, "", files)
        made = self.get(ticket_id)
        made.created = True
        return made

    @staticmethod
    def _priority(field: dict[str, Any], name: str) -> dict[str, str]:
        """Jira's priority field takes an option by id ("Field input formats"); its options are the field's
        validValues, labelled with the site's priority names."""
        wanted = state = name.strip().lower()
        for option in field.get("validValues") or []:
            if jm.PRIORITY_NAMES.get(str(option.get("label") or "").casefold()) == state:
                return {"id": str(option.get("value"))}
        if not field.get("validValues"):
            return {"name": jm.PRIORITY_LABELS.get(wanted, name)}
        labels = ", ".join(str(o.get("label")) for o in field.get("validValues") or [])
        raise InvalidInput(_("{platform} has no priority for {name!r} here").format(platform=PLATFORM, name=name),
            hint=_("its priorities: {labels}").format(labels=labels))

    @staticmethod
    def _value(field: dict[str, Any], text: str) -> Any:
        """A --field value in the shape its field takes ("Field input formats"): options by id (a label or a
        value may be typed), several options split on commas, numbers as numbers, anything else as text."""
        schema = field.get("jiraSchema") or {}
        options = field.get("validValues") or []
        kind, items = str(schema.get("type") or "string"), str(schema.get("items") or "")

        def option(word: str) -> dict[str, str]:
            for item in options:
                if word.strip().casefold() in (str(item.get("value")).casefold(),
                                               str(item.get("label") or "").casefold()):
                    return {"id": str(item.get("value"))}
            labels = ", ".join(str(o.get("label")) for o in options)
            raise InvalidInput(_("{strip!r} is not a choice of {platform} field {get!r}").format(
                strip=word.strip(), platform=PLATFORM, get=field.get('name')),
                               hint=_("choices: {labels}").format(labels=labels))

        if kind == "array":
            words = [w for w in text.split(",") if w.strip()]
            return [option(w) for w in words] if options or items == "option" else [w.strip() for w in words]
        if options:
            return option(text)
        if kind == "number":
            try:
                number = float(text)
            except ValueError:
                raise InvalidInput(_("{platform} field {get!r} takes a number, not {text!r}").format(
                    platform=PLATFORM, get=field.get('name'), text=text)) from None
            return int(number) if number.is_integer() else number
        return text

    def _comment(self, ticket_id: int, desk_id: str, body: str, files: Sequence[File]) -> None:
        """A public comment; with files, the comment that carries them (POST request/{id}/attachment)."""
        if files:
            ids = self._upload(desk_id, files)
            payload: dict[str, Any] = {"temporaryAttachmentIds": ids, "public": True}
            if body:
                payload["additionalComment"] = {"body": body}
            self.api.request("POST", f"request/{int(ticket_id)}/attachment", json=payload,
                             missing=f"ticket #{ticket_id}")
        else:
            self.api.request("POST", f"request/{int(ticket_id)}/comment", json={"body": body, "public": True},
                             missing=f"ticket #{ticket_id}")

    def reply(self, ticket_id: int, *, body: str, internal: bool = False, status: str | None = None,
              attachments: Sequence[Upload] = ()) -> Ticket:
        self.refuse((NO_INTERNAL[0], internal, NO_INTERNAL[1]))
        target = state_of(status) if status else None
        if target is not None:
            self._movable(target)  # before the comment goes: a refused --status changes nothing
        files = read_files(attachments)
        data = self._raw(ticket_id)
        self._comment(ticket_id, str(data.get("serviceDeskId")), body, files)
        if target is not None:
            return self._move(ticket_id, target)
        return self.get(ticket_id)

    def _state(self, data: dict[str, Any]) -> str:
        status = data.get("currentStatus") or {}
        return self.site.states.state(str(status.get("status") or ""), status.get("statusCategory"))

    def _move(self, ticket_id: int, target: str) -> Ticket:
        """Perform the customer transition that takes the request to `target` (closed or resolved: close; open:
        reopen), by the profile's option, else by the words of its name."""
        closing = self._movable(target)
        offered = list(self.api.pages(f"request/{int(ticket_id)}/transition", {"limit": self.page_size}))
        chosen = self._transition(offered, "close_transition" if closing else "reopen_transition",
                                  CLOSE_WORDS if closing else REOPEN_WORDS)
        if chosen is None:
            names = ", ".join(f"{t.get('name')} ({t.get('id')})" for t in offered) or "none"
            refused = (_("{platform} offers you no transition to close ticket #{ticket_id} (yours: {names})")
                       if closing else
                       _("{platform} offers you no transition to reopen ticket #{ticket_id} (yours: {names})"))
            raise StateConflict(refused.format(platform=PLATFORM, ticket_id=ticket_id, names=names),
                                hint=follow_up_hint(ticket_id) if not closing else
                                _("name one with auth login ... --option close_transition=ID"))
        self.api.request("POST", f"request/{int(ticket_id)}/transition", json={"id": str(chosen["id"])},
                         missing=f"ticket #{ticket_id}")
        return self.get(ticket_id)

    @staticmethod
    def _movable(target: str) -> bool:
        """Whether a move to `target` closes (True) or reopens (False); customers have no other moves."""
        if target not in (*CLOSED_STATES, "open"):
            raise Unsupported(_("{platform} customers move a request only by its workflow's transitions "
                                "(close or reopen), not to {target!r}").format(
                                    platform=PLATFORM, target=target), hint=_("leave out --status"))
        return target in CLOSED_STATES

    def _transition(self, offered: builtins.list[dict[str, Any]], option: str,
                    words: Sequence[str]) -> dict[str, Any] | None:
        chosen = self.options.get(option)
        if chosen:
            key = str(chosen).strip().casefold()
            return next((t for t in offered if key in (str(t.get("id")), str(t.get("name") or "").casefold())), None)
        for word in words:
            for item in offered:
                if word in str(item.get("name") or "").casefold():
                    return item
        return None

    def close(self, ticket_id: int) -> Ticket:
        state = self._state(self._raw(ticket_id))
        if state in CLOSED_STATES:
            raise StateConflict(_("ticket #{ticket_id} is already {state}").format(ticket_id=ticket_id, state=state))
        return self._move(ticket_id, "resolved")

    def reopen(self, ticket_id: int) -> Ticket:
        state = self._state(self._raw(ticket_id))
        if state not in CLOSED_STATES:
            raise StateConflict(_("ticket #{ticket_id} is not resolved or closed (it is {state}); nothing to reopen")
                                .format(ticket_id=ticket_id, state=state))
        return self._move(ticket_id, "open")

    def update(self, ticket_id: int, changes: TicketChanges) -> Ticket:
        others = (changes.subject, changes.priority, changes.type, changes.department, changes.assignee,
                  changes.fields, changes.add_tags, changes.remove_tags)
        if changes.status and not any(others):
            target = state_of(changes.status)
            return self.close(ticket_id) if target in CLOSED_STATES else self.reopen(ticket_id)
        raise Unsupported(_("{platform}'s customer API cannot change a request after it is opened (only move it "
                            "through its workflow)").format(
                                platform=PLATFORM), hint=_("reply with what should change, or use --status resolved"))

    def cc(self, ticket_id: int, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Ticket:
        raise Unsupported(_("{platform}'s customer API names participants by Atlassian account id, not e-mail").format(
            platform=PLATFORM),
                          hint=_("add participants on the request's page in the portal"))


class JsmArticles:
    """The knowledge base linked to the service desks: Confluence pages found by search, read by page id.

    Search answers titles and excerpts; the page itself (knowledgebase/article/view/{pageId}) is its body without
    the title, so a title is known from an earlier search in the same run, else from the page's first heading.
    """

    def __init__(self, api: Api, page_size: int) -> None:
        self.api = api
        self.page_size = page_size
        self.titles: dict[int, Article] = {}

    def search(self, query: str, *, collection: str | None = None, folder: str | None = None,
               locale: str | None = None, limit: int = 10) -> builtins.list[Article]:
        if folder or locale:
            raise Unsupported(_("{platform}'s knowledge base has no folders or locales to search by").format(
                platform=PLATFORM),
                              hint=_("leave out --folder and --locale"))
        if not query.strip():
            raise InvalidInput(_("a knowledge-base search needs at least one word"))
        params = {"query": query, "highlight": "false", "limit": min(max(limit, 1), self.page_size)}
        found = []
        for item in self.api.pages("knowledgebase/article", params):
            article = jm.article(item)
            if collection and article.collection.casefold() != collection.strip().casefold():
                continue
            self.titles[article.id] = article
            found.append(article)
            if len(found) >= limit:
                break
        return found

    def get(self, article_id: int) -> Article:
        response = self.api.request("GET", f"knowledgebase/article/view/{int(article_id)}",
                                    missing=f"article {article_id}")
        # The OpenAPI document types this answer as a JSON string; a site may send the page as HTML too.
        body = str(response.json()) if "json" in response.headers.get("Content-Type", "") else response.text
        known = self.titles.get(int(article_id))
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S | re.I)
        title = known.title if known else html.unescape(re.sub(r"<[^>]+>", "", heading.group(1))).strip() \
            if heading else f"page {article_id}"
        return Article(id=int(article_id), title=title, collection=known.collection if known else "", folder="",
                       locale="", labels=[], created_at="", updated_at="", helpful=0, not_helpful=0, body=body)

    def _refuse(self, what: str, hint: str) -> Unsupported:
        """`what` and `hint`: messages; `what` names the {platform}."""
        return Unsupported(_(what).format(platform=PLATFORM), hint=_(hint))

    def list(self, *, collection: str | None = None, folder: str | None = None, locale: str | None = None,
             limit: int | None = None) -> Iterator[Article]:
        raise self._refuse(N_("{platform}'s customer API finds articles only by search"),
                           N_("portalctl articles search WORDS"))

    def collections(self) -> builtins.list[Collection]:
        raise self._refuse(N_("{platform}'s customer API does not list the knowledge base's spaces"),
                           N_("portalctl articles search WORDS"))

    def rate(self, article_id: int, *, helpful: bool) -> Article:
        raise self._refuse(N_("{platform}'s customer API has no article ratings"),
                           N_("rate it on the help center's page"))

    def add(self, *, collection: str, folder: str, title: str, body: str, locale: str = "en",
            labels: Sequence[str] = (), slug: str | None = None) -> Article:
        raise self._refuse(N_("{platform}'s customer API cannot write articles"), N_("write it in Confluence"))

    def edit(self, article_id: int, **changes: Any) -> Article:
        raise self._refuse(N_("{platform}'s customer API cannot edit articles"), N_("edit it in Confluence"))


class JsmAccounts(NoAccountAdmin):
    platform = PLATFORM
    admin_hint = N_("do it in your Jira Service Management project's settings")

    def __init__(self, site: Site, profile: Profile) -> None:
        self.site = site
        self.profile = profile

    def me(self) -> User:
        """The customer API has no "who am I": reading the service desks checks the token, and you are the
        profile's e-mail."""
        self.site.desks()
        email = str(self.profile.user or "")
        return User(id=0, email=email, name=email, role="customer", organization=None, active=True, title=None,
                    phone=None, language=None, timezone=None, created_at="")

    def departments(self) -> builtins.list[Department]:
        """Service desks stand for departments (--department picks the desk a request goes to)."""
        return [Department(id=int(d["id"]), name=str(d.get("projectName") or ""),
                           slug=str(d.get("projectKey") or d["id"]), description=None) for d in self.site.desks()]

    def field_defs(self, *, department: str | None = None) -> builtins.list[FieldDef]:
        """The fields of the request type new requests take on that desk (the profile's choices)."""
        desk = self.site.desk(department)
        kind = self.site.request_type(desk, None)
        names = {fid: name for name, fid in self.site.field_ids.items()}
        found = []
        for field in self.site.fields(str(desk["id"]), str(kind["id"])):
            key = str(field.get("fieldId"))
            if key in jm.OWN_FIELDS or not field.get("visible", True):  # hidden fields are not the customer's
                continue
            schema = field.get("jiraSchema") or {}
            found.append(FieldDef(
                key=names.get(key, key), label=str(field.get("name") or key),
                type="choice" if field.get("validValues") and schema.get("type") != "array"
                else FIELD_KINDS.get(str(schema.get("type")), "text"),
                required=bool(field.get("required")), choices=[str(v.get("label")) for v in field.get("validValues")
                                                               or []],
                pattern=None, customer_editable=False, department=str(desk.get("projectName") or ""),
                description=f"{kind.get('name')}: {key}"))
        return found


class JsmBackend(Connector):
    platform = PLATFORM
    page_default = PAGE_SIZE

    def __init__(self, profile: Profile, secret: str | None) -> None:
        super().__init__(profile, secret)
        self.role = str(profile.options.get("role") or "customer").strip().lower()
        if self.role not in ROLES:
            raise InvalidInput(_("profile {name!r}: role must be one of {ROLES}").format(
                name=profile.name, ROLES=', '.join(ROLES)))
        self.api = Api(profile, secret)
        self.site = Site(self.api, profile, self.size)
        self._tickets = JsmTickets(self.api, self.site, profile, self.size)
        self.articles = JsmArticles(self.api, self.size)
        self.accounts = JsmAccounts(self.site, profile)

    @property
    def tickets(self) -> JsmTickets:  # type: ignore[override]  # refused for a team profile
        """Your requests. A support team's profile (--option role=agent) is refused: the customer API shows a
        customer the requests they raised or take part in, never the team's queue, which agents work in Jira."""
        if self.role == "agent":
            raise Unsupported(_("{platform}'s customer API has no team view: it shows a customer their own requests")
                              .format(platform=PLATFORM),
                              hint=_("work the team's queues in Jira; sign in as a customer to use portalctl"))
        return self._tickets

    def states(self) -> builtins.list[NativeState]:
        """The status names this profile knows, each with its state, then the category fallbacks (JSM's customer
        API lists no workflow's statuses, so any other name maps by its category)."""
        own = self.site.states.overrides
        folded = {name.casefold() for name in own}
        rows = [NativeState(id=name, label=name, state=state) for name, state in own.items()]
        rows += [NativeState(id=name, label=name, state=state) for name, state in jm.KNOWN_STATUSES.items()
                 if name.casefold() not in folded]
        rows += [NativeState(id=category, label=_(jm.CATEGORY_LABELS[category]), state=state)
                 for category, state in jm.CATEGORY_STATES.items()]
        return rows


open_backend = JsmBackend.open_backend
