"""The Zendesk connector against the simulator (sim_zendesk.py, which names the Zendesk docs it follows).

Every test is bounded in time: HTTP calls time out after 10 s with at most 4 retries, subprocesses after 60 s.
A live smoke test runs when PORTALCTL_LIVE_ZENDESK_URL, _USER and _TOKEN are set (read-only: list + show).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.backends import zendesk_map as zm
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft, TicketQuery, Upload, listed_states
from portalctl.errors import InvalidInput, StateConflict, Unavailable, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.ratelimit import Pacer, read_budget
from portalctl.secrets import SecretStore
from tests.connectors.sim_zendesk import ZendeskSim
from tests.connectors.zendesk_oas import Judge

Cli = Callable[..., Result]
EMAIL = "ana@cliente.test"
TOKEN = "zd-api-token-123"
PROFILE = "zd"


@pytest.fixture
def sim() -> Iterator[ZendeskSim]:
    simulator = ZendeskSim()
    simulator.add_user(EMAIL, "Ana Cliente", token=TOKEN)
    judge = Judge()
    simulator.judge = judge.check
    with simulator.serving():
        yield simulator
    assert not judge.problems, f"departs from Zendesk's Support OpenAPI document:\n{judge.verdict()}"


def profile_for(sim: ZendeskSim, **options: object) -> Profile:
    return Profile(name=PROFILE, backend="zendesk", url=sim.url, user=EMAIL,
                   options={"backoff": "0.05", "timeout": "10", **options})  # every call bounded in time


@pytest.fixture
def client(sim: ZendeskSim, home: Path) -> Client:
    SecretStore().set(PROFILE, TOKEN)
    return Client(profile_for(sim, page_size="3", label_pending="Esperando su respuesta",
                              field_incident_status="360005"))


@pytest.fixture
def zd_cli(cli: Cli, sim: ZendeskSim, home: Path) -> Cli:
    UserConfig().put(profile_for(sim))
    SecretStore().set(PROFILE, TOKEN)

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input)

    return run


def test_states_and_priorities_map_both_ways() -> None:
    # States: "Requests" (status: new, open, pending, hold, solved, closed); custom statuses keep their category.
    # (which states a listing means is the contract's rule; Zendesk's own names map onto them)
    assert [zm.NATIVE[s] for s in listed_states(None)] == ["new", "open", "pending", "hold", "solved"]
    named = listed_states(["on_hold", "Resuelta", "esperando su respuesta", "hold", "solved"])
    assert [zm.NATIVE[s] for s in named] == ["hold", "solved", "pending"]
    assert zm.priority_native("medium") == "normal"
    labels = zm.Labels({"label_pending": "Esperando su respuesta"}, {77: "Waiting on parts"})
    assert labels.label("pending", None) == "Esperando su respuesta"
    assert labels.label("open", 77) == "Waiting on parts" and labels.label("hold", None) == "On-hold"
    with pytest.raises(InvalidInput, match="unknown status"):
        listed_states(["frozen"])


def test_create_list_show_reply_close_and_follow_up(client: Client, sim: ZendeskSim, tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_bytes(b"line 1\nline 2\n")
    first = client.tickets.create(TicketDraft(subject="Factura rechazada", body="La DIAN rechaza la factura",
                                  priority="high", ccs=["jefe@cliente.test"], fields={"incident_status": "abierto"},
                                  attachments=[Upload("log.txt", tmp_path / "log.txt")]))
    assert first.created and (first.status, first.priority, first.requester) == ("open", "high", EMAIL)
    assert first.ccs == ["jefe@cliente.test"] and first.fields == {"incident_status": "abierto"}
    assert [a.filename for a in first.attachments or []] == ["log.txt"]
    others = [client.tickets.create(TicketDraft(subject=f"Pedido {n}", body="x")).id for n in range(6)]

    # Cursor paging, 3 per page here ("Paginating through lists using cursor pagination"): 7 requests, 3 pages.
    listed = list(client.tickets.list(TicketQuery(sort="id", limit=None)))
    assert [t.id for t in listed] == [first.id, *others]
    assert sum("page%5Bafter%5D" in line for line in sim.log if line.startswith("GET /api/v2/requests?")) >= 2
    assert [t.id for t in client.tickets.list(TicketQuery(priorities=["high"]))] == [first.id]
    assert [t.id for t in client.tickets.list(TicketQuery(search="FACTURA"))] == [first.id]

    replied = client.tickets.reply(first.id, body="Adjunto otra vez",
                                   attachments=[Upload("log.txt", tmp_path / "log.txt")])
    assert [c.body for c in replied.comments or []] == ["La DIAN rechaza la factura", "Adjunto otra vez"]
    with pytest.raises(Unsupported, match="internal notes"):
        client.tickets.reply(first.id, body="psst", internal=True)

    sim.requests[first.id]["status"] = "pending"
    assert client.tickets.get(first.id).status_label == "Esperando su respuesta"  # seed 003's label

    solved = client.tickets.close(first.id)  # PUT {"request": {"solved": true}} ("Requests: Update Request")
    assert (solved.status, solved.status_label) == ("resolved", "Solved")
    reopened = client.tickets.reopen(first.id)  # a requester's comment reopens a solved request
    assert reopened.status == "open"

    sim.requests[first.id]["status"] = "closed"
    with pytest.raises(StateConflict, match="never reopens") as refused:
        client.tickets.reopen(first.id)
    assert f"--follow-up-of {first.id}" in (refused.value.hint or "")
    with pytest.raises(StateConflict):
        client.tickets.reply(first.id, body="one more")
    follow = client.tickets.create(TicketDraft(subject="Sigue fallando", body="otra vez", follow_up_of=first.id))
    assert follow.follow_up_of == first.id  # via_followup_source_id

    sim.requests[others[0]]["can_be_solved_by_me"] = False  # Zendesk would ignore solved: true
    with pytest.raises(StateConflict, match="does not let you mark"):
        client.tickets.close(others[0])


def test_articles_search_show_and_vote(client: Client, sim: ZendeskSim) -> None:
    aid = sim.add_article("Cómo renovar el dominio .co", "Pasos para renovar el dominio", labels=("dominio",))
    sim.add_article("Facturación electrónica", "Qué hacer si la DIAN rechaza")
    found = client.articles.search("renovar dominio")
    assert [a.id for a in found] == [aid] and found[0].labels == ["dominio"]
    assert client.articles.rate(aid, helpful=True).helpful == 1
    assert client.articles.rate(aid, helpful=False).not_helpful == 1
    assert "Pasos" in (client.articles.get(aid).body or "")
    with pytest.raises(Unsupported, match="Guide"):
        client.articles.add(collection="c", folder="f", title="t", body="b")


def test_cli_flow_export_and_errors(zd_cli: Cli, sim: ZendeskSim, tmp_path: Path, home: Path) -> None:
    made = zd_cli("tickets", "create", "--subject", "=SUM(A1)", "--body", "hola", "-o", "json")
    assert made.exit_code == 0, made.output
    number = str(json.loads(made.stdout)["id"])
    shown = zd_cli("tickets", "show", number, "-o", "json")
    assert json.loads(shown.stdout)["comments"][0]["body"] == "hola"
    assert zd_cli("tickets", "reply", number, "--body", "más datos").exit_code == 0
    assert zd_cli("tickets", "close", number).exit_code == 0

    target = tmp_path / "x.csv"
    env = {**os.environ, "PORTALCTL_PROFILE": PROFILE, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "portalctl", "export", "tickets", "-o", str(target),
                           "--status", "all"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["id"], r["status"]) for r in rows] == [(number, "resolved")]
    assert not rows[0]["subject"].startswith("=")  # formula neutralised

    bad = zd_cli("tickets", "list", env={"PORTALCTL_TOKEN": "wrong"})  # 401 "Couldn't authenticate you"
    assert bad.exit_code == ExitCode.AUTH and "Couldn't authenticate you" in bad.stderr
    missing = zd_cli("tickets", "show", "999999")  # 404 RecordNotFound
    assert missing.exit_code == ExitCode.NOT_FOUND and "ticket #999999 not found" in missing.stderr
    refused = zd_cli("tickets", "create", "--subject", "x", "--body", "y", "--tag", "t")
    assert refused.exit_code == ExitCode.ERROR and "Zendesk end users cannot set tags" in refused.stderr
    blank = zd_cli("tickets", "create", "--subject", "x", "--body", " ")
    assert blank.exit_code == ExitCode.USAGE


def test_auth_login_then_attachments_come_back_byte_for_byte(cli: Cli, sim: ZendeskSim, home: Path,
                                                            tmp_path: Path) -> None:
    login = ("auth", "login", "--name", "desk", "--backend", "zendesk", "--url", sim.url, "--user", EMAIL,
             "--with-token", "--option", "label_pending=Esperando su respuesta")
    assert cli(*login, input="nope\n").exit_code == ExitCode.AUTH
    result = cli(*login, input=TOKEN + "\n")
    assert result.exit_code == 0 and "Ana Cliente <ana@cliente.test> (customer)" in result.stderr

    content = os.urandom(50_000)  # POST /uploads?filename= then comment.uploads ("Ticket attachments")
    (tmp_path / "scan.pdf").write_bytes(content)
    made = cli("tickets", "create", "--subject", "s", "--body", "b", "--attach", str(tmp_path / "scan.pdf"),
               "-o", "json")
    number = str(json.loads(made.stdout)["id"])
    attachments = json.loads(cli("tickets", "attachments", number, "-o", "json").stdout)
    assert [(a["filename"], a["size"]) for a in attachments] == [("scan.pdf", len(content))]
    saved = cli("tickets", "download", number, str(attachments[0]["id"]), "--dir", str(tmp_path / "out"))
    assert saved.exit_code == 0, saved.output
    assert Path(saved.stdout.strip()).read_bytes() == content


@pytest.mark.parametrize(("retry_after", "plain"), [(1, False), (None, True), (None, False), (1, True)])
def test_429_with_and_without_retry_after_is_retried(client: Client, sim: ZendeskSim, retry_after: int | None,
                                                     plain: bool) -> None:
    # "Rate limits": 429 with Retry-After; some bodies are text/plain and some lack Retry-After.
    made = client.tickets.create(TicketDraft(subject="s", body="b"))
    sim.fail_next(2, retry_after=retry_after, plain=plain)
    started = time.monotonic()
    assert client.tickets.get(made.id).id == made.id
    assert sim.count_429 == 2 and time.monotonic() - started < 10


def test_429_that_outlasts_the_retries_is_unavailable(client: Client, sim: ZendeskSim) -> None:
    sim.fail_next(10, retry_after=None, plain=True)
    with pytest.raises(Unavailable, match="HTTP 429"):
        client.tickets.get(1)


def test_oauth_bearer_token(sim: ZendeskSim, home: Path) -> None:
    sim.oauth["oauth-abc"] = EMAIL
    SecretStore().set("oauth", "oauth-abc")
    profile = Profile(name="oauth", backend="zendesk", url=sim.url + "/api/v2", user=None, options={"auth": "oauth"})
    me = Client(profile).accounts.me()
    assert (me.email, me.role) == (EMAIL, "customer")


def test_pacer_spreads_the_last_requests_over_the_window() -> None:
    clock = [0.0]
    slept: list[float] = []
    pacer = Pacer(clock=lambda: clock[0], sleep=slept.append)
    assert read_budget({"x-ratelimit-total": "50", "x-ratelimit-remaining": "49"}) is not None  # Freshdesk
    pacer.observe({"ratelimit-limit": "100", "ratelimit-remaining": "50", "ratelimit-reset": "10"})
    pacer.wait()
    assert slept == []  # plenty left: no waiting
    pacer.observe({"ratelimit-limit": "100", "ratelimit-remaining": "9", "ratelimit-reset": "10"})
    pacer.wait()
    assert slept == [pytest.approx(1.0)]  # 9 left over 10 s: one every second
    pacer.observe({"ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": "4"})
    pacer.wait()
    assert slept[-1] == pytest.approx(4.0)


@pytest.mark.skipif(not all(os.environ.get(f"PORTALCTL_LIVE_ZENDESK_{k}") for k in ("URL", "USER", "TOKEN")),
                    reason="set PORTALCTL_LIVE_ZENDESK_URL, _USER and _TOKEN to run against a real Zendesk")
def test_live_read_only_list_and_show(home: Path) -> None:
    SecretStore().set("live", os.environ["PORTALCTL_LIVE_ZENDESK_TOKEN"])
    client = Client(Profile(name="live", backend="zendesk", url=os.environ["PORTALCTL_LIVE_ZENDESK_URL"],
                            user=os.environ["PORTALCTL_LIVE_ZENDESK_USER"]))
    tickets = list(client.tickets.list(TicketQuery(statuses=["all"], limit=3)))
    if tickets:
        assert client.tickets.get(tickets[0].id).id == tickets[0].id


def test_newest_requests_are_the_newest_though_cursor_pages_ignore_sort(client: Client, sim: ZendeskSim) -> None:
    """List Requests with cursor paging (`page[size]`) does not apply `sort_by`/`sort_order` (reported on
    support.zendesk.com/hc/community/posts/8403358233882 and confirmed there by Zendesk Developer Advocacy; the
    simulator pages in id order). Zendesk's Support OpenAPI document pairs them with offset paging: ListRequests'
    `sort_order` "Defaults to "asc"", and its cursor-paged lists (ListComments) order cursor pages with `sort`,
    offset pages with sort_by/sort_order ("When using offset pagination"). The default listing, the newest first,
    must still show the newest."""
    ids = [client.tickets.create(TicketDraft(subject=f"Caso {n}", body="x")).id for n in range(5)]
    for day, rid in zip((3, 1, 9, 2, 7), ids, strict=True):  # updated in neither id order
        sim.requests[rid]["updated_at"] = f"2026-12-0{day}T10:00:00Z"
    newest = [t.id for t in client.tickets.list(TicketQuery(limit=2))]
    assert newest == [ids[2], ids[4]]
    by_created = [t.id for t in client.tickets.list(TicketQuery(sort="-created", limit=None))]
    assert by_created == ids[::-1]


def test_uploads_carry_the_files_real_type(client: Client, sim: ZendeskSim, tmp_path: Path) -> None:
    """Upload Files: "The `Content-Type` header must contain a recognized MIME type that correctly describes the type
    of the uploaded file" (Zendesk's Support OpenAPI document, UploadFiles; "Ticket attachments: Upload files",
    developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/), which Zendesk keeps as the
    attachment's `content_type`; not `application/binary`."""
    pdf = tmp_path / "factura.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    ticket = client.tickets.create(TicketDraft(subject="Factura", body="adjunta",
                                               attachments=[Upload("factura.pdf", pdf)]))
    assert [(a.filename, a.content_type) for a in ticket.attachments or []] == [("factura.pdf", "application/pdf")]


