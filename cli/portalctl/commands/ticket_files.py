"""`portalctl tickets attachments|download`: a ticket's files, listed and saved.

Subcommands of `tickets`, loaded only when one of them runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from portalctl.commands.context import POSITIVE, Output, app, message, output_options
from portalctl.commands.ticket_params import ticket_id
from portalctl.errors import PortalError
from portalctl.i18n import _
from portalctl.model import Attachment

ATTACHMENT_COLUMNS = ("id", "filename", "content_type", "size", "created_at")


@click.command()
@ticket_id
@output_options(ATTACHMENT_COLUMNS)
def attachments(ticket_id: int, output: Output) -> None:
    """List a ticket's attachments.

    \b
    Example:
      portalctl tickets attachments 12
    """
    if output.many(app().client.tickets.attachments(ticket_id)) == 0 and output.fmt == "table":
        message(_("No attachments."))


@click.command()
@ticket_id
@click.argument("attachment_id", type=POSITIVE, metavar="ATTACHMENT")
@click.option("--dir", "directory", type=click.Path(file_okay=False, allow_dash=True, path_type=Path),
              default=Path("."), help="Where to save it (default: here; - writes the file to stdout).")
@click.option("--force", is_flag=True, help="Overwrite a file of the same name.")
def download(ticket_id: int, attachment_id: int, directory: Path, force: bool) -> None:
    """Save an attachment; prints the path written.

    The file name is made safe (no directories, no control characters); an existing file is kept unless --force.

    \b
    Example:
      portalctl tickets download 12 3 --dir ~/Downloads
    """
    io = app().io
    to_stdout = str(directory) == "-"
    if to_stdout and io.out_tty:
        raise click.UsageError(_("--dir - writes the file to stdout: redirect it (> file) or pipe it"))
    attachment, source = app().client.tickets.download(ticket_id, attachment_id)
    with source:
        if to_stdout:
            sink = getattr(io.out, "buffer", io.out)
            io.out.flush()
            while chunk := source.read(1 << 20):
                sink.write(chunk)
            sink.flush()
            message(_("Wrote {filename} ({size} bytes) to stdout").format(
                filename=attachment.filename, size=attachment.size))
            return
        target = save(attachment, source, directory, force)
    message(_("Saved {filename} ({size} bytes)").format(filename=attachment.filename, size=attachment.size))
    io.echo(target)


def save(attachment: Attachment, source: Any, directory: Path, force: bool) -> Path:
    from portalctl.engine.attachments import safe_name

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / safe_name(attachment.filename)
    if target.exists() and not force:
        raise PortalError(_("{target} already exists").format(
            target=target), hint=_("pass --force to overwrite it, or --dir elsewhere"))
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".portalctl-")
    try:
        umask = os.umask(0o022)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # like any file the user saves, not mkstemp's 0600
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


