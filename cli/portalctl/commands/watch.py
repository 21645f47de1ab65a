"""`portalctl tickets watch`: changes to the tickets you can see, printed as they happen (like `tail -f`), from the
portal's change feed; it resumes from its cursor after a lost connection, so no change is skipped or repeated."""

from __future__ import annotations

import json
import time

import click

from portalctl.commands.context import POSITIVE, app, message
from portalctl.commands.filters import filter_options
from portalctl.contract import TicketQuery
from portalctl.errors import Unavailable
from portalctl.i18n import N_, _
from portalctl.labels import status as state
from portalctl.model import Event
from portalctl.safetext import cell

WAIT = 10.0  # seconds each look may wait for news (a long poll on a server; the file is polled on the embedded portal)
RECONNECT = 2.0  # seconds between tries while the portal cannot be reached
TEXT_MAX = 80


@click.command()
@filter_options(default_states=N_("every state"), sort=False)
@click.option("--after", type=click.IntRange(min=0, max=2**63 - 1), metavar="CURSOR",
              help="Start after this cursor (an event's id, as -o jsonl prints it) instead of now.")
@click.option("--count", type=POSITIVE, metavar="N", help="Stop after N changes.")
@click.option("-o", "--output", "fmt", type=click.Choice(["table", "jsonl"], case_sensitive=False),
              default="table", show_default=True, help="A line per change, or one JSON object a line.")
def watch(query: TicketQuery, after: int | None, count: int | None, fmt: str) -> None:
    """Print changes to the tickets you can see as they happen, until interrupted (Ctrl-C).

    Each change is a line: new tickets, state changes, public replies, files, updates (agents also see internal
    notes, without their text). If the portal goes away, watch says so on stderr and carries on from where it
    was once it is back: nothing is skipped or shown twice. Every event's "id" is a cursor: --after ID starts
    right after it, so a script can stop and resume.

    \b
    Examples:
      portalctl tickets watch
      portalctl tickets watch --org acme --priority high,urgent
      portalctl tickets watch -o jsonl --after 1520 | jq -c 'select(.kind == "reply")'
      portalctl tickets watch --mine --count 1          # wait for the next change to your tickets
    """
    ctx = app()
    feed = ctx.client.feed
    cursor = after if after is not None else feed.events(None, query).cursor
    if fmt == "table" and ctx.io.err_tty:
        message(_("Watching from cursor {cursor}; Ctrl-C to stop.").format(cursor=cursor))
    shown, lost = 0, False
    while True:
        try:
            page = feed.events(cursor, query, wait=WAIT)
        except Unavailable as exc:
            if not lost:
                message(_("{message}; trying again from cursor {cursor} until it answers").format(
                    message=exc.message, cursor=cursor))
                lost = True
            time.sleep(RECONNECT)
            continue
        if lost:
            message(_("The portal answers again; going on from cursor {cursor}.").format(cursor=cursor))
            lost = False
        for event in page.items:
            ctx.io.echo(json.dumps(event.to_dict(), ensure_ascii=False) if fmt == "jsonl" else line(event))
            cursor = event.id
            shown += 1
            if count is not None and shown >= count:
                return
        cursor = page.cursor


def line(event: Event) -> str:
    """A change as a person reads it: local time, ticket, what happened, by whom; portal text made inert."""
    when = app().times().local(event.created_at).strftime("%H:%M:%S")
    return cell(f"{when}  #{event.ticket_id}  {what(event)}  · {event.subject}")


def what(event: Event) -> str:
    actor, detail = event.actor or _("the portal"), event.detail
    if event.kind == "created":
        return _("opened by {actor}").format(actor=actor)
    if event.kind == "status":
        return _("{old} → {new} by {actor}").format(old=state(detail.get("from")), new=state(detail.get("to")),
                                                     actor=actor)
    if event.kind == "auto_closed":
        return _("closed automatically ({hours} h after it was resolved)").format(hours=detail.get("after_hours"))
    if event.kind == "reply":
        text = " ".join((event.text or "").split())
        return _("reply from {actor}: {text}").format(
            actor=actor, text=text[:TEXT_MAX] + "…" if len(text) > TEXT_MAX else text)
    if event.kind == "note":
        return _("internal note by {actor}").format(actor=actor)
    if event.kind == "attachment":
        return _("file {filename} from {actor}").format(filename=detail.get("filename"), actor=actor)
    if event.kind == "ccs":
        changes = [*(f"+{e}" for e in detail.get("added", [])), *(f"-{e}" for e in detail.get("removed", []))]
        return _("CCs {changes} by {actor}").format(changes=" ".join(changes), actor=actor)
    return _("{kind} {details} by {actor}").format(kind=event.kind, details=", ".join(sorted(detail)), actor=actor)