def test_a_reply_whose_answer_is_lost_is_not_sent_twice(client: Client, sim: ZendeskSim) -> None:
    """PUT /api/v2/requests/{id} with a `comment` adds a comment each time it is sent (UpdateRequest's writable
    properties: "comment | object | no | Adds a comment to the request", Zendesk's Support OpenAPI document;
    developer.zendesk.com/api-reference/ticketing/tickets/ticket-requests/), so a reply whose answer never came is
    not repeated: one comment, and an error that says the reply may have been made."""
    ticket = client.tickets.create(TicketDraft(subject="Caso", body="primero"))
    sim.drops = 1
    with pytest.raises(Unavailable) as lost:
        client.tickets.reply(ticket.id, body="segundo")
    assert "may or may not" in (lost.value.hint or "")
    assert [c["body"] for c in sim.comments[ticket.id]] == ["primero", "segundo"]


def test_an_end_user_sees_the_custom_status_label(client: Client, sim: ZendeskSim) -> None:
    # Zendesk's OpenAPI (developer.zendesk.com/zendesk/oas.yaml), ListCustomStatuses: "Allowed For: End Users";
    # a request's custom_status_id names one, whose end_user_label is what the customer sees
    made = client.tickets.create(TicketDraft(subject="En revisión", body="b"))
    sim.custom_statuses = [{"id": 77, "status_category": "open", "agent_label": "Escalated to tier 2",
                            "end_user_label": "En revisión", "active": True, "default": False}]
    sim.requests[made.id]["custom_status_id"] = 77
    assert client.tickets.get(made.id).status_label == "En revisión"


