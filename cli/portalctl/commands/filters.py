"""The ticket listing filters, shared by `tickets list`, `tickets stats` and `export tickets`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from portalctl.commands.params import When
from portalctl.contract import TicketQuery, expand_all
from portalctl.model import PRIORITIES, TICKET_TYPES

F = TypeVar("F", bound=Callable[..., Any])

OPTIONS = [
    click.option("--priority", "priorities", multiple=True, type=click.Choice(PRIORITIES), help="Repeatable."),
    click.option("--type", "types", multiple=True, type=click.Choice(TICKET_TYPES), help="Repeatable."),
    click.option("--department", "departments", multiple=True, metavar="NAME", help="Repeatable."),
    click.option("--requester", metavar="EMAIL", help="Tickets opened by this person."),
    click.option("--org", "organization", metavar="NAME", help="Tickets of this organisation."),
    click.option("--created-since", type=When(), help="YYYY-MM-DD, ISO time, or a span such as 7d."),
    click.option("--created-until", type=When(), help="Created before this moment."),
    click.option("--updated-since", type=When(), help="Changed since this moment."),
    click.option("--search", metavar="TEXT", help="Words in the subject or public conversation (accents ignored)."),
    click.option("--overdue", is_flag=True, help="Only new or open tickets past their resolution due time."),
    click.option("--mine", is_flag=True, help="Tickets you opened (agents: or that are assigned to you)."),
    click.option("--sort", default="-updated", show_default=True,
                 help="updated, created, priority, due, id or status; prefix - for descending."),
]
NAMES = ("statuses", "priorities", "types", "departments", "requester", "organization", "created_since",
         "created_until", "updated_since", "search", "overdue", "mine", "sort")


def filter_options(*, default_states: str) -> Callable[[F], F]:
    """The filter options, --status's help naming the states the command takes when none is given; the command
    gets one `query: TicketQuery` (limit left to the command)."""
    status = click.option("--status", "statuses", multiple=True, metavar="STATE",
                          help="new, open, pending, on_hold, resolved, closed, native names, or 'all' (default: "
                               f"{default_states}). Repeatable.")

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in NAMES}
            kwargs["query"] = TicketQuery(statuses=expand_all(values.pop("statuses")), limit=None, **values)
            return function(*args, **kwargs)

        decorated: Any = wrapper
        for option in reversed([status, *OPTIONS]):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


ticket_filters = filter_options(default_states="all but closed")  # `tickets list` and `tickets stats`
