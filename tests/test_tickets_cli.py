"""`portalctl tickets ...` as a user runs it: through click's runner (stdout and stderr apart) and, for a smoke
path, as a real process. Each test checks what a user notices: the exit code, the message on stderr, the data on
stdout, and what is stored in the portal afterwards.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from portalctl.contract import TicketChanges, TicketDraft
from portalctl.demo_data import sample_pdf
from portalctl.engine.portal import Portal, Session
from portalctl.exitcodes import ExitCode
from portalctl.model import FieldDef, Ticket
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO

AsUser = Callable[[str], Session]
Cli = Callable[..., Result]


# --- helpers -------------------------------------------------------------------------------------------------


def not_found(ticket_id: int, fmt: str) -> str:
    """The error for a ticket one cannot see: text, or one JSON object when JSON output was asked for."""
    if fmt == "json":
        return json.dumps({"code": "not_found", "message": f"no ticket #{ticket_id}",
                           "hint": "see 'portalctl tickets list'", "exit": 3}) + "\n"
    return f"Error: no ticket #{ticket_id}\nHint: see 'portalctl tickets list'\n"


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def listed(cli: Cli, *args: str, user: str = AGENT) -> list[dict[str, Any]]:
    """`tickets list ... -o json` parsed."""
    records: list[dict[str, Any]] = json.loads(ok(cli("tickets", "list", *args, "-o", "json", user=user)).stdout)
    return records


def ids(cli: Cli, *args: str, user: str = AGENT) -> list[int]:
    return [record["id"] for record in listed(cli, *args, user=user)]


def shown(cli: Cli, ticket_id: int, user: str = AGENT) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(ok(cli("tickets", "show", str(ticket_id), "-o", "json", user=user)).stdout)
    return record


def make(as_user: AsUser, user: str = ANA, subject: str = "Factura 5412 rechazada",
         body: str = "El valor FOB no cuadra", **options: Any) -> Ticket:
    return as_user(user).tickets.create(TicketDraft(subject=subject, body=body, **options))


def set_status(as_user: AsUser, ticket_id: int, status: str) -> None:
    as_user(AGENT).tickets.update(ticket_id, TicketChanges(status=status))


def db_row(portal: Portal, ticket_id: int) -> dict[str, Any]:
    return dict(portal.conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone())


def count(portal: Portal, table: str = "tickets") -> int:
    return int(portal.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def sql(portal: Portal, statement: str, *params: Any) -> None:
    """Change the real portal file behind the engine's back, as time passing would."""
    with sqlite3.connect(portal.location) as conn:
        conn.execute(statement, params)


FIELD = FieldDef(key="x", label="X", type="text", required=False, choices=[], pattern=None, customer_editable=True,
                 department=None, description=None)


def add_field(as_user: AsUser, key: str, **options: Any) -> None:
    as_user(ADMIN).accounts.add_field(replace(FIELD, key=key, label=key.title(), **options))


# --- create --------------------------------------------------------------------------------------------------


class TestCreate:
    def test_prints_the_new_id_on_stdout_and_a_sentence_on_stderr(self, portal: Portal, cli: Cli) -> None:
        result = ok(cli("tickets", "create", "--subject", "VPN caída", "--body", "Desde las 9:00", user=ANA))
        assert result.stdout == "1\n"
        assert result.stderr.startswith("Created ticket #1: VPN caída (due ")
        assert shown(cli, 1)["requester"] == ANA

    def test_json_output_is_the_ticket(self, portal: Portal, cli: Cli) -> None:
        result = ok(cli("tickets", "create", "--subject", "Cambio en formulario 5412", "--body", "Corregir FOB",
                        "--priority", "high", "--type", "incident", "--department", "Soporte Web",
                        "--tag", "Aduana", "--cc", BOB, "-o", "json", user=ANA))
        ticket = json.loads(result.stdout)
        assert {k: ticket[k] for k in ("id", "subject", "status", "priority", "type", "department", "tags", "ccs",
                                       "organization")} == {
            "id": 1, "subject": "Cambio en formulario 5412", "status": "new", "priority": "high", "type": "incident",
            "department": "soporte-web", "tags": ["aduana"], "ccs": [BOB], "organization": "acme",
        }
        assert ticket["comments"][0]["body"] == "Corregir FOB"
        assert ticket["due_at"] > ticket["created_at"]

    def test_the_body_can_come_from_stdin(self, portal: Portal, cli: Cli) -> None:
        ok(cli("tickets", "create", "--subject", "CI failure", "--body-file", "-", input="build 311 failed\n"))
        assert shown(cli, 1)["comments"][0]["body"] == "build 311 failed\n"

    def test_the_body_can_come_from_a_file(self, tmp_path: Path, portal: Portal, cli: Cli) -> None:
        notes = tmp_path / "notes.md"
        notes.write_text("# Pasos\n1. Abrir el formulario\n", encoding="utf-8")
        ok(cli("tickets", "create", "--subject", "Pasos", "--body-file", str(notes)))
        assert shown(cli, 1)["comments"][0]["body"] == "# Pasos\n1. Abrir el formulario\n"

    def test_body_and_body_file_together_are_refused(self, tmp_path: Path, portal: Portal, cli: Cli) -> None:
        notes = tmp_path / "notes.md"
        notes.write_text("x", encoding="utf-8")
        result = cli("tickets", "create", "--subject", "s", "--body", "b", "--body-file", str(notes))
        assert result.exit_code == ExitCode.USAGE
        assert "pass --body or --body-file, not both" in result.stderr
        assert count(portal) == 0

    @pytest.mark.parametrize(
        ("args", "env", "flag"),
        [
            (("--no-input", "tickets", "create", "--body", "x"), {}, "--subject"),
            (("tickets", "create", "--body", "x"), {"CI": "true"}, "--subject"),
            (("--no-input", "tickets", "create", "--subject", "x"), {}, "--body or --body-file"),
        ],
    )
    def test_a_missing_value_without_a_terminal_fails_naming_the_flag(
        self, portal: Portal, cli: Cli, args: tuple[str, ...], env: dict[str, str], flag: str
    ) -> None:
        result = cli(*args, env=env)
        assert result.exit_code == ExitCode.USAGE
        assert f"Error: missing {flag}" in result.stderr
        assert result.stdout == ""
        assert count(portal) == 0

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            (("--priority", "critical"), ExitCode.USAGE, "Invalid value for '--priority'"),
            (("--type", "complaint"), ExitCode.USAGE, "Invalid value for '--type'"),
            (("--department", "Ventas"), ExitCode.USAGE, "Error: unknown department 'Ventas'"),
            (("--cc", "not-an-email"), ExitCode.USAGE, "Error: not an e-mail address: 'not-an-email'"),
            (("--field", "user_code"), ExitCode.USAGE, "'user_code' is not KEY=VALUE"),
            (("--field", "colour=red"), ExitCode.USAGE, "Error: unknown field colour"),
            (("--follow-up-of", "99"), ExitCode.NOT_FOUND, "Error: no ticket #99"),
        ],
    )
    def test_bad_input_fails_with_a_clear_message_and_creates_nothing(
        self, portal: Portal, cli: Cli, args: tuple[str, ...], code: ExitCode, message: str
    ) -> None:
        result = cli("tickets", "create", "--subject", "s", "--body", "b", *args, user=ANA)
        assert result.exit_code == code
        assert message in result.stderr
        assert result.stdout == ""
        assert count(portal) == 0

    def test_a_customer_cannot_open_for_someone_else(self, portal: Portal, cli: Cli) -> None:
        result = cli("tickets", "create", "--subject", "s", "--body", "b", "--requester", BOB, user=ANA)
        assert result.exit_code == ExitCode.AUTH
        assert "only agents may open tickets for someone else" in result.stderr
        assert count(portal) == 0

    def test_an_agent_opens_for_a_customer(self, portal: Portal, cli: Cli) -> None:
        ok(cli("tickets", "create", "--subject", "Llamada", "--body", "Por teléfono", "--requester", CARLA,
               user=AGENT))
        assert ids(cli, user=CARLA) == [1]


