"""`portalctl tickets states`: the help desk's own ticket states and the canonical state each maps to.

A subcommand of `tickets`, loaded only when it runs (commands/tickets.py: LAZY_COMMANDS).
"""

from __future__ import annotations

import click

from portalctl.commands.context import Output, app, output_options

COLUMNS = ("id", "label", "state")


@click.command("states")
@output_options((*COLUMNS, "pipeline"))
def states(output: Output) -> None:
    """List the help desk's ticket states and what each means to portalctl.

    Each row is a state as the help desk names it (its id and label) and the canonical state it maps to:
    new, open, pending, on_hold, resolved or closed, the names --status takes everywhere (a native label
    works too). On the embedded portal and a portalctl server the rows are the canonical states themselves;
    on HubSpot the stages of every ticket pipeline, with the pipeline each belongs to; on Zendesk its request
    statuses; on django-helpdesk its status codes and the on-hold flag; on Freshdesk the account's status
    numbers; on WHMCS the install's statuses. A mapping that reads wrong can be changed in the profile (see
    README: "Help desks you already have").

    \b
    Examples:
      portalctl tickets states
      portalctl -p vai tickets states -o json
      portalctl tickets states -o csv --columns pipeline,label,state
    """
    found = app().client.states()
    if not any(s.pipeline for s in found):  # only HubSpot groups its stages
        output.default_columns = COLUMNS
    output.many(s._asdict() for s in found)
