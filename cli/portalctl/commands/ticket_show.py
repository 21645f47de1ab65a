"""`portalctl tickets show`: one ticket, its fields and its conversation (the view itself is ticket_view.py).

A subcommand of `tickets`, loaded only when it runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

import click

from portalctl.commands.banner import banner
from portalctl.commands.context import Output, app, output_options, paged
from portalctl.commands.ticket_params import ticket_id
from portalctl.commands.ticket_view import show_ticket
from portalctl.commands.tickets import LIST_COLUMNS


@click.command()
@ticket_id
@output_options(LIST_COLUMNS)
@paged
def show(ticket_id: int, output: Output) -> None:
    """Show a ticket: its fields, due time, conversation and attachments.

    \b
    Example:
      portalctl tickets show 12
      portalctl tickets show 12 -o json | jq '.comments[-1].body'
    """
    banner()
    ticket = app().client.tickets.get(ticket_id)
    output.one(ticket, table=show_ticket)


