"""One contract for every connector: the README's capability table, run on each help desk through portalctl.client.

For every platform (a real django-helpdesk, a real Request Tracker and the Zendesk, Freshdesk, HubSpot, WHMCS and
JSM simulators) and every row of the table in README.md ("Help desks you already have"), a `yes` is done and its
effect checked as a user would see it, and a `no` must raise Unsupported naming the platform (or, for reopening a
final state, a state conflict that offers the follow-up). Platform specifics (request shapes, paging styles, 429s,
error bodies) stay in the per-connector test files.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from _pytest.mark import ParameterSet
from click.testing import Result

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.demo_data import sample_pdf
from portalctl.engine.portal import Portal
from portalctl.errors import NotFound, StateConflict, Unsupported, follow_up_hint
from portalctl.exitcodes import ExitCode
from portalctl.model import STATES, Ticket
from tests.conftest import ADMIN
from tests.connectors.capabilities import Cell, read_table
from tests.connectors.targets import KINDS, Target

TABLE = read_table()
LIFECYCLE = "`tickets create`, `list` (every page), `show` (the conversation), `export tickets`"
REPLY = "`tickets reply`"
INTERNAL = "`tickets reply --internal`"
CLOSE = "`tickets close`"
REOPEN = "`tickets reopen` after `tickets close`"
CC_CREATE = "`--cc` on `tickets create`"
CC_ADD = "`tickets cc --add`"
CC_REMOVE = "`tickets cc --remove`"
BOSS = "jefe@cliente.test"
PDF = sample_pdf(3072)


def able(target: Target, label: str) -> bool:
    return TABLE[label][target.kind].able


def refused(target: Target, action: Callable[[], object]) -> None:
    """What a platform cannot do is an error that names it and says what to do instead, never a silent no-op."""
    with pytest.raises(Unsupported) as caught:
        action()
    assert target.platform in caught.value.message
    assert caught.value.hint
    assert caught.value.exit_code == ExitCode.ERROR


def new_ticket(target: Target, what: str, **options: Any) -> Ticket:
    made = target.client.tickets.create(TicketDraft(subject=f"{target.word} {what}", body=f"Body of {what}", **options))
    assert made.created is True
    return made


def pdf_file(target: Target, name: str) -> Upload:
    (target.folder / name).write_bytes(PDF)
    return Upload(name, target.folder / name)


def lifecycle(target: Target, supported: bool) -> None:
    """create (with what the platform takes) -> every page of the list -> show -> reply -> close -> reopen or the
    follow-up -> export rows; an unknown number is not found."""
    assert supported, "every connector creates, lists, shows and exports tickets"
    tickets = target.client.tickets
    fields = dict([target.field]) if target.field else None
    first = tickets.create(TicketDraft(subject=f"{target.word} Factura rechazada", body="La DIAN rechaza la factura.",
                           priority="high", ccs=[BOSS] if able(target, CC_CREATE) else (), fields=fields,
                           attachments=[pdf_file(target, "factura.pdf")]))
    assert first.created is True and first.priority == "high" and first.status in ("new", "open")
    assert first.ccs == ([BOSS] if able(target, CC_CREATE) else [])
    assert first.fields.items() >= (fields or {}).items()
    others = [new_ticket(target, f"Pedido {n}").id for n in range(2)]

    listed = tickets.list(TicketQuery(search=target.word, statuses=list(STATES), sort="id", limit=None))
    assert [t.id for t in listed] == [first.id, *others]  # three tickets in pages of two

    shown = tickets.get(first.id)
    assert shown.subject == f"{target.word} Factura rechazada"
    assert [c.body for c in shown.comments or []][:1] == ["La DIAN rechaza la factura."]
    assert [a.filename for a in shown.attachments or []] == ["factura.pdf"]

    internal = not able(target, REPLY)  # HubSpot: a note is what its API can add
    replied = tickets.reply(first.id, body="Adjunto el extracto", internal=internal,
                            attachments=[pdf_file(target, "extracto.pdf")])
    assert [(c.body, c.internal) for c in replied.comments or []][-1] == ("Adjunto el extracto", internal)
    assert sorted(a.filename for a in replied.attachments or []) == ["extracto.pdf", "factura.pdf"]

    assert tickets.close(first.id).status in ("resolved", "closed")
    if able(target, REOPEN):
        assert tickets.reopen(first.id).status == "open"
    else:
        result = target.run("tickets", "reopen", str(first.id))
        assert result.exit_code == ExitCode.CONFLICT and f"--follow-up-of {first.id}" in result.stderr

    exported = target.folder / "tickets.csv"
    result = target.run("export", "tickets", "-o", str(exported), "--search", target.word, "--status", "all")
    assert result.exit_code == 0, result.output
    with exported.open(newline="", encoding="utf-8") as handle:
        rows = {int(row["id"]): row for row in csv.DictReader(handle)}
    assert sorted(rows) == [first.id, *others]
    assert rows[first.id]["subject"] == f"{target.word} Factura rechazada" and rows[first.id]["priority"] == "high"

    with pytest.raises(NotFound):
        tickets.get(987654)
    missing = target.run("tickets", "show", "987654")
    assert missing.exit_code == ExitCode.NOT_FOUND and "ticket #987654 not found" in missing.stderr


def reply(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "reply")
    if not supported:
        return refused(target, lambda: target.client.tickets.reply(ticket.id, body="hola"))
    replied = target.client.tickets.reply(ticket.id, body="¿Sigue fallando?")
    assert [(c.body, c.internal) for c in replied.comments or []][-1] == ("¿Sigue fallando?", False)


def internal_note(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "note")
    if not supported:
        return refused(target, lambda: target.client.tickets.reply(ticket.id, body="psst", internal=True))
    noted = target.client.tickets.reply(ticket.id, body="Revisar con contabilidad", internal=True)
    assert [(c.body, c.internal) for c in noted.comments or []][-1] == ("Revisar con contabilidad", True)


def close(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "close")
    if not supported:
        return refused(target, lambda: target.client.tickets.close(ticket.id))
    closed = target.client.tickets.close(ticket.id)
    assert closed.status in ("resolved", "closed")
    assert target.client.tickets.get(ticket.id).status == closed.status


def reopen(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "reopen")
    target.client.tickets.close(ticket.id)
    if supported:
        assert target.client.tickets.reopen(ticket.id).status == "open"
        return
    with pytest.raises(StateConflict) as caught:
        target.client.tickets.reopen(ticket.id)
    assert caught.value.exit_code == ExitCode.CONFLICT and caught.value.hint == follow_up_hint(ticket.id)


def update(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "update", priority="low")
    change = TicketChanges(priority="high")
    if not supported:
        return refused(target, lambda: target.client.tickets.update(ticket.id, change))
    assert target.client.tickets.update(ticket.id, change).priority == "high"
    assert target.client.tickets.get(ticket.id).priority == "high"


def attachments(target: Target, supported: bool) -> None:
    upload = pdf_file(target, "formulario 5412.pdf")
    if not supported:
        return refused(target, lambda: new_ticket(target, "attachment", attachments=[upload]))
    ticket = new_ticket(target, "attachment", attachments=[upload])
    [listed] = target.client.tickets.attachments(ticket.id)
    found, stream = target.client.tickets.download(ticket.id, listed.id)
    with stream:
        assert stream.read() == PDF
    assert found.filename == "formulario 5412.pdf"


def custom_fields(target: Target, supported: bool) -> None:
    if not supported:
        return refused(target, lambda: new_ticket(target, "field", fields={"user_code": "0042"}))
    assert target.field, f"the {target.platform} target names a custom field its account defines"
    key, value = target.field
    assert new_ticket(target, "field", fields={key: value}).fields[key] == value


def cc_on_create(target: Target, supported: bool) -> None:
    if not supported:
        return refused(target, lambda: new_ticket(target, "cc", ccs=[BOSS]))
    assert new_ticket(target, "cc", ccs=[BOSS]).ccs == [BOSS]


def cc_add(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "cc add")
    if not supported:
        return refused(target, lambda: target.client.tickets.cc(ticket.id, add=[BOSS]))
    assert target.client.tickets.cc(ticket.id, add=[BOSS]).ccs == [BOSS]


def cc_remove(target: Target, supported: bool) -> None:
    ticket = new_ticket(target, "cc remove", ccs=[BOSS] if able(target, CC_CREATE) else ())
    if not supported:
        return refused(target, lambda: target.client.tickets.cc(ticket.id, remove=[BOSS]))
    assert target.client.tickets.cc(ticket.id, remove=[BOSS]).ccs == []


def tags(target: Target, supported: bool) -> None:
    if not supported:
        return refused(target, lambda: new_ticket(target, "tag", tags=["vip"]))
    assert new_ticket(target, "tag", tags=["vip"]).tags == ["vip"]


def tag_filter(target: Target, supported: bool) -> None:
    query = TicketQuery(search=target.word, tags=["VIP"], statuses=list(STATES), limit=None)
    if not supported:
        return refused(target, lambda: list(target.client.tickets.list(query)))
    tagged, plain = new_ticket(target, "tagged", tags=["vip"]), new_ticket(target, "plain")
    found = [t.id for t in target.client.tickets.list(query)]
    assert tagged.id in found and plain.id not in found


def assignee_filter(target: Target, supported: bool) -> None:
    """Platforms name assignees by their own ids, not the e-mail --assignee takes: refused rather than empty."""
    query = TicketQuery(search=target.word, assignees=["@me"], statuses=list(STATES), limit=None)
    if not supported:
        return refused(target, lambda: list(target.client.tickets.list(query)))
    unassigned = new_ticket(target, "unassigned")
    assert unassigned.id not in [t.id for t in target.client.tickets.list(query)]


def types(target: Target, supported: bool) -> None:
    if not supported:
        return refused(target, lambda: new_ticket(target, "type", type="incident"))
    assert new_ticket(target, "type", type="incident").type == "incident"


def articles(target: Target, supported: bool) -> None:
    kb = target.client.articles
    if not supported:
        refused(target, lambda: kb.search("factura"))
        return refused(target, lambda: kb.get(1))
    assert target.article_query, f"the {target.platform} target names a word its knowledge base holds"
    found = kb.search(target.article_query)
    assert found
    shown = kb.get(found[0].id)
    assert shown.title == found[0].title and shown.body
    with pytest.raises(NotFound):
        kb.get(987654)


def rate(target: Target, supported: bool) -> None:
    kb = target.client.articles
    if not supported:
        return refused(target, lambda: kb.rate(1, helpful=True))
    assert target.article_query
    article = kb.get(kb.search(target.article_query)[0].id)
    assert kb.rate(article.id, helpful=True).helpful == article.helpful + 1


def states(target: Target, supported: bool) -> None:
    """The platform's own states, each with its canonical state: a new ticket's shows among them, and the command
    prints the same rows."""
    made = new_ticket(target, "states")
    if not supported:
        return refused(target, target.client.states)
    found = target.client.states()
    assert {s.state for s in found} <= set(STATES)
    assert (made.status_label, made.status) in {(s.label, s.state) for s in found}
    result = target.run("tickets", "states", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [s._asdict() for s in found]


def departments(target: Target, supported: bool) -> None:
    made = new_ticket(target, "department")  # django-helpdesk learns queues from the tickets you submitted
    if not supported:
        return refused(target, target.client.accounts.departments)
    found = target.client.accounts.departments()
    assert found and all(d.name for d in found)
    if made.department:  # the new ticket's department is one of those listed
        assert made.department in {d.slug for d in found} | {d.name for d in found}


def team_list(target: Target, supported: bool) -> None:
    """The support team lists and shows a customer's ticket, requester included (a customer's profile sees only its
    own; the team's sees every requester's)."""
    made = new_ticket(target, "team view")
    if not supported:
        return refused(target, lambda: list(target.team.tickets.list(TicketQuery(search=target.word))))
    listed = {t.id: t for t in target.team.tickets.list(TicketQuery(search=target.word, statuses=list(STATES)))}
    assert made.id in listed and listed[made.id].requester == made.requester
    shown = target.team.tickets.get(made.id)
    assert shown.subject == made.subject and shown.requester == made.requester
    if target.team is not target.client:  # another profile: the customer's e-mail shows, not the team's
        assert made.requester == target.client.accounts.me().email


def team_work(target: Target, supported: bool) -> None:
    """An internal note and a priority change by the team (what a customer sees of a note: test_zendesk_agent.py)."""
    made = new_ticket(target, "team work", priority="low")
    if not supported:
        return refused(target, lambda: target.team.tickets.reply(made.id, body="psst", internal=True))
    team = target.team.tickets
    noted = team.reply(made.id, body="Revisar con contabilidad", internal=True)
    assert [(c.body, c.internal) for c in noted.comments or []][-1] == ("Revisar con contabilidad", True)
    assert team.update(made.id, TicketChanges(priority="high")).priority == "high"
    assert target.client.tickets.get(made.id).priority == "high"


def team_incremental(target: Target, supported: bool) -> None:
    """Two nightly runs: the first exports this test's tickets, the second the ticket opened between them."""
    state, first_file, second_file = (target.folder / name for name in ("state.json", "one.csv", "two.csv"))
    old = new_ticket(target, "before")

    def run(out: Any) -> set[int]:
        result = target.team_run("export", "tickets", "-o", str(out), "--search", target.word, "--incremental",
                                 str(state))
        assert result.exit_code == 0, result.output
        with out.open(newline="", encoding="utf-8") as handle:
            return {int(row["id"]) for row in csv.DictReader(handle)}

    if not supported:  # the command fails naming the platform, and writes nothing
        result = target.team_run("export", "tickets", "-o", str(first_file), "--incremental", str(state))
        assert result.exit_code == ExitCode.ERROR and target.platform in result.stderr
        assert not first_file.exists() and not state.exists()
        return
    assert run(first_file) == {old.id}
    new = new_ticket(target, "after")
    second = run(second_file)
    assert new.id in second
    if "position" in json.loads(state.read_text()):  # the platform's own feed resumes exactly where it stopped
        assert second == {new.id}


