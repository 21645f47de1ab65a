"""`portalctl tickets stats`: how many tickets by state, priority, department or month, as data or a bar chart.

A subcommand of `tickets`, loaded only when it runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

import click

from portalctl.commands.context import Output, app, output_options
from portalctl.commands.filters import ticket_filters
from portalctl.contract import TicketQuery, listed_states
from portalctl.i18n import N_, _
from portalctl.iostreams import IOStreams
from portalctl.output.localformat import number
from portalctl.output.localtime import user_zone
from portalctl.output.render import STATE_COLOURS
from portalctl.output.summary import DIMENSIONS, Tally, key_word

BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a character cell
MAX_BAR = 50
TITLES = {"state": N_("Tickets by state"), "priority": N_("Tickets by priority"),
          "department": N_("Tickets by department"), "month": N_("Tickets by month created ({zone})")}


@click.command("stats")
@ticket_filters
@click.option("--by", type=click.Choice(DIMENSIONS), default="state", show_default=True,
              help="Count by state, priority, department, or month created (in your timezone).")
@output_options(("key", "count"))
def stats(query: TicketQuery, by: str, output: Output) -> None:
    """Count tickets by state, priority, department or month.

    Takes every `tickets list` filter, with the same default: every state but closed (pass --status all to
    count closed tickets too). On a terminal, in the table format without --columns, it draws a bar chart;
    otherwise (piped, --columns, -o json, jsonl, csv or yaml) it prints rows of key and count. States and
    priorities come in lifecycle order with zeros shown, departments by name, months in time order with empty
    months included.

    \b
    Examples:
      portalctl tickets stats
      portalctl tickets stats --by month --status all --created-since 2025-01-01
      portalctl tickets stats --by department --overdue -o json
    """
    client = app().client
    zone, zone_name = user_zone(client)
    tally = Tally(zone, listed_states(query.statuses))
    for ticket in client.tickets.list(query):
        tally.add(ticket)
    rows = tally.rows(by)
    if output.fmt == "table" and not output.columns_flag and output.io.out_tty:
        title = _(TITLES[by]).format(zone=zone_name)
        output.io.echo(bar_chart(rows, title, by, output.io))
        return
    output.many({"key": key, "count": count} for key, count in rows)


def bar(count: int, most: int, width: int) -> str:
    """A bar `count/most` of `width` cells long, to the eighth of a cell; at least a sliver for any count."""
    if count <= 0 or most <= 0:
        return ""
    eighths = max(1, round(count / most * width * 8))
    return "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def bar_chart(rows: list[tuple[str, int]], title: str, by: str, io: IOStreams) -> str:
    """Labels, bars and counts, fitted to the terminal's width, with the total underneath."""
    total = sum(count for _key, count in rows)
    if not rows:
        return f"{title}\n  {_('(no tickets)')}\n{_('total')}  0"
    words = {key: key_word(by, key) for key, _count in rows}
    label_width = max(len(word) for word in [*words.values(), _("total")])
    count_width = len(number(max(total, 1)))
    width = max(10, min(MAX_BAR, (io.width or 80) - label_width - count_width - 6))
    most = max(count for _key, count in rows)
    lines = [io.style(title, bold=True)]
    for key, count in rows:
        colour = STATE_COLOURS.get(key, "cyan") if by == "state" else "cyan"
        drawn = io.style(bar(count, most, width).ljust(width), fg=colour)
        lines.append(f"{words[key].ljust(label_width)}  {drawn}  {number(count):>{count_width}}")
    lines.append(f"{_('total').ljust(label_width)}  {' ' * width}  {number(total):>{count_width}}")
    return "\n".join(lines)
