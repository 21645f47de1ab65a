"""The Jira Service Management connector against its simulator (tests/connectors/sim_jsm.py).

Every exchange is judged against the facts of Atlassian's OpenAPI document (jsm_openapi.py): the `sim` fixture fails
the test on any request or answer the document does not allow. Quotes are from Atlassian's reference,
developer.atlassian.com/cloud/jira/service-desk/rest/, unless another page is named. A live smoke test runs against
a real site when PORTALCTL_LIVE_JSM_URL, _USER and _TOKEN are set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from requests.structures import CaseInsensitiveDict

from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.errors import InvalidInput, NotFound, StateConflict, Unavailable, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.ratelimit import Budget, Pacer, read_budget
from portalctl.secrets import SecretStore
from tests.connectors.jsm_openapi import Judge
from tests.connectors.sim_jsm import AGENT, CUSTOMER, OTHER, TOKEN, JsmSim

Cli = Callable[..., Result]
PROFILE = "jsm"
pytestmark = pytest.mark.usefixtures("bounded")  # each test is bounded in time
PDF = b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 >>\nstartxref\n9\n%%EOF\n"
LIVE = {key: os.environ.get(f"PORTALCTL_LIVE_JSM_{key}") for key in ("URL", "USER", "TOKEN")}  # before `home`



@pytest.fixture
def sim(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[JsmSim]:
    monkeypatch.setenv("PORTALCTL_BACKOFF", "0.05")
    monkeypatch.setenv("PORTALCTL_TIMEOUT", "10")
    running = JsmSim()
    running.add_article(501, "Cómo renovar el dominio", "<h1>Cómo renovar el dominio</h1><p>Pasos para renovar</p>")
    with running.serving():
        yield running
    assert running.judge is not None and running.judge.checked
    assert not running.problems, "\n".join(running.problems)


def save(sim: JsmSim, user: str = CUSTOMER, name: str = PROFILE, **options: str) -> Profile:
    profile = Profile(name=name, backend="jsm", url=sim.url, user=user,
                      options={"page_size": "2", "field_user_code": "customfield_10050", **options})
    UserConfig().put(profile)
    SecretStore().set(name, TOKEN)
    return profile


@pytest.fixture
def client(sim: JsmSim) -> Client:
    return Client(save(sim))


@pytest.fixture
def jsm(cli: Cli, sim: JsmSim) -> Cli:
    save(sim)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return cli(*args, input=input, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})})

    return run


def posts(sim: JsmSim) -> list[str]:
    return [line for line in sim.log if line.startswith("POST")]


def test_the_judge_refuses_what_the_document_does_not_allow() -> None:
    """The check itself can fail: a page whose `values` is no array, a comment whose `public` is a word, an answer
    with a status the operation does not declare."""
    judge = Judge()
    judge.response("GET", "/rest/servicedeskapi/servicedesk", 200, "application/json",
                   json.dumps({"size": 1, "values": "Mesa"}).encode(), {})
    judge.request("POST", "/rest/servicedeskapi/request/1/comment", [], {"Content-Type": "application/json"},
                  json.dumps({"body": "hola", "public": "yes"}).encode())
    judge.response("POST", "/rest/servicedeskapi/request/1/transition", 418, "application/json", b"{}", {})
    judge.request("GET", "/rest/servicedeskapi/request", [("limit", "many")], {}, b"")
    assert len(judge.problems) == 4, judge.problems
    fine = Judge()
    fine.request("POST", "/rest/servicedeskapi/request/1/comment", [], {"Content-Type": "application/json"},
                 json.dumps({"body": "hola", "public": True}).encode())
    fine.response("POST", "/rest/servicedeskapi/request/1/transition", 204, "", b"", {})
    assert fine.problems == []


def test_sign_in_checks_the_token_first(cli: Cli, sim: JsmSim) -> None:
    """Basic auth with an e-mail and an API token ("Basic auth for REST APIs"); a refused token is not kept."""
    args = ("auth", "login", "--name", "site", "--backend", "jsm", "--url", sim.url + "/", "--user", CUSTOMER,
            "--with-token")
    wrong = cli(*args, input="not-the-token\n")
    assert wrong.exit_code == ExitCode.AUTH and "refused the API token" in wrong.stderr
    assert "api token" in wrong.stderr.lower() and "not-the-token" not in wrong.output
    with pytest.raises(NotFound):
        UserConfig().get("site")
    right = cli(*args, input=TOKEN + "\n")
    assert right.exit_code == 0, right.output
    assert CUSTOMER in right.stderr and TOKEN not in right.output


def test_a_required_field_is_named_before_anything_is_sent(jsm: Cli, sim: JsmSim) -> None:
    """createCustomerRequest: "The JSON request must include ... any fields that are required for the request
    type", listed by GET servicedesk/{id}/requesttype/{id}/field; a hidden required field (visible: false, with a
    preset value) is not the customer's to fill."""
    save(sim, request_type="Cambio en formulario 5412")
    missing = jsm("tickets", "create", "--subject", "Corregir FOB", "--body", "x")
    assert missing.exit_code == ExitCode.USAGE
    assert "Código de usuario (customfield_10050)" in missing.stderr and "País (customfield_10051)" in missing.stderr
    assert "Canal" not in missing.stderr and posts(sim) == []
    listed = json.loads(jsm("admin", "fields", "list", "-o", "json").stdout)
    assert [(f["key"], f["required"], f["choices"]) for f in listed] == [
        ("user_code", True, []), ("customfield_10051", True, ["Colombia", "Perú"])]

    made = jsm("tickets", "create", "--subject", "Corregir FOB", "--body", "x", "--field", "user_code=0042",
               "--field", "País=Perú", "-o", "json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["fields"] == {"user_code": "0042", "customfield_10051": "Perú"}
    assert json.loads(made.stdout)["type"] == "Cambio en formulario 5412"
    [issue] = sim.issues.values()
    assert issue.values["customfield_10051"] == {"id": "10101"}  # options go by id ("Field input formats")

    unknown = jsm("tickets", "create", "--subject", "s", "--body", "b", "--field", "color=azul")
    assert unknown.exit_code == ExitCode.USAGE and "customfield_10050 (Código de usuario)" in unknown.stderr
    bad = jsm("tickets", "create", "--subject", "s", "--body", "b", "--field", "user_code=1", "--field", "País=Chile")
    assert bad.exit_code == ExitCode.USAGE and "Colombia, Perú" in bad.stderr
    assert len(posts(sim)) == 1


def test_type_picks_the_request_type_or_says_which_there_are(client: Client, sim: JsmSim) -> None:
    with pytest.raises(InvalidInput) as caught:
        client.tickets.create(TicketDraft(subject="s", body="b", type="problem"))
    assert "Reportar un incidente (12)" in (caught.value.hint or "") and "type.problem" in (caught.value.hint or "")
    mapped = Client(save(sim, **{"type.incident": "12"}))
    made = mapped.tickets.create(TicketDraft(subject="Caída del portal", body="b", type="incident"))
    assert made.type == "incident" and sim.issues[made.id].type_id == "12"
    assert [t.id for t in mapped.tickets.list(TicketQuery(types=["incident"], limit=None))] == [made.id]


def test_listing_pages_to_the_end_even_when_a_page_is_capped(client: Client, sim: JsmSim) -> None:
    """"Pagination": a method may return fewer than `limit` ("the first page shows size is less than limit and
    isLastPage is false"); the next page starts after what came, not after `limit`."""
    sim.max_page = 1
    ids = [client.tickets.create(TicketDraft(subject=f"Pedido {n}", body="b")).id for n in range(4)]
    assert [t.id for t in client.tickets.list(TicketQuery(sort="id", limit=None))] == ids
    starts = [line for line in sim.log if line.startswith("GET /rest/servicedeskapi/request?")]
    assert len(starts) == 4 and "start=3" in starts[-1]


def test_listing_filters_by_desk_key_and_by_ownership(client: Client, sim: JsmSim) -> None:
    """serviceDeskId and requestOwnership=OWNED_REQUESTS narrow getCustomerRequests on JSM; a desk is named by its
    id, project key or name, as the README says."""
    help_desk = client.tickets.create(TicketDraft(subject="Ayuda", body="b"))
    billing = client.tickets.create(TicketDraft(subject="Factura", body="b", department="FAC"))
    with sim.lock:
        shared = sim.new_issue("1", "11", OTHER, {"summary": "De otro, compartida", "description": "b"})
        shared.participants.append(CUSTOMER)
    for name in ("FAC", "2", "facturación"):
        assert [t.id for t in client.tickets.list(TicketQuery(departments=[name]))] == [billing.id]
    assert {t.id for t in client.tickets.list(TicketQuery(departments=["AYU", "FAC"]))} == {
        help_desk.id, billing.id, shared.id}
    assert {t.id for t in client.tickets.list(TicketQuery(mine=True))} == {help_desk.id, billing.id}
    assert "requestOwnership=OWNED_REQUESTS" in sim.log[-1]
    with pytest.raises(InvalidInput, match="unknown Jira Service Management service desk"):
        list(client.tickets.list(TicketQuery(departments=["RRHH"])))


def test_a_customer_sees_only_their_requests_and_public_comments(client: Client, sim: JsmSim) -> None:
    """getCustomerRequests: "For customers, the list returned will include request they created ... or are
    participating in only"; getRequestComments: "Customers are returned public comments only"."""
    mine = client.tickets.create(TicketDraft(subject="Factura rechazada", body="b"))
    with sim.lock:
        theirs = sim.new_issue("1", "11", OTHER, {"summary": "Factura de otro", "description": "secreto"})
    sim.agent_comment(mine.id, "Revisar con contabilidad", public=False)
    sim.agent_comment(mine.id, "¿Nos envía el XML?", public=True)
    with sim.lock:  # a colleague the request is shared with answers too
        sim.issues[mine.id].participants.append(OTHER)
        sim.add_comment(sim.issues[mine.id], OTHER, "Lo envío yo", True, [])
    assert [t.id for t in client.tickets.list(TicketQuery(statuses=["all"], limit=None))] == [mine.id]
    shown = client.tickets.get(mine.id)
    assert [(c.body, c.author_role, c.internal) for c in shown.comments or []] == [
        ("b", "customer", False), ("¿Nos envía el XML?", "agent", False), ("Lo envío yo", "customer", False)]
    assert shown.ccs == [OTHER]  # participants, as CCs are elsewhere
    with pytest.raises(NotFound, match=f"ticket #{theirs.id} not found"):
        client.tickets.get(theirs.id)


def test_what_a_customer_cannot_do_is_refused_by_name_before_sending(jsm: Cli, sim: JsmSim) -> None:
    made = jsm("tickets", "create", "--subject", "Consulta", "--body", "b", "-o", "json")
    number = str(json.loads(made.stdout)["id"])
    before = len(posts(sim))
    for args in (("tickets", "reply", number, "--body", "psst", "--internal"),
                 ("tickets", "update", number, "--priority", "high"),
                 ("tickets", "create", "--subject", "s", "--body", "b", "--cc", "jefe@cliente.test"),
                 ("articles", "rate", "501", "--helpful")):
        result = jsm(*args)
        assert result.exit_code == ExitCode.ERROR and "Jira Service Management" in result.stderr, args
    assert len(posts(sim)) == before
    team = Client(save(sim, user=AGENT, name="team", role="agent"))
    with pytest.raises(Unsupported, match="no team view"):
        list(team.tickets.list(TicketQuery()))


def test_states_follow_the_workflow_and_the_profile(client: Client, sim: JsmSim, jsm: Cli) -> None:
    """CustomerRequestStatusDTO: a status name and its category (NEW, INDETERMINATE, DONE, UNDEFINED). JSM's
    automation sends a request waiting for the customer back to support when the customer comments."""
    made = client.tickets.create(TicketDraft(subject="Estado", body="b"))
    assert (made.status, made.status_label) == ("open", "Waiting for Support")
    sim.set_status(made.id, "Waiting for Customer")
    assert client.tickets.get(made.id).status == "pending"
    assert [t.id for t in client.tickets.list(TicketQuery(statuses=["pending"]))] == [made.id]
    assert client.tickets.reply(made.id, body="Aquí está").status == "open"
    sim.set_status(made.id, "In Progress")
    remapped = Client(save(sim, name="remap", **{"status.In Progress": "on_hold"}))
    assert remapped.tickets.get(made.id).status == "on_hold"
    assert ("In Progress", "on_hold") in {(s.label, s.state) for s in remapped.states()}
    listed = jsm("tickets", "states", "-o", "json")
    rows = {row["id"]: row["state"] for row in json.loads(listed.stdout)}
    assert rows["Waiting for Customer"] == "pending" and rows["DONE"] == "resolved"


def test_close_and_reopen_are_customer_transitions(client: Client, sim: JsmSim, jsm: Cli) -> None:
    """getCustomerTransitions lists what the customer may do; performCustomerTransition answers 204."""
    made = client.tickets.create(TicketDraft(subject="Cerrar", body="b"))
    closed = client.tickets.close(made.id)
    assert (closed.status, closed.status_label) == ("resolved", "Resolved")
    assert jsm("tickets", "close", str(made.id), "--yes").exit_code == ExitCode.CONFLICT
    assert client.tickets.reopen(made.id).status == "open"

    answered = client.tickets.reply(made.id, body="Ya funciona, gracias", status="resolved")
    assert answered.status == "resolved" and (answered.comments or [])[-1].body == "Ya funciona, gracias"
    assert client.tickets.update(made.id, TicketChanges(status="open")).status == "open"
    comments = len(sim.issues[made.id].comments)
    with pytest.raises(Unsupported, match="only by its workflow's transitions"):
        client.tickets.reply(made.id, body="x", status="on_hold")
    assert len(sim.issues[made.id].comments) == comments  # refused before the comment went

    cancelled = Client(save(sim, name="cancel", close_transition="Cancel request"))
    assert cancelled.tickets.close(made.id).status_label == "Canceled"
    with pytest.raises(StateConflict) as caught:  # Canceled offers the customer no transition
        cancelled.tickets.reopen(made.id)
    assert f"--follow-up-of {made.id}" in (caught.value.hint or "")


def test_attachments_go_up_as_temporary_files_and_come_back(client: Client, sim: JsmSim, tmp_path: Path) -> None:
    """attachTemporaryFile wants parts named `file` and X-Atlassian-Token: no-check; the comment JSM makes for the
    files ends with their wiki marks (the reference's example answer), which are not the customer's words."""
    (tmp_path / "extracto.pdf").write_bytes(PDF)
    made = client.tickets.create(TicketDraft(subject="Adjuntos", body="b"))
    replied = client.tickets.reply(made.id, body="Adjunto el extracto",
                                   attachments=[Upload("extracto.pdf", tmp_path / "extracto.pdf")])
    assert sim.issues[made.id].comments[-1]["body"] == "Adjunto el extracto [^extracto.pdf] _(1 kB)_"
    last = (replied.comments or [])[-1]
    assert last.body == "Adjunto el extracto" and [a.filename for a in last.attachments] == ["extracto.pdf"]
    found, stream = client.tickets.download(made.id, last.attachments[0].id)
    with stream:
        assert stream.read() == PDF  # through getAttachmentContent's 303 to the file
    assert found.content_type == "application/pdf"


def test_approvals_show_on_the_request(jsm: Cli, client: Client, sim: JsmSim) -> None:
    made = client.tickets.create(TicketDraft(subject="Acceso VPN", body="b"))
    sim.add_approval(made.id, "Aprobación del jefe", {AGENT: "approved", OTHER: "pending"})
    shown = jsm("tickets", "show", str(made.id), "-o", "json")
    fields = json.loads(shown.stdout)["fields"]
    assert fields["approval: Aprobación del jefe"] == "pending (agente@acme.test approved, otro@otra.test pending)"


def test_articles_by_search_and_by_page(jsm: Cli, client: Client) -> None:
    """getArticles needs a query; an article is a Confluence page (source.pageId) whose body viewArticle gives,
    without its title: a new process takes the title from the page's heading."""
    [found] = client.articles.search("renovar")
    assert (found.id, found.title, found.collection) == (501, "Cómo renovar el dominio", "AYU")
    shown = jsm("articles", "show", "501", "-o", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["title"] == "Cómo renovar el dominio"
    assert jsm("articles", "show", "999").exit_code == ExitCode.NOT_FOUND


def test_rate_limits_are_waited_out_and_named_when_they_last(client: Client, sim: JsmSim,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Jira Cloud's "Rate limiting": 429 with Retry-After, X-RateLimit-Reset and RateLimit-Reason; a listing retried
    after Retry-After completes, and one whose retries run out says so."""
    for n in range(3):
        client.tickets.create(TicketDraft(subject=f"Límite {n}", body="b"))
    sim.set_limit(2, 1.0, tokens=0.0)
    client.backend.api.session.pacer.low = 0.0  # type: ignore[attr-defined]  # reach the 429 on purpose
    assert len(list(client.tickets.list(TicketQuery(limit=None)))) == 3
    assert sim.count_429 >= 1
    monkeypatch.setenv("PORTALCTL_RETRIES", "0")
    sim.set_limit(1, 30.0, tokens=0.0)
    with pytest.raises(Unavailable, match="jira-burst-based"):
        list(Client(save(sim, name="impatient")).tickets.list(TicketQuery(limit=None)))


def test_the_pacer_reads_jiras_headers_over_the_connectors_window(home: Path) -> None:
    """Jira sends X-RateLimit-Limit and -Remaining but no window or reset on a 200 ("Rate limiting": its request
    limits are per second); with the connector's one-second window the last tokens are spread at the limit's own
    rate (0.1 s apart for 10 a second), not at a per-minute window's (6 s apart)."""
    assert read_budget({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "1"}) == Budget(10, 1, None, None)
    clock, slept = [0.0], []
    pacer = Pacer(clock=lambda: clock[0], sleep=slept.append)
    connector = Client(Profile(name="paced", backend="jsm", url="https://site.atlassian.net", user=CUSTOMER))
    pacer.window = connector.backend.api.session.pacer.window  # type: ignore[attr-defined]
    assert pacer.window == 1.0
    pacer.observe(CaseInsensitiveDict({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "1"}))
    pacer.wait()
    assert slept == [pytest.approx(0.1)]


@pytest.mark.skipif(not all(LIVE.values()),
                    reason="set PORTALCTL_LIVE_JSM_URL, _USER and _TOKEN to run against a real JSM site")
def test_live_read_only_list_and_show(home: Path) -> None:
    SecretStore().set("live", str(LIVE["TOKEN"]))
    client = Client(Profile(name="live", backend="jsm", url=LIVE["URL"], user=LIVE["USER"]))
    assert client.accounts.departments()
    tickets = list(client.tickets.list(TicketQuery(statuses=["all"], limit=3)))
    if tickets:
        assert client.tickets.get(tickets[0].id).id == tickets[0].id
