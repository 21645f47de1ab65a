"""Schemathesis fuzzes every operation of the live server from its own /openapi.json, signed in as an admin:
no 5xx, and every status, content type and body is the one the document declares.

A server of its own: the fuzzer deactivates users, revokes tokens and fails logins from 127.0.0.1.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from portalctl.engine.auth import TokenService
from tests.server.conftest import ADMIN, TIMEOUT, Server, seed_people, seed_tickets, start_server
from tests.stores import KINDS, new_store

# examples per operation: about 40 operations finish in well under a minute on two cores
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


@pytest.fixture(scope="module", params=KINDS)
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("fuzz")
    store = new_store(request.param, folder)
    portal = store.open()
    try:
        seed_people(portal)
        seed_tickets(portal, folder / "files")
        token = TokenService(portal.session(ADMIN)).create(name="fuzz", expires_days=1).token
    finally:
        portal.close()
    server = start_server(store)
    yield server, token
    server.stop()


def test_the_api_keeps_to_its_openapi_document(fuzzed: tuple[Server, str]) -> None:
    """Each operation in turn, with valid and with invalid input (schemathesis' pytest plugin does not load
    with pytest 9's fixtures, so the loop is hypothesis' own)."""
    server, token = fuzzed
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json", timeout=TIMEOUT)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures: list[str] = []
    for operation, (mode, examples) in itertools.product(operations, EXAMPLES.items()):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def call(case: Any) -> None:
            if case.method == "DELETE" and case.path == "/api/v1/auth/tokens/{token_id}":
                case.path_parameters = {"token_id": 10**9}  # never the fuzzer's own token
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=TIMEOUT)

        try:
            call()
        except Unsatisfiable:
            pass  # nothing in this operation can be made invalid (GET /health takes no input)
        except (Exception, BaseExceptionGroup) as exc:  # one operation's failure must not hide the others'
            failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
