"""Attachments: the type is decided by content (a renamed executable is caught), the size is limited, the sha256
is kept, internal notes' files stay internal, and downloads write a safe name without clobbering files.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from portalctl.contract import TicketDraft, Upload
from portalctl.demo_data import sample_pdf
from portalctl.engine.attachments import UnsupportedType, safe_name, sniff
from portalctl.engine.portal import Portal, Session
from portalctl.errors import InvalidInput, NotFound
from portalctl.exitcodes import ExitCode
from portalctl.model import Ticket
from tests.conftest import AGENT, ANA, BOB, CARLA

AsUser = Callable[[str], Session]
Cli = Callable[..., Result]

PDF = sample_pdf()
PE_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
ELF_EXE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 100


def make_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def zip_of(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "text")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book, buffer = Workbook(), io.BytesIO()
    book.active.append(["form", "value"])  # type: ignore[union-attr]
    book.save(buffer)
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A small PNG whose header declares `width` x `height` (its CRC fixed up): a decompression bomb's shape."""
    png = bytearray(image_bytes("PNG", (1, 1)))
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


# A legacy Office (OLE2) header: magic, CLSID, minor/major version 3, byte order FFFE, 512-byte sectors.
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\x00" * 1000
PNG = image_bytes("PNG")


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def blob_files(portal: Portal) -> list[Path]:
    return [p for p in portal.blob_dir.rglob("*") if p.is_file()] if portal.blob_dir.exists() else []


