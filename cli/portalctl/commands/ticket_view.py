"""The human view of one ticket: a header, its fields, then the conversation as a thread."""

from __future__ import annotations

import textwrap

from portalctl.cells import flat
from portalctl.iostreams import IOStreams
from portalctl.model import Ticket
from portalctl.output.render import STATE_COLOURS


def show_ticket(ticket: Ticket, io: IOStreams) -> None:
    style, echo = io.style, io.echo
    status = style(ticket.status_label, fg=STATE_COLOURS.get(ticket.status), bold=True)
    echo(style(f"#{ticket.id} {ticket.subject}", bold=True))
    echo(f"{status} · {ticket.priority} priority · opened {ticket.created_at} by {ticket.requester_name}"
         f" <{ticket.requester}>")
    due = ticket.due_at or "-"
    if ticket.overdue:
        due += style("  OVERDUE", fg="red", bold=True)
    rows = [
        ("Organisation", ticket.organization), ("Department", ticket.department), ("Type", ticket.type),
        ("Assignee", ticket.assignee), ("CC", ticket.ccs), ("Tags", ticket.tags), ("Due", due),
        ("Updated", ticket.updated_at), ("Resolved", ticket.resolved_at), ("Closed", ticket.closed_at),
        ("Follow-up of", f"#{ticket.follow_up_of}" if ticket.follow_up_of else None),
        *((f"Field {key}", value) for key, value in ticket.fields.items()),
    ]
    shown = [(label, value) for label, value in rows if value not in (None, [], "")]
    width = max(len(label) for label, _ in shown) + 2
    echo()
    for label, value in shown:
        echo(f"  {label + ':':<{width}}{flat(value)}")
    for comment in ticket.comments or []:
        echo()
        note = style(" [internal note]", fg="yellow", bold=True) if comment.internal else ""
        echo(style(f"── {comment.author_name} <{comment.author}> · {comment.created_at}", dim=True) + note)
        for line in comment.body.rstrip().splitlines() or [""]:
            echo(textwrap.indent(line, "   ") if line else "")
        for attachment in comment.attachments:
            echo(f"   attachment [{attachment.id}] {attachment.filename} ({attachment.content_type},"
                 f" {attachment.size} bytes)")
