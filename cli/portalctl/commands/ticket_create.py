"""`portalctl tickets create`: open a ticket, from flags, the user's editor or a ticket template.

A subcommand of `tickets`, loaded only when it runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from portalctl.commands import complete
from portalctl.commands.banner import banner
from portalctl.commands.compose import compose
from portalctl.commands.context import POSITIVE, Output, app, message, output_options, report
from portalctl.commands.params import body_options, body_text, key_values
from portalctl.commands.templates import variable_options
from portalctl.commands.ticket_params import ONE_COLUMNS, attach_option, uploads
from portalctl.contract import ON_DUPLICATE, TicketDraft
from portalctl.i18n import _
from portalctl.labels import status as state
from portalctl.model import PRIORITIES, TICKET_TYPES
from portalctl.output.localtime import TimeView


@click.command()
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
    message(text)
    report(output, ticket)


def due_when(times: TimeView, stamp: str) -> str:
    """"in 4 d, 2026-12-08 20:00 UTC" on a terminal (no brackets within the message's own), else the time alone."""
    absolute = f"{times.absolute(stamp)} {times.zone_name}"
    relative = times.relative(stamp)
    return f"{relative}, {absolute}" if relative else absolute


