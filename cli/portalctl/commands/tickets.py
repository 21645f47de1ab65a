"""`portalctl tickets`: open, follow, answer and close tickets."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import IO, Any, ClassVar

import click

from portalctl.commands import complete
from portalctl.commands.compose import compose
from portalctl.commands.context import (
    POSITIVE,
    Capped,
    Output,
    app,
    limit_options,
    message,
    output_options,
    paged,
)
from portalctl.commands.filters import ticket_filters
from portalctl.commands.groups import ForgivingGroup
from portalctl.commands.notices import banner
from portalctl.commands.params import Duration, body_options, body_text, key_values
from portalctl.commands.templates import variable_options
from portalctl.commands.ticket_view import show_ticket
from portalctl.contract import ON_DUPLICATE, TicketChanges, TicketCountAPI, TicketDraft, TicketQuery, Upload
from portalctl.errors import PortalError
from portalctl.i18n import _
from portalctl.labels import status as state
from portalctl.model import PRIORITIES, TICKET_TYPES, Attachment, Ticket
from portalctl.output.localformat import number
from portalctl.output.localtime import TimeView

LIST_COLUMNS = ("id", "status", "priority", "department", "subject", "requester", "updated_at")
ONE_COLUMNS = ("id", "status", "priority", "subject", "requester", "due_at")
ATTACHMENT_COLUMNS = ("id", "filename", "content_type", "size", "created_at")

attach_option = click.option(
    "--attach", "attach", multiple=True, metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Attach a file (repeatable).",
)
ticket_id = click.argument("ticket_id", type=POSITIVE, metavar="ID", shell_complete=complete.shell(complete.tickets))


def uploads(paths: tuple[Path, ...]) -> list[Upload]:
    return [Upload(filename=path.name, path=path) for path in paths]


def report(output: Output, ticket: Ticket, text: str) -> None:
    """After a change: a sentence on stderr; the ticket id (table) or the ticket (other formats) on stdout."""
    message(text)
    if output.fmt == "table" and not output.columns_flag:
        output.io.echo(ticket.id)
    else:
        output.one(ticket)


LAZY_COMMANDS = {"stats": "portalctl.commands.stats", "states": "portalctl.commands.ticket_states",
                 "watch": "portalctl.commands.watch"}


class TicketsGroup(ForgivingGroup):
    """Loads LAZY_COMMANDS only when asked for: their modules would cost every listing ~4 ms."""

    aliases: ClassVar[dict[str, str]] = {"ls": "list"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS:
            command: click.Command = getattr(importlib.import_module(LAZY_COMMANDS[name]), name)
            return command
        return super().get_command(ctx, name)


@click.group(cls=TicketsGroup)
def tickets() -> None:
    """Open, follow, answer and close tickets.

    \b
    Examples:
      portalctl tickets create --subject "Invoice 5412 rejected" --body-file notes.md
      portalctl tickets list --status open --overdue
      portalctl tickets reply 12 --body "Here is the corrected PDF" --attach form.pdf
    """


@tickets.command()
@click.option("--subject", help="A short title of the problem.")
@body_options
@click.option("--priority", type=click.Choice(PRIORITIES), help="Default: medium.")
@click.option("--type", "type_", type=click.Choice(TICKET_TYPES), help="Kind of request.")
@click.option("--department", metavar="NAME", help="Department (queue) that handles it.")
@click.option("--cc", multiple=True, metavar="EMAIL", help="Copy someone on the conversation (repeatable).")
@click.option("--field", "field_pairs", multiple=True, metavar="KEY=VALUE", help="A custom field (repeatable).")
@click.option("--tag", multiple=True, help="A tag (repeatable).")
@attach_option
@click.option("--follow-up-of", type=POSITIVE, metavar="ID", help="Link a closed ticket this continues.")
@click.option("--requester", metavar="EMAIL", help="Agents: open the ticket on behalf of this customer.")
@click.option("--dedupe-key", metavar="KEY",
              help="If an active ticket carries KEY, add to it instead of opening another (CI pipelines).")
@click.option("--on-duplicate", type=click.Choice(ON_DUPLICATE),
              help="With --dedupe-key: reply to the active ticket (default), skip, or open a new one anyway.")
@click.option("--template", metavar="NAME|PATH", shell_complete=complete.shell(complete.templates),
              help="Start from a ticket template; flags override it.")
@variable_options
@click.option("--dry-run", is_flag=True, help="With --template: print the ticket it gives and send nothing.")
@output_options(ONE_COLUMNS)
def create(
    subject: str | None, body: str | None, body_file: IO[str] | None, priority: str | None, type_: str | None,
    department: str | None, cc: tuple[str, ...], field_pairs: tuple[str, ...], tag: tuple[str, ...],
    attach: tuple[Path, ...], follow_up_of: int | None, requester: str | None, dedupe_key: str | None,
    on_duplicate: str | None, template: str | None, var_pairs: tuple[str, ...], vars_files: tuple[str, ...],
    dry_run: bool, output: Output,
) -> None:
    """Open a ticket.

    Missing values are prompted for on a terminal; elsewhere the command fails naming the flag.

    \b
    Examples:
      portalctl tickets create --subject "Cambio en formulario 5412" --body "Corregir el valor FOB" \\
          --field user_code=0042 --field forms=5412 --attach corrected.pdf
      echo "build 311 failed" | portalctl tickets create --subject "CI failure" --body-file - -o json
      portalctl tickets create --subject "main is red" --body "job 88" --dedupe-key ci-main -o json
      portalctl tickets create --template ci-build-failure --var CI_BRANCH=main --dry-run
    """
    ctx = app()
    if template:
        from portalctl.templates.lookup import render_ticket  # loads yaml: only when a template is used

        spec = render_ticket(template, cli_vars=key_values(var_pairs, "--var"), vars_files=vars_files).override(
            subject=subject, body=body_text(body, body_file), priority=priority, type=type_, department=department,
            ccs=cc, tags=tag, fields=key_values(field_pairs, "--field"), attachments=attach,
            dedupe_key=dedupe_key, on_duplicate=on_duplicate,
        )
        if dry_run:
            output.one(spec.to_dict())
            return
        draft = spec.draft()
    else:
        if dry_run or var_pairs or vars_files:
            raise click.UsageError(_("--dry-run, --var and --vars-file go with --template"))
        subject = ctx.require(subject, "--subject", _("Subject"))
        draft = TicketDraft(
            subject=subject,
            body=compose(ctx, body_text(body, body_file), "--body or --body-file", _("the ticket's description"),
                         _("Subject: {subject}").format(subject=subject)),
            priority=priority, type=type_, department=department, ccs=cc,
            fields=key_values(field_pairs, "--field"), tags=tag, attachments=uploads(attach),
            dedupe_key=dedupe_key, on_duplicate=on_duplicate or "reply",
        )
    draft = draft.but(follow_up_of=follow_up_of, requester=requester)
    banner()
    ticket = ctx.client.tickets.create(draft)
    dedupe_key, on_duplicate = draft.dedupe_key, draft.on_duplicate
    if ticket.created:
        text = _("Created ticket #{id}: {subject}").format(id=ticket.id, subject=ticket.subject)
        if ticket.due_at:
            text += " " + _("(due {when})").format(when=due_when(ctx.times(err=True), ticket.due_at))
    elif on_duplicate == "skip":
        text = _("Skipped: ticket #{id} is already active for dedupe key {key!r}").format(id=ticket.id, key=dedupe_key)
    else:
        text = _("Added to ticket #{id}, already active for dedupe key {key!r} (now {status})").format(
            id=ticket.id, key=dedupe_key, status=state(ticket.status))
    report(output, ticket, text)


def due_when(times: TimeView, stamp: str) -> str:
    """"in 4 d, 2026-12-08 20:00 UTC" on a terminal (no brackets within the message's own), else the time alone."""
    absolute = f"{times.absolute(stamp)} {times.zone_name}"
    relative = times.relative(stamp)
    return f"{relative}, {absolute}" if relative else absolute


@tickets.command("list")
@ticket_filters
@limit_options
@output_options(LIST_COLUMNS)
def list_(query: TicketQuery, limit: int, all_: bool, output: Output) -> None:
    """List tickets you can see, newest change first.

    \b
    Examples:
      portalctl tickets list --status open --status pending --department soporte-web
      portalctl tickets list --overdue --sort due
      portalctl tickets list --all --updated-since 7d -o jsonl > week.jsonl
    """
    ctx = app()
    banner()
    tell = not all_ and ctx.io.err_tty  # a person is told when the listing was cut; a script reads --limit
    records = Capped(ctx.client.tickets.list(query.but(limit=None if all_ else limit + tell)), limit)
    with ctx.io.paging(ctx.pager if all_ else None):
        count = output.many(records if tell else records.records)
    if count == 0 and output.fmt == "table":
        message(_("No tickets match."))
    elif records.more:
        message(_("Showing {count} of {total} tickets — use --all or --limit N").format(
            count=count, total=total_of(ctx.client.tickets, query, count)))


def total_of(tickets: Any, query: TicketQuery, shown: int) -> str:
    """How many tickets a cut listing matches in all: the portal's or help desk's exact count, else "more than N"
    (never a guess)."""
    total = tickets.count(query) if isinstance(tickets, TicketCountAPI) else None
    return number(total) if total is not None and total > shown else _("more than {shown}").format(shown=shown)


@tickets.command()
@ticket_id
@output_options(LIST_COLUMNS)
@paged
def show(ticket_id: int, output: Output) -> None:
    """Show a ticket: its fields, due time, conversation and attachments.

    \b
    Example:
      portalctl tickets show 12
      portalctl tickets show 12 -o json | jq '.comments[-1].body'
    """
    banner()
    ticket = app().client.tickets.get(ticket_id)
    output.one(ticket, table=show_ticket)


@tickets.command()
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
    report(output, ticket, done.format(id=ticket.id, status=state(ticket.status)))


@tickets.command()
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
    report(output, ticket, _("Closed #{id}").format(id=ticket.id))


@tickets.command()
@ticket_id
@output_options(ONE_COLUMNS)
def reopen(ticket_id: int, output: Output) -> None:
    """Reopen a resolved ticket.

    \b
    Example:
      portalctl tickets reopen 12
    """
    ticket = app().client.tickets.reopen(ticket_id)
    report(output, ticket, _("Reopened #{id}").format(id=ticket.id))


@tickets.command()
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
    report(output, ticket, _("Updated #{id}").format(id=ticket.id))


@tickets.command()
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
    report(output, ticket, _("CCs on #{id}: {ccs}").format(id=ticket.id, ccs=", ".join(ticket.ccs) or _("none")))


@tickets.command()
@ticket_id
@output_options(ATTACHMENT_COLUMNS)
def attachments(ticket_id: int, output: Output) -> None:
    """List a ticket's attachments.

    \b
    Example:
      portalctl tickets attachments 12
    """
    if output.many(app().client.tickets.attachments(ticket_id)) == 0 and output.fmt == "table":
        message(_("No attachments."))


@tickets.command()
@ticket_id
@click.argument("attachment_id", type=POSITIVE, metavar="ATTACHMENT")
@click.option("--dir", "directory", type=click.Path(file_okay=False, allow_dash=True, path_type=Path),
              default=Path("."), help="Where to save it (default: here; - writes the file to stdout).")
@click.option("--force", is_flag=True, help="Overwrite a file of the same name.")
def download(ticket_id: int, attachment_id: int, directory: Path, force: bool) -> None:
    """Save an attachment; prints the path written.

    The file name is made safe (no directories, no control characters); an existing file is kept unless --force.

    \b
    Example:
      portalctl tickets download 12 3 --dir ~/Downloads
    """
    io = app().io
    to_stdout = str(directory) == "-"
    if to_stdout and io.out_tty:
        raise click.UsageError(_("--dir - writes the file to stdout: redirect it (> file) or pipe it"))
    attachment, source = app().client.tickets.download(ticket_id, attachment_id)
    with source:
        if to_stdout:
            sink = getattr(io.out, "buffer", io.out)
            io.out.flush()
            while chunk := source.read(1 << 20):
                sink.write(chunk)
            sink.flush()
            message(_("Wrote {filename} ({size} bytes) to stdout").format(
                filename=attachment.filename, size=attachment.size))
            return
        target = save(attachment, source, directory, force)
    message(_("Saved {filename} ({size} bytes)").format(filename=attachment.filename, size=attachment.size))
    io.echo(target)


def save(attachment: Attachment, source: Any, directory: Path, force: bool) -> Path:
    from portalctl.engine.attachments import safe_name

    directory.mkdir(parents=True, exist_ok=True)
    target = directory / safe_name(attachment.filename)
    if target.exists() and not force:
        raise PortalError(_("{target} already exists").format(
            target=target), hint=_("pass --force to overwrite it, or --dir elsewhere"))
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".portalctl-")
    try:
        umask = os.umask(0o022)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # like any file the user saves, not mkstemp's 0600
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


WAIT_STATES = ("resolved", "closed", "replied")
WAIT_FLOOR = 1.0  # seconds: the shortest --interval, so a wait never busy-polls the portal
WAIT_JITTER = 0.1  # each pause is up to 10% longer, so pipelines started together do not poll together


@tickets.command()
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
                report(output, ticket, _("#{id} was answered by {name}").format(id=ticket.id,
                                                                                   name=answers[0].author_name))
                return
            if ticket.status == "closed":
                status.done()
                raise StateConflict(_("ticket #{ticket_id} was closed without a reply").format(ticket_id=ticket_id))
        elif ticket.status == until or (until == "resolved" and ticket.status == "closed"):
            status.done()
            report(output, ticket, _("#{id} is {status}").format(id=ticket.id, status=state(ticket.status)))
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
