"""The HubSpot connector against a simulator of HubSpot's CRM v3 API (tests/connectors/sim_hubspot.py).

Each simulated behaviour says in sim_hubspot.py where HubSpot documents it; the comments here name the page again
where a test relies on it. A live smoke test runs against a real account when PORTALCTL_LIVE_HUBSPOT_TOKEN is set.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.backends import hubspot_map as hs
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.errors import InvalidInput, NotFound, StateConflict, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.secrets import SecretStore
from tests.connectors import hubspot_sdk
from tests.connectors.sim_hubspot import NO_NOTES_TOKEN, PIPELINES, READ_ONLY_TOKEN, TOKEN, HubSpotSim

Cli = Callable[..., Result]
PROFILE = "hubspot"

pytestmark = pytest.mark.usefixtures("bounded")  # each test is bounded in time
LIVE_TOKEN = os.environ.get("PORTALCTL_LIVE_HUBSPOT_TOKEN")  # read now: the `home` fixture clears PORTALCTL_*
LIVE_URL = os.environ.get("PORTALCTL_LIVE_HUBSPOT_URL") or "https://api.hubapi.com"



@pytest.fixture
def sim(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotSim]:
    monkeypatch.setenv("PORTALCTL_BACKOFF", "0.05")  # retries without Retry-After wait little in tests
    monkeypatch.setenv("PORTALCTL_TIMEOUT", "10")
    with HubSpotSim() as running:
        yield running
    # Every answer the simulator gave, and every body the connector sent, must read through HubSpot's own SDK
    # models (tests/connectors/hubspot_sdk.py)
    found = hubspot_sdk.problems(running.answers, running.sent)
    assert not found, "departs from HubSpot's SDK models:\n" + "\n".join(found[:20])


@pytest.fixture
def profile(sim: HubSpotSim) -> Profile:
    """The saved, current HubSpot profile: pages of 3 tickets so a handful of tickets spans several pages."""
    saved = Profile(name=PROFILE, backend="hubspot", url=sim.url, user="ana@vai.test",
                    options={"page_size": "3", "pipeline": "VAI Formularios"})
    UserConfig().put(saved)
    SecretStore().set(PROFILE, TOKEN)
    return saved


@pytest.fixture
def hs_cli(cli: Cli, profile: Profile) -> Cli:
    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None, io: object = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input, io=io)

    return run


def create(hs_cli: Cli, subject: str, *args: str) -> dict[str, object]:
    result = hs_cli("tickets", "create", "--subject", subject, "--body", f"Body of {subject}", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    created: dict[str, object] = json.loads(result.stdout)
    return created


def test_stages_map_from_the_account_and_profile_options() -> None:
    # "CRM API | Pipelines": stages carry metadata.ticketState; the default pipeline's labels
    pipes = hs.pipelines({"results": PIPELINES}, hs.stage_overrides({"stage.4": "resolved", "queue": "x"}))
    states = {s.label: s.state for p in pipes for s in p.stages}
    assert states == {"New": "new", "Waiting on contact": "pending", "Waiting on us": "open",
                      "Closed": "resolved",  # overridden by --option stage.4=resolved
                      "Nuevo": "new", "En proceso": "open", "Resuelto": "resolved"}
    assert hs.stage_state("Escalated", "OPEN") == "open" and hs.stage_state("Archivado", "CLOSED") == "closed"
    with pytest.raises(InvalidInput):
        hs.stage_state("New", "OPEN", "sometimes")
    assert [hs.DEFAULT_PRIORITIES.name(p) for p in ("LOW", "MEDIUM", "HIGH", "URGENT", None)] == [
        "low", "medium", "high", "urgent", "medium"]


def test_client_create_list_show_reply_close_reopen(sim: HubSpotSim, profile: Profile, tmp_path: Path) -> None:
    pdf = tmp_path / "formulario-5412.pdf"
    pdf.write_bytes(b"%PDF-1.4 corrected form\n" * 100)
    client = Client(profile)
    first = client.tickets.create(TicketDraft(subject="Cambio en formulario 5412", body="Corregir el valor FOB",
                                  priority="high", fields={"user_code": "0042", "form_numbers": "5412"},
                                  attachments=[Upload(pdf.name, pdf)]))
    assert (first.status, first.status_label, first.department) == ("new", "Nuevo", "vai-formularios")
    assert first.fields == {"user_code": "0042", "form_numbers": "5412"} and first.created is True
    assert [a.filename for a in first.attachments or []] == ["formulario-5412.pdf"]
    others = [client.tickets.create(TicketDraft(subject=f"Consulta {n}", body="b")).id for n in range(6)]

    # cursor paging (paging.next.after), "CRM API | Tickets"/"CRM API | Search": 7 tickets in pages of 3
    found = list(client.tickets.list(TicketQuery(sort="id", limit=None, statuses=["all"])))
    assert [t.id for t in found] == [first.id, *others]
    searched = [t.id for t in client.tickets.list(TicketQuery(sort="id", limit=None))]
    assert searched == [first.id, *others]
    assert sum(1 for method, path in sim.requests if path.endswith("/tickets/search")) >= 3

    replied = client.tickets.reply(first.id, body="Adjunto el PDF <firmado>\nsegunda línea", internal=True,
                                   status="open", attachments=[Upload("firma.png", pdf)])
    assert (replied.status, replied.status_label) == ("open", "En proceso")
    assert [(c.body, c.internal) for c in replied.comments or []][-1] == (
        "Adjunto el PDF <firmado>\nsegunda línea", True)
    with pytest.raises(Unsupported, match="no public reply"):
        client.tickets.reply(first.id, body="hola")

    closed = client.tickets.close(first.id)  # VAI's pipeline ends with Resuelto (ticketState CLOSED)
    assert (closed.status, closed.status_label) == ("resolved", "Resuelto") and closed.resolved_at
    with pytest.raises(StateConflict, match="already Resuelto"):
        client.tickets.close(first.id)
    reopened = client.tickets.reopen(first.id)
    assert (reopened.status, reopened.status_label) == ("open", "En proceso")
    with pytest.raises(StateConflict, match="nothing to reopen"):
        client.tickets.reopen(first.id)
    with pytest.raises(NotFound):
        client.tickets.get(99999)

    assert {d.key for d in client.accounts.field_defs()} == {"user_code", "form_numbers", "topic"}


def test_server_side_filters_and_unknown_properties(sim: HubSpotSim, profile: Profile) -> None:
    client = Client(profile)
    urgent = client.tickets.create(TicketDraft(subject="Aduana bloqueada", body="urgente", priority="urgent"))
    support = client.tickets.create(TicketDraft(subject="Password", body="reset", department="Support Pipeline",
                                    requester="ana@vai.test"))  # associated contact (ticket -> contact type 16)
    assert (support.status_label, support.department) == ("New", "support-pipeline")
    assert (support.requester, support.requester_name) == ("ana@vai.test", "Ana Importadora")
    with pytest.raises(InvalidInput, match=r"no contact with e-mail 'nobody@vai\.test'"):
        client.tickets.create(TicketDraft(subject="x", body="y", requester="nobody@vai.test"))
    client.tickets.close(support.id)  # the default pipeline's Closed stage
    by_priority = client.tickets.list(TicketQuery(priorities=["urgent"], limit=None))
    assert [t.id for t in by_priority] == [urgent.id]
    assert [t.id for t in client.tickets.list(TicketQuery(statuses=["Closed"], limit=None))] == [support.id]
    assert [t.id for t in client.tickets.list(TicketQuery(search="aduana", limit=None))] == [urgent.id]
    assert [t.id for t in client.tickets.list(TicketQuery(departments=["support-pipeline"], statuses=["all"],
                                                          limit=None))] == [support.id]
    moved = client.tickets.update(urgent.id, TicketChanges(priority="low", department="support-pipeline",
                                                           fields={"topic": "importacion"}))
    assert (moved.priority, moved.department, moved.status_label) == ("low", "support-pipeline", "New")
    assert moved.fields["topic"] == "importacion"
    with pytest.raises(Unsupported, match="has no stage for 'pending'"):
        client.tickets.update(urgent.id, TicketChanges(department="vai-formularios", status="pending"))
    # HubSpot refuses unknown properties (VALIDATION_ERROR, PROPERTY_DOESNT_EXIST): one line, exit 2
    with pytest.raises(InvalidInput, match='Property "nope" does not exist'):
        client.tickets.create(TicketDraft(subject="x", body="y", fields={"nope": "1"}))


def test_cli_flow_with_attachments_and_export(hs_cli: Cli, sim: HubSpotSim, tmp_path: Path) -> None:
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(os.urandom(5000))
    ids = [create(hs_cli, f"Formulario {n}", "--field", "user_code=0042")["id"] for n in range(5)]
    listed = json.loads(hs_cli("tickets", "list", "--all", "--sort", "id", "-o", "json").stdout)
    assert [row["id"] for row in listed] == ids and {row["status"] for row in listed} == {"new"}
    number = str(ids[0])

    public = hs_cli("tickets", "reply", number, "--body", "hola")
    assert public.exit_code == ExitCode.ERROR and "no public reply" in public.stderr and "--internal" in public.stderr
    note = hs_cli("tickets", "reply", number, "--internal", "--body", "PDF corregido", "--attach", str(pdf))
    assert note.exit_code == 0, note.output
    shown = json.loads(hs_cli("tickets", "show", number, "-o", "json").stdout)
    assert [c["body"] for c in shown["comments"]] == ["Body of Formulario 0", "PDF corregido"]
    attachment = shown["attachments"][0]
    assert (attachment["filename"], attachment["size"]) == ("form.pdf", 5000)
    saved = hs_cli("tickets", "download", number, str(attachment["id"]), "--dir", str(tmp_path / "out"))
    assert saved.exit_code == 0, saved.output
    assert Path(saved.stdout.strip()).read_bytes() == pdf.read_bytes()

    closed = json.loads(hs_cli("tickets", "close", number, "-o", "json").stdout)
    assert closed["status"] == "resolved"
    reopened = json.loads(hs_cli("tickets", "reopen", number, "-o", "json").stdout)
    assert (reopened["status"], reopened["status_label"]) == ("open", "En proceso")

    articles = hs_cli("articles", "search", "factura")
    assert articles.exit_code == ExitCode.ERROR and "HubSpot has no knowledge-base API" in articles.stderr

    target = tmp_path / "x.csv"
    exported = hs_cli("export", "tickets", "-o", str(target))
    assert exported.exit_code == 0, exported.output
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(row["id"]) for row in rows) == ids


def test_tickets_states_lists_every_pipeline_stage(hs_cli: Cli, cli: Cli, sim: HubSpotSim) -> None:
    # "CRM API | Pipelines": GET /crm/v3/pipelines/tickets, pipelines and their stages in displayOrder
    rows = json.loads(hs_cli("tickets", "states", "-o", "json").stdout)
    assert [(r["pipeline"], r["id"], r["label"], r["state"]) for r in rows] == [
        ("Support Pipeline", "1", "New", "new"), ("Support Pipeline", "2", "Waiting on contact", "pending"),
        ("Support Pipeline", "3", "Waiting on us", "open"), ("Support Pipeline", "4", "Closed", "closed"),
        ("VAI Formularios", "7101", "Nuevo", "new"), ("VAI Formularios", "7102", "En proceso", "open"),
        ("VAI Formularios", "7103", "Resuelto", "resolved")]
    table = hs_cli("tickets", "states").stdout.splitlines()
    assert table[0].split() == ["ID", "LABEL", "STATE", "PIPELINE"] and table[-1].split() == [
        "7103", "Resuelto", "resolved", "VAI", "Formularios"]
    # a mapping the user changed at login shows here, which is how they check it
    login = ("auth", "login", "--name", "remapped", "--backend", "hubspot", "--url", sim.url, "--with-token",
             "--option", "stage.4=resolved")
    assert cli(*login, input=TOKEN + "\n").exit_code == 0
    remapped = json.loads(cli("tickets", "states", "-o", "json", env={"PORTALCTL_PROFILE": "remapped"}).stdout)
    assert {r["id"]: r["state"] for r in remapped}["4"] == "resolved"
    refused = hs_cli("tickets", "states", env={"PORTALCTL_TOKEN": "pat-na1-wrong"})
    assert refused.exit_code == ExitCode.AUTH and "refused the token" in refused.stderr


def test_search_beyond_10000_results_fails_up_front(sim: HubSpotSim, profile: Profile) -> None:
    # "CRM API | Search": the search endpoints page through at most 10,000 results
    client = Client(profile)
    made = client.tickets.create(TicketDraft(subject="uno", body="b"))
    sim.reported_total = 12_000
    with pytest.raises(InvalidInput, match="at most 10,000 tickets and this listing matches 12,000"):
        client.tickets.list(TicketQuery(priorities=["medium"], limit=None))
    assert [t.id for t in client.tickets.list(TicketQuery(limit=30))] == [made.id]  # newest 30: fine
    assert [t.id for t in client.tickets.list(TicketQuery(statuses=["all"], limit=None))] == [made.id]  # list API


@pytest.mark.parametrize("retry_after", [None, 1])
def test_429_is_retried_with_and_without_retry_after(hs_cli: Cli, sim: HubSpotSim,
                                                     retry_after: int | None) -> None:
    # "API usage guidelines and limits": 429 with X-HubSpot-RateLimit-* headers, Retry-After not always sent
    create(hs_cli, "rate limited")
    sim.throttle(2, retry_after)
    started = time.monotonic()
    result = hs_cli("tickets", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [row["subject"] for row in json.loads(result.stdout)] == ["rate limited"]
    assert sim.throttled == 0
    if retry_after:
        assert time.monotonic() - started >= 2 * retry_after


def test_rate_limit_that_outlasts_the_retries_exits_6(hs_cli: Cli, sim: HubSpotSim) -> None:
    sim.throttle(50, 0)
    result = hs_cli("tickets", "list", env={"PORTALCTL_RETRIES": "1"})
    assert result.exit_code == ExitCode.UNAVAILABLE and "429" in result.stderr and "190 per 10000 ms" in result.stderr


def test_bad_credentials_exit_4_and_unknown_ticket_exits_3(hs_cli: Cli, cli: Cli, sim: HubSpotSim) -> None:
    bad = hs_cli("tickets", "list", env={"PORTALCTL_TOKEN": "pat-na1-wrong"})
    assert bad.exit_code == ExitCode.AUTH and "refused the token" in bad.stderr
    # "Error handling": a token without the scope a call needs gets 403 with category MISSING_SCOPES
    scoped = hs_cli("tickets", "create", "--subject", "x", "--body", "y", env={"PORTALCTL_TOKEN": READ_ONLY_TOKEN})
    assert scoped.exit_code == ExitCode.AUTH and "MISSING_SCOPES" in scoped.stderr
    missing = hs_cli("tickets", "show", "987654")
    assert missing.exit_code == ExitCode.NOT_FOUND and "ticket #987654 not found" in missing.stderr

    login = ("auth", "login", "--name", "hub", "--backend", "hubspot", "--url", sim.url, "--with-token")
    assert cli(*login, input="pat-na1-wrong\n").exit_code == ExitCode.AUTH
    done = cli(*login, "--option", "stage.7103=closed", input=TOKEN + "\n")
    assert done.exit_code == 0, done.output
    assert UserConfig().get("hub").options == {"stage.7103": "closed"}


def test_a_missing_scope_is_named(hs_cli: Cli, sim: HubSpotSim) -> None:
    # "Activities | Notes", Scope requirements: crm.objects.contacts.read, crm.objects.contacts.write
    # (developers.hubspot.com/docs/api-reference/latest/crm/activities/notes/guide); a 403
    # MISSING_SCOPES names the scopes in errors[].context.requiredGranularScopes ("Error handling")
    made = create(hs_cli, "needs a note")
    refused = hs_cli("tickets", "reply", str(made["id"]), "--internal", "--body", "a note",
                     env={"PORTALCTL_TOKEN": NO_NOTES_TOKEN})
    assert refused.exit_code == ExitCode.AUTH
    assert "lacks the scope crm.objects.contacts.write" in refused.stderr
    assert not sim.notes
    hinted = hs_cli("tickets", "list", env={"PORTALCTL_TOKEN": "pat-na1-wrong"})
    assert "crm.objects.contacts.write" in hinted.stderr  # the login hint names every scope portalctl needs


def test_a_long_search_listing_keeps_to_the_search_limit(sim: HubSpotSim, profile: Profile) -> None:
    # "CRM API | Search", Limitations (developers.hubspot.com/docs/api/crm/search): the search endpoints have a
    # per-second limit of their own (five a second per account), and no X-HubSpot-RateLimit-* headers to pace by
    client = Client(profile)
    made = [client.tickets.create(TicketDraft(subject=f"t{i}", body="b", priority="high")).id for i in range(30)]
    found = [t.id for t in client.tickets.list(TicketQuery(priorities=["high"], limit=None, sort="id"))]
    assert sorted(found) == made and sim.search_429s == 0
    assert sum(1 for method, path in sim.requests if path.endswith("/tickets/search")) >= 10


def test_priorities_are_the_accounts_options(hs_cli: Cli, sim: HubSpotSim) -> None:
    # "CRM API | Properties": hs_ticket_priority's options (label, value) belong to the account
    sim.priority_options = [{"label": label, "value": str(i), "displayOrder": i, "hidden": False}
                            for i, label in enumerate(("Baja", "Media", "Alta", "Urgente"), start=1)]
    made = create(hs_cli, "alta", "--priority", "high")
    assert made["priority"] == "high" and sim.tickets[int(str(made["id"]))]["properties"]["hs_ticket_priority"] == "3"
    listed = hs_cli("tickets", "list", "--priority", "high", "-o", "json")
    assert [row["id"] for row in json.loads(listed.stdout)] == [made["id"]]
    sim.priority_options = sim.priority_options[:3]
    refused = hs_cli("tickets", "create", "--subject", "x", "--body", "y", "--priority", "urgent",
                     env={"PORTALCTL_PROFILE": PROFILE})
    assert refused.exit_code == ExitCode.USAGE and "its priorities: low, medium, high" in refused.stderr


@pytest.mark.skipif(not LIVE_TOKEN,
                    reason="set PORTALCTL_LIVE_HUBSPOT_TOKEN (and optionally PORTALCTL_LIVE_HUBSPOT_URL) to run "
                           "against a real HubSpot account")
def test_live_read_only_list_and_show(home: Path) -> None:
    SecretStore().set("live", str(LIVE_TOKEN))
    profile = Profile(name="live", backend="hubspot", url=LIVE_URL)
    client = Client(profile)
    tickets = list(client.tickets.list(TicketQuery(statuses=["all"], limit=3)))
    if tickets:
        assert client.tickets.get(tickets[0].id).id == tickets[0].id


def test_a_cut_listing_says_the_search_total(hs_cli: Cli, sim: HubSpotSim) -> None:
    """Every search answer carries `total` ("CRM API | Search"; CollectionResponseWithTotalSimplePublicObject in
    hubspot-api-client): a listing cut at --limit says it."""
    from portalctl.iostreams import IOStreams

    for number in range(4):
        create(hs_cli, f"Formulario {number}")
    io = IOStreams.fake(tty=True)
    result = hs_cli("tickets", "list", "--limit", "2", io=io)
    assert result.exit_code == 0, io.err.getvalue()
    assert io.err.getvalue() == "Showing 2 of 4 tickets — use --all or --limit N\n"
