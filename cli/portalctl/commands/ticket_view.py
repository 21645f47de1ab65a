"""The human view of one ticket: a header, its fields, then the conversation as a thread.

Everything in it but the labels was written on a portal, so it is shown through safetext (subjects, names and
fields on one line each, bodies with their line breaks); times are in the reader's zone, relative on a terminal.
"""

from __future__ import annotations

import textwrap

from portalctl.cells import flat
from portalctl.i18n import _
from portalctl.iostreams import IOStreams
from portalctl.labels import label
from portalctl.model import Ticket
from portalctl.output.localtime import TimeView
from portalctl.output.render import STATE_COLOURS
from portalctl.safetext import cell, visible


def show_ticket(ticket: Ticket, io: IOStreams, times: TimeView) -> None:
    style, echo = io.style, io.echo

    def when(stamp: str | None) -> str | None:
        return times.when(stamp) if stamp else None

    status = style(cell(_(ticket.status_label)), fg=STATE_COLOURS.get(ticket.status), bold=True)
    echo(style(cell(f"#{ticket.id} {ticket.subject}"), bold=True))
    echo(_("{status} · {priority} priority · opened {when} by {who}").format(
        status=status, priority=label("priority", ticket.priority), when=when(ticket.created_at),
        who=cell(f"{ticket.requester_name} <{ticket.requester}>")))
    due = when(ticket.due_at) or "-"
    if ticket.overdue:
        due += style("  " + _("OVERDUE"), fg="red", bold=True)
    rows = [
        (_("Organisation"), ticket.organization), (_("Department"), ticket.department),
        (_("Type"), label("type", ticket.type)), (_("Assignee"), ticket.assignee), (_("CC"), ticket.ccs),
        (_("Tags"), ticket.tags), (due_label := _("Due"), due),
        (_("Updated"), when(ticket.updated_at)), (_("Resolved"), when(ticket.resolved_at)),
        (_("Closed"), when(ticket.closed_at)),
        (_("Follow-up of"), f"#{ticket.follow_up_of}" if ticket.follow_up_of else None),
        *((_("Field {key}").format(key=key), value) for key, value in ticket.fields.items()),
    ]
    shown = [(name, value if name == due_label else cell(flat(value))) for name, value in rows
             if value not in (None, [], "")]
    width = max(len(cell(name)) for name, _value in shown) + 2
    echo()
    for name, value in shown:
        echo(f"  {cell(name) + ':':<{width}}{value}")
    for comment in ticket.comments or []:
        echo()
        note = style(" " + _("[internal note]"), fg="yellow", bold=True) if comment.internal else ""
        author = cell(f"{comment.author_name} <{comment.author}>")
        echo(style(f"── {author} · {when(comment.created_at)}", dim=True) + note)
        for line in visible(comment.body).rstrip().splitlines() or [""]:
            echo(textwrap.indent(line, "   ") if line else "")
        for attachment in comment.attachments:
            echo("   " + _("attachment [{id}]").format(id=attachment.id) + " " + cell(
                _("{filename} ({content_type}, {size} bytes)").format(
                    filename=attachment.filename, content_type=attachment.content_type, size=attachment.size)))
