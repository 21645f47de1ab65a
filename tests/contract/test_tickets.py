"""The tickets contract: every backend creates, lists, answers, closes and guards tickets the same way.

Each test runs on the embedded portal and on a real `portalctl serve` process, through portalctl.client only.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from portalctl.contract import TicketChanges, TicketDraft, TicketQuery, Upload
from portalctl.demo_data import sample_pdf
from portalctl.errors import InvalidInput, NotFound, PermissionDenied, StateConflict
from portalctl.model import STATES
from tests.conftest import ADMIN, AGENT, ANA, BOB, CARLA, DIEGO
from tests.contract.conftest import ClientFor
from tests.contract.serving import Deployment

PDF = sample_pdf()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# a real 1x1 grey PNG: attachments must decode as what their first bytes claim
PNG = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
       + png_chunk(b"IDAT", zlib.compress(b"\x00\x80")) + png_chunk(b"IEND", b""))
ELF_EXE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 100


def ids(client: ClientFor, email: str, word: str, **query: Any) -> list[int]:
    """Ids of the tickets `email` lists among those marked with `word`."""
    return [t.id for t in client(email).tickets.list(TicketQuery(search=word, **query))]


def test_create_and_show(client: ClientFor, word: str) -> None:
    created = client(ANA).tickets.create(
        TicketDraft(subject=f"VPN caída {word}", body="Desde las 9:00 no conecta.", priority="high", type="incident",
        department="Soporte Web", tags=["VPN", "urgente"], ccs=[BOB], fields={"user_code": "0042"})
    )
    assert created.created is True
    assert (created.status, created.priority, created.type, created.department) == ("new", "high", "incident",
                                                                                   "soporte-web")
    assert (created.requester, created.organization, created.ccs) == (ANA, "acme", [BOB])
    assert created.tags == ["vpn", "urgente"]
    assert created.fields == {"user_code": "0042"}
    assert created.due_at and created.status_label == "New"
    shown = client(ANA).tickets.get(created.id)
    assert shown.subject == f"VPN caída {word}"
    assert [c.body for c in shown.comments or []] == ["Desde las 9:00 no conecta."]
    assert shown.comments and shown.comments[0].author == ANA
    assert client(AGENT).tickets.get(created.id).requester_name == "Ana Acme"


def test_create_checks_input_like_the_engine(client: ClientFor, word: str) -> None:
    tickets = client(ANA).tickets
    with pytest.raises(InvalidInput, match="subject is empty"):
        tickets.create(TicketDraft(subject="  ", body="x"))
    with pytest.raises(InvalidInput, match="priority") as bad:
        tickets.create(TicketDraft(subject=word, body="x", priority="whenever"))
    assert bad.value.hint and "urgent" in bad.value.hint
    with pytest.raises(InvalidInput, match="user_code") as pattern:
        tickets.create(TicketDraft(subject=word, body="x", fields={"user_code": "42"}))
    assert pattern.value.hint == "the 4-digit VAI user code"
    with pytest.raises(InvalidInput, match="unknown field"):
        tickets.create(TicketDraft(subject=word, body="x", fields={"colour": "red"}))
    with pytest.raises(PermissionDenied):
        tickets.create(TicketDraft(subject=word, body="x", requester=BOB))
    assert ids(client, AGENT, word, statuses=list(STATES)) == []


def test_filters(client: ClientFor, word: str) -> None:
    ana, carla = client(ANA).tickets, client(CARLA).tickets
    low = ana.create(TicketDraft(subject=f"{word} one", body="b", priority="low", type="question"))
    high = ana.create(TicketDraft(subject=f"{word} two", body="b", priority="high", type="incident",
                                  department="soporte-web"))
    other = carla.create(TicketDraft(subject=f"{word} three", body="b", priority="high"))
    closed = ana.create(TicketDraft(subject=f"{word} four", body="b"))
    client(AGENT).tickets.close(closed.id)

    assert set(ids(client, AGENT, word)) == {low.id, high.id, other.id}  # closed is hidden by default
    assert ids(client, AGENT, word, statuses=["closed"]) == [closed.id]
    assert set(ids(client, AGENT, word, statuses=list(STATES))) == {low.id, high.id, other.id, closed.id}
    assert ids(client, AGENT, word, statuses=["Cerrado"]) == [closed.id]  # native names work too
    assert set(ids(client, AGENT, word, priorities=["high"])) == {high.id, other.id}
    assert ids(client, AGENT, word, types=["question"]) == [low.id]
    assert set(ids(client, AGENT, word, priorities=["low", "high"], types=["question", "incident"])) == {
        low.id, high.id}
    both_departments = ["soporte-web", "Soporte Administrativo"]
    assert ids(client, AGENT, word, statuses=["new", "closed"], departments=both_departments) == [high.id]
    assert ids(client, AGENT, word, departments=["Soporte Web"]) == [high.id]
    assert ids(client, AGENT, word, organization="globex") == [other.id]
    assert set(ids(client, AGENT, word, requester=ANA)) == {low.id, high.id}
    assert set(ids(client, ANA, word, mine=True)) == {low.id, high.id}
    assert ids(client, AGENT, word, sort="-id") == sorted({low.id, high.id, other.id}, reverse=True)
    assert ids(client, AGENT, word, sort="-id", limit=2) == sorted({low.id, high.id, other.id}, reverse=True)[:2]
    with pytest.raises(InvalidInput, match="unknown status"):
        client(AGENT).tickets.list(TicketQuery(statuses=["limbo"]))
    with pytest.raises(InvalidInput, match="sort"):
        client(AGENT).tickets.list(TicketQuery(sort="colour"))
    with pytest.raises(InvalidInput, match="department"):
        client(AGENT).tickets.list(TicketQuery(departments=["nowhere"], limit=None))


def test_assignee_and_tag_filters(client: ClientFor, word: str) -> None:
    ana = client(ANA).tickets
    vpn = ana.create(TicketDraft(subject=f"{word} vpn", body="b", tags=["Build Failure"]))
    mail = ana.create(TicketDraft(subject=f"{word} mail", body="b", tags=["mail", "hw"]))
    bare = ana.create(TicketDraft(subject=f"{word} bare", body="b"))
    client(AGENT).tickets.update(vpn.id, TicketChanges(assignee=AGENT))
    client(AGENT).tickets.update(mail.id, TicketChanges(assignee=ADMIN))

    assert ids(client, ADMIN, word, assignees=[AGENT]) == [vpn.id]
    assert ids(client, AGENT, word, assignees=["@me"]) == [vpn.id]
    assert set(ids(client, AGENT, word, assignees=["@me", ADMIN])) == {vpn.id, mail.id}
    assert ids(client, ANA, word, assignees=["@me"]) == []  # no ticket is assigned to the customer
    assert set(ids(client, ANA, word, tags=["build failure", "HW"])) == {vpn.id, mail.id}
    assert bare.id not in ids(client, ANA, word, tags=["mail"])


def test_every_ticket_comes_back_without_paging_by_hand(client: ClientFor, word: str) -> None:
    made = [client(ANA).tickets.create(TicketDraft(subject=f"{word} {n}", body="b")).id for n in range(120)]
    listed = ids(client, AGENT, word, limit=None, sort="id")
    assert listed == made
    assert ids(client, ANA, word, limit=100, sort="-id") == made[::-1][:100]
    everything = list(client(ANA).tickets.list(TicketQuery(search=word, limit=None)))
    assert len(everything) == 120 and everything[0].requester == ANA and everything[0].comments is None


def test_cursor_pages_follow_each_other(client: ClientFor, deployment: Deployment, word: str) -> None:
    """More tickets than fit one page (500): written straight into the portal file, read back page by page."""
    portal = deployment.store.open()
    try:
        made = [portal.session(DIEGO).tickets.create(TicketDraft(subject=f"{word} {n}",
                                                                 body="b")).id for n in range(520)]
    finally:
        portal.close()
    assert ids(client, CARLA, word, limit=510, sort="id") == made[:510]
    assert ids(client, CARLA, word, limit=None, sort="-id") == made[::-1]
    assert ids(client, CARLA, word, limit=None) == ids(client, CARLA, word, limit=1000)


def test_replies_move_the_state_like_the_portal_rules(client: ClientFor, word: str) -> None:
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="¿Me ayudan?"))
    agent, ana = client(AGENT).tickets, client(ANA).tickets
    assert agent.reply(ticket.id, body="¿Qué navegador usa?").status == "pending"
    assert ana.reply(ticket.id, body="Firefox").status == "open"
    assert agent.reply(ticket.id, body="Resuelto", status="resolved").status == "resolved"
    assert ana.reply(ticket.id, body="Sigue fallando").status == "open"
    assert agent.reply(ticket.id, body="mirar logs", internal=True).status == "open"
    with pytest.raises(PermissionDenied):
        ana.reply(ticket.id, body="nota", internal=True)
    with pytest.raises(PermissionDenied):
        ana.reply(ticket.id, body="cierro", status="closed")
    with pytest.raises(InvalidInput, match="empty"):
        ana.reply(ticket.id, body=" ")
    bodies = [c.body for c in ana.get(ticket.id).comments or []]
    assert bodies == ["¿Me ayudan?", "¿Qué navegador usa?", "Firefox", "Resuelto", "Sigue fallando"]
    staff_view = agent.get(ticket.id).comments or []
    assert [(c.body, c.internal) for c in staff_view][-1] == ("mirar logs", True)


def test_internal_notes_never_reach_customers(client: ClientFor, word: str, tmp_path: Path) -> None:
    ticket = client(CARLA).tickets.create(TicketDraft(subject=word, body="help"))
    note = tmp_path / "internal.pdf"
    note.write_bytes(PDF)
    client(AGENT).tickets.reply(ticket.id, body=f"secret {word}note", internal=True,
                                attachments=[Upload("internal.pdf", note)])
    for email in (CARLA, DIEGO):
        seen = client(email).tickets.get(ticket.id)
        assert all(not c.internal for c in seen.comments or [])
        assert seen.attachments == [] and client(email).tickets.attachments(ticket.id) == []
    staff = client(AGENT).tickets.attachments(ticket.id)
    assert [a.filename for a in staff] == ["internal.pdf"]
    with pytest.raises(NotFound):
        client(CARLA).tickets.download(ticket.id, staff[0].id)
    assert ids(client, CARLA, f"{word}note") == []


def test_close_reopen_and_closed_is_final(client: ClientFor, word: str) -> None:
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="b"))
    agent, ana = client(AGENT).tickets, client(ANA).tickets
    with pytest.raises(StateConflict, match="not resolved"):
        ana.reopen(ticket.id)
    agent.update(ticket.id, TicketChanges(status="resolved"))
    reopened = ana.reopen(ticket.id)
    assert reopened.status == "open" and reopened.resolved_at is None
    closed = ana.close(ticket.id)
    assert closed.status == "closed" and closed.closed_at
    for attempt in (lambda: ana.reply(ticket.id, body="otra cosa"), lambda: ana.close(ticket.id),
                    lambda: ana.reopen(ticket.id), lambda: agent.update(ticket.id, TicketChanges(priority="low")),
                    lambda: agent.cc(ticket.id, add=[BOB])):
        with pytest.raises(StateConflict) as refused:
            attempt()
        assert refused.value.hint and refused.value.hint.startswith("open a follow-up")
    follow_up = ana.create(TicketDraft(subject=f"{word} again", body="b", follow_up_of=ticket.id))
    assert follow_up.follow_up_of == ticket.id


def test_update(client: ClientFor, word: str) -> None:
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="b", tags=["a"]))
    changed = client(AGENT).tickets.update(ticket.id, TicketChanges(
        subject=f"{word} renamed", priority="urgent", type="problem", department="soporte-administrativo",
        status="on_hold", assignee=AGENT, fields={"country": "CO"}, add_tags=["b", "c"], remove_tags=["a"],
    ))
    assert (changed.subject, changed.priority, changed.type, changed.department) == (
        f"{word} renamed", "urgent", "problem", "soporte-administrativo")
    assert (changed.status, changed.assignee, changed.fields, changed.tags) == ("on_hold", AGENT, {"country": "CO"},
                                                                                 ["b", "c"])
    ana = client(ANA).tickets
    assert ana.update(ticket.id, TicketChanges(fields={"user_code": "1234"})).fields == {"country": "CO",
                                                                                          "user_code": "1234"}
    with pytest.raises(PermissionDenied, match="country"):
        ana.update(ticket.id, TicketChanges(fields={"country": "ES"}))
    with pytest.raises(PermissionDenied, match="priority"):
        ana.update(ticket.id, TicketChanges(priority="low"))
    with pytest.raises(InvalidInput, match="nothing to change"):
        client(AGENT).tickets.update(ticket.id, TicketChanges())
    with pytest.raises(InvalidInput, match="customer"):
        client(AGENT).tickets.update(ticket.id, TicketChanges(assignee=BOB))


def test_cc_lets_someone_follow_and_removing_it_stops_that(client: ClientFor, word: str) -> None:
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="b"))
    with pytest.raises(NotFound):
        client(CARLA).tickets.get(ticket.id)
    assert client(ANA).tickets.cc(ticket.id, add=[CARLA]).ccs == [CARLA]
    assert client(CARLA).tickets.get(ticket.id).id == ticket.id
    assert ids(client, CARLA, word) == [ticket.id]
    assert client(AGENT).tickets.cc(ticket.id, remove=[CARLA]).ccs == []
    with pytest.raises(NotFound):
        client(CARLA).tickets.get(ticket.id)
    with pytest.raises(InvalidInput, match="not CC'd"):
        client(AGENT).tickets.cc(ticket.id, remove=[DIEGO])
    with pytest.raises(InvalidInput, match="e-mail"):
        client(AGENT).tickets.cc(ticket.id, add=["not-an-address"])


def test_attachments_round_trip(client: ClientFor, word: str, tmp_path: Path) -> None:
    pdf, png = tmp_path / "formulario 5412.pdf", tmp_path / "captura.png"
    pdf.write_bytes(PDF * 300)  # ~25 KB: more than one read chunk on the way back
    png.write_bytes(PNG)
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="adjunto", attachments=[
        Upload(pdf.name, pdf), Upload(png.name, png)]))
    listed = client(AGENT).tickets.attachments(ticket.id)
    assert [(a.filename, a.content_type, a.size) for a in listed] == [
        ("formulario 5412.pdf", "application/pdf", len(PDF) * 300), ("captura.png", "image/png", len(PNG))]
    assert [a.sha256 for a in listed] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in (pdf, png)]
    shown = client(ANA).tickets.get(ticket.id)
    assert shown.comments and [a.filename for a in shown.comments[0].attachments] == [pdf.name, png.name]
    for original, meta in zip((pdf, png), listed, strict=True):
        found, stream = client(ANA).tickets.download(ticket.id, meta.id)
        with stream:
            data = stream.read()
        assert found == meta
        assert data == original.read_bytes() and hashlib.sha256(data).hexdigest() == meta.sha256
    reply = client(AGENT).tickets.reply(ticket.id, body="corregido", attachments=[Upload("fixed.pdf", pdf)])
    assert [a.filename for a in reply.attachments or []] == [pdf.name, png.name, "fixed.pdf"]
    with pytest.raises(NotFound):
        client(ANA).tickets.download(ticket.id, 10**9)
    with pytest.raises(NotFound):
        client(BOB).tickets.download(ticket.id, listed[0].id)


def test_attachment_from_a_pipe(client: ClientFor, word: str, tmp_path: Path) -> None:
    fifo = tmp_path / "stdin"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(PDF,))
    writer.start()
    ticket = client(ANA).tickets.create(TicketDraft(subject=word, body="b", attachments=[Upload("piped.pdf", fifo)]))
    writer.join()
    [stored] = client(ANA).tickets.attachments(ticket.id)
    assert (stored.filename, stored.size, stored.sha256) == ("piped.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())


def test_attachments_are_checked_by_content_and_size(client: ClientFor, word: str, tmp_path: Path) -> None:
    disguised, large = tmp_path / "invoice.pdf", tmp_path / "big.pdf"
    disguised.write_bytes(ELF_EXE)
    large.write_bytes(PDF + b"0" * 1_100_000)  # the seeded portal allows 1 MB
    tickets = client(ANA).tickets
    with pytest.raises(InvalidInput, match="checked by content") as refused:
        tickets.create(TicketDraft(subject=word, body="b", attachments=[Upload(disguised.name, disguised)]))
    assert refused.value.hint and "PDF" in refused.value.hint
    with pytest.raises(InvalidInput, match="limit"):
        tickets.create(TicketDraft(subject=word, body="b", attachments=[Upload(large.name, large)]))
    with pytest.raises(InvalidInput, match="cannot read"):
        tickets.create(TicketDraft(subject=word, body="b", attachments=[Upload("gone.pdf", tmp_path / "gone.pdf")]))
    assert ids(client, AGENT, word, statuses=list(STATES)) == []


def test_organisations_cannot_see_each_other(client: ClientFor, word: str) -> None:
    ana_ticket = client(ANA).tickets.create(TicketDraft(subject=f"{word} acme", body="confidencial"))
    carla_ticket = client(CARLA).tickets.create(TicketDraft(subject=f"{word} globex", body="confidencial"))
    for email, ticket_id in ((CARLA, ana_ticket.id), (BOB, ana_ticket.id), (ANA, carla_ticket.id)):
        with pytest.raises(NotFound, match=f"#{ticket_id}"):
            client(email).tickets.get(ticket_id)
        with pytest.raises(NotFound):
            client(email).tickets.reply(ticket_id, body="hola")
        with pytest.raises(NotFound):
            client(email).tickets.attachments(ticket_id)
    assert ids(client, CARLA, word) == [carla_ticket.id]
    assert ids(client, DIEGO, word) == [carla_ticket.id]  # Globex shares its tickets among its people
    assert client(DIEGO).tickets.get(carla_ticket.id).requester == CARLA
    assert ids(client, BOB, word) == []  # Acme does not
    assert set(ids(client, ADMIN, word)) == {ana_ticket.id, carla_ticket.id}
    assert ids(client, ANA, word, requester="nobody@nowhere.test") == []  # no probing who has an account
    with pytest.raises(NotFound):
        client(AGENT).tickets.list(TicketQuery(requester="nobody@nowhere.test"))


def test_dedupe_keys(client: ClientFor, word: str) -> None:
    tickets = client(AGENT).tickets
    first = tickets.create(TicketDraft(subject=f"{word} build red", body="job 1", dedupe_key=word))
    again = tickets.create(TicketDraft(subject=f"{word} build red", body="job 2", dedupe_key=word))
    assert (first.created, again.created, again.id) == (True, False, first.id)
    assert [c.body for c in again.comments or []] == ["job 1", "job 2"]
    skipped = tickets.create(TicketDraft(subject=word, body="job 3", dedupe_key=word, on_duplicate="skip"))
    assert (skipped.created, skipped.id, len(skipped.comments or [])) == (False, first.id, 2)
    forced = tickets.create(TicketDraft(subject=word, body="job 4", dedupe_key=word, on_duplicate="new"))
    assert forced.created is True and forced.id != first.id and forced.dedupe_key == word
    tickets.close(first.id)
    tickets.close(forced.id)
    fresh = tickets.create(TicketDraft(subject=word, body="job 5", dedupe_key=word))
    assert fresh.created is True and fresh.id not in (first.id, forced.id)
    with pytest.raises(InvalidInput, match="on-duplicate"):
        tickets.create(TicketDraft(subject=word, body="b", dedupe_key=word, on_duplicate="merge"))
