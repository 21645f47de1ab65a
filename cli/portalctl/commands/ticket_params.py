"""What several `tickets` subcommands share: the ticket ID argument, --attach, and the columns of one ticket.

Kept out of commands/tickets.py, so that `tickets list`, which needs none of them, does not build them."""

from __future__ import annotations

from pathlib import Path

import click

from portalctl.commands import complete
from portalctl.commands.context import POSITIVE
from portalctl.contract import Upload

ONE_COLUMNS = ("id", "status", "priority", "subject", "requester", "due_at")

attach_option = click.option(
    "--attach", "attach", multiple=True, metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Attach a file (repeatable).",
)
ticket_id = click.argument("ticket_id", type=POSITIVE, metavar="ID", shell_complete=complete.shell(complete.tickets))


def uploads(paths: tuple[Path, ...]) -> list[Upload]:
    return [Upload(filename=path.name, path=path) for path in paths]
