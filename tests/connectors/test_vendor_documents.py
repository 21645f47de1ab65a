"""The judges of the simulators: each must refuse what departs from the vendor's own document.

Zendesk: tests/connectors/zendesk_oas.py holds every request and answer to Zendesk's Support OpenAPI document (the
facts kept in tests/vendor/zendesk/). The fixtures of test_zendesk.py, test_zendesk_agent.py and the contract
suite fail their test on any problem it finds; these tests show it finds them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.connectors.sim_zendesk import ZendeskSim
from tests.connectors.zendesk_oas import Judge

EMAIL, TOKEN, AGENT_TOKEN = "ana@cliente.test", "zd-token", "zd-agent-token"


@pytest.fixture
def judged() -> Iterator[tuple[ZendeskSim, Judge, requests.Session, requests.Session]]:
    sim = ZendeskSim()
    sim.add_user(EMAIL, "Ana Cliente", token=TOKEN)
    sim.tokens["agent@acme.zendesk.test"] = AGENT_TOKEN
    judge = Judge()
    sim.judge = judge.check
    customer, agent = requests.Session(), requests.Session()
    customer.auth = (f"{EMAIL}/token", TOKEN)
    agent.auth = ("agent@acme.zendesk.test/token", AGENT_TOKEN)
    with sim.serving():
        yield sim, judge, customer, agent


def test_documented_requests_and_answers_pass(judged: tuple[ZendeskSim, Judge, requests.Session,
                                                            requests.Session]) -> None:
    sim, judge, customer, _ = judged
    made = customer.post(f"{sim.url}/api/v2/requests", json={"request": {"subject": "s", "comment": {"body": "b"}}},
                         timeout=10)
    assert made.status_code == 201
    assert customer.get(f"{sim.url}/api/v2/requests", params={"page[size]": 2}, timeout=10).ok
    assert (judge.checked, judge.problems) == (2, [])


def test_an_answer_that_departs_from_the_document_is_found(judged: tuple[ZendeskSim, Judge, requests.Session,
                                                                         requests.Session]) -> None:
    sim, judge, customer, _ = judged
    made = customer.post(f"{sim.url}/api/v2/requests", json={"request": {"subject": "s", "comment": {"body": "b"}}},
                         timeout=10).json()["request"]
    sim.requests[made["id"]]["status"] = 2  # RequestObject.status is a string ("open"), not Freshdesk's number
    sim.requests[made["id"]]["can_be_solved_by_me"] = "yes"  # a boolean in the document
    customer.get(f"{sim.url}/api/v2/requests/{made['id']}", timeout=10)
    [problem] = judge.problems
    assert problem.startswith(f"answer 200 to GET /api/v2/requests/{made['id']}")
    assert "$.request.status" in problem and "$.request.can_be_solved_by_me" in problem


def test_a_request_that_departs_from_the_document_is_found(judged: tuple[ZendeskSim, Judge, requests.Session,
                                                                         requests.Session]) -> None:
    sim, judge, customer, agent = judged
    made = customer.post(f"{sim.url}/api/v2/requests", json={"request": {"subject": "s", "comment": {"body": "b"}}},
                         timeout=10).json()["request"]
    agent.put(f"{sim.url}/api/v2/tickets/{made['id']}", json={"ticket": {"status": "waiting"}}, timeout=10)
    customer.get(f"{sim.url}/api/v2/requests", params={"page[size]": 0}, timeout=10)  # page[size] minimum 1
    customer.get(f"{sim.url}/api/v2/request_list", timeout=10)  # no such path in the document
    customer.post(f"{sim.url}/api/v2/uploads", data=b"x", timeout=10)  # filename is required
    found = "\n".join(judge.problems)
    assert f"request PUT /api/v2/tickets/{made['id']}: $.ticket.status" in found
    assert "request GET /api/v2/requests: " in found
    assert "request GET /api/v2/request_list: " in found
    assert "request POST /api/v2/uploads: " in found
