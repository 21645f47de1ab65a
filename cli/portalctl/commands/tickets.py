"""`portalctl tickets`: open, follow, answer and close tickets.

The group and `tickets list` live here; every other subcommand is in its own module, loaded only when it runs
(LAZY_COMMANDS), so a listing does not pay for the options and helpers of the commands that write.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import click

from portalctl.commands.banner import banner
from portalctl.commands.context import Capped, Output, app, limit_options, message, output_options
from portalctl.commands.filters import ticket_filters
from portalctl.commands.groups import ForgivingGroup
from portalctl.contract import TicketCountAPI, TicketQuery
from portalctl.i18n import _
from portalctl.output.localformat import number

LIST_COLUMNS = ("id", "status", "priority", "department", "subject", "requester", "updated_at")

LAZY_COMMANDS = {  # command -> the module that defines it, as an attribute of the same name
    "attachments": "portalctl.commands.ticket_files", "cc": "portalctl.commands.ticket_changes",
    "close": "portalctl.commands.ticket_changes", "create": "portalctl.commands.ticket_create",
    "download": "portalctl.commands.ticket_files", "reopen": "portalctl.commands.ticket_changes",
    "reply": "portalctl.commands.ticket_changes", "show": "portalctl.commands.ticket_show",
    "states": "portalctl.commands.ticket_states", "stats": "portalctl.commands.stats",
    "update": "portalctl.commands.ticket_changes", "wait": "portalctl.commands.ticket_wait",
    "watch": "portalctl.commands.watch",
}


class TicketsGroup(ForgivingGroup):
    """Loads LAZY_COMMANDS only when asked for: their modules would cost every listing several ms."""

    aliases: ClassVar[dict[str, str]] = {"ls": "list"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            command: click.Command = getattr(importlib.import_module(LAZY_COMMANDS[name]), name)
            return command
        return super().get_command(ctx, name)


@click.group(cls=TicketsGroup)
def tickets() -> None:
    """Open, follow, answer and close tickets.

    \b
    Examples:
      portalctl tickets create --subject "Invoice 5412 rejected" --body-file notes.md
      portalctl tickets list --status open --overdue
      portalctl tickets reply 12 --body "Here is the corrected PDF" --attach form.pdf
    """


@tickets.command("list")
@ticket_filters
@limit_options
@output_options(LIST_COLUMNS)
def list_(query: TicketQuery, limit: int, all_: bool, output: Output) -> None:
    """List tickets you can see, newest change first.

    \b
    Examples:
      portalctl tickets list --status open --status pending --department soporte-web
      portalctl tickets list --overdue --sort due
      portalctl tickets list --all --updated-since 7d -o jsonl > week.jsonl
    """
    ctx = app()
    banner()
    tell = not all_ and ctx.io.err_tty  # a person is told when the listing was cut; a script reads --limit
    records = Capped(ctx.client.tickets.list(query.but(limit=None if all_ else limit + tell)), limit)
    with ctx.io.paging(ctx.pager if all_ else None):
        count = output.many(records if tell else records.records)
    if count == 0 and output.fmt == "table":
        message(_("No tickets match."))
    elif records.more:
        message(_("Showing {count} of {total} tickets — use --all or --limit N").format(
            count=count, total=total_of(ctx.client.tickets, query, count)))


def total_of(tickets: Any, query: TicketQuery, shown: int) -> str:
    """How many tickets a cut listing matches in all: the portal's or help desk's exact count, else "more than N"
    (never a guess)."""
    total = tickets.count(query) if isinstance(tickets, TicketCountAPI) else None
    return number(total) if total is not None and total > shown else _("more than {shown}").format(shown=shown)
