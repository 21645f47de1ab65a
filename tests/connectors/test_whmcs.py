"""The WHMCS connector against the WHMCS API simulator (tests/connectors/sim_whmcs.py, a real HTTP server on
127.0.0.1 following https://developers.whmcs.com/api/). Documentation sources are named next to each behaviour;
the simulator's module docstring lists what is assumed rather than documented.
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

from portalctl.backends import whmcs, whmcs_api
from portalctl.backends import whmcs_map as wm
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict, Unavailable, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.secrets import SecretStore
from tests.connectors import vendor_shapes
from tests.connectors.sim_whmcs import IDENTIFIER, SECRET, WhmcsSim

Cli = Callable[..., Result]
TOKEN = f"{IDENTIFIER}:{SECRET}"
CLIENT = "ana@cliente.test"
PROFILE = "whmcs"
LIVE = {k: os.environ.get(f"PORTALCTL_LIVE_WHMCS_{k}") for k in ("URL", "TOKEN", "USER", "ACCESSKEY")}


@pytest.fixture
def sim() -> Iterator[WhmcsSim]:
    server = WhmcsSim().start()
    try:
        yield server
    finally:
        server.stop()
    found = vendor_shapes.whmcs(server.answers)  # the shape of WHMCS's documented example answers
    assert not found, "departs from WHMCS's documented answers:\n" + "\n".join(found[:20])


def profile_for(sim: WhmcsSim, **options: object) -> Profile:
    return Profile(name=PROFILE, backend="whmcs", url=sim.url, user=CLIENT,
                   options={"department": "Soporte Técnico", "backoff": "0.01", "timeout": "10", **options})


@pytest.fixture
def client(sim: WhmcsSim, home: Path) -> Client:
    SecretStore().set(PROFILE, TOKEN)
    return Client(profile_for(sim, page_size="3"))


@pytest.fixture
def wh_cli(cli: Cli, sim: WhmcsSim, home: Path) -> Cli:
    UserConfig().put(profile_for(sim, page_size="2"))
    SecretStore().set(PROFILE, TOKEN)

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input)

    return run


def test_statuses_priorities_and_attachment_ids_map(sim: WhmcsSim, home: Path) -> None:
    backend = whmcs.WhmcsBackend(profile_for(sim, **{"status.Escalated": "on_hold"}), TOKEN)
    statuses = whmcs_api.Statuses(backend.api, profile_for(sim, **{"status.Escalated": "on_hold"}))
    # defaults per GUIDE section 3; labels read from GetSupportStatuses
    assert [statuses.state(s) for s in ("Open", "Customer-Reply", "In Progress", "Answered", "On Hold", "Closed")] \
        == ["open", "open", "open", "pending", "on_hold", "closed"]
    assert statuses.state("Escalated") == "on_hold"  # the profile option wins
    assert whmcs_api.Statuses(backend.api, profile_for(sim)).state("Escalated") == "open"  # an unknown custom status
    assert statuses.write_label("pending") == "Answered" and statuses.write_label("escalated") == "Escalated"
    with pytest.raises(Unsupported, match="no status for 'resolved'"):
        statuses.write_label("resolved")
    with pytest.raises(InvalidInput, match="names no state"):
        whmcs_api.Statuses(backend.api, profile_for(sim, **{"status.X": "bogus"}))
    assert [wm.priority_label(p) for p in ("low", "medium", "high", "urgent")] == ["Low", "Medium", "High", "High"]
    assert wm.api_url("https://billing.example.com/") == "https://billing.example.com/includes/api.php"


def test_create_list_show_reply_close_reopen(client: Client, sim: WhmcsSim, tmp_path: Path) -> None:
    pdf = tmp_path / "factura.pdf"
    pdf.write_bytes(b"%PDF-1.4 " + os.urandom(3000))
    first = client.tickets.create(TicketDraft(subject="Factura duplicada", body="Me cobraron dos veces",
                                              priority="urgent",
                                  attachments=[Upload("factura.pdf", pdf)]))
    assert (first.status, first.status_label, first.priority, first.department) == (
        "open", "Open", "high", "Soporte Técnico")
    assert first.requester == CLIENT and first.fields["number"] and first.created is True
    opened = next(c for c in sim.calls if c["action"] == "OpenTicket")
    # OpenTicket as the profile's client (clientid from GetClientsDetails), priority Low/Medium/High
    assert (opened["clientid"], opened["priority"], opened["deptid"], opened["responsetype"]) == (
        "7", "High", "1", "json")

    others = [client.tickets.create(TicketDraft(subject=f"Caso {n}", body="b", department="2")).id for n in range(6)]
    # GetTickets pages with limitstart/limitnum (page_size 3 -> 3 requests for 7 tickets), newest reply first
    before = len(sim.calls)
    listed = list(client.tickets.list(TicketQuery(limit=None)))
    assert [t.id for t in listed] == [*others[::-1], first.id]
    pages = [c for c in sim.calls[before:] if c["action"] == "GetTickets"]
    assert [(p["limitstart"], p["limitnum"]) for p in pages] == [("0", "3"), ("3", "3"), ("6", "3")]
    in_billing = list(client.tickets.list(TicketQuery(departments=["Facturación"], limit=2)))
    assert [t.id for t in in_billing] == others[:-3:-1] and in_billing[0].department == "Facturación"
    assert sim.calls[-1].get("deptid") == "2"  # one department filters on the server
    # GetTickets' email matches non-client tickets only (gettickets reference), so --requester filters here
    mine = list(client.tickets.list(TicketQuery(requester=CLIENT.upper(), limit=None)))
    assert len(mine) == 7 and "email" not in sim.calls[-1]

    replied = client.tickets.reply(first.id, body="Adjunto el extracto", attachments=[Upload("extracto.pdf", pdf)])
    assert replied.status_label == "Customer-Reply" and replied.status == "open"
    noted = client.tickets.reply(first.id, body="Revisar con banco", internal=True)
    bodies = [(c.body, c.internal) for c in noted.comments or []]
    assert bodies == [("Me cobraron dos veces", False), ("Adjunto el extracto", False), ("Revisar con banco", True)]
    files = client.tickets.attachments(first.id)
    assert [a.filename for a in files] == ["factura.pdf", "extracto.pdf"]
    found, stream = client.tickets.download(first.id, files[1].id)
    assert stream.read() == pdf.read_bytes() and found.size == pdf.stat().st_size

    closed = client.tickets.close(first.id)
    assert (closed.status, closed.status_label) == ("closed", "Closed")
    assert first.id not in [t.id for t in client.tickets.list(TicketQuery(limit=None))]  # closed hidden by default
    with pytest.raises(StateConflict, match="already closed"):
        client.tickets.close(first.id)
    reopened = client.tickets.reopen(first.id)  # WHMCS lets a closed ticket be set back to Open (UpdateTicket)
    assert (reopened.status, reopened.status_label) == ("open", "Open")
    with pytest.raises(StateConflict, match="not closed"):
        client.tickets.reopen(first.id)

    updated = client.tickets.update(first.id, TicketChanges(priority="low", status="pending", department="2"))
    assert (updated.priority, updated.status_label, updated.department) == ("low", "Answered", "Facturación")
    pending = list(client.tickets.list(TicketQuery(statuses=["pending"], limit=None)))
    assert [t.id for t in pending] == [first.id] and sim.calls[-1].get("status") == "Answered"


def test_ccs_departments_and_the_client(client: Client, sim: WhmcsSim) -> None:
    ticket = client.tickets.create(TicketDraft(subject="x", body="y"))
    # CCs through UpdateTicket's cc (https://developers.whmcs.com/api-reference/updateticket/), which replaces the
    # list: one is removed whatever its case; OpenTicket takes none, so a new ticket's CCs cost a second call
    assert client.tickets.cc(ticket.id, add=["boss@example.com", "it@example.com"]).ccs == [
        "boss@example.com", "it@example.com"]
    assert client.tickets.cc(ticket.id, remove=["BOSS@example.com"]).ccs == ["it@example.com"]
    assert sim.calls[-2]["action"] == "UpdateTicket" and sim.calls[-2]["cc"] == "it@example.com"
    with pytest.raises(Unsupported, match="tags"):
        client.tickets.update(ticket.id, TicketChanges(add_tags=["vip"]))
    with pytest.raises(InvalidInput, match="unknown department 'nowhere'"):
        client.tickets.create(TicketDraft(subject="x", body="y", department="nowhere"))
    assert [d.name for d in client.accounts.departments()] == ["Soporte Técnico", "Facturación"]
    me = client.accounts.me()
    assert (me.email, me.name, me.role, me.organization) == (CLIENT, "Ana Pérez", "customer", "Cliente SA")


def test_older_answers_are_read_too() -> None:
    """The reference's GetClientsDetails example flattens the client into `client[...]` keys; replies before 7.5
    name files in an `attachment` string (stored names joined with |)."""
    assert wm.client_details({"result": "success", "client[id]": "9", "client[email]": "x@y.z"}) == {
        "id": "9", "email": "x@y.z"}
    found = wm.attachments({"attachment": "123456_a.pdf|654321_b_c.png"}, "reply", 5, 5, "")
    assert [(a.filename, a.id) for a in found] == [("a.pdf", 5002), ("b_c.png", 5012)]


def test_api_errors_map_to_portal_errors(sim: WhmcsSim, home: Path) -> None:
    good = whmcs.WhmcsBackend(profile_for(sim), TOKEN)
    with pytest.raises(NotFound, match="ticket #404 not found"):  # "Ticket ID Not Found" (updateticket reference)
        good.tickets.get(404)
    with pytest.raises(InvalidInput, match="Message is required"):  # result=error with a message, in one line
        good.tickets.create(TicketDraft(subject="x", body=""))  # openticket reference: "Message is required"
    with pytest.raises(InvalidInput, match="unknown status 'Bogus'"):  # checked against GetSupportStatuses first
        good.tickets.update(good.tickets.create(TicketDraft(subject="x", body="y")).id, TicketChanges(status="Bogus"))
    with pytest.raises(InvalidInput, match=r"Invalid Ticket Status\. Valid statuses are"):  # updateticket reference
        good.api.call("UpdateTicket", ticketid=1, status="Bogus")
    # "Authentication Failed" is PermissionDenied whatever HTTP status carries it
    for status in (403, 200):
        sim.auth_failure_status = status
        with pytest.raises(PermissionDenied, match="Authentication Failed"):
            whmcs.WhmcsBackend(profile_for(sim), f"{IDENTIFIER}:wrong").accounts.departments()
    # "Configuring an Access Key" (developers.whmcs.com/api/access-control/): with $api_access_key set, the key is
    # "passed into all API calls", among the call's parameters ("?action=xxxx&...&accesskey=..."): here in the POST
    # form with `action` and the credential (kept out of the URL, which web-server logs keep)
    locked = WhmcsSim(accesskey="k3y").start()
    try:
        with pytest.raises(PermissionDenied, match="Invalid IP") as refused:
            whmcs.WhmcsBackend(profile_for(locked), TOKEN).accounts.departments()
        assert "accesskey" in (refused.value.hint or "")
        keyed = whmcs.WhmcsBackend(profile_for(locked, accesskey="k3y"), TOKEN)
        assert len(keyed.accounts.departments()) == 2
        assert all(c.get("accesskey") == "k3y" for c in locked.calls[1:])
    finally:
        locked.stop()
    with pytest.raises(PermissionDenied, match="IDENTIFIER:SECRET"):
        whmcs.WhmcsBackend(profile_for(sim), "no-colon")


def test_429_is_retried_with_and_without_retry_after(client: Client, sim: WhmcsSim) -> None:
    client.tickets.create(TicketDraft(subject="busy", body="b"))
    sim.fail_next(2)  # no Retry-After: backoff (0.01 s here)
    assert [t.subject for t in client.tickets.list(TicketQuery())] == ["busy"]
    sim.fail_next(1, retry_after="1")
    started = time.monotonic()
    assert client.tickets.create(TicketDraft(subject="after wait", body="b")).subject == "after wait"
    assert time.monotonic() - started >= 1.0
    assert [c["action"] for c in sim.calls].count("OpenTicket") == 2  # a 429 is refused before any work
    sim.fail_next(50)
    with pytest.raises(Unavailable, match="429"):
        list(client.tickets.list(TicketQuery()))
    sim.fail_next(0)


def test_cli_end_to_end(wh_cli: Cli, sim: WhmcsSim, tmp_path: Path) -> None:
    attachment = tmp_path / "log.txt"
    attachment.write_text("error 500 at checkout\n")
    ids = []
    for n in range(5):
        result = wh_cli("tickets", "create", "--subject", f"Pedido {n}", "--body", "No carga", "--priority", "high",
                        "-o", "json")
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout)["id"])
    listed = wh_cli("tickets", "list", "--all", "-o", "json")
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.stdout)] == ids[::-1]  # 3 pages of 2
    number = str(ids[0])
    replied = wh_cli("tickets", "reply", number, "--body", "Adjunto log", "--attach", str(attachment))
    assert replied.exit_code == 0, replied.output
    shown = json.loads(wh_cli("tickets", "show", number, "-o", "json").stdout)
    assert [c["body"] for c in shown["comments"]] == ["No carga", "Adjunto log"]
    assert [a["filename"] for a in shown["attachments"]] == ["log.txt"]
    closed = wh_cli("tickets", "close", number, "-o", "json")
    assert closed.exit_code == 0 and json.loads(closed.stdout)["status"] == "closed"
    reopened = wh_cli("tickets", "reopen", number, "-o", "json")
    assert reopened.exit_code == 0 and json.loads(reopened.stdout)["status_label"] == "Open"
    again = wh_cli("tickets", "reopen", number)
    assert again.exit_code == ExitCode.CONFLICT

    articles = wh_cli("articles", "search", "factura")
    assert articles.exit_code == ExitCode.ERROR and "no knowledge-base action" in articles.stderr
    unknown = wh_cli("tickets", "show", "9999")
    assert unknown.exit_code == ExitCode.NOT_FOUND and "ticket #9999 not found" in unknown.stderr
    bad = wh_cli("tickets", "list", env={"PORTALCTL_TOKEN": f"{IDENTIFIER}:nope"})
    assert bad.exit_code == ExitCode.AUTH and "Authentication Failed" in bad.stderr

    sim.fail_next(1, retry_after="1")
    busy = wh_cli("tickets", "list", "-o", "json")
    assert busy.exit_code == 0 and len(json.loads(busy.stdout)) == 5


def test_export_tickets_to_csv_as_a_real_process(wh_cli: Cli, sim: WhmcsSim, tmp_path: Path) -> None:
    for n in range(3):
        assert wh_cli("tickets", "create", "--subject", f"=export {n}", "--body", "b",
                      "--priority", "low").exit_code == 0
    target = tmp_path / "tickets.csv"
    env = {**os.environ, "PORTALCTL_PROFILE": PROFILE, "NO_COLOR": "1", "PORTALCTL_TOKEN": TOKEN}
    done = subprocess.run([sys.executable, "-m", "portalctl", "export", "tickets", "-o", str(target)],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3
    assert {(row["status"], row["priority"], row["department"]) for row in rows} == {
        ("open", "low", "Soporte Técnico")}
    assert not any(row["subject"].startswith("=") for row in rows)  # formula injection neutralised


def test_auth_login_checks_the_credential(cli: Cli, sim: WhmcsSim, home: Path) -> None:
    login = ("auth", "login", "--name", "billing", "--backend", "whmcs", "--url", sim.url, "--user", CLIENT,
             "--option", "department=1", "--with-token")
    refused = cli(*login, input=f"{IDENTIFIER}:wrong\n")
    assert refused.exit_code == ExitCode.AUTH
    result = cli(*login, input=TOKEN + "\n")
    assert result.exit_code == 0, result.output
    assert "Ana Pérez <ana@cliente.test> (customer)" in result.stderr


@pytest.mark.skipif(not (LIVE["URL"] and LIVE["TOKEN"] and LIVE["USER"]),
                    reason="set PORTALCTL_LIVE_WHMCS_URL, _TOKEN (IDENTIFIER:SECRET) and _USER (a client e-mail) "
                           "to run against a real WHMCS")
def test_live_read_only_list_and_show() -> None:
    options = {"accesskey": LIVE["ACCESSKEY"]} if LIVE["ACCESSKEY"] else {}
    profile = Profile(name="live-whmcs", backend="whmcs", url=LIVE["URL"], user=LIVE["USER"], options=options)
    backend = whmcs.WhmcsBackend(profile, LIVE["TOKEN"])
    tickets = list(backend.tickets.list(TicketQuery(statuses=["all"], limit=5)))
    if tickets:
        shown = backend.tickets.get(tickets[0].id)
        assert shown.id == tickets[0].id and shown.comments is not None


def test_a_message_without_files_lists_no_attachment(client: Client, sim: WhmcsSim, tmp_path: Path) -> None:
    """GetTicket's reference example (https://developers.whmcs.com/api-reference/getticket/, WHMCS 7.10+) writes a
    reply or note without files as `"attachments": [[]]`; that inner `[]` is no file. Files an admin deleted keep
    their names with `attachments_removed: true` (the first reply of the same example): nothing to download."""
    pdf = tmp_path / "contrato.pdf"
    pdf.write_bytes(b"%PDF-1.4 contrato")
    ticket = client.tickets.create(TicketDraft(subject="Alta", body="Sin adjuntos"))
    client.tickets.reply(ticket.id, body="Con adjunto", attachments=[Upload("contrato.pdf", pdf)])
    client.tickets.reply(ticket.id, body="Nota sin adjuntos", internal=True)
    raw = sim.do_GetTicket({"ticketid": str(ticket.id)})
    assert raw["replies"]["reply"][0]["attachments"] == [[]]  # the simulator answers as the reference shows
    assert [a.filename for a in client.tickets.attachments(ticket.id)] == ["contrato.pdf"]

    reply_id = int(raw["replies"]["reply"][1]["replyid"])  # a string in the reference's example, as here
    sim.remove_files("reply", reply_id)
    assert client.tickets.attachments(ticket.id) == []


def test_listings_see_every_department_whatever_the_api_user_is_assigned(client: Client, sim: WhmcsSim) -> None:
    """GetTickets honours the API user's department assignments unless `ignore_dept_assignments` is true ("Pass as
    true to not adhere to the departments the API user is a member of",
    https://developers.whmcs.com/api-reference/gettickets/): without it a ticket in another department would be
    missing from listings and exports without an error."""
    support = client.tickets.create(TicketDraft(subject="Soporte", body="b", department="1"))
    billing = client.tickets.create(TicketDraft(subject="Factura", body="b", department="2"))
    sim.assigned_departments = {1}
    assert {t.id for t in client.tickets.list(TicketQuery(limit=None))} == {support.id, billing.id}
    only_billing = list(client.tickets.list(TicketQuery(departments=["Facturación"], limit=None)))
    assert [t.id for t in only_billing] == [billing.id]
