"""`portalctl tickets wait`: block until a ticket is resolved, closed or answered, for pipelines.

A subcommand of `tickets`, loaded only when it runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

import click

from portalctl.commands.context import Output, app, message, output_options, report
from portalctl.commands.params import Duration
from portalctl.commands.ticket_params import ONE_COLUMNS, ticket_id
from portalctl.i18n import _
from portalctl.labels import status as state

WAIT_STATES = ("resolved", "closed", "replied")
WAIT_FLOOR = 1.0  # seconds: the shortest --interval, so a wait never busy-polls the portal
WAIT_JITTER = 0.1  # each pause is up to 10% longer, so pipelines started together do not poll together


@click.command()
@ticket_id
@click.option("--until", "until", type=click.Choice(WAIT_STATES), required=True,
              help="resolved (or closed), closed, or replied: a new public answer from someone else.")
@click.option("--timeout", type=Duration(), default="1h", show_default=True, help="Give up after this long.")
@click.option("--interval", type=Duration(minimum=WAIT_FLOOR), default="30s", show_default=True,
              help="How often to look (at least 1s; a server may ask for longer with Retry-After).")
@output_options(ONE_COLUMNS)
def wait(ticket_id: int, until: str, timeout: float, interval: float, output: Output) -> None:
    """Wait until a ticket is resolved, closed or answered (for pipelines that wait on support).

    Exits 0 when the ticket gets there, 7 when the timeout passes first, 5 when it can no longer get there
    (closed while waiting for a reply). Looks every --interval (1s at least, with up to 10% jitter), or less
    often when the server asks for longer with Retry-After.

    \b
    Examples:
      portalctl tickets wait 12 --until resolved --timeout 2h
      portalctl tickets wait 12 --until replied --interval 1m && portalctl tickets show 12
    """
    import random
    import time

    from portalctl.commands.export import progress_stream
    from portalctl.errors import StateConflict, TimedOut
    from portalctl.output.progress import Waiting

    client = app().client
    start = client.tickets.get(ticket_id)
    me = client.accounts.me().email
    seen = {c.id for c in start.comments or []}
    deadline = time.monotonic() + timeout
    ticket = start
    status = Waiting(_("waiting for #{id} to be {until}").format(id=ticket_id, until=until_label(until)),
                     progress_stream())
    while True:
        if until == "replied":
            answers = [c for c in ticket.comments or [] if c.id not in seen and not c.internal and c.author != me]
            if answers:
                status.done()
                message(_("#{id} was answered by {name}").format(id=ticket.id, name=answers[0].author_name))
                report(output, ticket)
                return
            if ticket.status == "closed":
                status.done()
                raise StateConflict(_("ticket #{ticket_id} was closed without a reply").format(ticket_id=ticket_id))
        elif ticket.status == until or (until == "resolved" and ticket.status == "closed"):
            status.done()
            message(_("#{id} is {status}").format(id=ticket.id, status=state(ticket.status)))
            report(output, ticket)
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status.done()
            raise TimedOut(_("gave up waiting for #{ticket_id} to be {until}: it is {status}").format(
                ticket_id=ticket_id, until=until_label(until), status=state(ticket.status)),
                           hint=_("run again with a longer --timeout"))
        pause = max(interval, WAIT_FLOOR, client.asked_pause() or 0.0) * random.uniform(1.0, 1.0 + WAIT_JITTER)
        status.sleep(min(pause, remaining), state(ticket.status))
        ticket = client.tickets.get(ticket_id)


def until_label(until: str) -> str:
    """`tickets wait --until`'s value as a sentence says it: a state's word, or "replied"."""
    return _("answered") if until == "replied" else str(state(until))
