"""The Request Tracker connector against a real RT 5 (Debian's request-tracker5; tests/connectors/rt_server.py).

Every test marks its tickets with a unique word and lists with --search for it, so tests share one RT. Requests are
held to RT's own REST2 documentation (the RT::REST2 POD shipped as /usr/share/request-tracker5/lib/RT/REST2.pm,
RT 5.0.3; also lib/RT/REST2.pm in github.com/bestpractical/rt), quoted where a test relies on it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from click.testing import Result

from portalctl.backends import rt
from portalctl.backends import rt_map as rm
from portalctl.client import Client
from portalctl.config import Profile, UserConfig
from portalctl.contract import TicketDraft, TicketQuery
from portalctl.errors import InvalidInput, Unsupported
from portalctl.exitcodes import ExitCode
from portalctl.secrets import SecretStore
from portalctl.times import parse_iso
from tests.connectors.conftest import RT_REQUESTER
from tests.connectors.rt_server import RtServer

pytestmark = pytest.mark.rt

Cli = Callable[..., Result]
PROFILE = "rt"
AGENT = "portalctl@rt.test"  # the RT user scripts/rt.sh makes, whose token the tests use
LIVE = {key: os.environ.get(f"PORTALCTL_LIVE_RT_{key}") for key in ("URL", "TOKEN")}


@pytest.fixture
def rt_profile(rt: RtServer, home: Path) -> Callable[..., Profile]:
    """`rt_profile(**options)`: save the RT profile (token in the secret store) and make it current."""

    def save(**options: str) -> Profile:
        profile = Profile(name=PROFILE, backend="rt", url=rt.url, user=RT_REQUESTER,
                          options={"queue": "General", "backoff": "0.05", **options})
        UserConfig().put(profile)
        SecretStore().set(PROFILE, rt.token)
        return profile

    return save


@pytest.fixture
def rt_cli(cli: Cli, rt_profile: Callable[..., Profile]) -> Cli:
    rt_profile()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        return cli(*args, env={"PORTALCTL_PROFILE": PROFILE, **(env or {})}, input=input)

    return run


def create(rt_cli: Cli, subject: str, *args: str) -> dict[str, object]:
    result = rt_cli("tickets", "create", "--subject", subject, "--body", f"Body of {subject}", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    created: dict[str, object] = json.loads(result.stdout)
    return created


def listed(rt_cli: Cli, *args: str) -> list[dict[str, object]]:
    result = rt_cli("tickets", "list", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def rest2(server: RtServer, path: str, **params: str) -> dict[str, object]:
    """RT's own answer, read without portalctl: what the connector wrote is what RT holds."""
    response = requests.get(f"{server.url}/REST/2.0/{path}", params=params, timeout=10,
                            headers={"Authorization": f"token {server.token}"})
    response.raise_for_status()
    data: dict[str, object] = response.json()
    return data


def test_states_priorities_and_ticketsql_are_written_as_rt_reads_them() -> None:
    """%Lifecycles' default (RT_Config.pm): new; open, stalled; resolved, rejected, deleted. %PriorityAsString's
    default: Low 0, Medium 50, High 100."""
    statuses = rm.Statuses({"status.waiting": "pending", "status.stalled": "on_hold"})
    assert [statuses.state(s) for s in ("new", "open", "stalled", "resolved", "rejected", "deleted", "waiting")] == [
        "new", "open", "on_hold", "resolved", "closed", "closed", "pending"]
    assert statuses.state("in progress") == "open"  # a status no option names reads by its words, else as open
    assert statuses.native("closed") == "rejected" and statuses.native("pending") == "waiting"
    assert rm.Statuses({}).clause(None) == "Status != 'deleted' AND Status != 'rejected'"
    assert rm.Statuses({}).clause(["resolved", "stalled"]) == "Status = 'resolved' OR Status = 'stalled'"
    assert rm.Statuses({}).clause(["all"]) == ""
    with pytest.raises(InvalidInput, match=r"bad option status\.waiting=someday") as bad:
        rm.Statuses({"status.waiting": "someday"})
    assert "status.NAME=STATE" in str(bad.value.hint)
    assert [rm.priority_name(v) for v in ("0", "49", "50", "99", "100", "250")] == [
        "low", "low", "medium", "medium", "high", "high"]
    assert rm.priority_clause(["medium"]) == "(Priority >= 50 AND Priority < 100)"
    with pytest.raises(Unsupported, match="Request Tracker's priorities are Low, Medium and High"):
        rm.priority_value("urgent")
    assert rm.quote("O'Brien \\ co") == "'O\\'Brien \\\\ co'"