CHECKS: dict[str, Callable[[Target, bool], None]] = {
    LIFECYCLE: lifecycle, REPLY: reply, INTERNAL: internal_note, CLOSE: close, REOPEN: reopen,
    "`tickets update`": update, "attachments: `--attach`, `tickets attachments`, `tickets download`": attachments,
    "custom fields: `--field`": custom_fields, CC_CREATE: cc_on_create, CC_ADD: cc_add, CC_REMOVE: cc_remove,
    "`--tag`": tags, "`--type`": types, "`tickets list --tag`": tag_filter,
    "`tickets list --assignee`": assignee_filter,
    "`articles search`, `articles show`": articles, "`articles rate`": rate,
    "`admin departments`": departments, "`tickets states`": states,
    "team view: `tickets list` shows every customer's tickets, each with its requester": team_list,
    "team view: `tickets reply --internal`, `tickets update`": team_work,
    "team view: `export tickets --incremental` (what changed since the last run)": team_incremental,
}


def cells() -> list[ParameterSet]:
    """One test per platform and README row."""
    found = []
    for label in TABLE:
        slug = re.sub(r"[^a-z]+", "-", label.lower()).strip("-")[:40]
        for kind in KINDS:
            marks = {"django-helpdesk": [pytest.mark.django_helpdesk], "rt": [pytest.mark.rt]}.get(kind, [])
            found.append(pytest.param(kind, label, id=f"{kind}:{slug}", marks=marks))
    return found


