"""The ticket listing filters, shared by `tickets list`, `tickets stats` and `export tickets`.

Every multi-value filter takes a comma-separated list, repeated or not (`--status open,pending --status new`), and
choices in any case (`--priority High`), as gh's do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from portalctl.commands import complete
from portalctl.commands.params import When
from portalctl.contract import TicketQuery, expand_all
from portalctl.i18n import N_, _, formatted
from portalctl.model import PRIORITIES, TICKET_TYPES

F = TypeVar("F", bound=Callable[..., Any])


class Values(click.ParamType):  # type: ignore[type-arg]
    """A comma-separated list; with `choices`, each value is one of them in any case (given back lower case)."""

    def __init__(self, metavar: str, choices: Sequence[str] = (),
                 complete_with: complete.Completer | None = None) -> None:
        self.name = metavar
        self.choices = tuple(choices)
        self.complete_with = complete_with or (complete.among(self.choices) if self.choices else None)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        values = tuple(v.strip() for v in str(value).split(",") if v.strip())
        if not values:
            self.fail(_("needs a value"), param, ctx)
        if not self.choices:
            return values
        unknown = [v for v in values if v.lower() not in self.choices]
        if unknown:
            self.fail(_("{unknown!r} is not one of {choices}").format(
                unknown=unknown[0], choices=', '.join(self.choices)), param, ctx)
        return tuple(v.lower() for v in values)

    def shell_complete(self, ctx: click.Context, param: click.Parameter,
                       incomplete: str) -> list[click.shell_completion.CompletionItem]:
        if self.complete_with is None:
            return []
        return complete.listed(self.complete_with, ctx, incomplete)


def many(*flags: str, name: str, values: Values, help: str) -> Callable[[F], F]:
    return click.option(*flags, name, multiple=True, type=values, metavar=values.name,
                        help=formatted("{help} Comma-separated or repeated.", help=help))


OPTIONS = [
    many("--priority", name="priorities", values=Values("PRIORITY", PRIORITIES),
         help=formatted("{values} (any case).", values=", ".join(PRIORITIES))),
    many("--type", name="types", values=Values("TYPE", TICKET_TYPES), help=", ".join(TICKET_TYPES) + "."),
    many("--department", name="departments", values=Values("NAME", complete_with=complete.departments),
         help="Department (queue) names."),
    many("-a", "--assignee", name="assignees", values=Values("EMAIL"),
         help="Tickets assigned to this person; @me for you."),
    many("--tag", name="tags", values=Values("TAG"), help="Tickets with any of these tags."),
    click.option("--requester", metavar="EMAIL", help="Tickets opened by this person; @me for you."),
    click.option("--org", "organization", metavar="NAME", help="Tickets of this organisation."),
    click.option("--created-since", type=When(), help="YYYY-MM-DD, ISO time, or a span such as 7d."),
    click.option("--created-until", type=When(), help="Created before this moment."),
    click.option("--updated-since", type=When(), help="Changed since this moment."),
    click.option("-S", "--search", metavar="TEXT",
                 help="Words in the subject or public conversation (accents ignored, word forms matched)."),
    click.option("--overdue", is_flag=True, help="Only new or open tickets past their resolution due time."),
    click.option("--mine", is_flag=True, help="Tickets you opened (agents: or that are assigned to you)."),
    click.option("--sort", default="-updated", show_default=True,
                 help="updated, created, priority, due, id or status; prefix - for descending."),
]
NAMES = ("statuses", "priorities", "types", "departments", "assignees", "tags", "requester", "organization",
         "created_since", "created_until", "updated_since", "search", "overdue", "mine", "sort")
LISTS = ("statuses", "priorities", "types", "departments", "assignees", "tags")


def filter_options(*, default_states: str, sort: bool = True) -> Callable[[F], F]:
    """The filter options, --status's help naming the states the command takes when none is given; the command
    gets one `query: TicketQuery` (limit left to the command). `sort=False`: no --sort (a feed comes in order)."""
    status = many("-s", "--status", name="statuses", values=Values("STATE", complete_with=complete.states),
                  help=formatted("new, open, pending, on_hold, resolved, closed, native names, or 'all' "
                                 "(default: {states}).", states=default_states))

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in NAMES if name in kwargs}
            for name in LISTS:  # each use of the flag gave a tuple of its comma-separated values
                values[name] = tuple(v for given in values[name] for v in given)
            kwargs["query"] = TicketQuery(statuses=expand_all(values.pop("statuses")), limit=None, **values)
            return function(*args, **kwargs)

        decorated: Any = wrapper
        for option in reversed([status, *(OPTIONS if sort else OPTIONS[:-1])]):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


ticket_filters = filter_options(default_states=N_("all but closed"))  # `tickets list` and `tickets stats`