def test_listing_pages_to_the_end_and_filters_on_rt(rt_cli: Cli, rt_profile: Callable[..., Profile],
                                                    word: str) -> None:
    """"All plural resources (such as /tickets) require pagination, controlled by the query parameters page and
    per_page" (RT::REST2, Paging): five tickets in pages of two are read to the last page."""
    rt_profile(page_size="2")
    ids = [create(rt_cli, f"{word} build {n}", "--priority", "high" if n % 2 else "low")["id"] for n in range(5)]
    billing = create(rt_cli, f"{word} factura", "--department", "Facturación", "--requester", "jefe@cliente.test")

    assert [row["id"] for row in listed(rt_cli, "--search", word, "--all", "--sort", "id")] == [*ids, billing["id"]]
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--limit", "3", "--sort", "-id")] == [
        billing["id"], ids[4], ids[3]]
    assert [row["id"] for row in listed(rt_cli, "--search", f"{word} BUILD", "--priority", "high", "--all")] == [
        ids[3], ids[1]]  # newest update first; LIKE ignores case
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--department", "Facturación")] == [billing["id"]]
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--requester", "JEFE@cliente.test")] == [
        billing["id"]]
    assert len(listed(rt_cli, "--search", word, "--mine", "--all")) == 5
    assert listed(rt_cli, "--search", word, "--status", "resolved") == []
    assert listed(rt_cli, "--search", word, "--created-since", "2999-01-01") == []
    assert {row["department"] for row in listed(rt_cli, "--search", word, "--all")} == {"General", "Facturación"}