def test_the_readme_table_covers_every_connector_and_every_row_has_a_check() -> None:
    assert set(CHECKS) == set(TABLE), "each row of the README's capability table needs a check here, and back"
    for label, row in TABLE.items():
        assert set(row) == {"embedded", *KINDS}, f"row {label!r} names other platforms: {sorted(row)}"


@pytest.mark.parametrize(("target", "label"), cells(), indirect=["target"])
def test_capability(target: Target, label: str) -> None:
    CHECKS[label](target, TABLE[label][target.kind].able)


def test_a_cell_must_say_yes_or_no() -> None:
    with pytest.raises(ValueError, match="must start with yes or no"):
        read_table(SECTION_WITH_A_VAGUE_CELL)
    assert read_table(SECTION_WITH_A_VAGUE_CELL.replace("partly", "no: never")) == {
        "`tickets close`": {"embedded": Cell(True, ""), "zendesk": Cell(False, "never")}}


SECTION_WITH_A_VAGUE_CELL = "\n".join([
    "## Help desks you already have", "", "| what | embedded / `portalctl serve` | Zendesk |", "|---|---|---|",
    "| `tickets close` | yes | partly |", "", "## Next"])


def test_the_portal_lists_the_canonical_states(cli: Callable[..., Result], portal: Portal) -> None:
    """The embedded portal's states are portalctl's own: a table of id, label and state, no pipeline column."""
    result = cli("tickets", "states", user=ADMIN)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "LABEL", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == list(STATES)
    assert "Resolved" in result.stdout
