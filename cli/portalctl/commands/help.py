"""`portalctl help`: a command's help (`portalctl help tickets list`), or a man page for every command
(`portalctl help --man DIR`), written from the click command tree so the pages say what `--help` says."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click

from portalctl import __version__
from portalctl.commands import helppage
from portalctl.commands.context import message
from portalctl.i18n import _

SECTION = "1"
PROG = "portalctl"  # the pages name the program as users type it, however it was started


def walk(command: click.Command, ctx: click.Context) -> Iterator[tuple[click.Command, click.Context]]:
    """Every command under `command` (itself first), each with the context `--help` would give it."""
    yield command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


def page_name(ctx: click.Context) -> str:
    return ctx.command_path.replace(" ", "-")


def roff(text: str) -> str:
    """Plain text as roff: backslashes and dashes escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(f"\\&{line}" if line.startswith((".", "'")) else line for line in text.splitlines())


def synopsis(command: click.Command, ctx: click.Context) -> str:
    """The usage line `--help` prints, after "Usage: "."""
    return f"{ctx.command_path} {' '.join(command.collect_usage_pieces(ctx))}".strip()


def option_lines(command: click.Command, ctx: click.Context) -> list[tuple[str, str]]:
    """(the option as `--help` lists it, its help) for each documented parameter."""
    found = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            found.append(record)
    return found


def man_page(command: click.Command, ctx: click.Context) -> str:
    """The man page of one command, in the man(7) macros."""
    summary = command.get_short_help_str(limit=200)
    lines = [
        f'.TH "{page_name(ctx).upper()}" "{SECTION}" "{date.today():%Y-%m-%d}" "portalctl {__version__}" '
        f'"{roff(_("portalctl manual"))}"',
        f".SH {_('NAME')}", f"{roff(page_name(ctx))} \\- {roff(summary)}",
        f".SH {_('SYNOPSIS')}", f".B {roff(synopsis(command, ctx))}",
    ]
    if command.help:
        text = inspect.cleandoc("\n".join(line for line in command.help.splitlines() if line.strip() != "\b"))
        lines += [f".SH {_('DESCRIPTION')}", ".nf", roff(text), ".fi"]
    options = option_lines(command, ctx)
    if options:
        lines.append(f".SH {_('OPTIONS')}")
        for flags, text in options:
            lines += [".TP", f"\\fB{roff(flags)}\\fR", roff(text) or "\\&"]
    if isinstance(command, click.Group):
        lines.append(f".SH {_('COMMANDS')}")
        for sub, sub_ctx in list(walk(command, ctx))[1:]:
            if sub_ctx.parent is ctx:
                lines += [".TP", f"\\fB{roff(sub_ctx.info_name or '')}\\fR",
                          roff(sub.get_short_help_str(limit=200)) + " " + _("See {page}.").format(
                              page=f"\\fB{roff(page_name(sub_ctx))}\\fR(1)")]
    if ctx.parent is not None:
        lines += [f".SH {_('SEE ALSO')}", f"\\fB{roff(page_name(ctx.parent))}\\fR(1)"]
    return "\n".join(lines) + "\n"


@click.command("help")
@click.argument("words", nargs=-1, metavar="[COMMAND]...")
@click.option("--man", "man_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write a man page for every command into DIR (then: man -l DIR/portalctl.1, or add DIR's parent "
                   "to MANPATH).")
def help_(words: tuple[str, ...], man_dir: Path | None) -> None:
    """Help on a command (`portalctl help tickets list` is `portalctl tickets list --help`), or man pages.

    \b
    Examples:
      portalctl help tickets list
      portalctl help --man ~/.local/share/man/man1
    """
    root = click.get_current_context().find_root().command
    if man_dir is not None:
        man_dir.mkdir(parents=True, exist_ok=True)
        count = 0
        for command, ctx in walk(root, click.Context(root, info_name=PROG)):
            (man_dir / f"{page_name(ctx)}.{SECTION}").write_text(man_page(command, ctx), encoding="utf-8")
            count += 1
        message(_("Wrote {count} man pages to {man_dir}.").format(count=count, man_dir=man_dir))
        return
    command, ctx = root, click.Context(root, info_name=PROG)
    for word in words:
        word = getattr(command, "aliases", {}).get(word, word)  # `help tickets ls` is `help tickets list`
        sub = command.get_command(ctx, word) if isinstance(command, click.Group) else None
        if sub is None:
            raise click.UsageError(_("no command {name!r}; see '{command_path} --help'").format(
                name=" ".join([*ctx.command_path.split()[1:], word]), command_path=ctx.command_path))
        command, ctx = sub, click.Context(sub, info_name=word, parent=ctx)
    helppage.show(click.get_current_context(), re.sub(r"\n{3,}", "\n\n", command.get_help(ctx)))