class TestCreateWithCustomFields:
    @pytest.fixture(autouse=True)
    def vai_fields(self, as_user: AsUser) -> None:
        add_field(as_user, "user_code", pattern=r"\d{4}", required=True, description="Su código VAI de 4 dígitos")
        add_field(as_user, "topic", type="choice", choices=["Importaciones", "Exportaciones"])
        add_field(as_user, "country", customer_editable=False)

    def create(self, cli: Cli, *fields: str) -> Result:
        pairs = [arg for pair in fields for arg in ("--field", pair)]
        return cli("tickets", "create", "--subject", "Formulario 5412", "--body", "Cambio", *pairs, user=ANA)

    def test_valid_fields_are_stored(self, portal: Portal, cli: Cli) -> None:
        ok(self.create(cli, "user_code=0042", "topic=Importaciones", "country=ES"))
        assert shown(cli, 1)["fields"] == {"user_code": "0042", "topic": "Importaciones", "country": "ES"}

    @pytest.mark.parametrize(
        ("fields", "message", "hint"),
        [
            ((), "Error: missing required field user_code", "Hint: pass --field user_code=VALUE"),
            (("user_code=42",), r"Error: field user_code: '42' does not match the pattern \d{4}",
             "Hint: Su código VAI de 4 dígitos"),
            (("user_code=0042", "topic=Turismo"), "Error: field topic: 'Turismo' is not one of its choices",
             "Hint: choices: Importaciones, Exportaciones"),
            (("user_code=0042", "brand=Acme"), "Error: unknown field brand", "Hint: fields here: user_code, topic"),
        ],
    )
    def test_bad_fields_fail_with_exit_2_and_create_nothing(
        self, portal: Portal, cli: Cli, fields: tuple[str, ...], message: str, hint: str
    ) -> None:
        result = self.create(cli, *fields)
        assert result.exit_code == ExitCode.USAGE
        assert message in result.stderr
        assert hint in result.stderr
        assert result.stdout == ""
        assert count(portal) == 0

    def test_a_customer_cannot_edit_a_non_editable_field(self, portal: Portal, cli: Cli) -> None:
        ok(self.create(cli, "user_code=0042", "country=ES"))
        before = db_row(portal, 1)
        result = cli("tickets", "update", "1", "--field", "country=FR", user=ANA)
        assert result.exit_code == ExitCode.AUTH
        assert "Error: you may not edit country" in result.stderr
        assert result.stdout == ""
        assert db_row(portal, 1) == before
        assert shown(cli, 1, user=ANA)["fields"]["country"] == "ES"

    def test_a_customer_edits_an_editable_field(self, portal: Portal, cli: Cli) -> None:
        ok(self.create(cli, "user_code=0042"))
        result = ok(cli("tickets", "update", "1", "--field", "topic=Exportaciones", user=ANA))
        assert result.stdout == "1\n"
        assert "Updated #1" in result.stderr
        assert shown(cli, 1)["fields"] == {"user_code": "0042", "topic": "Exportaciones"}

    def test_an_agent_edits_a_non_editable_field(self, portal: Portal, cli: Cli) -> None:
        ok(self.create(cli, "user_code=0042", "country=ES"))
        ok(cli("tickets", "update", "1", "--field", "country=FR", user=AGENT))
        assert shown(cli, 1)["fields"]["country"] == "FR"

    def test_a_bad_value_on_update_changes_nothing(self, portal: Portal, cli: Cli) -> None:
        ok(self.create(cli, "user_code=0042"))
        before = db_row(portal, 1)
        result = cli("tickets", "update", "1", "--field", "user_code=12", user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "does not match the pattern" in result.stderr
        assert db_row(portal, 1) == before


# --- show ----------------------------------------------------------------------------------------------------


class TestShow:
    def test_the_table_view_shows_fields_and_the_conversation(self, portal: Portal, as_user: AsUser,
                                                              cli: Cli) -> None:
        ticket = make(as_user, department="Soporte Web", tags=["aduana"], ccs=[BOB])
        as_user(AGENT).tickets.reply(ticket.id, body="¿Puede enviar el PDF?")
        out = ok(cli("tickets", "show", str(ticket.id), user=ANA)).stdout
        assert out.startswith(f"#{ticket.id} Factura 5412 rechazada\n")
        assert "Awaiting your reply · medium priority" in out
        for line in ("Organisation: acme", "Department:   soporte-web", f"CC:           {BOB}", "Tags:         aduana",
                     "El valor FOB no cuadra", "¿Puede enviar el PDF?", "Alex Agent <agent@support.test>"):
            assert line in out

    def test_json_is_one_object_with_comments_and_attachments(self, portal: Portal, as_user: AsUser,
                                                               cli: Cli) -> None:
        ticket = make(as_user)
        record = shown(cli, ticket.id, user=ANA)
        assert record["id"] == ticket.id and record["status"] == "new" and record["status_label"] == "New"
        assert [c["body"] for c in record["comments"]] == ["El valor FOB no cuadra"]
        assert record["attachments"] == []

    @pytest.mark.parametrize("fmt", ["table", "json"])
    def test_an_unknown_ticket_is_exit_3_with_nothing_on_stdout(self, portal: Portal, cli: Cli, fmt: str) -> None:
        result = cli("tickets", "show", "42", "-o", fmt)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert result.stderr == not_found(42, fmt)
        assert result.stdout == ""

    @pytest.mark.parametrize("fmt", ["table", "json", "yaml"])
    def test_another_organisations_ticket_is_answered_as_not_found(
        self, portal: Portal, as_user: AsUser, cli: Cli, fmt: str
    ) -> None:
        ticket = make(as_user, ANA, subject="Confidencial de Acme")
        result = cli("tickets", "show", str(ticket.id), "-o", fmt, user=CARLA)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert result.stderr == not_found(ticket.id, fmt)
        assert result.stdout == ""
        assert "Confidencial" not in result.stderr

    def test_a_colleague_in_an_organisation_that_does_not_share_gets_not_found(
        self, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        ticket = make(as_user, ANA)
        result = cli("tickets", "show", str(ticket.id), user=BOB)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert result.stdout == ""

    def test_a_colleague_in_a_sharing_organisation_sees_it(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user, CARLA)
        assert shown(cli, ticket.id, user=DIEGO)["requester"] == CARLA

    @pytest.mark.parametrize("fmt", ["table", "json", "yaml", "csv"])
    def test_customers_never_see_internal_notes(self, portal: Portal, as_user: AsUser, cli: Cli, fmt: str) -> None:
        ticket = make(as_user)
        as_user(AGENT).tickets.reply(ticket.id, body="Nota: cliente moroso", internal=True)
        as_user(AGENT).tickets.reply(ticket.id, body="Lo estamos revisando")
        out = ok(cli("tickets", "show", str(ticket.id), "-o", fmt, user=ANA)).stdout
        assert "Lo estamos revisando" in out
        assert "moroso" not in out

    def test_agents_see_internal_notes_marked(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        as_user(AGENT).tickets.reply(ticket.id, body="Nota: cliente moroso", internal=True)
        out = ok(cli("tickets", "show", str(ticket.id), user=AGENT)).stdout
        assert "[internal note]" in out and "cliente moroso" in out
        assert [c["internal"] for c in shown(cli, ticket.id)["comments"]] == [False, True]

    def test_an_invalid_id_is_a_usage_error(self, portal: Portal, cli: Cli) -> None:
        for bad in ("abc", "0", "-3"):
            result = cli("tickets", "show", bad)
            assert result.exit_code == ExitCode.USAGE, bad


# --- list: filters -------------------------------------------------------------------------------------------


@pytest.fixture
def by_status(as_user: AsUser) -> dict[str, int]:
    """One Acme ticket in each canonical state: state -> id."""
    result = {}
    for status in ("new", "open", "pending", "on_hold", "resolved", "closed"):
        ticket = make(as_user, ANA, subject=f"Ticket {status}")
        if status != "new":
            set_status(as_user, ticket.id, status)
        result[status] = ticket.id
    return result


class TestListStatus:
    def test_by_default_everything_but_closed(self, cli: Cli, by_status: dict[str, int]) -> None:
        assert sorted(ids(cli)) == sorted(i for s, i in by_status.items() if s != "closed")

    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            (("open",), ["open"]),
            (("Resuelto",), ["resolved"]),
            (("solved",), ["resolved"]),
            (("En proceso",), ["open"]),
            (("Esperando su respuesta",), ["pending"]),
            (("on-hold",), ["on_hold"]),
            (("Cerrado",), ["closed"]),
            (("closed",), ["closed"]),
            (("open", "pending"), ["open", "pending"]),
            (("all",), ["new", "open", "pending", "on_hold", "resolved", "closed"]),
        ],
    )
    def test_canonical_and_native_names(
        self, cli: Cli, by_status: dict[str, int], given: tuple[str, ...], expected: list[str]
    ) -> None:
        args = [arg for status in given for arg in ("--status", status)]
        assert sorted(ids(cli, *args)) == sorted(by_status[s] for s in expected)

    def test_an_unknown_status_is_exit_2_naming_the_known_ones(self, cli: Cli, by_status: dict[str, int]) -> None:
        result = cli("tickets", "list", "--status", "finished")
        assert result.exit_code == ExitCode.USAGE
        assert "Error: unknown status 'finished'" in result.stderr
        assert "new, open, pending, on_hold, resolved, closed" in result.stderr
        assert result.stdout == ""

    @pytest.mark.parametrize("args", [("--status", "finished"), ("--sort", "colour"), ("--department", "Ventas")])
    def test_a_bad_filter_with_json_output_leaves_stdout_empty(
        self, cli: Cli, by_status: dict[str, int], args: tuple[str, ...]
    ) -> None:
        result = cli("tickets", "list", *args, "-o", "json")
        assert result.exit_code == ExitCode.USAGE
        assert result.stdout == ""


class TestListFilters:
    def test_priority_type_and_department(self, as_user: AsUser, cli: Cli) -> None:
        urgent = make(as_user, priority="urgent", type="incident", department="Soporte Web")
        low = make(as_user, priority="low", type="question", department="soporte-administrativo")
        plain = make(as_user)
        assert ids(cli, "--priority", "urgent") == [urgent.id]
        assert sorted(ids(cli, "--priority", "urgent", "--priority", "low")) == [urgent.id, low.id]
        assert ids(cli, "--type", "question") == [low.id]
        assert ids(cli, "--department", "Soporte Web") == [urgent.id]
        assert ids(cli, "--department", "soporte-administrativo") == [low.id]
        assert plain.id in ids(cli)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--priority", "critical"), "Invalid value for '--priority'"),
            (("--type", "complaint"), "Invalid value for '--type'"),
            (("--department", "Ventas"), "Error: unknown department 'Ventas'"),
            (("--org", "Initech"), "Error: unknown organisation 'Initech'"),
            (("--created-since", "yesterday"), "'yesterday' is not a date (YYYY-MM-DD)"),
            (("--updated-since", "2025-02-30"), "'2025-02-30' is not a date"),
            (("--sort", "colour"), "Error: unknown sort key 'colour'"),
            (("--search", "¿?"), "Error: --search needs at least one word"),
            (("--limit", "0"), "Invalid value for '-L' / '--limit'"),
        ],
    )
    def test_bad_filters_are_exit_2(self, portal: Portal, cli: Cli, args: tuple[str, ...], message: str) -> None:
        result = cli("tickets", "list", *args)
        assert result.exit_code == ExitCode.USAGE
        assert message in result.stderr
        assert result.stdout == ""

    def test_requester_and_org(self, as_user: AsUser, cli: Cli) -> None:
        ana, carla, diego = make(as_user, ANA), make(as_user, CARLA), make(as_user, DIEGO)
        assert ids(cli, "--requester", CARLA) == [carla.id]
        assert sorted(ids(cli, "--org", "globex")) == [carla.id, diego.id]
        assert ids(cli, "--org", "Acme") == [ana.id]

    def test_an_unknown_requester_is_not_found(self, portal: Portal, cli: Cli) -> None:
        result = cli("tickets", "list", "--requester", "nadie@example.org")
        assert result.exit_code == ExitCode.NOT_FOUND
        assert "no user nadie@example.org" in result.stderr

    def test_created_and_updated_since_take_dates_and_spans(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        old, new = make(as_user, subject="Antiguo"), make(as_user, subject="Reciente")
        sql(portal, "UPDATE tickets SET created_at = '2020-01-10T10:00:00Z', updated_at = '2020-02-01T10:00:00Z'"
                    " WHERE id = ?", old.id)
        assert ids(cli, "--created-since", "2024-01-01") == [new.id]
        assert ids(cli, "--created-since", "7d") == [new.id]
        assert ids(cli, "--created-since", "2020-01-10") == [new.id, old.id]
        assert ids(cli, "--created-until", "2020-01-11") == [old.id]
        assert ids(cli, "--updated-since", "2020-01-15T00:00:00Z", "--created-until", "2021-01-01") == [old.id]
        assert ids(cli, "--updated-since", "24h") == [new.id]

    def test_search_ignores_accents_and_case(self, as_user: AsUser, cli: Cli) -> None:
        invoice = make(as_user, subject="Error en la facturación electrónica", body="No se emite")
        vpn = make(as_user, subject="VPN", body="La conexión se corta en la oficina de Logroño")
        assert ids(cli, "--search", "facturacion") == [invoice.id]
        assert ids(cli, "--search", "FACTURACIÓN Electronica") == [invoice.id]
        assert ids(cli, "--search", "conexion logrono") == [vpn.id]
        assert ids(cli, "--search", "factur") == [invoice.id]  # words are prefixes
        assert ids(cli, "--search", "facturacion vpn") == []  # every word must match

    def test_search_matches_replies_but_never_internal_notes(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        as_user(AGENT).tickets.reply(ticket.id, body="Revisamos el manifiesto de carga")
        as_user(AGENT).tickets.reply(ticket.id, body="Sospecha de contrabando", internal=True)
        assert ids(cli, "--search", "manifiesto", user=ANA) == [ticket.id]
        assert ids(cli, "--search", "contrabando", user=ANA) == []
        assert ids(cli, "--search", "contrabando", user=AGENT) == []

    def test_search_operators_in_user_text_are_just_words(self, as_user: AsUser, cli: Cli) -> None:
        make(as_user, subject="Pedido AND cancelado")
        result = cli("tickets", "list", "--search", 'NEAR( "pedido" OR * -', "-o", "json")
        assert result.exit_code == 0, result.stderr

    def test_search_only_finds_tickets_the_customer_may_see(self, as_user: AsUser, cli: Cli) -> None:
        make(as_user, BOB, subject="Facturación de Bob")
        mine = make(as_user, ANA, subject="Facturación de Ana")
        assert ids(cli, "--search", "facturacion", user=ANA) == [mine.id]

    def test_mine(self, as_user: AsUser, cli: Cli) -> None:
        carla, diego = make(as_user, CARLA), make(as_user, DIEGO)
        assert sorted(ids(cli, user=CARLA)) == [carla.id, diego.id]
        assert ids(cli, "--mine", user=CARLA) == [carla.id]
        as_user(AGENT).tickets.update(diego.id, TicketChanges(assignee=AGENT))
        assert ids(cli, "--mine", user=AGENT) == [diego.id]

    def test_overdue(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        late, waiting, fresh = make(as_user, subject="Tarde"), make(as_user, subject="Esperando"), make(as_user)
        as_user(AGENT).tickets.reply(waiting.id, body="¿Nos confirma?")  # pending: the customer's turn
        sql(portal, "UPDATE tickets SET due_at = '2020-01-01T00:00:00Z' WHERE id IN (?, ?)", late.id, waiting.id)
        records = listed(cli, "--overdue")
        assert [r["id"] for r in records] == [late.id]
        assert records[0]["overdue"] is True
        assert {r["id"]: r["overdue"] for r in listed(cli)} == {late.id: True, waiting.id: False, fresh.id: False}
        assert "OVERDUE" in ok(cli("tickets", "show", str(late.id))).stdout
        assert "OVERDUE" not in ok(cli("tickets", "show", str(fresh.id))).stdout

    def test_a_customer_only_ever_lists_what_they_may_see(self, as_user: AsUser, cli: Cli) -> None:
        ana, bob, carla = make(as_user, ANA), make(as_user, BOB), make(as_user, CARLA)
        cc = make(as_user, CARLA, subject="Con copia a Ana", ccs=[ANA])
        assert sorted(ids(cli, "--status", "all", user=ANA)) == [ana.id, cc.id]
        assert ids(cli, "--org", "globex", user=ANA) == [cc.id]
        assert ids(cli, "--requester", BOB, user=ANA) == []
        assert sorted(ids(cli, user=DIEGO)) == [carla.id, cc.id]
        assert bob.id not in ids(cli, user=CARLA)

    def test_a_customers_typo_in_org_does_not_reveal_other_clients(self, portal: Portal, cli: Cli) -> None:
        result = cli("tickets", "list", "--org", "globx", user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "globex" not in result.stderr

    def test_a_customer_cannot_probe_which_addresses_have_accounts(self, portal: Portal, cli: Cli) -> None:
        other_client = cli("tickets", "list", "--requester", CARLA, "-o", "json", user=ANA)
        nobody = cli("tickets", "list", "--requester", "nadie@example.org", "-o", "json", user=ANA)
        assert (nobody.exit_code, nobody.stdout, nobody.stderr) == (
            other_client.exit_code, other_client.stdout, other_client.stderr.replace(CARLA, "nadie@example.org"))


class TestListSortAndLimit:
    def test_sort_keys(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        low = make(as_user, priority="low")
        urgent = make(as_user, priority="urgent")
        medium = make(as_user, priority="medium")
        sql(portal, "UPDATE tickets SET created_at = '2021-01-01T00:00:00Z', updated_at = '2024-01-01T00:00:00Z'"
                    " WHERE id = ?", urgent.id)
        assert ids(cli, "--sort", "priority") == [low.id, medium.id, urgent.id]
        assert ids(cli, "--sort", "-priority") == [urgent.id, medium.id, low.id]
        assert ids(cli, "--sort", "created") == [urgent.id, low.id, medium.id]
        assert ids(cli, "--sort", "-id") == [medium.id, urgent.id, low.id]
        assert ids(cli) == [medium.id, low.id, urgent.id]  # default: most recently updated first
        set_status(as_user, low.id, "pending")
        assert ids(cli, "--sort", "status")[-1] == low.id

    def test_limit_and_all(self, as_user: AsUser, cli: Cli) -> None:
        created = [make(as_user, subject=f"Ticket {n}").id for n in range(35)]
        assert len(ids(cli)) == 30  # the default limit
        assert ids(cli, "--limit", "3", "--sort", "id") == created[:3]
        assert sorted(ids(cli, "--all")) == created


# --- list: output formats ------------------------------------------------------------------------------------


class TestListOutput:
    @pytest.fixture
    def tickets(self, as_user: AsUser) -> list[Ticket]:
        return [make(as_user, ANA, subject="Factura rechazada", tags=["aduana", "sii"]),
                make(as_user, CARLA, subject="VPN caída", priority="urgent")]

    def test_table_has_the_default_columns(self, cli: Cli, tickets: list[Ticket]) -> None:
        result = ok(cli("tickets", "list", user=AGENT))
        lines = result.stdout.splitlines()
        assert lines[0].split() == ["ID", "STATUS", "PRIORITY", "DEPARTMENT", "SUBJECT", "REQUESTER", "UPDATED", "AT",
                                    "(UTC)"]
        assert len(lines) == 3
        assert "VPN caída" in result.stdout and CARLA in result.stdout
        assert result.stderr == ""

    def test_json_has_every_field(self, cli: Cli, tickets: list[Ticket]) -> None:
        records = listed(cli, "--sort", "id")
        assert [r["id"] for r in records] == [t.id for t in tickets]
        assert records[0]["tags"] == ["aduana", "sii"]
        assert records[1]["priority"] == "urgent" and records[1]["organization"] == "globex"
        assert {"due_at", "overdue", "status_label", "requester_name", "ccs", "fields"} <= set(records[0])

    def test_jsonl_is_one_object_per_line(self, cli: Cli, tickets: list[Ticket]) -> None:
        out = ok(cli("tickets", "list", "--sort", "id", "-o", "jsonl", user=AGENT)).stdout
        assert [json.loads(line)["subject"] for line in out.splitlines()] == ["Factura rechazada", "VPN caída"]

    def test_csv_parses_back(self, cli: Cli, tickets: list[Ticket]) -> None:
        out = ok(cli("tickets", "list", "--sort", "id", "-o", "csv", user=AGENT)).stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        assert list(rows[0]) == ["id", "status", "priority", "department", "subject", "requester", "updated_at"]
        assert [(r["id"], r["subject"], r["requester"]) for r in rows] == [
            ("1", "Factura rechazada", ANA), ("2", "VPN caída", CARLA)]

    def test_yaml_parses_back(self, cli: Cli, tickets: list[Ticket]) -> None:
        out = ok(cli("tickets", "list", "--sort", "id", "-o", "yaml", user=AGENT)).stdout
        records = yaml.safe_load(out)
        assert [(r["id"], r["subject"], r["tags"]) for r in records] == [
            (1, "Factura rechazada", ["aduana", "sii"]), (2, "VPN caída", [])]

    def test_the_output_format_can_come_from_the_environment(self, cli: Cli, tickets: list[Ticket]) -> None:
        out = ok(cli("tickets", "list", user=AGENT, env={"PORTALCTL_OUTPUT": "jsonl"})).stdout
        assert len([json.loads(line) for line in out.splitlines()]) == 2

    @pytest.mark.parametrize("fmt", ["json", "csv", "jsonl", "yaml", "table"])
    def test_columns_pick_and_order_fields(self, cli: Cli, tickets: list[Ticket], fmt: str) -> None:
        out = ok(cli("tickets", "list", "--sort", "id", "--columns", "subject,id", "-o", fmt, user=AGENT)).stdout
        if fmt == "json":
            assert json.loads(out) == [{"subject": "Factura rechazada", "id": 1}, {"subject": "VPN caída", "id": 2}]
        elif fmt == "jsonl":
            assert json.loads(out.splitlines()[0]) == {"subject": "Factura rechazada", "id": 1}
        elif fmt == "yaml":
            assert yaml.safe_load(out)[1] == {"subject": "VPN caída", "id": 2}
        elif fmt == "csv":
            assert out.splitlines()[:2] == ["subject,id", "Factura rechazada,1"]
        else:
            assert out.splitlines()[0].split() == ["SUBJECT", "ID"]

    def test_an_unknown_column_is_refused(self, cli: Cli, tickets: list[Ticket]) -> None:
        result = cli("tickets", "list", "--columns", "id,stauts", user=AGENT)
        assert result.exit_code == ExitCode.USAGE
        assert "stauts" in result.stderr

    def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(self, as_user: AsUser, cli: Cli) -> None:
        subjects = ['=HYPERLINK("http://evil.example","clic")', "+34 600 000 000", "-1 días", "@SUM(A1:A9)",
                    "Normal"]
        for subject in subjects:
            make(as_user, subject=subject)
        out = ok(cli("tickets", "list", "--sort", "id", "-o", "csv", user=AGENT)).stdout
        cells = [row["subject"] for row in csv.DictReader(io.StringIO(out))]
        assert cells == ["'" + s for s in subjects[:4]] + ["Normal"]
        assert [r["subject"] for r in listed(cli, "--sort", "id")] == subjects  # JSON keeps the real text

    @pytest.mark.parametrize(("fmt", "expected"), [
        ("json", "[]\n"), ("jsonl", ""), ("csv", "id,status,priority,department,subject,requester,updated_at\n"),
        ("yaml", "[]\n"),
    ])
    def test_an_empty_listing_is_still_valid_data(self, portal: Portal, cli: Cli, fmt: str, expected: str) -> None:
        result = ok(cli("tickets", "list", "-o", fmt))
        assert result.stdout == expected
        assert result.stderr == ""

    def test_an_empty_table_says_so_on_stderr(self, portal: Portal, cli: Cli) -> None:
        result = ok(cli("tickets", "list"))
        assert result.stdout == ""
        assert result.stderr == "No tickets match.\n"


# --- reply, close, reopen ------------------------------------------------------------------------------------


class TestReply:
    def test_an_agent_reply_sets_pending(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        result = ok(cli("tickets", "reply", str(ticket.id), "--body", "¿Puede adjuntar el PDF?", user=AGENT))
        assert result.stdout == f"{ticket.id}\n"
        assert result.stderr == f"Replied to #{ticket.id} (now pending)\n"
        assert shown(cli, ticket.id)["status"] == "pending"

    @pytest.mark.parametrize("before", ["pending", "resolved"])
    def test_a_customer_reply_reopens(self, as_user: AsUser, cli: Cli, before: str) -> None:
        ticket = make(as_user)
        set_status(as_user, ticket.id, before)
        result = ok(cli("tickets", "reply", str(ticket.id), "--body-file", "-", input="Sigue igual\n", user=ANA))
        assert result.stderr == f"Replied to #{ticket.id} (now open)\n"
        record = shown(cli, ticket.id)
        assert record["status"] == "open"
        assert record["comments"][-1]["body"] == "Sigue igual\n"

    def test_an_agent_may_name_the_status(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        record = json.loads(ok(cli("tickets", "reply", str(ticket.id), "--body", "Corregido", "--status", "solved",
                                   "-o", "json", user=AGENT)).stdout)
        assert record["status"] == "resolved" and record["resolved_at"]

    def test_an_internal_note(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        result = ok(cli("tickets", "reply", str(ticket.id), "--internal", "--body", "Llamar a aduana", user=AGENT))
        assert result.stderr == f"Added an internal note to #{ticket.id} (now new)\n"
        assert shown(cli, ticket.id, user=ANA)["comments"][-1]["body"] == "El valor FOB no cuadra"

    @pytest.mark.parametrize(("args", "message"), [(("--internal",), "only agents may write internal notes"),
                                                   (("--status", "resolved"), "only agents may set the status")])
    def test_customers_cannot_write_notes_or_set_status(
        self, portal: Portal, as_user: AsUser, cli: Cli, args: tuple[str, ...], message: str
    ) -> None:
        ticket = make(as_user)
        result = cli("tickets", "reply", str(ticket.id), "--body", "x", *args, user=ANA)
        assert result.exit_code == ExitCode.AUTH
        assert message in result.stderr
        assert count(portal, "comments") == 1

    def test_a_reply_on_a_closed_ticket_is_exit_5_with_a_follow_up_hint(
        self, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        ticket = make(as_user)
        as_user(ANA).tickets.close(ticket.id)
        result = cli("tickets", "reply", str(ticket.id), "--body", "Una cosa más", user=ANA)
        assert result.exit_code == ExitCode.CONFLICT
        assert f"Error: ticket #{ticket.id} is closed; it takes no more replies" in result.stderr
        assert f"Hint: open a follow-up: portalctl tickets create --follow-up-of {ticket.id}" in result.stderr
        assert result.stdout == ""
        assert count(portal, "comments") == 1

    def test_a_reply_to_an_unknown_or_foreign_ticket_is_exit_3(self, portal: Portal, as_user: AsUser,
                                                                cli: Cli) -> None:
        ticket = make(as_user, ANA)
        for target, user in ((ticket.id, CARLA), (99, ANA)):
            result = cli("tickets", "reply", str(target), "--body", "hola", user=user)
            assert result.exit_code == ExitCode.NOT_FOUND
            assert f"no ticket #{target}" in result.stderr
        assert count(portal, "comments") == 1


class TestCloseReopenFollowUp:
    def test_close_then_everything_is_refused_then_a_follow_up(
        self, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        ticket = make(as_user)
        result = ok(cli("tickets", "close", str(ticket.id), user=ANA))
        assert (result.stdout, result.stderr) == (f"{ticket.id}\n", f"Closed #{ticket.id}\n")
        before = db_row(portal, ticket.id)
        for args, user in [(("close",), ANA), (("reopen",), ANA), (("update", "--priority", "high"), AGENT),
                           (("update", "--status", "open"), AGENT), (("cc", "--add", BOB), ANA)]:
            refused = cli("tickets", args[0], str(ticket.id), *args[1:], user=user)
            assert refused.exit_code == ExitCode.CONFLICT, args
            assert f"--follow-up-of {ticket.id}" in refused.stderr, args
            assert refused.stdout == ""
        assert db_row(portal, ticket.id) == before

        follow = json.loads(ok(cli("tickets", "create", "--follow-up-of", str(ticket.id), "--subject", "Sigue",
                                   "--body", "Vuelve a pasar", "-o", "json", user=ANA)).stdout)
        assert follow["follow_up_of"] == ticket.id
        assert f"Follow-up of: #{ticket.id}" in ok(cli("tickets", "show", str(follow["id"]), user=ANA)).stdout

    def test_a_resolved_ticket_reopens(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        set_status(as_user, ticket.id, "resolved")
        result = ok(cli("tickets", "reopen", str(ticket.id), user=ANA))
        assert result.stderr == f"Reopened #{ticket.id}\n"
        assert shown(cli, ticket.id)["status"] == "open"

    def test_reopening_an_open_ticket_is_a_conflict(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        result = cli("tickets", "reopen", str(ticket.id), user=ANA)
        assert result.exit_code == ExitCode.CONFLICT
        assert "is not resolved (it is new)" in result.stderr

    def test_a_resolved_ticket_closes_itself_48_hours_after_resolution(
        self, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        stale, recent = make(as_user), make(as_user)
        for ticket in (stale, recent):
            set_status(as_user, ticket.id, "resolved")
        sql(portal, "UPDATE tickets SET resolved_at = '2025-03-03T10:15:00Z' WHERE id = ?", stale.id)
        record = shown(cli, stale.id, user=ANA)
        assert (record["status"], record["closed_at"]) == ("closed", "2025-03-05T10:15:00Z")
        assert shown(cli, recent.id)["status"] == "resolved"
        refused = cli("tickets", "reply", str(stale.id), "--body", "¿Sigue abierto?", user=ANA)
        assert refused.exit_code == ExitCode.CONFLICT


class TestUpdateAndCC:
    def test_an_agent_updates_several_things(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user, tags=["factura"])
        ok(cli("tickets", "update", str(ticket.id), "--priority", "urgent", "--type", "problem", "--department",
               "Soporte Web", "--assignee", AGENT, "--tag", "SII", "--untag", "factura", "--status", "En proceso",
               user=AGENT))
        record = shown(cli, ticket.id)
        assert {k: record[k] for k in ("priority", "type", "department", "assignee", "tags", "status")} == {
            "priority": "urgent", "type": "problem", "department": "soporte-web", "assignee": AGENT, "tags": ["sii"],
            "status": "open"}

    @pytest.mark.parametrize("args", [("--priority", "high"), ("--status", "resolved"), ("--subject", "Otro"),
                                      ("--tag", "vip"), ("--assignee", AGENT)])
    def test_a_customer_may_not_change_staff_fields(
        self, portal: Portal, as_user: AsUser, cli: Cli, args: tuple[str, ...]
    ) -> None:
        ticket = make(as_user)
        before = db_row(portal, ticket.id)
        result = cli("tickets", "update", str(ticket.id), *args, user=ANA)
        assert result.exit_code == ExitCode.AUTH
        assert "Error: you may not edit" in result.stderr
        assert db_row(portal, ticket.id) == before

    def test_an_unknown_status_changes_nothing_even_with_other_valid_changes(
        self, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        ticket = make(as_user)
        before = db_row(portal, ticket.id)
        result = cli("tickets", "update", str(ticket.id), "--priority", "urgent", "--status", "listo", user=AGENT)
        assert result.exit_code == ExitCode.USAGE
        assert "unknown status 'listo'" in result.stderr
        assert db_row(portal, ticket.id) == before

    def test_an_unknown_ticket_is_exit_3(self, portal: Portal, cli: Cli) -> None:
        result = cli("tickets", "update", "7", "--priority", "high")
        assert result.exit_code == ExitCode.NOT_FOUND

    def test_cc_add_and_remove(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user, ANA)
        result = ok(cli("tickets", "cc", str(ticket.id), "--add", CARLA, user=ANA))
        assert result.stderr == f"CCs on #{ticket.id}: {CARLA}\n"
        assert shown(cli, ticket.id, user=CARLA)["ccs"] == [CARLA]
        denied = cli("tickets", "show", str(ticket.id), user=DIEGO)
        assert denied.exit_code == ExitCode.NOT_FOUND and denied.stdout == ""
        ok(cli("tickets", "cc", str(ticket.id), "--remove", CARLA, user=ANA))
        assert cli("tickets", "show", str(ticket.id), user=CARLA).exit_code == ExitCode.NOT_FOUND

    def test_cc_needs_something_to_do(self, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user)
        result = cli("tickets", "cc", str(ticket.id), user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "pass --add EMAIL or --remove EMAIL" in result.stderr


class TestDeactivatedUser:
    def test_cannot_act_but_their_tickets_stay(self, portal: Portal, as_user: AsUser, cli: Cli) -> None:
        ticket = make(as_user, ANA)
        as_user(ANA).tickets.reply(ticket.id, body="Más datos")
        as_user(ADMIN).accounts.set_active(ANA, False)
        for args in (("tickets", "list"), ("tickets", "show", str(ticket.id)),
                     ("tickets", "create", "--subject", "s", "--body", "b")):
            result = cli(*args, user=ANA)
            assert result.exit_code == ExitCode.AUTH, args
            assert f"Error: user {ANA} is deactivated" in result.stderr
            assert result.stdout == ""
        record = shown(cli, ticket.id, user=AGENT)
        assert record["requester"] == ANA
        assert [c["body"] for c in record["comments"]] == ["El valor FOB no cuadra", "Más datos"]
        assert count(portal) == 1


# --- a real process ------------------------------------------------------------------------------------------


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_") and k not in ("CI", "NO_COLOR")}
    env.update({"PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", **extra})
    return env


def portalctl(home: Path, *args: str, input: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "portalctl", *args], input=input, capture_output=True, text=True,
                          env=environment(home, **extra), timeout=60,
                          stdin=None if input is not None else subprocess.DEVNULL)


class TestRealProcess:
    def test_init_create_list_show(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        init = portalctl(home, "init", "--email", "lead@example.com", "--name", "Lucía Pérez")
        assert init.returncode == 0, init.stderr
        assert init.stdout == ""
        assert "Created the portal" in init.stderr

        created = portalctl(home, "tickets", "create", "--subject", "Build 311 failed", "--body-file", "-", "-o",
                            "json", input="pytest exited 1\n")
        assert created.returncode == 0, created.stderr
        ticket = json.loads(created.stdout)
        assert (ticket["id"], ticket["requester"], ticket["status"]) == (1, "lead@example.com", "new")

        listing = portalctl(home, "tickets", "list", "-o", "json")
        assert listing.returncode == 0
        assert [(r["id"], r["subject"]) for r in json.loads(listing.stdout)] == [(1, "Build 311 failed")]

        show = portalctl(home, "tickets", "show", "1")
        assert show.returncode == 0
        assert "#1 Build 311 failed" in show.stdout and "pytest exited 1" in show.stdout

        missing = portalctl(home, "tickets", "show", "2")
        assert (missing.returncode, missing.stdout) == (ExitCode.NOT_FOUND, "")
        assert "no ticket #2" in missing.stderr and "Traceback" not in missing.stderr

    @pytest.mark.parametrize(("args", "extra"), [(("--no-input",), {}), ((), {"CI": "true"})])
    def test_without_a_terminal_a_missing_subject_fails_naming_the_flag(
        self, tmp_path: Path, args: tuple[str, ...], extra: dict[str, str]
    ) -> None:
        home = tmp_path / "home"
        assert portalctl(home, "init", "--email", "lead@example.com").returncode == 0
        result = portalctl(home, *args, "tickets", "create", "--body", "x", **extra)
        assert result.returncode == ExitCode.USAGE
        assert "missing --subject" in result.stderr
        assert result.stdout == ""
        assert json.loads(portalctl(home, "tickets", "list", "--status", "all", "-o", "json").stdout) == []

    @pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
    def test_an_attachment_piped_through_dev_stdin_is_stored_whole_or_refused(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        assert portalctl(home, "init", "--email", "lead@example.com").returncode == 0
        pdf = sample_pdf(20_000)
        result = subprocess.run(
            [sys.executable, "-m", "portalctl", "tickets", "create", "--subject", "Log", "--body", "adjunto",
             "--attach", "/dev/stdin", "-o", "json"],
            input=pdf, capture_output=True, env=environment(home), timeout=60,
        )
        if result.returncode == 0:  # stored: then exactly what was sent
            [attachment] = json.loads(result.stdout)["attachments"]
            assert (attachment["size"], attachment["sha256"]) == (len(pdf), hashlib.sha256(pdf).hexdigest())
        else:  # or refused with a clear message, and nothing created
            assert result.returncode == ExitCode.USAGE
            assert json.loads(portalctl(home, "tickets", "list", "-o", "json").stdout) == []

    @pytest.mark.skipif(not Path("/dev/stdin").exists(), reason="needs /dev/stdin")
    def test_a_piped_attachment_over_the_limit_is_refused(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        assert portalctl(home, "init", "--email", "lead@example.com").returncode == 0
        with sqlite3.connect(home / "data" / "portal.db") as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('max_attachment_mb', '1')")
        result = subprocess.run(
            [sys.executable, "-m", "portalctl", "tickets", "create", "--subject", "Log", "--body", "adjunto",
             "--attach", "/dev/stdin"],
            input=b"%PDF-1.7\n" + b"0" * 1_500_000, capture_output=True, env=environment(home), timeout=60,
        )
        assert result.returncode == ExitCode.USAGE
        assert b"(1 MB) attachment limit" in result.stderr
        assert json.loads(portalctl(home, "tickets", "list", "-o", "json").stdout) == []

    def test_a_portal_that_does_not_exist_says_how_to_make_one(self, tmp_path: Path) -> None:
        result = portalctl(tmp_path / "nothing", "tickets", "list")
        assert result.returncode == ExitCode.ERROR
        assert "no portal at" in result.stderr and "portalctl init" in result.stderr
        assert result.stdout == ""


def has_pty() -> bool:
    try:
        import pty

        controller, terminal = pty.openpty()
    except (ImportError, OSError):
        return False
    os.close(controller)
    os.close(terminal)
    return True


def on_a_terminal(home: Path, *args: str, answers: bytes = b"", env: dict[str, str] | None = None
                  ) -> subprocess.CompletedProcess[bytes]:
    """Run portalctl with stdin on a pseudo-terminal (so it may prompt) and stdout/stderr captured."""
    import pty

    controller, terminal = pty.openpty()
    try:
        if answers:
            os.write(controller, answers)  # typed ahead: the terminal holds the lines until they are read
        return subprocess.run([sys.executable, "-m", "portalctl", *args], stdin=terminal, capture_output=True,
                              env=environment(home, **(env or {})), timeout=30)
    finally:
        os.close(terminal)
        os.close(controller)


def editor_writing(directory: Path, text: str) -> str:
    """An $EDITOR that writes `text` above the template it is given, as a person would, and saves."""
    script = directory / "editor.sh"
    script.write_text(f'#!/bin/sh\n{{ printf "%s\\n" {shlex.quote(text)}; cat "$1"; }} > "$1.new"\nmv "$1.new" "$1"\n')
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(not has_pty(), reason="needs a pseudo-terminal")
class TestOnATerminal:
    @pytest.fixture
    def home(self, tmp_path: Path) -> Path:
        home = tmp_path / "home"
        assert portalctl(home, "init", "--email", "lead@example.com").returncode == 0
        return home

    @pytest.mark.parametrize(("args", "extra"), [(("--no-input",), {}), ((), {"CI": "true"})])
    def test_no_input_and_ci_turn_prompts_off_even_on_a_terminal(
        self, home: Path, args: tuple[str, ...], extra: dict[str, str]
    ) -> None:
        result = on_a_terminal(home, *args, "tickets", "create", "--body", "x", env=extra)
        assert result.returncode == ExitCode.USAGE
        assert b"missing --subject" in result.stderr
        assert json.loads(portalctl(home, "tickets", "list", "-o", "json").stdout) == []

    def test_a_terminal_is_prompted_for_what_is_missing(self, home: Path, tmp_path: Path) -> None:
        result = on_a_terminal(home, "tickets", "create", answers=b"Impresora en llamas\n",
                               env={"EDITOR": editor_writing(tmp_path, "Humo por todas partes")})
        assert result.returncode == 0, result.stderr
        shown_ticket = json.loads(portalctl(home, "tickets", "show", "1", "-o", "json").stdout)
        assert shown_ticket["subject"] == "Impresora en llamas"
        assert shown_ticket["comments"][0]["body"] == "Humo por todas partes"

    def test_prompts_go_to_stderr_so_stdout_stays_data(self, home: Path, tmp_path: Path) -> None:
        result = on_a_terminal(home, "tickets", "create", "-o", "json", answers=b"Impresora\n",
                               env={"EDITOR": editor_writing(tmp_path, "Humo")})
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["subject"] == "Impresora"
        assert b"Subject" in result.stderr