@pytest.mark.parametrize("sideloaded", [True, False])
def test_an_agents_comment_on_a_request_is_labelled_the_agents(client: Client, sim: ZendeskSim,
                                                              sideloaded: bool) -> None:
    # Zendesk's Support OpenAPI document (developer.zendesk.com/zendesk/oas.yaml), ListComments, GET /api/v2/
    # requests/{request_id}/comments: a comment names its author by `author_id` only; the operation documents no
    # `include` sideload (unlike ListTicketComments' `include=users`) and its example answer holds `comments`
    # alone; its `role` parameter, "One of "agent", "end_user"", filters by the author's role. Whether or not the
    # users come with the comments, the agent's answer is the agent's and the customer's own comment the customer's.
    sim.comment_users = sideloaded
    made = client.tickets.create(TicketDraft(subject="Factura", body="La DIAN la rechaza"))
    sim.add_comment(made.id, sim.agent, {"body": "Ya la reenviamos"}, "2026-11-20T11:00:00Z")
    shown = client.tickets.get(made.id)
    assert [(c.body, c.author_role) for c in shown.comments or []] == [
        ("La DIAN la rechaza", "customer"), ("Ya la reenviamos", "agent")]
    asked = [line for line in sim.log if "/comments" in line]
    assert any("role=agent" in line for line in asked) is not sideloaded  # the filter only when users are missing