def counts(portal: Portal) -> tuple[int, int, int]:
    """(tickets, comments, attachments) in the portal file."""
    tickets, comments, attachments = (
        int(portal.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for table in ("tickets", "comments", "attachments")
    )
    return tickets, comments, attachments


def open_with(session: Session, *paths: Path, **options: Any) -> Ticket:
    uploads = [Upload(filename=p.name, path=p) for p in paths]
    return session.tickets.create(TicketDraft(subject="Formulario corregido", body="Adjunto el PDF",
                                              attachments=uploads,
                                  **options))


# --- what is accepted, by content ----------------------------------------------------------------------------


class TestTypeByStructure:
    """The first bytes name a type; the file must then have that type's structure."""

    @pytest.mark.parametrize(("name", "content", "problem"), [
        ("report.pdf", b"%PDF-1.7\n" + ELF_EXE, "it has no PDF trailer"),
        ("report.pdf", b"%PDF-1.7\n" + ELF_EXE + b"\nstartxref\n9\n%%EOF\n", "does not point at a cross-reference"),
        ("photo.png", PNG[:60], "does not decode as an image"),
        ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + ELF_EXE, "does not decode as an image"),
        ("form.docx", b"PK\x03\x04" + ELF_EXE, "is not a readable zip archive"),
        ("form.docx", zip_of("notes.txt"), "lacks the parts of its Office type"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + ELF_EXE, "is not a valid OLE2 compound file"),
    ])
    def test_a_file_that_only_starts_like_an_allowed_type_is_refused(
        self, tmp_path: Path, portal: Portal, as_user: AsUser, name: str, content: bytes, problem: str
    ) -> None:
        with pytest.raises(UnsupportedType, match=problem) as caught:
            open_with(as_user(ANA), make_file(tmp_path, name, content))
        assert str(caught.value).startswith(f"{name} starts like ") and caught.value.status == 415
        assert counts(portal) == (0, 0, 0)
        assert blob_files(portal) == []

    def test_a_decompression_bomb_is_refused_from_its_header(self, tmp_path: Path, portal: Portal,
                                                            as_user: AsUser) -> None:
        for width, height in ((10_000, 10_000), (100_000, 100_000)):  # 10^8 and 10^10 pixels in 70 bytes
            bomb = make_file(tmp_path, "bomb.png", png_bomb(width, height))
            with pytest.raises(UnsupportedType, match=r"declared size .*is over the 50,000,000-pixel limit"):
                open_with(as_user(ANA), bomb)
        assert counts(portal) == (0, 0, 0)

    def test_the_elf_with_a_pdf_prefix_is_refused_on_the_command_line(self, tmp_path: Path, portal: Portal,
                                                                     cli: Cli) -> None:
        fake = make_file(tmp_path, "factura.pdf", b"%PDF-1.4\n" + ELF_EXE)
        result = cli("tickets", "create", "--subject", "s", "--body", "b", "--attach", str(fake), user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "factura.pdf starts like application/pdf but is not one" in result.stderr
        assert counts(portal) == (0, 0, 0)



class TestTypeByContent:
    def test_a_real_pdf_is_accepted_and_its_sha256_kept(self, tmp_path: Path, portal: Portal, as_user: AsUser) -> None:
        ticket = open_with(as_user(ANA), make_file(tmp_path, "report.pdf", PDF))
        [attachment] = ticket.attachments or []
        assert (attachment.filename, attachment.content_type, attachment.size) == ("report.pdf", "application/pdf",
                                                                                   len(PDF))
        assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
        [blob] = blob_files(portal)
        assert blob.read_bytes() == PDF
        assert blob.name == attachment.sha256

    @pytest.mark.parametrize(
        ("name", "content", "expected"),
        [
            ("photo.png", PNG, "image/png"),
            ("scan.jpg", image_bytes("JPEG"), "image/jpeg"),
            ("form.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("book.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("old.xls", OLE, "application/vnd.ms-excel"),
            ("notes.txt", "Valor FOB corregido: 1.250,50 €\n".encode(), "text/plain"),
            ("data.csv", b"form,value\n5412,100\n", "text/csv"),
        ],
    )
    def test_allowed_types_are_recognised_by_content(
        self, tmp_path: Path, as_user: AsUser, name: str, content: bytes, expected: str
    ) -> None:
        [attachment] = open_with(as_user(ANA), make_file(tmp_path, name, content)).attachments or []
        assert attachment.content_type == expected

    @pytest.mark.parametrize(
        ("name", "content", "kind"),
        [
            ("report.pdf", PE_EXE, "application/x-msdownload"),
            ("report.pdf", ELF_EXE, "application/x-executable"),
            ("invoice.png", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 40, "application/x-executable"),
            ("notes.txt", b"\x00\x01\x02\x03binary", "application/octet-stream"),
        ],
    )
    def test_a_renamed_executable_or_binary_is_refused_and_nothing_is_stored(
        self, tmp_path: Path, portal: Portal, as_user: AsUser, name: str, content: bytes, kind: str
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            open_with(as_user(ANA), make_file(tmp_path, name, content))
        assert caught.value.exit_code == ExitCode.USAGE
        assert str(caught.value) == f"{name}: files of type {kind} are not accepted (checked by content, not name)"
        assert counts(portal) == (0, 0, 0)
        assert blob_files(portal) == []

    def test_elf_magic_is_refused_even_in_a_tiny_file(self, tmp_path: Path, portal: Portal, as_user: AsUser) -> None:
        with pytest.raises(InvalidInput, match="not accepted"):
            open_with(as_user(ANA), make_file(tmp_path, "report.pdf", b"\x7fELF" + b"\x01" * 40))
        assert counts(portal) == (0, 0, 0)

    def test_one_bad_file_among_several_refuses_the_whole_ticket(
        self, tmp_path: Path, portal: Portal, as_user: AsUser
    ) -> None:
        good = make_file(tmp_path, "form.pdf", PDF)
        bad = make_file(tmp_path, "report.pdf", PE_EXE)
        with pytest.raises(InvalidInput, match=r"report\.pdf"):
            open_with(as_user(ANA), good, bad)
        assert counts(portal) == (0, 0, 0)

    def test_sniff_decides_by_bytes_not_by_name(self) -> None:
        assert sniff(PDF, "photo.png") == "application/pdf"
        assert sniff(PE_EXE, "report.pdf") == "application/x-msdownload"


# --- size ----------------------------------------------------------------------------------------------------


class TestSizeLimit:
    def test_a_file_over_the_limit_is_refused_before_anything_is_stored(
        self, tmp_path: Path, portal: Portal, as_user: AsUser
    ) -> None:
        portal.set_setting("max_attachment_mb", "1")
        big = make_file(tmp_path, "big.pdf", PDF + b"0" * (1_000_001 - len(PDF)))
        with pytest.raises(InvalidInput, match="larger than the 1,000,000-byte") as caught:
            open_with(as_user(ANA), big)
        assert caught.value.hint == "compress it or share a link instead"
        assert counts(portal) == (0, 0, 0)
        assert blob_files(portal) == []

    def test_a_file_at_the_limit_is_accepted(self, tmp_path: Path, portal: Portal, as_user: AsUser) -> None:
        portal.set_setting("max_attachment_mb", "1")
        padded = sample_pdf(1_000_000 - len(PDF))
        exact = make_file(tmp_path, "exact.pdf", sample_pdf(1_000_000 - len(PDF) - (len(padded) - 1_000_000)))
        [attachment] = open_with(as_user(ANA), exact).attachments or []
        assert attachment.size == 1_000_000

    def test_the_default_limit_is_95_mb(self, portal: Portal) -> None:
        assert portal.setting("max_attachment_mb") == "95"


# --- storage, replies and internal notes ---------------------------------------------------------------------


class TestStorage:
    def test_the_same_file_attached_twice_is_stored_once(self, tmp_path: Path, portal: Portal, as_user: AsUser) -> None:
        path = make_file(tmp_path, "form.pdf", PDF)
        first = open_with(as_user(ANA), path)
        second = open_with(as_user(BOB), path)
        assert (first.attachments or [])[0].sha256 == (second.attachments or [])[0].sha256
        assert len(blob_files(portal)) == 1

    def test_a_reply_carries_its_attachments_in_the_conversation(self, tmp_path: Path, as_user: AsUser) -> None:
        ticket = as_user(ANA).tickets.create(TicketDraft(subject="Formulario", body="Va sin adjunto"))
        reply = as_user(AGENT).tickets.reply(ticket.id, body="Le envío el PDF",
                                             attachments=[Upload("form.pdf", make_file(tmp_path, "form.pdf", PDF))])
        comments = reply.comments or []
        assert [a.filename for a in comments[-1].attachments] == ["form.pdf"]
        assert comments[0].attachments == []

    @pytest.mark.parametrize(
        ("given", "kept"),
        [("../../etc/passwd.pdf", "passwd.pdf"), ("C:\\Users\\x\\form.pdf", "form.pdf"), ("a\x07b.pdf", "a_b.pdf"),
         ("...", "attachment"), ('what?"<>|.pdf', "what_____.pdf")],
    )
    def test_stored_names_are_safe(self, tmp_path: Path, as_user: AsUser, given: str, kept: str) -> None:
        path = make_file(tmp_path, "upload.pdf", PDF)
        ticket = as_user(ANA).tickets.create(TicketDraft(subject="s", body="b", attachments=[Upload(given, path)]))
        assert [a.filename for a in ticket.attachments or []] == [kept]
        assert safe_name(given) == kept

    def test_a_failed_reply_attachment_leaves_the_ticket_as_it_was(
        self, tmp_path: Path, portal: Portal, as_user: AsUser
    ) -> None:
        ticket = as_user(ANA).tickets.create(TicketDraft(subject="s", body="b"))
        as_user(AGENT).tickets.reply(ticket.id, body="¿Algo más?")
        before = counts(portal)
        with pytest.raises(InvalidInput, match="not accepted"):
            as_user(ANA).tickets.reply(ticket.id, body="Aquí va",
                                       attachments=[Upload("report.pdf", make_file(tmp_path, "report.pdf", PE_EXE))])
        assert counts(portal) == before
        assert as_user(ANA).tickets.get(ticket.id).status == "pending"


class TestInternalAttachments:
    @pytest.fixture
    def ticket(self, tmp_path: Path, as_user: AsUser) -> Ticket:
        ticket = as_user(ANA).tickets.create(
            TicketDraft(subject="Aduana", body="Adjunto factura",
            attachments=[Upload("factura.pdf", make_file(tmp_path, "factura.pdf", PDF))])
        )
        as_user(AGENT).tickets.reply(
            ticket.id, body="Informe interno", internal=True,
            attachments=[Upload("internal.png", make_file(tmp_path, "internal.png", PNG))],
        )
        return ticket

    def internal_id(self, as_user: AsUser, ticket: Ticket) -> int:
        return next(a.id for a in as_user(AGENT).tickets.attachments(ticket.id) if a.filename == "internal.png")

    def test_customers_never_see_files_of_internal_notes(self, as_user: AsUser, ticket: Ticket) -> None:
        assert [a.filename for a in as_user(ANA).tickets.attachments(ticket.id)] == ["factura.pdf"]
        assert [a.filename for a in as_user(ANA).tickets.get(ticket.id).attachments or []] == ["factura.pdf"]
        assert [a.filename for a in as_user(AGENT).tickets.attachments(ticket.id)] == ["factura.pdf", "internal.png"]

    def test_customers_cannot_download_them_either(self, as_user: AsUser, ticket: Ticket) -> None:
        hidden = self.internal_id(as_user, ticket)
        with pytest.raises(NotFound, match=f"ticket #{ticket.id} has no attachment {hidden}"):
            as_user(ANA).tickets.download(ticket.id, hidden)
        _, handle = as_user(AGENT).tickets.download(ticket.id, hidden)
        with handle:
            assert handle.read() == PNG

    def test_another_organisation_cannot_list_or_download(self, as_user: AsUser, ticket: Ticket) -> None:
        with pytest.raises(NotFound, match=f"no ticket #{ticket.id}"):
            as_user(CARLA).tickets.attachments(ticket.id)
        with pytest.raises(NotFound, match=f"no ticket #{ticket.id}"):
            as_user(CARLA).tickets.download(ticket.id, 1)


# --- the command line: attach, list, download ----------------------------------------------------------------


def tickets_in_portal(portal: Portal) -> int:
    return int(portal.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])


class TestAttachCommand:
    def test_create_with_a_pdf(self, tmp_path: Path, portal: Portal, cli: Cli) -> None:
        path = make_file(tmp_path, "form.pdf", PDF)
        result = cli("tickets", "create", "--subject", "Formulario", "--body", "Adjunto", "--attach", str(path),
                     "-o", "json", user=ANA)
        assert result.exit_code == 0, result.stderr
        created = json.loads(result.stdout)
        [attachment] = created["attachments"]
        assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert attachment["content_type"] == "application/pdf"

    @pytest.mark.parametrize(("content", "kind"), [(PE_EXE, "application/x-msdownload"),
                                                   (ELF_EXE, "application/x-executable")])
    def test_a_renamed_executable_fails_with_exit_2_and_creates_nothing(
        self, tmp_path: Path, portal: Portal, cli: Cli, content: bytes, kind: str
    ) -> None:
        path = make_file(tmp_path, "report.pdf", content)
        result = cli("tickets", "create", "--subject", "Formulario", "--body", "Adjunto", "--attach", str(path),
                     user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert f"Error: report.pdf: files of type {kind} are not accepted (checked by content, not name)" \
            in result.stderr
        assert "Hint: attach PDF, images" in result.stderr
        assert result.stdout == ""
        assert tickets_in_portal(portal) == 0

    def test_a_file_over_the_limit_fails_with_exit_2_and_creates_nothing(
        self, tmp_path: Path, portal: Portal, cli: Cli
    ) -> None:
        portal.set_setting("max_attachment_mb", "1")
        path = make_file(tmp_path, "big.pdf", PDF + b"0" * 1_500_000)
        result = cli("tickets", "create", "--subject", "s", "--body", "b", "--attach", str(path), user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "big.pdf is larger than the 1,000,000-byte (1 MB) attachment limit" in result.stderr
        assert result.stdout == ""
        assert tickets_in_portal(portal) == 0
        assert blob_files(portal) == []

    def test_a_reply_with_a_forbidden_file_fails_and_adds_nothing(
        self, tmp_path: Path, portal: Portal, as_user: AsUser, cli: Cli
    ) -> None:
        ticket = as_user(ANA).tickets.create(TicketDraft(subject="s", body="b"))
        path = make_file(tmp_path, "report.pdf", PE_EXE)
        result = cli("tickets", "reply", str(ticket.id), "--body", "Aquí va", "--attach", str(path), user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "not accepted" in result.stderr
        assert counts(portal) == (1, 1, 0)

    def test_a_missing_file_is_a_usage_error(self, tmp_path: Path, portal: Portal, cli: Cli) -> None:
        result = cli("tickets", "create", "--subject", "s", "--body", "b", "--attach", str(tmp_path / "nope.pdf"),
                     user=ANA)
        assert result.exit_code == ExitCode.USAGE
        assert "nope.pdf" in result.stderr and "does not exist" in result.stderr
        assert tickets_in_portal(portal) == 0


class TestDownloadCommand:
    @pytest.fixture
    def ticket(self, tmp_path: Path, as_user: AsUser) -> Ticket:
        return open_with(as_user(ANA), make_file(tmp_path, "form.pdf", PDF))

    def download(self, cli: Cli, ticket: Ticket, folder: Path, *extra: str, user: str = ANA) -> Result:
        attachment_id = (ticket.attachments or [])[0].id
        return cli("tickets", "download", str(ticket.id), str(attachment_id), "--dir", str(folder), *extra, user=user)

    def test_show_lists_them_under_their_message(self, tmp_path: Path, as_user: AsUser, cli: Cli,
                                                 ticket: Ticket) -> None:
        as_user(AGENT).tickets.reply(ticket.id, body="Nota", internal=True,
                                     attachments=[Upload("internal.png", make_file(tmp_path, "internal.png", PNG))])
        line = f"attachment [1] form.pdf (application/pdf, {len(PDF)} bytes)"
        customer = cli("tickets", "show", str(ticket.id), user=ANA)
        assert line in customer.stdout and "internal.png" not in customer.stdout
        assert "internal.png (image/png" in cli("tickets", "show", str(ticket.id), user=AGENT).stdout

    def test_attachments_lists_them_with_their_checksum(self, cli: Cli, ticket: Ticket) -> None:
        result = cli("tickets", "attachments", str(ticket.id), "-o", "json", user=ANA)
        assert result.exit_code == 0
        [listed] = json.loads(result.stdout)
        assert (listed["filename"], listed["size"]) == ("form.pdf", len(PDF))
        assert listed["sha256"] == hashlib.sha256(PDF).hexdigest()

    def test_download_writes_the_file_and_prints_its_path(self, tmp_path: Path, cli: Cli, ticket: Ticket) -> None:
        out = tmp_path / "downloads"
        result = self.download(cli, ticket, out)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"{out / 'form.pdf'}\n"
        assert f"Saved form.pdf ({len(PDF)} bytes)" in result.stderr
        assert (out / "form.pdf").read_bytes() == PDF
        assert sorted(p.name for p in out.iterdir()) == ["form.pdf"]  # no temporary file left behind

    def test_download_defaults_to_the_working_directory(self, cli: Cli, ticket: Ticket) -> None:
        attachment_id = (ticket.attachments or [])[0].id
        result = cli("tickets", "download", str(ticket.id), str(attachment_id), user=ANA)
        assert result.exit_code == 0
        assert Path("form.pdf").read_bytes() == PDF

    def test_an_existing_file_is_kept_without_force(self, tmp_path: Path, cli: Cli, ticket: Ticket) -> None:
        out = tmp_path / "downloads"
        out.mkdir()
        (out / "form.pdf").write_bytes(b"my own edited copy")
        result = self.download(cli, ticket, out)
        assert result.exit_code == ExitCode.ERROR
        assert f"Error: {out / 'form.pdf'} already exists" in result.stderr
        assert "--force" in result.stderr
        assert result.stdout == ""
        assert (out / "form.pdf").read_bytes() == b"my own edited copy"
        assert sorted(p.name for p in out.iterdir()) == ["form.pdf"]

    def test_force_overwrites(self, tmp_path: Path, cli: Cli, ticket: Ticket) -> None:
        out = tmp_path / "downloads"
        out.mkdir()
        (out / "form.pdf").write_bytes(b"stale")
        result = self.download(cli, ticket, out, "--force")
        assert result.exit_code == 0
        assert (out / "form.pdf").read_bytes() == PDF

    def test_a_hostile_stored_name_cannot_escape_the_directory(
        self, tmp_path: Path, portal: Portal, cli: Cli, ticket: Ticket
    ) -> None:
        # a name that came from elsewhere (another backend, an old file): download must still be safe
        with portal.conn:
            portal.conn.execute("UPDATE attachments SET filename = ?", ("../../escaped\x1b[31m.pdf",))
        out = tmp_path / "a" / "b" / "downloads"
        result = self.download(cli, ticket, out)
        assert result.exit_code == 0, result.stderr
        written = Path(result.stdout.strip())
        assert written.parent == out
        assert written.name == "escaped_[31m.pdf"
        assert written.read_bytes() == PDF
        assert not (tmp_path / "a" / "escaped_[31m.pdf").exists()

    def test_another_organisation_gets_not_found_and_no_file(self, tmp_path: Path, cli: Cli, ticket: Ticket) -> None:
        out = tmp_path / "downloads"
        result = self.download(cli, ticket, out, user=CARLA)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert f"Error: no ticket #{ticket.id}" in result.stderr
        assert result.stdout == ""
        assert not out.exists() or list(out.iterdir()) == []

    def test_an_unknown_attachment_is_not_found(self, tmp_path: Path, cli: Cli, ticket: Ticket) -> None:
        result = cli("tickets", "download", str(ticket.id), "999", "--dir", str(tmp_path), user=ANA)
        assert result.exit_code == ExitCode.NOT_FOUND
        assert f"ticket #{ticket.id} has no attachment 999" in result.stderr

    def test_a_missing_blob_is_reported_not_crashed_on(self, tmp_path: Path, portal: Portal, cli: Cli,
                                                       ticket: Ticket) -> None:
        shutil.rmtree(portal.blob_dir)
        result = self.download(cli, ticket, tmp_path / "out")
        assert result.exit_code == ExitCode.NOT_FOUND
        assert "is missing from" in result.stderr
        assert "Traceback" not in result.stderr


def test_an_upload_of_a_file_like_an_expired_one_keeps_its_bytes(portal: Portal, as_user: AsUser,
                                                                 tmp_path: Path) -> None:
    """Expired uploads are purged when a new one comes: the new one's own bytes, the same file, stay."""
    from datetime import timedelta

    from portalctl.engine import uploads

    ana = as_user(ANA)
    source = make_file(tmp_path, "acta.pdf", PDF)
    uploads.stage(ana, source, "acta.pdf")
    later = portal.clock() + timedelta(hours=25)
    portal.clock = lambda: later
    fresh = uploads.stage(ana, source, "acta.pdf")
    [attached] = uploads.claim(ana, [fresh.id])
    ticket = ana.tickets.create(TicketDraft(subject="Acta", body="x", attachments=[attached]))
    attachment = ticket.comments[0].attachments[0]
    assert ana.tickets.download(ticket.id, attachment.id)[1].read() == PDF


def test_attaching_an_upload_neither_copies_nor_rewrites_its_stored_file(portal: Portal, as_user: AsUser,
                                                                         tmp_path: Path) -> None:
    """On a server the attaching happens in the write transaction: the upload's file, checked when it came in,
    is used as it lies (hashing and copying a large one there would hold up every writer)."""
    from portalctl.engine import uploads

    ana = as_user(ANA)
    staged = uploads.stage(ana, make_file(tmp_path, "acta.pdf", PDF), "acta.pdf")
    [attached] = uploads.claim(ana, [staged.id])
    before = attached.path.stat()
    ticket = ana.tickets.create(TicketDraft(subject="Acta", body="x", attachments=[attached]))
    after = attached.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    attachment = ticket.comments[0].attachments[0]
    assert (attachment.sha256, attachment.size, attachment.content_type) == (staged.sha256, len(PDF), "application/pdf")
