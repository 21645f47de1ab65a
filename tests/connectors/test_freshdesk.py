"""The Freshdesk connector against a simulator of Freshdesk's API v2 (tests/connectors/sim_freshdesk.py), through the
client facade and the command line; plus a read-only smoke test against a real account when its credentials are set
(PORTALCTL_LIVE_FRESHDESK_URL, PORTALCTL_LIVE_FRESHDESK_TOKEN, optionally PORTALCTL_LIVE_FRESHDESK_TICKET).

Where a simulated behaviour is documented is noted beside each test (sections of https://developers.freshdesk.com/api/).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from portalctl.backends import freshdesk_map as fm
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict, Unavailable, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.secrets import SecretStore
from tests.connectors import vendor_shapes
from tests.connectors.sim_freshdesk import API_KEY, Simulator

pytestmark = pytest.mark.usefixtures("bounded")  # each test is bounded in time

Cli = Callable[..., Result]
PROFILE = "fresh"
REQUESTER = "cliente@acme.example"



@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running
    found = vendor_shapes.freshdesk(running.state.answers)  # the shape of Freshdesk's documented example answers
    assert not found, "departs from Freshdesk's documented answers:\n" + "\n".join(found[:20])


def profile_for(sim: Simulator, **options: object) -> Profile:
    return Profile(name=PROFILE, backend="freshdesk", url=sim.url, user=REQUESTER,
                   options={"backoff": "0.01", "timeout": "10", **options})


@pytest.fixture
def client(sim: Simulator, home: Path) -> Callable[..., Client]:
    def make(**options: object) -> Client:
        SecretStore().set(PROFILE, API_KEY)
        return Client(profile_for(sim, **options))

    return make


@pytest.fixture
def fd_cli(cli: Cli, sim: Simulator, home: Path) -> Cli:
    """The CLI acting through a saved Freshdesk profile (API key in the secret store), pages of 2 tickets."""
    UserConfig().put(profile_for(sim, page_size="2"))
    SecretStore().set(PROFILE, API_KEY)

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input)

    return run


def json_out(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_states_and_priorities_map_both_ways() -> None:
    # Ticket properties (developers.freshdesk.com/api/#ticket_attributes): status 2 Open, 3 Pending, 4 Resolved,
    # 5 Closed; priority 1 Low, 2 Medium, 3 High, 4 Urgent. Accounts may add statuses (Admin > Ticket fields).
    statuses = fm.Statuses({"status.6": "on_hold:Waiting on third party"})
    assert [statuses.state(code) for code in (2, 3, 4, 5, 6, 7)] == [
        ("open", "Open"), ("pending", "Pending"), ("resolved", "Resolved"), ("closed", "Closed"),
        ("on_hold", "Waiting on third party"), ("open", "Status 7")]
    assert [statuses.code(s) for s in ("open", "pending", "resolved", "closed", "on_hold")] == [2, 3, 4, 5, 6]
    assert [fm.PRIORITY.name(c) for c in (1, 2, 3, 4)] == ["low", "medium", "high", "urgent"]
    assert fm.PRIORITY.code("Urgent") == 4
    with pytest.raises(InvalidInput, match="has no status for 'on_hold'"):
        fm.Statuses({}).code("on_hold")
    with pytest.raises(InvalidInput, match="NUMBER=STATE"):
        fm.Statuses({"status.x": "open"})


def test_client_create_list_show_reply_close_reopen(client: Callable[..., Client], sim: Simulator,
                                                     tmp_path: Path) -> None:
    fresh = client(page_size="2")
    pdf = tmp_path / "factura.pdf"
    pdf.write_bytes(b"%PDF-1.4 factura" * 100)
    # Create a ticket (#create_ticket): attachments only as multipart attachments[]; cc_emails, tags, custom_fields.
    created = fresh.tickets.create(TicketDraft(subject="Factura rechazada", body="La DIAN la rechazó.\nAdjunto el PDF.",
                                   priority="high", ccs=["jefe@acme.example"], tags=["dian"], type="incident",
                                   fields={"cf_user_code": "0042"}, attachments=[Upload("factura.pdf", pdf)]))
    assert created.created is True
    assert (created.status, created.status_label, created.priority, created.type) == ("open", "Open", "high",
                                                                                       "incident")
    assert created.ccs == ["jefe@acme.example"] and created.tags == ["dian"]
    assert created.fields == {"cf_user_code": "0042"} and created.requester == REQUESTER
    # The size is `file_size` in "Create a Ticket With Attachment"'s example answer and `size` in "Reply to a Ticket
    # With Attachment"'s (developers.freshdesk.com/api/): both are read.
    assert [(a.filename, a.size) for a in created.attachments or []] == [("factura.pdf", pdf.stat().st_size)]
    others = [fresh.tickets.create(TicketDraft(subject=f"Otro {n}", body="b", priority="low")).id for n in range(4)]

    # List all tickets (#list_all_tickets, #pagination): per_page 2 -> three pages followed by the link header.
    everything = list(fresh.tickets.list(TicketQuery(sort="id", limit=None)))
    assert [t.id for t in everything] == [created.id, *others]
    assert sum(1 for method, path in sim.state.requests if path.startswith("/api/v2/tickets?")) == 3
    assert [t.id for t in fresh.tickets.list(TicketQuery(priorities=["high"], limit=None))] == [created.id]
    assert [t.id for t in fresh.tickets.list(TicketQuery(search="DIAN rechazo", limit=None))] == [created.id]

    # Reply (#reply_ticket) with an attachment, and a private note (#add_note_to_a_ticket) as an internal note.
    notes = tmp_path / "notas.txt"
    notes.write_text("corregido")
    fresh.tickets.reply(created.id, body="Ya está corregida", attachments=[Upload("notas.txt", notes)])
    shown = fresh.tickets.reply(created.id, body="Revisar con contabilidad", internal=True, status="pending")
    assert [(c.body, c.internal, c.author_role) for c in shown.comments or []] == [
        ("La DIAN la rechazó.\nAdjunto el PDF.", False, "customer"), ("Ya está corregida", False, "agent"),
        ("Revisar con contabilidad", True, "agent")]
    assert shown.status == "pending"
    assert sorted((a.filename, a.size) for a in fresh.tickets.attachments(created.id)) == [
        ("factura.pdf", pdf.stat().st_size), ("notas.txt", len("corregido"))]
    found, stream = fresh.tickets.download(created.id, (shown.comments or [])[1].attachments[0].id)
    with stream:
        assert (found.filename, stream.read()) == ("notas.txt", b"corregido")

    # Update a ticket (#update_ticket): status 5 closes, 2 reopens (an agent may reopen a closed ticket).
    closed = fresh.tickets.close(created.id)
    assert (closed.status, closed.closed_at is not None) == ("closed", True)
    with pytest.raises(StateConflict, match="already closed"):
        fresh.tickets.close(created.id)
    assert fresh.tickets.reopen(created.id).status == "open"
    with pytest.raises(StateConflict, match="nothing to reopen"):
        fresh.tickets.reopen(created.id)


def test_list_reaches_tickets_older_than_thirty_days(client: Callable[..., Client], sim: Simulator) -> None:
    # List all tickets (#list_all_tickets): "By default, only tickets that have been created within the past 30
    # days will be returned. For older tickets, use the updated_since filter."
    old = sim.seed_ticket(subject="Antiguo", email=REQUESTER, created=datetime.now(UTC) - timedelta(days=90))
    new = client().tickets.create(TicketDraft(subject="Nuevo", body="b")).id
    assert [t.id for t in client().tickets.list(TicketQuery(sort="id", limit=None))] == [old, new]
    assert [t.id for t in client().tickets.list(TicketQuery(requester="otro@x.example", limit=None))] == []


def test_custom_statuses_from_the_account_and_profile_options(client: Callable[..., Client], sim: Simulator) -> None:
    # Custom statuses (support.freshdesk.com "Understanding ticket statuses": Growth plans and up add their own);
    # their labels come from List all ticket fields (#list_all_ticket_fields), the status field's choices
    # {"number": [agent label, customer label]} (shape as in that section's example response).
    waiting = sim.seed_ticket(subject="Esperando", email=REQUESTER, created=datetime.now(UTC))
    held = sim.seed_ticket(subject="En espera", email=REQUESTER, created=datetime.now(UTC))
    sim.state.tickets[waiting]["status"], sim.state.tickets[held]["status"] = 6, 7
    plain = client()
    assert (plain.tickets.get(waiting).status, plain.tickets.get(waiting).status_label) == ("open",
                                                                                          "Waiting on Customer")
    assert (plain.tickets.get(held).status, plain.tickets.get(held).status_label) == ("on_hold", "On hold")
    mapped = client(**{"status.6": "pending"}).tickets
    assert (mapped.get(waiting).status, mapped.get(waiting).status_label) == ("pending", "Waiting on Customer")
    assert [t.id for t in mapped.list(TicketQuery(statuses=["pending"], limit=None))] == [waiting]
    relabelled = client(**{"status.6": "on_hold:Esperando al cliente"}).tickets.get(waiting)
    assert (relabelled.status, relabelled.status_label) == ("on_hold", "Esperando al cliente")
    moved = plain.tickets.update(waiting, TicketChanges(status="on_hold"))
    assert (moved.status, moved.status_label) == ("on_hold", "On hold")


def test_update_tags_group_assignee_and_fields(client: Callable[..., Client]) -> None:
    # Update a ticket (#update_ticket): PUT subject, priority, type, group_id, responder_id, tags, custom_fields.
    tickets = client().tickets
    number = tickets.create(TicketDraft(subject="Cambiar", body="b", tags=["a", "b"])).id
    changed = tickets.update(number, TicketChanges(subject="Cambiado", priority="urgent", type="question",
                                                   department="41", assignee="9001", fields={"cf_country": "España"},
                                                   add_tags=["c"], remove_tags=["a"]))
    assert (changed.subject, changed.priority, changed.type, changed.department, changed.assignee) == (
        "Cambiado", "urgent", "question", "41", "9001")
    assert changed.tags == ["b", "c"] and changed.fields == {"cf_country": "España"}
    assert tickets.update(number, TicketChanges(assignee="none")).assignee is None
    with pytest.raises(InvalidInput, match="group's number"):
        tickets.update(number, TicketChanges(department="Soporte web"))
    with pytest.raises(InvalidInput, match="nothing to change"):
        tickets.update(number, TicketChanges())
    me = client().accounts.me()
    assert (me.email, me.role, me.timezone) == ("ana@support.example", "agent", None)  # "Bogota" is not IANA
    assert [d.name for d in client().accounts.departments()] == ["Soporte web"]
    assert [f.key for f in client().accounts.field_defs()] == ["cf_user_code", "cf_country"]


def test_validation_errors_come_back_in_one_line(client: Callable[..., Client]) -> None:
    # Error handling (#error): 400 {"description": "Validation failed", "errors": [{"field","message","code"}]}.
    with pytest.raises(InvalidInput) as caught:
        client().tickets.create(TicketDraft(subject="x", body="y", fields={"cf_nope": "1"}))
    assert caught.value.message == ("Freshdesk refused the request: Validation failed: cf_nope: "
                                    "Unexpected/invalid field in request")
    with pytest.raises(NotFound, match="ticket #4242 not found"):
        client().tickets.get(4242)
    with pytest.raises(InvalidInput, match="page_size must be 1 to 100"):
        client(page_size="500")


def test_articles_search_show_and_list(client: Callable[..., Client]) -> None:
    # Solutions (#solutions, #search_solutions): categories > folders > articles; search by term.
    articles = client().articles
    assert [a.title for a in articles.search("factura")] == ["Cómo emitir la factura electrónica"]
    shown = articles.get(31)
    assert (shown.collection, shown.folder, shown.helpful, shown.not_helpful) == ("11", "21", 4, 1)
    assert shown.body == "Pasos para emitir la factura ante la DIAN."
    assert [a.id for a in articles.list()] == [31, 32, 33]
    assert [a.id for a in articles.list(collection="España")] == [33]
    assert [(c.name, [f.name for f in c.folders]) for c in articles.collections()] == [
        ("Colombia", ["Facturación"]), ("España", ["Correo"])]
    with pytest.raises(NotFound):
        articles.get(999)


def test_cli_end_to_end_with_csv_export(fd_cli: Cli, tmp_path: Path) -> None:
    attachment = tmp_path / "captura.png"
    attachment.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 500)
    created = json_out(fd_cli("tickets", "create", "--subject", "No carga el portal", "--body", "Error 500",
                              "--cc", "jefe@acme.example", "--field", "cf_country=Colombia", "--attach",
                              str(attachment), "-o", "json"))
    number = str(created["id"])
    for n in range(4):
        json_out(fd_cli("tickets", "create", "--subject", f"Ticket {n}", "--body", "b", "-o", "json"))
    listed = json_out(fd_cli("tickets", "list", "--all", "--sort", "id", "-o", "json"))
    assert len(listed) == 5 and listed[0]["id"] == created["id"]

    replied = fd_cli("tickets", "reply", number, "--body", "Lo revisamos", "--attach", str(attachment))
    assert replied.exit_code == 0, replied.output
    shown = json_out(fd_cli("tickets", "show", number, "-o", "json"))
    assert [c["body"] for c in shown["comments"]] == ["Error 500", "Lo revisamos"]
    assert len(shown["attachments"]) == 2

    assert json_out(fd_cli("tickets", "close", number, "-o", "json"))["status"] == "closed"
    assert json_out(fd_cli("tickets", "reopen", number, "-o", "json"))["status"] == "open"
    again = fd_cli("tickets", "reopen", number)
    assert again.exit_code == ExitCode.CONFLICT and "nothing to reopen" in again.stderr

    search = json_out(fd_cli("articles", "search", "outlook", "-o", "json"))
    assert [a["id"] for a in search] == [33]
    rate = fd_cli("articles", "rate", "33", "--helpful")
    assert rate.exit_code == ExitCode.ERROR and "Freshdesk's API has no article votes" in rate.stderr

    target = tmp_path / "x.csv"
    exported = fd_cli("export", "tickets", "-o", str(target))
    assert exported.exit_code == 0, exported.output
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and {row["status"] for row in rows} == {"open"}
    assert "Exported 5 tickets" in exported.stderr


@pytest.mark.parametrize("retry_after", [1, None])
def test_429_is_retried_with_and_without_retry_after(fd_cli: Cli, sim: Simulator,
                                                     retry_after: int | None) -> None:
    # Rate limit (#ratelimit): 429 with Retry-After in seconds; X-RateLimit-* headers on every answer.
    sim.throttle(2, retry_after)
    started = time.monotonic()
    result = fd_cli("tickets", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert sim.state.throttled == 0
    if retry_after:
        assert time.monotonic() - started >= 2 * retry_after  # waited what the server asked, twice


def test_429_that_outlasts_the_retries_exits_6(fd_cli: Cli, sim: Simulator) -> None:
    sim.throttle(50, None)
    result = fd_cli("tickets", "list", env={"PORTALCTL_RETRIES": "1"})
    assert result.exit_code == ExitCode.UNAVAILABLE and "HTTP 429" in result.stderr
    assert "rate limit remaining: 0" in result.stderr


def test_bad_credentials_exit_4_and_unknown_ticket_exits_3(fd_cli: Cli) -> None:
    # Authentication (#authentication): a wrong API key -> 401 {"code": "invalid_credentials", "message": ...}.
    bad = fd_cli("tickets", "list", env={"PORTALCTL_TOKEN": "wrong-key"})
    assert bad.exit_code == ExitCode.AUTH
    assert "refused the API key: You have to be logged in to perform this action." in bad.stderr
    missing = fd_cli("tickets", "show", "987654")
    assert missing.exit_code == ExitCode.NOT_FOUND and "ticket #987654 not found" in missing.stderr


def test_auth_login_checks_the_key_and_keeps_options(cli: Cli, sim: Simulator, home: Path) -> None:
    login = ("auth", "login", "--name", "fd", "--backend", "freshdesk", "--url", sim.url, "--user", REQUESTER,
             "--option", "status.6=on_hold:Waiting on carrier", "--with-token")
    refused = cli(*login, input="nope\n")
    assert refused.exit_code == ExitCode.AUTH
    done = cli(*login, input=API_KEY + "\n")
    assert done.exit_code == 0, done.output
    assert "Ana Agent <ana@support.example> (agent)" in done.stderr
    assert UserConfig().get("fd").options == {"status.6": "on_hold:Waiting on carrier"}


def test_missing_key_and_dedupe_are_errors(sim: Simulator, home: Path) -> None:
    keyless = Client(Profile(name="nokey", backend="freshdesk", url=sim.url, user=REQUESTER))
    with pytest.raises(PermissionDenied, match="has no API key"):
        keyless.accounts.me()
    SecretStore().set("nokey", API_KEY)
    with pytest.raises(Unsupported, match="dedupe key"):
        Client(Profile(name="nokey", backend="freshdesk", url=sim.url)).tickets.create(
            TicketDraft(subject="x", body="y", dedupe_key="k"))


def test_unreachable_portal_is_unavailable(home: Path) -> None:
    SecretStore().set("gone", API_KEY)
    profile = Profile(name="gone", backend="freshdesk", url="http://127.0.0.1:9",
                      options={"retries": "0", "timeout": "2"})
    with pytest.raises(Unavailable):
        list(Client(profile).tickets.list(TicketQuery()))


LIVE_URL = os.environ.get("PORTALCTL_LIVE_FRESHDESK_URL")
LIVE_TOKEN = os.environ.get("PORTALCTL_LIVE_FRESHDESK_TOKEN")


@pytest.mark.skipif(not (LIVE_URL and LIVE_TOKEN),
                    reason="set PORTALCTL_LIVE_FRESHDESK_URL and PORTALCTL_LIVE_FRESHDESK_TOKEN to run against a "
                           "real Freshdesk account (read-only)")
def test_live_freshdesk_read_only(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTALCTL_TOKEN", LIVE_TOKEN or "")
    client = Client(Profile(name="live", backend="freshdesk", url=LIVE_URL, options={"timeout": "20"}))
    assert client.accounts.me().role == "agent"
    first = list(client.tickets.list(TicketQuery(statuses=["all"], limit=5)))
    wanted = os.environ.get("PORTALCTL_LIVE_FRESHDESK_TICKET")
    if wanted or first:
        ticket = client.tickets.get(int(wanted) if wanted else first[0].id)
        assert ticket.comments is not None and ticket.status in ("open", "pending", "resolved", "closed",
                                                                   "on_hold", "new")


def test_a_listing_past_the_300th_page_is_walked_by_update_time(sim: Simulator, client: Callable[..., Client]) -> None:
    """List Tickets: "A maximum of 300 pages (30000 tickets) will be returned" (Freshdesk's API reference, List All
    Tickets, note 2: developers.freshdesk.com/api/#list_all_tickets); past the 300th page it answers a 400 ("You
    cannot access tickets beyond the 300th page", invalid_value on `page`: the body airbytehq/airbyte's
    source-freshdesk tests keep; the cap confirmed by Freshworks staff at
    community.freshworks.com/api-and-webhooks-11406/api-freshdesk-40750). An export of any size
    still lists every ticket once: the walk restarts from the last `updated_since` it reached. Pages of one ticket
    here, so 305 tickets need 305 pages; four share the update time where page 300 ends."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids = [sim.seed_ticket(subject=f"Caso {n}", email=REQUESTER, created=start + timedelta(minutes=n))
           for n in range(305)]
    for rid in ids[298:302]:
        sim.state.tickets[rid]["updated_at"] = sim.state.tickets[ids[298]]["updated_at"]
    listed = [t.id for t in client(page_size="1").tickets.list(TicketQuery(statuses=["open"], limit=None))]
    assert sorted(listed) == sorted(ids) and len(listed) == len(set(listed))
    oldest_first = [t.id for t in client(page_size="1").tickets.list(TicketQuery(statuses=["open"], sort="updated",
                                                                                 limit=None))]
    assert oldest_first[:298] == ids[:298] and set(oldest_first[298:302]) == set(ids[298:302])
