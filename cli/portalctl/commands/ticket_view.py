"""The human view of one ticket: a header, its fields, then the conversation as a thread.

Everything in it but the labels was written on a portal, so it is shown through safetext (subjects, names and
fields on one line each, bodies with their line breaks); times are in the reader's zone, relative on a terminal.
"""

from __future__ import annotations

import textwrap

from portalctl.cells import flat
from portalctl.iostreams import IOStreams
from portalctl.model import Ticket
from portalctl.output.localtime import TimeView
from portalctl.output.render import STATE_COLOURS
from portalctl.safetext import cell, visible


def show_ticket(ticket: Ticket, io: IOStreams, times: TimeView) -> None:
    style, echo = io.style, io.echo

    def when(stamp: str | None) -> str | None:
        return times.when(stamp) if stamp else None

    status = style(cell(ticket.status_label), fg=STATE_COLOURS.get(ticket.status), bold=True)
    echo(style(cell(f"#{ticket.id} {ticket.subject}"), bold=True))
    echo(f"{status} · {ticket.priority} priority · opened {when(ticket.created_at)} by "
         + cell(f"{ticket.requester_name} <{ticket.requester}>"))
    due = when(ticket.due_at) or "-"
    if ticket.overdue:
        due += style("  OVERDUE", fg="red", bold=True)
    rows = [
        ("Organisation", ticket.organization), ("Department", ticket.department), ("Type", ticket.type),
        ("Assignee", ticket.assignee), ("CC", ticket.ccs), ("Tags", ticket.tags), ("Due", due),
        ("Updated", when(ticket.updated_at)), ("Resolved", when(ticket.resolved_at)),
        ("Closed", when(ticket.closed_at)),
        ("Follow-up of", f"#{ticket.follow_up_of}" if ticket.follow_up_of else None),
        *((f"Field {key}", value) for key, value in ticket.fields.items()),
    ]
    shown = [(label, value if label == "Due" else cell(flat(value))) for label, value in rows
             if value not in (None, [], "")]
    width = max(len(cell(label)) for label, _ in shown) + 2
    echo()
    for label, value in shown:
        echo(f"  {cell(label) + ':':<{width}}{value}")
    for comment in ticket.comments or []:
        echo()
        note = style(" [internal note]", fg="yellow", bold=True) if comment.internal else ""
        author = cell(f"{comment.author_name} <{comment.author}>")
        echo(style(f"── {author} · {when(comment.created_at)}", dim=True) + note)
        for line in visible(comment.body).rstrip().splitlines() or [""]:
            echo(textwrap.indent(line, "   ") if line else "")
        for attachment in comment.attachments:
            echo(f"   attachment [{attachment.id}] " + cell(f"{attachment.filename} ({attachment.content_type},"
                                                          f" {attachment.size} bytes)"))
