"""Command groups that forgive: a typo gets a suggestion (`tikets` -> "did you mean 'tickets'?"), and short
aliases name their command (`tickets ls` is `tickets list`), as gh's do."""

from __future__ import annotations

from typing import ClassVar

import click

from portalctl.i18n import _


class ForgivingGroup(click.Group):
    aliases: ClassVar[dict[str, str]] = {}  # alias -> command name

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = self.aliases.get(args[0], args[0]) if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            import difflib  # only for a miss: a hit costs nothing

            known = [*self.list_commands(ctx), *self.aliases]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                ctx.fail(_("unknown command {name!r}; did you mean {close!r}?").format(
                    name=name, close=self.aliases.get(close[0], close[0])))
        return super().resolve_command(ctx, [name, *args[1:]] if args else args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        if self.aliases:
            with formatter.section(_("Aliases")):
                formatter.write_dl([(alias, name) for alias, name in self.aliases.items()])
