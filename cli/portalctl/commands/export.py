"""`portalctl export`: tickets and articles to CSV, Excel, JSON Lines or JSON files, for reports and cron jobs."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from portalctl.commands.context import POSITIVE, app, message
from portalctl.commands.filters import filter_options
from portalctl.contract import ChangeFeed, IncrementalAPI, TicketCountAPI, TicketQuery, TicketRowsAPI, listed_states
from portalctl.errors import InvalidInput, PortalError
from portalctl.i18n import N_, _, ngettext
from portalctl.model import STATES, Comment, Ticket
from portalctl.output.atomic import atomic_paths
from portalctl.output.columns import ARTICLE_FIELDS, TICKET_FIELDS, article_columns, parse_columns, ticket_columns
from portalctl.output.exporters import FORMATS, STDOUT_FORMATS, ExportSpec, format_for
from portalctl.output.exporters import export as run_export
from portalctl.output.localtime import user_zone
from portalctl.output.summary import Tally
from portalctl.times import iso

F = TypeVar("F", bound=Callable[..., Any])
STATE_VERSION = 1


def file_options(columns_help: str) -> Callable[[F], F]:
    """-o FILE, --format, --columns, --limit and --bom: what every export takes."""
    return lambda function: _file_options(function, columns_help)


def _file_options(function: F, columns_help: str) -> F:
    for option in reversed([
        click.option("-o", "--output", "target", required=True, metavar="FILE",
                     type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
                     help="The file to write (- for stdout: csv, jsonl, json). Replaced only when the export "
                          "succeeds."),
        click.option("--format", "fmt", type=click.Choice(FORMATS),
                     help="File format (default: from the extension: .csv, .xlsx, .jsonl, .json; stdout: csv)."),
        click.option("--columns", metavar="A,B,...", help=columns_help),
        click.option("--limit", type=POSITIVE, help="At most this many records (default: all)."),
        click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte-order mark (Excel on Windows)."),
    ]):
        function = option(function)
    return function


def resolve_target(target: Path, fmt: str | None, *, comments: bool, bom: bool) -> tuple[Path | None, str]:
    """Where to write (None: stdout) and in which format, or a usage error saying what to pass."""
    path = None if str(target) == "-" else target
    chosen = format_for(path, fmt)
    if chosen is None:
        raise click.UsageError(_("cannot tell the format of {target} from its name; pass --format csv|xlsx|jsonl|json")
                               .format(target=target))
    if path is None and chosen not in STDOUT_FORMATS:
        raise click.UsageError(_("{chosen} cannot go to stdout; pass -o FILE.{chosen}").format(chosen=chosen))
    if path is None and comments and chosen == "csv":
        raise click.UsageError(_("--include-comments with CSV writes a second file; pass -o FILE.csv"))
    if bom and chosen != "csv":
        raise click.UsageError(_("--bom is for CSV files only"))
    return path, chosen


def progress_stream() -> IO[str] | None:
    """stderr when a person watches it: a terminal that takes control codes (neither NO_COLOR nor TERM=dumb)."""
    io = app().io
    return io.err if io.err_color else None


def failed_write(target: Path | None, exc: OSError) -> PortalError:
    """A disk full or a vanished directory, said plainly (the atomic write already kept the old file)."""
    if target is None:
        return PortalError(_("could not write to stdout: {value}").format(value=exc.strerror or exc))
    return PortalError(_("could not write {target}: {value}").format(target=target, value=exc.strerror or exc),
        hint=_("{target} was left as it was").format(target=target))


@click.group()
def export() -> None:
    """Export tickets or articles to CSV, Excel (.xlsx), JSON Lines or JSON files.

    Exports stream (memory does not grow with the number of tickets) and are atomic: the file is written beside
    the target and renamed over it at the end, so a failed or interrupted export leaves the previous file as it
    was. Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are neutralised.

    \b
    Examples:
      portalctl export tickets -o tickets.xlsx
      portalctl export tickets -o changes.csv --incremental ~/.local/state/portalctl/nightly.json
      portalctl export tickets -o - --format jsonl --status open | jq .subject
      portalctl export articles -o kb.xlsx --collection colombia
    """


@export.command("tickets")
@filter_options(default_states=N_("all, closed included"))
@file_options(N_("Columns to export, in this order: the ticket's JSON field names and field:KEY for a custom field "
              "(default: all but status_label, fields and dedupe_key)."))
@click.option("--include-comments", is_flag=True,
              help="Also each ticket's conversation (never internal notes for customers): xlsx a Comments sheet, "
                   "csv a second file NAME.comments.csv, json/jsonl a comments list in each ticket.")
@click.option("--incremental", "state_file", metavar="STATE_FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Only tickets changed since the last successful run recorded in STATE_FILE (JSON); a missing "
                   "file means every ticket. The file advances only when the export succeeds.")
def tickets(query: TicketQuery, target: Path, fmt: str | None, columns: str | None, limit: int | None, bom: bool,
            include_comments: bool, state_file: Path | None) -> None:
    """Export tickets you can see, with every `tickets list` filter.

    Unlike `tickets list`, every state is exported by default, closed included (a report counts closed
    tickets too, and an incremental export must see a ticket close); pass --status to narrow it.

    Excel files get a Tickets sheet (dates in your profile's timezone, else TZ, else UTC, named in the
    headers; one column per custom field), a Comments sheet with --include-comments, and a Summary sheet with
    counts by state, priority, department and month and bar charts. A one-line summary goes to stderr.

    \b
    Examples:
      portalctl export tickets -o report.xlsx --created-since 2025-01-01 --include-comments
      portalctl export tickets -o open.csv --status open --status pending --columns id,subject,field:user_code
      portalctl export tickets -o delta.jsonl --incremental state.json     # nightly: only what changed
    """
    path, chosen = resolve_target(target, fmt, comments=include_comments, bom=bom)
    query = query.but(statuses=query.statuses or list(STATES), limit=limit)
    started, since, position = None, None, None
    if state_file is not None:
        if query.updated_since:
            raise click.UsageError(_("pass --incremental or --updated-since, not both"))
        if limit is not None:
            raise click.UsageError(_("--limit with --incremental would skip the tickets past the limit for good"))
        since, position = read_state(state_file)
        query = query.but(updated_since=since)
        started = iso(app().io.now())  # before the query: nothing slips between runs
    client = app().client
    try:
        definitions = client.accounts.field_defs()
    except PortalError:
        definitions = []
    zone, zone_name = user_zone(client)
    wanted = parse_columns(columns)
    spec = ExportSpec(
        fmt=chosen, target=path, columns=ticket_columns(definitions, wanted), noun="tickets",
        zone=zone, zone_name=zone_name, exported_at=app().io.now(), columns_chosen=wanted is not None,
        record_fields=TICKET_FIELDS, comments=include_comments, bom=bom,
        tally=Tally(zone, listed_states(query.statuses)) if chosen == "xlsx" else None,
    )
    # filters are checked here, before any file is touched
    records: Iterable[Any] | None = None
    feed: ChangeFeed | None = None
    if state_file is not None and isinstance(client.tickets, IncrementalAPI):  # the platform's own change feed
        feed = client.tickets.changes(query, position)
        records = feed.tickets
    elif chosen == "csv" and not include_comments and isinstance(client.tickets, TicketRowsAPI):  # the fast path
        records = client.tickets.list_rows(query, [c.name for c in spec.columns])
        spec.rows = records is not None
    if records is None:
        records = client.tickets.list(query)

    def comments_of(ticket: Ticket) -> Sequence[Comment]:
        return client.tickets.get(ticket.id).comments or []

    try:
        progress = progress_stream()
        total = None
        if progress and isinstance(client.tickets, TicketCountAPI):  # a bar with an ETA where a count is cheap
            counted = client.tickets.count(query)
            total = None if counted is None else min(counted, query.limit or sys.maxsize)
        count = run_export(records, spec, app().io.out, comments_of=comments_of if include_comments else None,
                           progress=progress, total=total)
    except BrokenPipeError:
        raise  # `| head` read what it wanted: the root command stops quietly
    except OSError as exc:
        raise failed_write(path, exc) from exc
    if state_file is not None and started is not None:
        write_state(state_file, started, count, path, feed.position() if feed is not None else None)
    written = str(path) if path is not None else "stdout"
    extra = [_("comments in {path}").format(path=spec.targets[1])] if len(spec.targets) > 1 else []
    if state_file is not None:
        extra.append(_("changed since {since}").format(since=since) if since else
                     _("first incremental run: every ticket"))
    done = ngettext("Exported {count} ticket to {target}", "Exported {count} tickets to {target}", count)
    message(done.format(count=count, target=written) + (f" ({'; '.join(extra)})" if extra else ""))


@export.command("articles")
@click.option("--collection", metavar="NAME", help="Only this collection (e.g. a country).")
@click.option("--folder", metavar="NAME", help="Only this folder (e.g. a product).")
@click.option("--locale", metavar="CODE", help="Only this language (es also finds es-CO).")
@click.option("--body", "with_body", is_flag=True, help="Also each article's text (Markdown).")
@file_options(N_("Columns to export, in this order: the article's JSON field names (default: all but body)."))
def articles(collection: str | None, folder: str | None, locale: str | None, with_body: bool, target: Path,
             fmt: str | None, columns: str | None, limit: int | None, bom: bool) -> None:
    """Export knowledge-base articles, in the order of the collection tree.

    \b
    Examples:
      portalctl export articles -o kb.xlsx
      portalctl export articles -o - --format jsonl --locale es --body | jq .title
    """
    path, chosen = resolve_target(target, fmt, comments=False, bom=bom)
    wanted = parse_columns(columns)
    chosen_columns = article_columns(wanted, body=with_body)
    client = app().client
    zone, zone_name = user_zone(client)
    listed = client.articles.list(collection=collection, folder=folder, locale=locale, limit=limit)
    needs_body = with_body or any(c.name == "body" for c in chosen_columns)
    fields = ARTICLE_FIELDS if needs_body else tuple(f for f in ARTICLE_FIELDS if f != "body")
    spec = ExportSpec(fmt=chosen, target=path, columns=chosen_columns, noun="articles", zone=zone,
                      zone_name=zone_name, exported_at=app().io.now(), columns_chosen=wanted is not None,
                      record_fields=fields, bom=bom)
    records: Iterator[Any] = (client.articles.get(a.id) for a in listed) if needs_body else listed
    try:
        count = run_export(records, spec, app().io.out, progress=progress_stream())
    except BrokenPipeError:
        raise  # `| head` read what it wanted: the root command stops quietly
    except OSError as exc:
        raise failed_write(path, exc) from exc
    done = ngettext("Exported {count} article to {target}", "Exported {count} articles to {target}", count)
    message(done.format(count=count, target=path if path is not None else "stdout"))


# --- incremental state --------------------------------------------------------------------------------------------
def read_state(path: Path) -> tuple[str | None, dict[str, Any] | None]:
    """The moment the last successful export started, or None (no state yet: export everything), and where the
    platform's change feed stopped, where a backend keeps one (IncrementalAPI)."""
    if not path.parent.is_dir():
        raise InvalidInput(_("no directory {parent} for the state file").format(
            parent=path.parent), hint=_("create it first"))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    try:
        state = json.loads(text)
        since = state["updated_since"]
        datetime.fromisoformat(since)
        position = state.get("position")
        if position is not None and not isinstance(position, dict):
            raise TypeError("position")
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(_("{path} is not a portalctl export state file").format(path=path),
                           hint=_("delete it to export every ticket once; the next success writes it again")) from exc
    return str(since), position


def write_state(path: Path, started: str, count: int, target: Path | None,
                position: dict[str, Any] | None = None) -> None:
    """Record where the next run starts, atomically: a crash here leaves the previous state (a repeat, not a gap)."""
    state = {
        "version": STATE_VERSION,
        "updated_since": started,
        "last_run": {"started_at": started, "finished_at": iso(app().io.now()),
                     "tickets": count, "file": str(target.resolve()) if target is not None else "-"},
    }
    if position is not None:
        state["position"] = position
    with atomic_paths([path]) as (temp,):
        temp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
