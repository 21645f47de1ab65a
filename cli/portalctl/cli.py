"""The `portalctl` entry point: global options, lazily loaded command groups, and error handling.

Command modules are imported only when their group runs, so `portalctl --help` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from portalctl import __version__
from portalctl.exitcodes import ExitCode

if TYPE_CHECKING:
    from portalctl.iostreams import IOStreams

# name -> (module, attribute, one-line help shown by `portalctl --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "tickets": ("portalctl.commands.tickets", "tickets", "Open, follow, answer and close tickets."),
    "articles": ("portalctl.commands.articles", "articles", "Search and read the knowledge base."),
    "export": ("portalctl.commands.export", "export", "Export tickets or articles to CSV, Excel or JSON files."),
    "templates": ("portalctl.commands.templates", "templates", "List, show, validate and render ticket templates."),
    "auth": ("portalctl.commands.auth", "auth", "Sign in to portals and manage profiles."),
    "me": ("portalctl.commands.me", "me", "Show or update your own profile."),
    "admin": ("portalctl.commands.admin", "admin", "Manage users, organisations, departments, fields, articles."),
    "serve": ("portalctl.commands.serve", "serve", "Run the portal server for a team (needs the server extra)."),
    "init": ("portalctl.commands.init", "init", "Create the embedded portal on this machine."),
    "demo": ("portalctl.commands.demo", "demo", "Take a narrated tour on a throwaway demo portal."),
    "completion": ("portalctl.commands.completion", "completion", "Print the shell completion script."),
}


class PortalClickError(click.ClickException):
    """A PortalError as click shows it: one line of what went wrong, one of what to do next."""

    def __init__(self, message: str, hint: str | None, exit_code: int, io: IOStreams) -> None:
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code  # type: ignore[misc]
        self.io = io  # the failed command's: a test's fake stderr gets the error too

    def show(self, file: Any = None) -> None:
        stream = file or self.io.err
        colour = stream is self.io.err and self.io.err_color
        stream.write(click.style("Error: ", fg="red", bold=True) if colour else "Error: ")
        stream.write(f"{self.message}\n" + (f"Hint: {self.hint}\n" if self.hint else ""))
        stream.flush()


class RootGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])

    def invoke(self, ctx: click.Context) -> Any:
        from portalctl.commands.hints import cli_hint
        from portalctl.errors import PortalError

        try:
            return super().invoke(ctx)
        except PortalError as exc:
            raise PortalClickError(exc.message, cli_hint(exc), int(exc.exit_code), io_of(ctx)) from exc
        except KeyboardInterrupt:
            io_of(ctx).echo("Interrupted.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except BrokenPipeError:
            quiet_stdout()  # the reader (`| head`) has all it wants: stop without a message
            ctx.exit(ExitCode.OK)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.debug:
                raise
            raise PortalClickError(
                f"unexpected {type(exc).__name__}: {exc}", "run again with --debug for the traceback", ExitCode.ERROR,
                io_of(ctx),
            ) from exc


def io_of(ctx: click.Context) -> IOStreams:
    """The I/O object of this run; the process's own if the root callback never ran."""
    from portalctl.iostreams import IOStreams

    if isinstance(ctx.obj, IOStreams):
        return ctx.obj
    return ctx.obj.io if ctx.obj is not None else IOStreams.system()


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="portalctl", message="%(prog)s %(version)s")
@click.option("-p", "--profile", metavar="NAME", help="Profile to act through (env PORTALCTL_PROFILE).")
@click.option("--no-input", is_flag=True, help="Never prompt; fail naming the missing flag (also CI=true).")
@click.option("--debug", is_flag=True, envvar="PORTALCTL_DEBUG",
              help="Show tracebacks for errors, and each HTTP request's method, URL and status (never secrets).")
@click.pass_context
def root(ctx: click.Context, profile: str | None, no_input: bool, debug: bool) -> None:
    """portalctl: one command line for customer-support portals.

    Open, follow, answer and close tickets, search the knowledge base and export listings, on the embedded
    portal (the default, one SQLite file) or the help desk behind your profile.

    \b
    Start here:
      portalctl demo                  a narrated tour on a throwaway portal
      portalctl init                  create your own portal on this machine
      portalctl tickets create --subject "VPN down" --body "Since 9:00"
      portalctl tickets list --status open -o json
    """
    from portalctl import private
    from portalctl.commands.context import AppContext
    from portalctl.iostreams import IOStreams

    # tests pass a fake I/O object as `obj` (CliRunner.invoke(root, args, obj=IOStreams.fake(...)))
    io = ctx.obj if isinstance(ctx.obj, IOStreams) else IOStreams.system()
    ctx.obj = AppContext(profile=profile, no_input=no_input, debug=debug, io=io)
    private.warn_to(io.err)  # "warning: ... could be read by other users; it is now 0600"
    if debug:
        import logging

        handler = logging.StreamHandler(io.err)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        http_log = logging.getLogger("portalctl.http")
        http_log.addHandler(handler)
        http_log.setLevel(logging.DEBUG)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise BrokenPipeError again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """Console-script entry point."""
    try:
        root(prog_name="portalctl")
    except BrokenPipeError:
        quiet_stdout()
        sys.exit(ExitCode.OK)
