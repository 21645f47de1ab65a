"""Zendesk for the support team (backends/zendesk_agent.py) against the simulator's agent side (sim_zendesk_agent.py,
which names the Zendesk reference pages it follows: Tickets, Ticket Comments, Search, Incremental Exports)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft, TicketQuery
from portalctl.secrets import SecretStore
from tests.connectors.sim_zendesk import ZendeskSim
from tests.connectors.zendesk_oas import Judge

AGENT, CUSTOMER = "agent@acme.zendesk.test", "ana@cliente.test"


@pytest.fixture
def sim() -> Iterator[ZendeskSim]:
    simulator = ZendeskSim()
    simulator.tokens[AGENT] = "agent-token"
    simulator.add_user(CUSTOMER, "Ana Cliente", token="ana-token")
    judge = Judge()
    simulator.judge = judge.check
    with simulator.serving():
        yield simulator
    assert not judge.problems, f"departs from Zendesk's Support OpenAPI document:\n{judge.verdict()}"


def profile(sim: ZendeskSim, name: str, user: str, token: str, **options: str) -> Client:
    saved = Profile(name=name, backend="zendesk", url=sim.url, user=user,
                    options={"backoff": "0.05", "timeout": "10", **options})
    UserConfig().put(saved)
    SecretStore().set(name, token)
    return Client(saved)


def export(cli: Callable[..., Result], out: Path, state: Path) -> list[int]:
    result = cli("export", "tickets", "-o", str(out), "--incremental", str(state), env={"PORTALCTL_PROFILE": "team"})
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        return [int(row["id"]) for row in csv.DictReader(handle)]


def test_an_agent_token_is_found_from_users_me_and_sees_every_requester(sim: ZendeskSim, home: Path) -> None:
    customer = profile(sim, "ana", CUSTOMER, "ana-token")
    made = customer.tickets.create(TicketDraft(subject="Factura rechazada", body="La DIAN la rechaza"))
    team = profile(sim, "team", AGENT, "agent-token")  # no role option: GET /users/me says "agent"
    [listed] = team.tickets.list(TicketQuery(statuses=["all"]))
    assert (listed.id, listed.requester) == (made.id, CUSTOMER)
    assert "GET /api/v2/users/me" in sim.log and any(line.startswith("GET /api/v2/search") for line in sim.log)


def test_an_internal_note_reaches_the_team_and_never_the_customer(sim: ZendeskSim, home: Path) -> None:
    customer = profile(sim, "ana", CUSTOMER, "ana-token", role="end-user")
    made = customer.tickets.create(TicketDraft(subject="Pedido", body="¿Dónde está?"))
    team = profile(sim, "team", AGENT, "agent-token", role="agent")
    noted = team.tickets.reply(made.id, body="Cliente VIP: priorizar", internal=True)
    assert [(c.body, c.internal) for c in noted.comments or []][-1] == ("Cliente VIP: priorizar", True)
    # "comment.public: false" (Update Ticket): the Requests API shows the requester public comments only
    assert [c.body for c in customer.tickets.get(made.id).comments or []] == ["¿Dónde está?"]


def test_past_the_search_cap_the_listing_walks_the_incremental_export(sim: ZendeskSim, home: Path) -> None:
    """Search answers 1,000 results at most (page 11 of 100 is 422); a listing of all 1,200 must still be whole."""
    requester = sim.add_user("bulk@cliente.test", "Bulk")
    sim.bulk_requests(1200, requester)
    team = profile(sim, "team", AGENT, "agent-token", role="agent", incremental_window="0.5")
    assert len(list(team.tickets.list(TicketQuery(statuses=["all"], limit=50)))) == 50  # within the cap: Search
    assert not any("/incremental/" in line for line in sim.log)
    everything = [t.id for t in team.tickets.list(TicketQuery(statuses=["all"], limit=None, sort="id"))]
    assert everything == sorted(sim.requests)
    assert any("/incremental/tickets/cursor" in line for line in sim.log)


def test_a_nightly_export_resumes_from_its_cursor(sim: ZendeskSim, home: Path, cli: Callable[..., Result],
                                                  tmp_path: Path) -> None:
    """The first run exports every ticket; the next reads from the saved cursor and finds only the changed one.
    A change in the export's last minute waits for a later run (Incremental Exports: "items that were created or
    changed within the minute prior to your request are excluded")."""
    requester = sim.add_user("bulk@cliente.test", "Bulk")
    sim.bulk_requests(30, requester)
    profile(sim, "team", AGENT, "agent-token", role="agent", incremental_window="0.5")
    state = tmp_path / "state.json"
    assert sorted(export(cli, tmp_path / "one.csv", state)) == sorted(sim.requests)
    assert json.loads(state.read_text())["position"]["cursor"]
    changed = sorted(sim.requests)[3]
    sim.requests[changed]["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    assert export(cli, tmp_path / "two.csv", state) == []  # changed within the last minute: not yet
    sim.export_lag = 0.0
    assert export(cli, tmp_path / "three.csv", state) == [changed]


def test_the_export_limit_answers_429_and_the_export_still_completes(sim: ZendeskSim, home: Path) -> None:
    """10 requests a minute on the export (here 1 a second); a profile that names a faster limit meets 429 with
    Retry-After, waits, and loses nothing."""
    requester = sim.add_user("bulk@cliente.test", "Bulk")
    sim.bulk_requests(2500, requester)
    sim.export_limit, sim.export_window = 1, 1.0
    team = profile(sim, "team", AGENT, "agent-token", role="agent", incremental_limit="100", incremental_window="1")
    feed = team.tickets.changes(TicketQuery(statuses=["all"], limit=None), None)  # type: ignore[attr-defined]
    assert len({t.id for t in feed.tickets}) == 2500
    assert sim.count_429 >= 1


def test_a_cut_listing_says_the_search_count_or_more_than(sim: ZendeskSim, home: Path,
                                                          cli: Callable[..., Result]) -> None:
    """Search's `count` (Zendesk's Search reference: "count: the number of resources returned by the query") is the
    total where Search applied every filter; with words, which portalctl matches again itself, no total is said."""
    from portalctl.iostreams import IOStreams

    customer = profile(sim, "ana", CUSTOMER, "ana-token", role="end-user")
    for number in range(3):
        customer.tickets.create(TicketDraft(subject=f"Pedido {number}", body="¿Dónde está?"))
    profile(sim, "team", AGENT, "agent-token", role="agent")
    for args, said in ((["--limit", "1"], "Showing 1 of 3 tickets"),
                       (["--limit", "2", "--search", "Pedido"], "Showing 2 of more than 2 tickets")):
        io = IOStreams.fake(tty=True)
        result = cli("tickets", "list", *args, env={"PORTALCTL_PROFILE": "team"}, io=io)
        assert result.exit_code == 0, io.err.getvalue()
        assert io.err.getvalue() == f"{said} — use --all or --limit N\n"
