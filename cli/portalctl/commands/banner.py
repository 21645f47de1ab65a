"""The notices banner: the portal's announcements in force, shown once each before the ticket commands a person runs
(seed 002's banner). Apart from commands/notices.py so that a listing does not build the `admin notices` commands."""

from __future__ import annotations

import click

from portalctl.commands.context import app
from portalctl.errors import NotFound, Unsupported
from portalctl.i18n import _
from portalctl.iostreams import IOStreams
from portalctl.model import Notice
from portalctl.safetext import cell, visible

BANNER_COLOUR = {"outage": "red", "warning": "yellow", "info": None}


def show_notice(notice: Notice, io: IOStreams, *, err: bool) -> None:
    """A notice as a person reads it: severity and title, its window, then its text (portal text made inert)."""
    tty, color = (io.err_tty, io.err_color) if err else (io.out_tty, io.color)
    head = cell(f"[{notice.severity.upper()}] {notice.title}")
    io.echo(click.style(head, fg=BANNER_COLOUR[notice.severity], bold=True) if color else head, err=err)
    times = app().times(err=err)
    io.echo("  " + _("until {when}").format(when=times.when(notice.ends_at))
            + (f" · {cell(notice.organization)}" if notice.organization else ""), err=err)
    for line in notice.body.strip().splitlines():
        io.echo(f"  {visible(line) if tty else line}", err=err)


def banner() -> None:
    """Active notices this user has not been shown, once each, on stderr, when stderr is a terminal (a script's
    output never changes). A help desk without notices (or a server older than them) has none to show."""
    ctx = app()
    if not ctx.io.err_tty:
        return
    try:
        fresh = ctx.client.accounts.notices(unseen=True)
        if fresh:
            for notice in fresh:
                show_notice(notice, ctx.io, err=True)
            ctx.io.echo(err=True)
            ctx.client.accounts.mark_notices_seen([notice.id for notice in fresh])
    except (Unsupported, NotFound):
        return
