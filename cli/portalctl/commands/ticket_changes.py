"""`portalctl tickets reply|close|reopen|update|cc`: the changes to a ticket that exists.

Subcommands of `tickets`, loaded only when one of them runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from portalctl.commands.compose import compose
from portalctl.commands.context import Output, app, message, output_options, report
from portalctl.commands.params import body_options, body_text, key_values
from portalctl.commands.ticket_params import ONE_COLUMNS, attach_option, ticket_id, uploads
from portalctl.commands.ticket_view import show_ticket
from portalctl.contract import TicketChanges
from portalctl.i18n import _
from portalctl.labels import status as state
from portalctl.model import PRIORITIES, TICKET_TYPES


@click.command()
@ticket_id
@body_options
@attach_option
@click.option("--internal", is_flag=True, help="Agents: a note only agents see.")
@click.option("--status", metavar="STATE", help="Agents: the state after the reply (default: pending).")
@output_options(ONE_COLUMNS)
def reply(ticket_id: int, body: str | None, body_file: IO[str] | None, attach: tuple[Path, ...], internal: bool,
          status: str | None, output: Output) -> None:
    """Answer a ticket (agents: or add an internal note).

    A customer's reply reopens a pending or resolved ticket; an agent's reply sets it to pending.

    \b
    Examples:
      portalctl tickets reply 12 --body "Adjunto el PDF corregido" --attach form.pdf
      portalctl tickets reply 12 --internal --body "Waiting on the carrier"
      portalctl tickets reply 12 --body "Fixed in 4.2" --status resolved
    """
    ctx = app()
    what = _("your internal note") if internal else _("your reply")
    text = compose(ctx, body_text(body, body_file), "--body or --body-file", what,
                   _("Ticket #{id}").format(id=ticket_id))
    ticket = ctx.client.tickets.reply(ticket_id, body=text, internal=internal, status=status,
                                      attachments=uploads(attach))
    done = (_("Added an internal note to #{id} (now {status})") if internal
            else _("Replied to #{id} (now {status})"))
    message(done.format(id=ticket.id, status=state(ticket.status)))
    report(output, ticket)


@click.command()
@ticket_id
@click.option("--yes", is_flag=True, help="Do not show the ticket and ask first (on a terminal).")
@output_options(ONE_COLUMNS)
def close(ticket_id: int, yes: bool, output: Output) -> None:
    """Close a ticket. Closed is final: later questions go in a follow-up ticket.

    On a terminal the ticket is shown and you are asked first; scripts (no terminal) close at once.

    \b
    Examples:
      portalctl tickets close 12
      portalctl tickets close 12 --yes
    """
    ctx = app()
    if not yes and ctx.interactive:
        show_ticket(ctx.client.tickets.get(ticket_id), ctx.io, ctx.times())
        ctx.io.echo()
        if not click.confirm(_("Close #{ticket_id}? Closed is final: no more replies.").format(
            ticket_id=ticket_id), err=True):
            message(_("Nothing changed: #{ticket_id} is not closed.").format(ticket_id=ticket_id))
            raise click.exceptions.Exit(1)
    ticket = ctx.client.tickets.close(ticket_id)
    message(_("Closed #{id}").format(id=ticket.id))
    report(output, ticket)


@click.command()
@ticket_id
@output_options(ONE_COLUMNS)
def reopen(ticket_id: int, output: Output) -> None:
    """Reopen a resolved ticket.

    \b
    Example:
      portalctl tickets reopen 12
    """
    ticket = app().client.tickets.reopen(ticket_id)
    message(_("Reopened #{id}").format(id=ticket.id))
    report(output, ticket)


@click.command()
@ticket_id
@click.option("--subject")
@click.option("--priority", type=click.Choice(PRIORITIES))
@click.option("--type", "type_", type=click.Choice(TICKET_TYPES))
@click.option("--department", metavar="NAME")
@click.option("--status", metavar="STATE", help="Any state; from closed nothing changes.")
@click.option("--assignee", metavar="EMAIL", help="The agent who owns it.")
@click.option("--field", "field_pairs", multiple=True, metavar="KEY=VALUE", help="A custom field (repeatable).")
@click.option("--tag", "add_tags", multiple=True, help="Add a tag (repeatable).")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag (repeatable).")
@output_options(ONE_COLUMNS)
def update(ticket_id: int, subject: str | None, priority: str | None, type_: str | None, department: str | None,
           status: str | None, assignee: str | None, field_pairs: tuple[str, ...], add_tags: tuple[str, ...],
           remove_tags: tuple[str, ...], output: Output) -> None:
    """Change a ticket's fields. Customers may change only the custom fields marked customer-editable.

    \b
    Examples:
      portalctl tickets update 12 --priority high --assignee agent@example.com
      portalctl tickets update 12 --field forms=5412,5413
    """
    changes = TicketChanges(subject=subject, priority=priority, type=type_, department=department, status=status,
                            assignee=assignee, fields=key_values(field_pairs, "--field"), add_tags=add_tags,
                            remove_tags=remove_tags)
    ticket = app().client.tickets.update(ticket_id, changes)
    message(_("Updated #{id}").format(id=ticket.id))
    report(output, ticket)


@click.command()
@ticket_id
@click.option("--add", multiple=True, metavar="EMAIL", help="Copy this person (repeatable).")
@click.option("--remove", multiple=True, metavar="EMAIL", help="Stop copying this person (repeatable).")
@output_options(ONE_COLUMNS)
def cc(ticket_id: int, add: tuple[str, ...], remove: tuple[str, ...], output: Output) -> None:
    """Add or remove people copied on a ticket.

    \b
    Example:
      portalctl tickets cc 12 --add boss@example.com --remove old@example.com
    """
    if not add and not remove:
        raise click.UsageError(_("pass --add EMAIL or --remove EMAIL"))
    ticket = app().client.tickets.cc(ticket_id, add=add, remove=remove)
    message(_("CCs on #{id}: {ccs}").format(id=ticket.id, ccs=", ".join(ticket.ccs) or _("none")))
    report(output, ticket)


