"""Shell completion of live values: states, priorities, departments, recent tickets with their subjects, profiles,
templates and articles, for click's bash, zsh and fish completion (`portalctl completion SHELL`).

A completer reads the portal of the profile the command line names (`-p NAME`) and never fails: a portal that
cannot be reached completes nothing rather than printing an error into the user's prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click
from click.shell_completion import CompletionItem

from portalctl.i18n import _

# A completer gives (value, help) pairs for what a parameter may hold; `listed` narrows them to what was typed.
Completer = Callable[[click.Context], Iterable[tuple[str, str | None]]]
RECENT = 20  # recent tickets offered for an ID


def listed(completer: Completer, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    """The completer's values that start with what was typed; after a comma (`open,pe`) the last item only."""
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    try:
        pairs = list(completer(ctx))
    except Exception:  # completion must never break the user's prompt
        return []
    return [CompletionItem(prefix + value, help=help) for value, help in pairs
            if value.lower().startswith(last.lower())]


def among(values: Sequence[str]) -> Completer:
    return lambda ctx: ((value, None) for value in values)


def shell(completer: Completer) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """`completer` as a parameter's `shell_complete=`."""
    return lambda ctx, param, incomplete: listed(completer, ctx, incomplete)


def client(ctx: click.Context) -> Any:
    """The client of the profile named on the command line (completion runs no callbacks, so none exists yet)."""
    from portalctl.client import Client
    from portalctl.config import Settings

    profile = ctx.find_root().params.get("profile")
    return Client(Settings({"profile": profile}).profile())


def states(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    from portalctl.model import STATE_LABELS, STATES

    return [*((state, _(STATE_LABELS[state])) for state in STATES), ("all", _("every state"))]


def departments(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    return ((d.slug, d.name) for d in client(ctx).accounts.departments())


def tickets(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    from portalctl.contract import TicketQuery

    return ((str(t.id), t.subject) for t in client(ctx).tickets.list(TicketQuery(limit=RECENT)))


def articles(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    return ((str(a.id), a.title) for a in client(ctx).articles.list(limit=50))


def profiles(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    from portalctl.config import UserConfig

    return ((name, p.url or p.db or p.backend) for name, p in UserConfig().profiles().items())


def templates(ctx: click.Context) -> Iterable[tuple[str, str | None]]:
    from portalctl.templates.lookup import available

    return ((name, str(path)) for name, path in available().items())
