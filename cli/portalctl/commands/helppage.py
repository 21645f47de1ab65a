"""`--help` through the pager on a terminal, as the other long output is (PORTALCTL_PAGER, then PAGER, else
`less -FRX`; `--no-pager`, an empty PAGER or `cat` turn it off), and never on a pipe.

click prints help from the help option's callback, while the command line is still being parsed: the root
callback (which makes the AppContext) has not run for `portalctl --help`, so the I/O object and --no-pager are
found from what is there. The callbacks are swapped only when the command line asks for help, so other runs pay
nothing for this.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from portalctl.terminal import terminal_width

HELP_WORDS = frozenset(("-h", "--help"))


class Formatter(click.HelpFormatter):
    """click's help formatter, as wide as click makes it (the terminal's columns up to the command's
    max_content_width, less 2, at least 50), the columns read without `shutil` (terminal.py says why)."""

    def __init__(self, indent_increment: int = 2, width: int | None = None, max_width: int | None = None) -> None:
        if width is None:
            width = click.formatting.FORCED_WIDTH  # click.testing's CliRunner sets it
        if width is None:
            width = max(min(terminal_width(), 80 if max_width is None else max_width) - 2, 50)
        super().__init__(indent_increment, width, max_width)


def asks_for_help(words: Iterable[str]) -> bool:
    """Whether a command line may print help (a help flag among its words, before any `--`)."""
    for word in words:
        if word == "--":
            return False
        if word in HELP_WORDS:
            return True
    return False


def show(ctx: click.Context, text: str) -> None:
    """`text` on stdout, through the pager on a terminal."""
    root = ctx.find_root()
    if root.obj is None and not sys.stdout.isatty():  # `portalctl --help | ...`: nothing more to load
        click.echo(text)
        return
    from portalctl.cli import WORDS
    from portalctl.iostreams import IOStreams, pager_command

    if isinstance(root.obj, IOStreams) or root.obj is None:  # `portalctl --help`: the root callback has not run
        io = root.obj or IOStreams.system()
        no_pager = "--no-pager" in root.meta.get(WORDS, ())
    else:  # the AppContext (not imported for this: it loads the renderers, most of --help's time)
        io, no_pager = root.obj.io, root.obj.no_pager
    with io.paging(None if no_pager else pager_command()):
        io.echo(text)


def show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The help option's callback: click's own, but through `show`."""
    if value and not ctx.resilient_parsing:
        show(ctx, ctx.get_help())
        ctx.exit()


def install(command: click.Command, ctx: click.Context) -> None:
    """`command` and every command under it print their help through the pager."""
    from portalctl.commands.help import walk

    for each, each_ctx in walk(command, ctx):
        option = each.get_help_option(each_ctx)
        if option is not None:
            option.callback = show_help
