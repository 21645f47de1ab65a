"""`portalctl notices` and `portalctl admin notices`: the portal's announcements and service interruptions (seed
002's banner; the banner itself, shown before the ticket commands a person runs, is in banner.py)."""

from __future__ import annotations

from typing import IO

import click

from portalctl.commands.banner import show_notice
from portalctl.commands.context import POSITIVE, Output, app, message, output_options, report
from portalctl.commands.params import When, body_options, body_text
from portalctl.i18n import _
from portalctl.model import NOTICE_SEVERITIES

NOTICE_COLUMNS = ("id", "severity", "title", "organization", "starts_at", "ends_at")
ADMIN_COLUMNS = ("id", "severity", "title", "organization", "countries", "starts_at", "ends_at", "active")


@click.command()
@output_options(NOTICE_COLUMNS)
def notices(output: Output) -> None:
    """List the portal's notices in force that concern you (announcements, service interruptions).

    \b
    Examples:
      portalctl notices
      portalctl notices -o json | jq '.[] | select(.severity == "outage")'
    """
    found = app().client.accounts.notices()
    if output.fmt == "table" and not output.columns_flag and found:
        for notice in found:
            show_notice(notice, output.io, err=False)
    elif output.many(found) == 0 and output.fmt == "table":
        message(_("No notices in force."))


@click.group("notices")
def admin_notices() -> None:
    """Publish and end notices: announcements and service interruptions shown to portal users (admins).

    \b
    Examples:
      portalctl admin notices add --title "Mantenimiento" --body "Sin servicio de 22:00 a 23:00" \\
          --severity warning --starts 2025-06-01T22:00Z --ends 2025-06-01T23:00Z
      portalctl admin notices add --title "Caída del portal DIAN" --severity outage --ends 4h --org acme
      portalctl admin notices end 3
    """


@admin_notices.command("add")
@click.option("--title", help="One line, shown as the banner's heading.")
@body_options
@click.option("--severity", type=click.Choice(NOTICE_SEVERITIES), default="info", show_default=True)
@click.option("--starts", type=When(ahead=True), help="When it starts showing: a date-time, a date, or 2h from now"
                                                      " (default: now).")
@click.option("--ends", type=When(ahead=True), help="When it stops showing: a date-time, a date, or 2h from now.")
@click.option("--org", metavar="SLUG", help="For this organisation's users (default: everyone).")
@click.option("--country", "countries", multiple=True, metavar="CC",
              help="For the users in this country, e.g. CO (repeatable; with --org: the users of either).")
@output_options(ADMIN_COLUMNS)
def notices_add(title: str | None, body: str | None, body_file: IO[str] | None, severity: str, starts: str | None,
                ends: str | None, org: str | None, countries: tuple[str, ...], output: Output) -> None:
    """Publish a notice for a time window, to everyone, or to one organisation and/or some countries.

    \b
    Examples:
      portalctl admin notices add --title "Corte DIAN" --severity outage --ends 4h --country CO
      portalctl admin notices add --title "Mantenimiento" --ends 2h --org acme
    """
    ctx = app()
    title = ctx.require(title, "--title", _("Title"))
    ends = ctx.require(ends, "--ends", _("Ends (e.g. 2025-06-01T23:00Z or 4h)"), type=When(ahead=True))
    notice = ctx.client.accounts.add_notice(title=title, body=body_text(body, body_file) or "", severity=severity,
                                            starts=starts, ends=ends, organization=org, countries=countries)
    message(_("Published notice #{id}: {title} ({starts_at} to {ends_at})").format(
        id=notice.id, title=notice.title, starts_at=notice.starts_at, ends_at=notice.ends_at))
    report(output, notice)


@admin_notices.command("list")
@output_options(ADMIN_COLUMNS)
def notices_list(output: Output) -> None:
    """Every notice, past, present and future, newest first.

    \b
    Example:
      portalctl admin notices list -o json
    """
    if output.many(app().client.accounts.all_notices()) == 0 and output.fmt == "table":
        message(_("No notices yet; publish one with 'portalctl admin notices add'."))


@admin_notices.command("end")
@click.argument("notice_id", type=POSITIVE, metavar="ID")
@output_options(ADMIN_COLUMNS)
def notices_end(notice_id: int, output: Output) -> None:
    """End a notice now (a notice not started yet will never show).

    \b
    Example:
      portalctl admin notices end 3
    """
    notice = app().client.accounts.end_notice(notice_id)
    message(_("Notice #{id} ended at {ends_at}.").format(id=notice.id, ends_at=notice.ends_at))
    report(output, notice)
