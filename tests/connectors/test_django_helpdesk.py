"""The django-helpdesk connector against a real django-helpdesk (tests/connectors/conftest.py starts it).

Every test marks its tickets with a unique word and lists with --search for it, so tests share one help desk.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from portalctl.backends import helpdesk_map as hm
from portalctl.client import Client
from portalctl.config import Profile
from portalctl.contract import TicketDraft, TicketQuery
from portalctl.errors import InvalidInput, Unsupported
from portalctl.exitcodes import ExitCode
from tests.connectors.conftest import PROFILE, Helpdesk

pytestmark = pytest.mark.django_helpdesk

Cli = Callable[..., Result]


def create(hd_cli: Cli, subject: str, *args: str) -> dict[str, object]:
    result = hd_cli("tickets", "create", "--subject", subject, "--body", f"Body of {subject}", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    created: dict[str, object] = json.loads(result.stdout)
    return created


def listed(hd_cli: Cli, *args: str) -> list[dict[str, object]]:
    result = hd_cli("tickets", "list", *args, "-o", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def test_states_and_priorities_map_both_ways() -> None:
    assert [hm.state(code, False) for code in (1, 2, 3, 4, 5)] == [
        ("open", "Open"), ("open", "Reopened"), ("resolved", "Resolved"), ("closed", "Closed"),
        ("closed", "Duplicate"),
    ]
    assert hm.state(2, True) == ("on_hold", "Reopened - On Hold")
    assert [hm.PRIORITY.name(code) for code in (1, 2, 3, 4, 5)] == ["urgent", "high", "medium", "low", "low"]
    assert [hm.PRIORITY.code(name) for name in ("urgent", "high", "medium", "low")] == [1, 2, 3, 4]
    assert hm.StatusFilter(None).server_codes() == {1, 2, 3}  # every state but closed
    assert hm.StatusFilter(["duplicate"]).server_codes() == {5}
    assert hm.StatusFilter(["pending"]).server_codes() == set()  # django-helpdesk has no such state
    assert hm.new_status("open", hm.RESOLVED) == hm.REOPENED
    with pytest.raises(Unsupported, match="no 'pending' state"):
        hm.new_status("pending", hm.OPEN)


def test_create_then_list_reads_every_page(hd_cli: Cli, hd_profile: Callable[..., Profile], word: str) -> None:
    hd_profile(page_size=4)  # 11 tickets: three pages of the API for this test's own, more for the whole desk
    ids = [create(hd_cli, f"{word} build {n} failed", "--priority", "high")["id"] for n in range(11)]

    everything = listed(hd_cli, "--search", word, "--all", "--sort", "id")
    assert [row["id"] for row in everything] == ids
    assert {(row["status"], row["priority"], row["department"]) for row in everything} == {
        ("open", "high", "soporte-web")}

    newest = listed(hd_cli, "--search", word, "--limit", "3")
    assert [row["id"] for row in newest] == ids[:-4:-1]
    assert listed(hd_cli, "--search", word, "--priority", "low") == []
    assert listed(hd_cli, "--search", word, "--status", "resolved") == []


def test_show_gives_the_conversation_with_internal_notes_marked(hd_cli: Cli, word: str) -> None:
    ticket = create(hd_cli, f"{word} Facturación rechazada", "--field", "user_code=0042")
    number = str(ticket["id"])
    assert ticket["fields"] == {"user_code": "0042"} and ticket["created"] is True
    assert hd_cli("tickets", "reply", number, "--body", "Adjunto el PDF corregido").exit_code == 0
    assert hd_cli("tickets", "reply", number, "--internal", "--body", "Waiting on the carrier").exit_code == 0

    shown = json.loads(hd_cli("tickets", "show", number, "-o", "json").stdout)
    assert [(c["body"], c["internal"]) for c in shown["comments"]] == [
        (f"Body of {word} Facturación rechazada", False), ("Adjunto el PDF corregido", False),
        ("Waiting on the carrier", True),
    ]
    assert shown["requester"] == "admin@helpdesk.test" and shown["status_label"] == "Open"
    table = hd_cli("tickets", "show", number).stdout
    assert "Waiting on the carrier" in table and "[internal note]" in table
    # accents and case ignored, as on the portal engine
    assert [row["id"] for row in listed(hd_cli, "--search", f"{word} FACTURACION")] == [ticket["id"]]
    assert listed(hd_cli, "--search", f"{word} carrier") == []  # internal notes are not searched


def test_close_is_final_and_resolved_reopens(hd_cli: Cli, word: str) -> None:
    closed = str(create(hd_cli, f"{word} to close")["id"])
    result = hd_cli("tickets", "close", closed, "-o", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "closed"
    refused = hd_cli("tickets", "reopen", closed)
    assert refused.exit_code == ExitCode.CONFLICT
    assert "closed is final" in refused.stderr and f"--follow-up-of {closed}" in refused.stderr
    assert hd_cli("tickets", "reply", closed, "--body", "one more thing").exit_code == ExitCode.CONFLICT

    resolved = str(create(hd_cli, f"{word} to resolve")["id"])
    answered = hd_cli("tickets", "reply", resolved, "--body", "Fixed in 4.2", "--status", "resolved", "-o", "json")
    assert json.loads(answered.stdout)["status"] == "resolved"
    reopened = json.loads(hd_cli("tickets", "reopen", resolved, "-o", "json").stdout)
    assert (reopened["status"], reopened["status_label"]) == ("open", "Reopened")

    states = {row["id"]: row["status"] for row in listed(hd_cli, "--search", word, "--status", "all")}
    assert states == {int(closed): "closed", int(resolved): "open"}
    assert [row["id"] for row in listed(hd_cli, "--search", word, "--status", "reopened")] == [int(resolved)]

    follow_up = create(hd_cli, f"{word} again", "--follow-up-of", closed)
    assert follow_up["follow_up_of"] == int(closed)


def test_update_priority_hold_and_queue(hd_cli: Cli, helpdesk: Helpdesk, word: str) -> None:
    number = str(create(hd_cli, f"{word} update me")["id"])
    result = hd_cli("tickets", "update", number, "--priority", "urgent", "--status", "on_hold",
                    "--department", str(helpdesk.billing_queue), "-o", "json")
    assert result.exit_code == 0, result.output
    updated = json.loads(result.stdout)
    assert (updated["priority"], updated["status"], updated["status_label"]) == ("urgent", "on_hold", "Open - On Hold")
    assert updated["department"] == "facturacion"
    # django-helpdesk records no PATCH: the connector's internal note keeps the history (and the last change time)
    note = json.loads(hd_cli("tickets", "show", number, "-o", "json").stdout)["comments"][-1]
    assert note["internal"] and note["body"] == "Changed with portalctl: priority: urgent; queue: facturacion; on hold"
    assert listed(hd_cli, "--search", word, "--department", "soporte-web") == []
    again = json.loads(hd_cli("tickets", "update", number, "--status", "open", "-o", "json").stdout)
    assert again["status"] == "open"
    assert hd_cli("tickets", "update", number, "--tag", "x").exit_code == ExitCode.ERROR


def test_attachments_go_up_and_come_back_byte_for_byte(hd_cli: Cli, tmp_path: Path, word: str) -> None:
    files = {name: os.urandom(size) for name, size in (("form.pdf", 70_000), ("scan.png", 1234), ("notes.txt", 99))}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    ticket = create(hd_cli, f"{word} with files", "--attach", str(tmp_path / "form.pdf"),
                    "--attach", str(tmp_path / "scan.png"))
    number = str(ticket["id"])
    replied = hd_cli("tickets", "reply", number, "--body", "one more", "--attach", str(tmp_path / "notes.txt"))
    assert replied.exit_code == 0, replied.output

    attachments = json.loads(hd_cli("tickets", "attachments", number, "-o", "json").stdout)
    assert sorted((a["filename"], a["size"]) for a in attachments) == sorted((n, len(c)) for n, c in files.items())
    saved = tmp_path / "saved"
    for attachment in attachments:
        result = hd_cli("tickets", "download", number, str(attachment["id"]), "--dir", str(saved))
        assert result.exit_code == 0, result.output
        assert Path(result.stdout.strip()).read_bytes() == files[attachment["filename"]]
    missing = hd_cli("tickets", "download", number, "999999", "--dir", str(saved))
    assert missing.exit_code == ExitCode.NOT_FOUND


def test_export_tickets_to_csv_as_a_real_process(hd_cli: Cli, home: Path, tmp_path: Path, word: str) -> None:
    ids = {create(hd_cli, f"{word} export {n}", "--priority", "low")["id"] for n in range(3)}
    target = tmp_path / "tickets.csv"
    env = {**os.environ, "PORTALCTL_PROFILE": PROFILE, "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "portalctl", "export", "tickets", "-o", str(target),
                           "--search", word], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {int(row["id"]) for row in rows} == ids
    assert {(row["status"], row["priority"], row["department"]) for row in rows} == {("open", "low", "soporte-web")}
    assert "Exported 3 tickets" in done.stderr


@pytest.mark.parametrize("args", [("articles", "list"), ("export", "articles", "-o", "kb.csv")])
def test_articles_are_refused_by_name(hd_cli: Cli, args: tuple[str, ...]) -> None:
    result = hd_cli(*args)
    assert result.exit_code != 0
    assert "django-helpdesk has no knowledge-base API" in result.stderr
    assert not Path("kb.csv").exists()


def test_a_bad_or_non_staff_token_exits_4(hd_cli: Cli, helpdesk: Helpdesk) -> None:
    bad = hd_cli("tickets", "list", env={"PORTALCTL_TOKEN": "0" * 40})
    assert bad.exit_code == ExitCode.AUTH and "refused the credentials" in bad.stderr
    customer = hd_cli("tickets", "list", env={"PORTALCTL_TOKEN": helpdesk.customer_token})
    assert customer.exit_code == ExitCode.AUTH and "Staff status" in customer.stderr


def test_what_django_helpdesk_cannot_do_is_an_error(hd_cli: Cli) -> None:
    dedupe = hd_cli("tickets", "create", "--subject", "x", "--body", "y", "--dedupe-key", "ci-main")
    assert dedupe.exit_code == ExitCode.ERROR and "dedupe key" in dedupe.stderr
    unknown_field = hd_cli("tickets", "create", "--subject", "x", "--body", "y", "--field", "nope=1")
    assert unknown_field.exit_code == ExitCode.USAGE and "no custom field 'nope'" in unknown_field.stderr
    assert listed(hd_cli, "--search", "x", "--status", "pending") == []


def test_auth_login_checks_the_token_before_saving(cli: Cli, helpdesk: Helpdesk, home: Path) -> None:
    login = ("auth", "login", "--name", "desk", "--backend", "django-helpdesk", "--url", helpdesk.url,
             "--user", helpdesk.admin_email, "--with-token")
    refused = cli(*login, input="f" * 40 + "\n")
    assert refused.exit_code == ExitCode.AUTH
    assert "desk" not in cli("auth", "list", "-o", "json").stdout

    result = cli(*login, input=helpdesk.token + "\n")
    assert result.exit_code == 0, result.output
    assert "admin@helpdesk.test" in result.stderr
    status = json.loads(cli("auth", "status", "-o", "json").stdout)
    assert (status["backend"], status["user"], status["role"]) == ("django-helpdesk", "admin@helpdesk.test", "agent")


def test_basic_auth_and_a_queue_slug(helpdesk: Helpdesk, home: Path, word: str) -> None:
    from portalctl.secrets import SecretStore

    SecretStore().set("basic", f"{helpdesk.admin_user}:{helpdesk.admin_password}")
    profile = Profile(name="basic", backend="django-helpdesk", url=helpdesk.url + "/api/",
                      user=helpdesk.admin_email, options={"queue": str(helpdesk.queue)})
    client = Client(profile)
    first = client.tickets.create(TicketDraft(subject=f"{word} basic", body="through Basic auth"))
    assert first.department == helpdesk.queue_slug
    by_slug = client.tickets.create(TicketDraft(subject=f"{word} by slug", body="b", department="Soporte Web"))
    assert by_slug.department == helpdesk.queue_slug
    found = client.tickets.list(TicketQuery(search=word, sort="id", limit=None))
    assert [t.id for t in found] == [first.id, by_slug.id]
    assert helpdesk.queue_slug in [d.slug for d in client.accounts.departments()]
    with pytest.raises(InvalidInput, match="unknown queue 'nowhere'"):
        client.tickets.create(TicketDraft(subject="x", body="y", department="nowhere"))
