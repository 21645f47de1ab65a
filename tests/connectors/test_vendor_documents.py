"""The judges of the simulators: each must refuse what departs from the vendor's own document or SDK.

Zendesk: tests/connectors/zendesk_oas.py holds every request and answer to Zendesk's Support OpenAPI document (the
facts kept in tests/vendor/zendesk/); HubSpot: hubspot_sdk.py, HubSpot's SDK models; WHMCS and Freshdesk:
vendor_shapes.py, the shape of their documented example answers. The fixtures of each platform's tests and of the
contract suite fail their test on any problem a judge finds; these tests show that each finds them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from tests.connectors import hubspot_sdk, openapi_facts, sim_freshdesk, sim_whmcs, vendor_shapes, zendesk_oas
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


def test_a_help_center_answer_is_held_to_its_own_document(judged: tuple[ZendeskSim, Judge, requests.Session,
                                                                         requests.Session]) -> None:
    sim, judge, customer, _ = judged
    aid = sim.add_article("Cómo renovar el dominio", "Pasos")
    assert customer.get(f"{sim.url}/api/v2/help_center/articles/{aid}", timeout=10).ok
    assert judge.problems == []
    del sim.articles[aid]["permission_group_id"]  # the Help Center document's ArticleObject requires it
    customer.get(f"{sim.url}/api/v2/help_center/articles/{aid}", timeout=10)
    customer.get(f"{sim.url}/api/v2/help_center/articles/search", params={"query": "x", "section": "dominios"},
                 timeout=10)  # section: the id of a section, an integer
    found = "\n".join(judge.problems)
    assert f"answer 200 to GET /api/v2/help_center/articles/{aid}: $.article: 'permission_group_id'" in found
    assert "request GET /api/v2/help_center/articles/search: " in found


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


# HubSpot: tests/connectors/hubspot_sdk.py holds every request body to the model HubSpot's SDK (hubspot-api-client,
# Apache-2.0, generated from HubSpot's specs) takes for that call; test_hubspot.py and the contract suite fail on
# any problem. These bodies are the connector's own, each with one thing wrong.
NOTE = {"properties": {"hs_note_body": "b", "hs_timestamp": "2026-11-20T10:00:00Z"},
        "associations": [{"to": {"id": "7"}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                         "associationTypeId": 228}]}]}


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_hubspot_request_bodies_are_held_to_the_sdk_models() -> None:
    assert hubspot_sdk.check_request("POST", "/crm/v3/objects/notes", "application/json", body(NOTE)) == []
    wrong = json.loads(json.dumps(NOTE))
    wrong["associations"][0]["types"][0]["associationCategory"] = "DEFINED"
    [problem] = hubspot_sdk.check_request("POST", "/crm/v3/objects/notes", "application/json", body(wrong))
    assert "association_category" in problem
    # Batch read: BatchReadInputSimplePublicObjectId requires propertiesWithHistory (the connector sent none)
    read = {"properties": ["hs_note_body"], "inputs": [{"id": "1"}]}
    assert hubspot_sdk.check_request("POST", "/crm/v3/objects/notes/batch/read", "application/json", body(read))
    read["propertiesWithHistory"] = []
    assert hubspot_sdk.check_request("POST", "/crm/v3/objects/notes/batch/read", "application/json", body(read)) == []
    search = {"filterGroups": [{"filters": [{"propertyName": "subject", "operator": "CONTAINS", "value": "x"}]}],
              "sorts": [{"propertyName": "createdate", "direction": "DOWN"}], "limit": "3", "after": "0"}
    found = hubspot_sdk.check_request("POST", "/crm/v3/objects/tickets/search", "application/json", body(search))
    assert any("operator" in p for p in found) and "$.limit: int expected, not str '3'" in found
    assert "$.sorts[0]: not a sort" in found
    assert hubspot_sdk.check_request("PATCH", "/crm/v3/objects/tickets/9", "application/json",
                                     body({"properties": {"hs_pipeline_stage": 4}})) == [
        "$.properties.hs_pipeline_stage: str expected, not int 4"]


def test_a_hubspot_upload_sends_the_fields_of_the_sdks_files_api() -> None:
    def form(*fields: tuple[str, str]) -> tuple[str, bytes]:
        parts = b"".join(f'--B\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
                         for n, v in fields)
        return "multipart/form-data; boundary=B", parts + b"--B--\r\n"

    good = form(("file", "x"), ("folderPath", "/portalctl"), ("options", '{"access": "PRIVATE"}'))
    assert hubspot_sdk.check_upload(*good) == []
    both = form(("file", "x"), ("folderPath", "/p"), ("folderId", "1"), ("folder", "/p"))
    assert hubspot_sdk.check_upload(*both) == ["form field 'folder' is not one FilesApi.upload sends",
                                               "exactly one of folderId and folderPath"]


# WHMCS and Freshdesk publish no OpenAPI document: tests/connectors/vendor_shapes.py holds their simulators'
# answers to the keys and types of the vendors' documented example answers (tests/vendor/*/answers.json).
def test_a_whmcs_answer_that_drifts_from_the_documented_shape_is_found() -> None:
    sim = sim_whmcs.WhmcsSim()
    sim.tickets[1] = sim_whmcs.SimTicket(id=1, tid="480007", deptid=1, userid=7, name="Ana", email="a@b.test",
                                         subject="s", status="Open", priority="Low", date="2026-01-05 09:00:00",
                                         lastreply="2026-01-05 09:00:00")
    sim.tickets[1].replies.append({"replyid": 0, "userid": 7, "name": "Ana", "email": "a@b.test", "admin": "",
                                   "date": "2026-01-05 09:00:00", "message": "m", "attachment": "",
                                   "attachments": [[]], "attachments_removed": False})
    answer = {"result": "success", **sim.do_GetTicket({"ticketid": "1"})}
    assert vendor_shapes.whmcs([("GetTicket", 200, answer)]) == []
    answer["ticketid"] = 1  # GetTicket's example answer gives ids as strings ("ticketid": "1")
    del answer["replies"]["reply"][0]["requestor_type"]
    answer["replies"]["reply"][0]["attachments"] = [["x"]]  # neither a file nor the empty [] of "no files"
    found = vendor_shapes.whmcs([("GetTicket", 200, answer), ("GetTicketCounts", 200, {"result": "success"})])
    assert "GetTicket: $.ticketid: 1 is not of type 'string'" in found
    assert "GetTicket: $.replies.reply[0]: 'requestor_type' is a required property" in found
    assert any(p.startswith("GetTicket: $.replies.reply[0].attachments[0]") for p in found)
    assert "GetTicketCounts: no documented shape" in found


def test_freshdesk_answers_and_pages_keep_the_documented_shape() -> None:
    with sim_freshdesk.Simulator() as sim:
        for n in range(3):
            sim.seed_ticket(subject=f"Caso {n}", email="ana@cliente.test", created=datetime.now(UTC))
        session = requests.Session()
        session.auth = (sim_freshdesk.API_KEY, "X")
        first = session.get(f"{sim.url}/api/v2/tickets", params={"per_page": 2}, timeout=10)
        # "Pagination": the `link` header holds the next page's URL, and is not set on the last page
        assert re.fullmatch(r'<[^>]+[?&]page=2[^>]*>; ?rel="next"', first.headers["Link"])
        last = session.get(first.headers["Link"].split(">")[0][1:], timeout=10)
        assert len(last.json()) == 1 and "Link" not in last.headers
        assert session.get(f"{sim.url}/api/v2/tickets", params={"per_page": 101}, timeout=10).status_code == 400
        assert vendor_shapes.freshdesk(sim.state.answers) == []
    listed = sim.state.answers[0][3][0]  # a ticket the simulator listed above, drifted three ways
    viewed = {**listed, "status": "2", "attachments": [{"id": 1, "name": "a.pdf", "content_type": "x",
                                                       "attachment_url": "u", "created_at": "t", "updated_at": "t"}]}
    del viewed["due_by"]
    found = vendor_shapes.freshdesk([("GET", "/api/v2/tickets/1", 200, viewed)])
    assert "view_ticket: $.status: '2' is not of type 'integer'" in found
    assert "view_ticket: $: 'due_by' is a required property" in found
    assert any(p.startswith("view_ticket: $.attachments[0]: ") for p in found)  # neither size nor file_size


def test_the_facts_of_a_document_keep_fields_named_like_prose() -> None:
    # A request's `description` and a ticket's `tags` are fields (Zendesk's RequestObject, TicketObject): only the
    # document's own descriptions, examples and extensions go
    schema = {"type": "object", "description": "A ticket", "example": {"id": 1}, "x-internal": True,
              "properties": {"description": {"type": "string", "description": "The first comment"},
                             "tags": {"type": "array", "items": {"type": "string"}}}}
    assert openapi_facts.facts({"schemas": {"TicketObject": schema}}) == {"schemas": {"TicketObject": {
        "type": "object", "properties": {"description": {"type": "string"},
                                         "tags": {"type": "array", "items": {"type": "string"}}}}}}
    kept = zendesk_oas.document()["components"]["schemas"]
    assert {"description", "tags"} <= set(kept["TicketObject"]["properties"])