def test_date_filters_hold_whatever_time_zone_the_rt_user_has(rt_cli: Cli, rt: RtServer, word: str) -> None:
    """RT reads a date in TicketSQL in the searching user's time zone (RT::Date->Set, Format 'unknown', Timezone
    'user'); REST2 writes every date in UTC. Here the token's user lives at UTC+14 for the length of the test."""
    made = create(rt_cli, f"{word} dated")
    created = str(made["created_at"])
    later = (parse_iso(created) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = requests.put(f"{rt.url}/REST/2.0/user/portalctl", json={"Timezone": "Pacific/Kiritimati"}, timeout=10,
                        headers={"Authorization": f"token {rt.token}"})
    assert user.status_code == 200, user.text
    try:
        assert [row["id"] for row in listed(rt_cli, "--search", word, "--created-since", created)] == [made["id"]]
        assert listed(rt_cli, "--search", word, "--created-since", later) == []
        assert [row["id"] for row in listed(rt_cli, "--search", word, "--created-until", later)] == [made["id"]]
        assert listed(rt_cli, "--search", word, "--created-until", created) == []
    finally:
        requests.put(f"{rt.url}/REST/2.0/user/portalctl", json={"Timezone": ""}, timeout=10,
                     headers={"Authorization": f"token {rt.token}"})


def test_replies_are_correspondence_and_notes_are_comments(rt_cli: Cli, rt: RtServer, word: str) -> None:
    """POST /ticket/:id/correspond and /comment ("add a reply or comment to the ticket"); RT's history shows which."""
    number = str(create(rt_cli, f"{word} Facturación rechazada")["id"])
    assert rt_cli("tickets", "reply", number, "--body", "¿Sigue fallando?").exit_code == 0
    assert rt_cli("tickets", "reply", number, "--internal", "--body", "Revisar con contabilidad").exit_code == 0

    shown = json.loads(rt_cli("tickets", "show", number, "-o", "json").stdout)
    assert [(c["body"], c["internal"]) for c in shown["comments"]] == [
        (f"Body of {word} Facturación rechazada", False), ("¿Sigue fallando?", False),
        ("Revisar con contabilidad", True)]
    assert shown["requester"] == RT_REQUESTER and {c["author"] for c in shown["comments"]} == {AGENT}
    history = rest2(rt, f"ticket/{number}/history", fields="Type", per_page="100")
    kinds = [t["Type"] for t in history["items"]]  # type: ignore[index, union-attr]
    assert [k for k in kinds if k in ("Create", "Correspond", "Comment")] == ["Create", "Correspond", "Comment"]
    assert shown["status_label"] == "open"  # RT opens a new ticket on correspondence


def test_pending_is_stalled_and_the_profile_can_map_statuses(rt_cli: Cli, rt_profile: Callable[..., Profile],
                                                             word: str) -> None:
    number = str(create(rt_cli, f"{word} waiting")["id"])
    answered = rt_cli("tickets", "reply", number, "--body", "¿Nos envía el PDF?", "--status", "pending", "-o", "json")
    assert answered.exit_code == 0, answered.output
    assert (json.loads(answered.stdout)["status"], json.loads(answered.stdout)["status_label"]) == (
        "pending", "stalled")
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--status", "stalled")] == [int(number)]

    rt_profile(**{"status.stalled": "on_hold"})
    assert [row["status"] for row in listed(rt_cli, "--search", word, "--status", "on_hold")] == ["on_hold"]
    states = json.loads(rt_cli("tickets", "states", "-o", "json").stdout)
    assert {"id": "stalled", "label": "stalled", "state": "on_hold", "pipeline": None} in states


def test_close_reopen_and_reject(rt_cli: Cli, word: str) -> None:
    number = str(create(rt_cli, f"{word} lifecycle")["id"])
    closed = json.loads(rt_cli("tickets", "close", number, "-o", "json").stdout)
    assert (closed["status"], closed["status_label"]) == ("resolved", "resolved") and closed["resolved_at"]
    again = rt_cli("tickets", "close", number)
    assert again.exit_code == ExitCode.CONFLICT and "already resolved" in again.stderr
    assert json.loads(rt_cli("tickets", "reopen", number, "-o", "json").stdout)["status"] == "open"
    not_closed = rt_cli("tickets", "reopen", number)
    assert not_closed.exit_code == ExitCode.CONFLICT and "nothing to reopen" in not_closed.stderr

    rejected = json.loads(rt_cli("tickets", "update", number, "--status", "closed", "-o", "json").stdout)
    assert (rejected["status"], rejected["status_label"]) == ("closed", "rejected")
    assert listed(rt_cli, "--search", word) == []  # closed tickets are left out unless asked for
    assert [row["status"] for row in listed(rt_cli, "--search", word, "--status", "closed")] == ["closed"]

    follow_up = create(rt_cli, f"{word} again", "--follow-up-of", number)
    assert follow_up["follow_up_of"] == int(number)  # RT's RefersTo link


def test_a_status_rt_refuses_is_a_conflict_not_a_silent_no_op(rt_cli: Cli, rt_profile: Callable[..., Profile],
                                                             word: str) -> None:
    """A PUT answers 200 with RT's messages even when a change is refused ("Status 'x' isn't a valid status for
    this ticket."): the connector reads the ticket back."""
    rt_profile(**{"status.waiting": "pending"})  # a status the default lifecycle does not have
    number = str(create(rt_cli, f"{word} custom status")["id"])
    result = rt_cli("tickets", "update", number, "--status", "waiting")
    assert result.exit_code == ExitCode.CONFLICT
    assert "isn't a valid status" in result.stderr
    assert listed(rt_cli, "--search", word)[0]["status_label"] == "new"


def test_update_owner_queue_priority_and_ccs(rt_cli: Cli, rt: RtServer, word: str) -> None:
    number = str(create(rt_cli, f"{word} to update", "--cc", "jefe@cliente.test")["id"])
    result = rt_cli("tickets", "update", number, "--priority", "high", "--assignee", AGENT, "--department",
                    "Facturación", "--subject", f"{word} updated", "-o", "json")
    assert result.exit_code == 0, result.output
    updated = json.loads(result.stdout)
    assert (updated["priority"], updated["assignee"], updated["department"]) == ("high", AGENT, "Facturación")
    raw = rest2(rt, f"ticket/{number}")
    assert (raw["Priority"], raw["Owner"]["id"], raw["Subject"]) == ("100", "portalctl", f"{word} updated")  # type: ignore[index]
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--assignee", AGENT)] == [int(number)]

    cc = rt_cli("tickets", "cc", number, "--add", "ana2@cliente.test", "--remove", "jefe@cliente.test", "-o", "json")
    assert cc.exit_code == 0, cc.output
    assert json.loads(cc.stdout)["ccs"] == ["ana2@cliente.test"]
    unassigned = json.loads(rt_cli("tickets", "update", number, "--assignee", "none", "-o", "json").stdout)
    assert unassigned["assignee"] is None


def test_attachments_go_up_and_come_back_byte_for_byte(rt_cli: Cli, tmp_path: Path, word: str) -> None:
    """Files go as REST2's multipart form ("a field named JSON ... Files can then be attached by specifying a field
    named Attachments for each of them") and come back from GET /attachment/:id ("the Content field contains the
    base64-encoded representation of the raw content")."""
    files = {name: os.urandom(size) for name, size in (("form.pdf", 70_000), ("scan.png", 1234), ("notes.txt", 99))}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    ticket = create(rt_cli, f"{word} with files", "--attach", str(tmp_path / "form.pdf"),
                    "--attach", str(tmp_path / "scan.png"))
    number = str(ticket["id"])
    replied = rt_cli("tickets", "reply", number, "--internal", "--body", "one more",
                     "--attach", str(tmp_path / "notes.txt"))
    assert replied.exit_code == 0, replied.output

    attachments = json.loads(rt_cli("tickets", "attachments", number, "-o", "json").stdout)
    assert sorted((a["filename"], a["size"]) for a in attachments) == sorted((n, len(c)) for n, c in files.items())
    saved = tmp_path / "saved"
    for attachment in attachments:
        result = rt_cli("tickets", "download", number, str(attachment["id"]), "--dir", str(saved))
        assert result.exit_code == 0, result.output
        assert Path(result.stdout.strip()).read_bytes() == files[attachment["filename"]]
    body_part = min(a["id"] for a in attachments) - 1  # the message text is an attachment too, not a file
    assert rt_cli("tickets", "download", number, str(body_part), "--dir", str(saved)).exit_code == ExitCode.NOT_FOUND


def test_custom_fields_and_bad_input_change_nothing(rt_cli: Cli, word: str) -> None:
    made = create(rt_cli, f"{word} with field", "--field", "user_code=0042")
    assert made["fields"] == {"user_code": "0042"}
    refused = [
        (("--field", "nope=1"), ExitCode.USAGE, "no custom field 'nope'"),
        (("--department", "Nowhere"), ExitCode.USAGE, "unknown queue 'Nowhere'"),
        (("--department", "General?x=1"), ExitCode.USAGE, "unknown queue 'General?x=1'"),  # a name, not a query
        (("--priority", "urgent"), ExitCode.ERROR, "Low, Medium and High"),
        (("--tag", "vip"), ExitCode.ERROR, "Request Tracker tickets have no tags"),
    ]
    for args, code, message in refused:
        result = rt_cli("tickets", "create", "--subject", f"{word} refused", "--body", "b", *args)
        assert result.exit_code == code and message in result.stderr, (args, result.output)
    assert [row["id"] for row in listed(rt_cli, "--search", word, "--status", "all")] == [made["id"]]
    kb = rt_cli("articles", "search", "factura")
    assert kb.exit_code == ExitCode.ERROR and "Request Tracker" in kb.stderr


def test_a_search_word_with_a_quote_is_one_ticketsql_string(rt_cli: Cli, word: str) -> None:
    made = create(rt_cli, f"{word} O'Brien's invoice")
    assert [row["id"] for row in listed(rt_cli, "--search", f"{word} o'brien's")] == [made["id"]]
    assert listed(rt_cli, "--search", f"{word} ' OR id > 0 OR Subject LIKE '") == []


def test_auth_login_checks_the_token_before_saving(cli: Cli, rt: RtServer, home: Path) -> None:
    """`Authorization: token ...` (RT::REST2, Token Auth); a refused token is exit 4 and no profile."""
    login = ("auth", "login", "--name", "desk", "--backend", "rt", "--url", rt.url + "/REST/2.0/",
             "--user", RT_REQUESTER, "--with-token")
    refused = cli(*login, input="1-27-" + "0" * 32 + "\n")
    assert refused.exit_code == ExitCode.AUTH and "refused the auth token" in refused.stderr
    assert "desk" not in cli("auth", "list", "-o", "json").stdout
    result = cli(*login, input=rt.token + "\n")
    assert result.exit_code == 0, result.output
    assert RT_REQUESTER in result.stderr


def test_a_listing_with_a_bad_token_fails_before_the_export_file_is_touched(rt_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "tickets.csv"
    target.write_text("yesterday's export\n")
    result = rt_cli("export", "tickets", "-o", str(target), env={"PORTALCTL_TOKEN": "1-1-bad"})
    assert result.exit_code == ExitCode.AUTH
    assert target.read_text() == "yesterday's export\n"


@pytest.mark.skipif(not (LIVE["URL"] and LIVE["TOKEN"]),
                    reason="set PORTALCTL_LIVE_RT_URL and PORTALCTL_LIVE_RT_TOKEN to run against your own RT")
def test_live_read_only_list_and_show() -> None:
    profile = Profile(name="live-rt", backend="rt", url=LIVE["URL"], user=None, options={})
    backend = rt.RtBackend(profile, LIVE["TOKEN"])
    tickets = list(backend.tickets.list(TicketQuery(statuses=["all"], limit=5)))
    if tickets:
        shown = backend.tickets.get(tickets[0].id)
        assert shown.id == tickets[0].id and shown.comments is not None


def test_an_agent_without_global_rights_reads_every_page(rt: RtServer, home: Path, word: str) -> None:
    """REST2 sends no `total` (so no `next_page`) to a user who may not see a whole collection: an agent with rights
    on one queue still gets every page of the queues, the listing and a long conversation."""
    SecretStore().set("agent", "agente:agente-password")  # rt_seed.pl's agent: rights on General only
    client = Client(Profile(name="agent", backend="rt", url=rt.url, user=RT_REQUESTER,
                            options={"queue": "General", "page_size": "2"}))
    made = [client.tickets.create(TicketDraft(subject=f"{word} agent {n}", body=f"Mensaje {n}")) for n in range(3)]
    for n in range(3):
        client.tickets.reply(made[0].id, body=f"respuesta {n}", internal=bool(n % 2))
    assert [t.id for t in client.tickets.list(TicketQuery(search=word, sort="id", limit=None))] == [
        t.id for t in made]
    shown = client.tickets.get(made[0].id)
    assert [c.body for c in shown.comments or []] == ["Mensaje 0", "respuesta 0", "respuesta 1", "respuesta 2"]
    assert [d.name for d in client.accounts.departments()] == ["General"]  # the queue it may see, and no other
    raw = requests.get(f"{rt.url}/REST/2.0/ticket/{made[0].id}/history", params={"per_page": "2"}, timeout=10,
                       auth=("agente", "agente-password")).json()
    # What made this test necessary: no total, so no next_page; and RT leaves out the rows the agent may not see
    # (its own mail records) after cutting the page, so a short page is no sign of the last one.
    assert raw["total"] is None and "next_page" not in raw


def test_basic_auth_works_too(rt: RtServer, home: Path, word: str) -> None:
    """"Authentication may use internal RT usernames and passwords, provided via HTTP Basic auth" (RT::REST2)."""
    SecretStore().set("basic", "root:password")  # scripts/rt.sh's database: root's password is RT's default
    client = Client(Profile(name="basic", backend="rt", url=rt.url, user=RT_REQUESTER, options={"queue": "1"}))
    made = client.tickets.create(TicketDraft(subject=f"{word} basic", body="through Basic auth"))
    assert made.department == "General"
    assert [t.id for t in client.tickets.list(TicketQuery(search=word))] == [made.id]
