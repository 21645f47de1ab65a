"""The `portalctl` entry point: global options, lazily loaded command groups, and error handling.

Command modules are imported only when their group runs, so `portalctl --help` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from portalctl import __version__, i18n
from portalctl.commands.groups import ForgivingGroup
from portalctl.commands.helppage import Formatter, asks_for_help, show_help
from portalctl.i18n import N_, _

if TYPE_CHECKING:
    from portalctl.iostreams import IOStreams


i18n.install_click()  # click's own texts and every help text, in this run's language (i18n.py)
click.Context.formatter_class = Formatter  # every command's help, sized without loading shutil (helppage.py)

# name -> (module, attribute, one-line help shown by `portalctl --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "tickets": ("portalctl.commands.tickets", "tickets", N_("Open, follow, answer and close tickets.")),
    "articles": ("portalctl.commands.articles", "articles", N_("Search and read the knowledge base.")),
    "notices": ("portalctl.commands.notices", "notices", N_("Show the portal's announcements and interruptions.")),
    "export": ("portalctl.commands.export", "export", N_("Export tickets or articles to CSV, Excel or JSON files.")),
    "templates": ("portalctl.commands.templates", "templates", N_("List, show, validate and render ticket templates.")),
    "auth": ("portalctl.commands.auth", "auth", N_("Sign in to portals and manage profiles.")),
    "me": ("portalctl.commands.me", "me", N_("Show or update your own profile.")),
    "contacts": ("portalctl.commands.contacts", "contacts", N_("Your company's users, for its contact manager.")),
    "admin": ("portalctl.commands.admin", "admin", N_("Manage users, organisations, fields, articles, notices.")),
    "serve": ("portalctl.commands.serve", "serve", N_("Run the portal server for a team (needs the server extra).")),
    "init": ("portalctl.commands.init", "init", N_("Create the embedded portal on this machine.")),
    "demo": ("portalctl.commands.demo", "demo", N_("Take a narrated tour on a throwaway demo portal.")),
    "completion": ("portalctl.commands.completion", "completion", N_("Print the shell completion script.")),
    "config": ("portalctl.commands.config", "config", N_("Show and change settings, and where each comes from.")),
    "help": ("portalctl.commands.help", "help_", N_("Help on a command, or man pages for every command.")),
}


class PortalClickError(click.ClickException):
    """A PortalError as click shows it: one line of what went wrong, one of what to do next."""

    def __init__(self, message: str, hint: str | None, exit_code: int, io: IOStreams, *, code: str = "error",
                 as_json: bool = False) -> None:
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code  # type: ignore[misc]
        self.io = io  # the failed command's: a test's fake stderr gets the error too
        self.code = code
        self.as_json = as_json

    def show(self, file: Any = None) -> None:
        stream = file or self.io.err
        if self.as_json:  # one object a pipeline can branch on
            import json

            error = {"code": self.code, "message": self.message, "hint": self.hint, "exit": self.exit_code}
            stream.write(json.dumps(error, ensure_ascii=False) + "\n")
            stream.flush()
            return
        colour = stream is self.io.err and self.io.err_color
        label = _("Error:") + " "
        stream.write(click.style(label, fg="red", bold=True) if colour else label)
        from portalctl.safetext import visible  # remote error details are portal text: shown, never obeyed

        hint = _("Hint: {hint}").format(hint=self.hint) + "\n" if self.hint else ""
        stream.write(visible(f"{self.message}\n{hint}"))
        stream.flush()


class RootGroup(ForgivingGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        import importlib  # with exitcodes below, loaded only past the root's --help and --version

        module, attribute, _short = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        if asks_for_help(ctx.meta.get(WORDS, ())):
            from portalctl.commands import helppage

            helppage.install(command, click.Context(command, info_name=name, parent=ctx))
        return command

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:  # `portalctl --help` through the pager too
            option.callback = show_help
        return option

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, _(short)) for name, (_module, _attribute, short) in COMMANDS.items()])

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i18n.start()  # this run's language: --lang (an eager option, parsed next), else the settings
        ctx.meta[WORDS] = list(args)  # kept to read -o before parsing, and to name an option whose value is not text
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from portalctl.commands.hints import cli_hint
        from portalctl.errors import PortalError, Unsupported
        from portalctl.exitcodes import ExitCode

        try:
            return super().invoke(ctx)
        except PortalError as exc:
            code = "unsupported" if isinstance(exc, Unsupported) else exc.code
            raise PortalClickError(exc.message, cli_hint(exc), int(exc.exit_code), io_of(ctx), code=code,
                                   as_json=errors_as_json(ctx)) from exc
        except KeyboardInterrupt:
            io_of(ctx).echo(_("Interrupted."), err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except BrokenPipeError:
            quiet_stdout()  # the reader (`| head`) has all it wants: stop without a message
            ctx.exit(ExitCode.OK)
        except click.exceptions.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at a prompt: click says "Aborted!", exit 1
                io_of(ctx).echo("\n" + _("Interrupted."), err=True)
                ctx.exit(ExitCode.INTERRUPTED)
            raise
        except click.exceptions.Exit:
            raise
        except click.ClickException as exc:
            if isinstance(exc, PortalClickError) or not errors_as_json(ctx):
                raise
            code = "usage" if isinstance(exc, click.UsageError) else "error"
            raise PortalClickError(exc.format_message(), None, exc.exit_code, io_of(ctx), code=code,
                                   as_json=True) from exc
        except UnicodeError as exc:
            if ctx.obj and ctx.obj.debug:
                raise
            raise PortalClickError(not_text(exc, ctx.meta.get(WORDS, [])),
                                   _("use UTF-8 text (check the locale of the shell or script)"), ExitCode.USAGE,
                                   io_of(ctx)) from exc
        except Exception as exc:
            if ctx.obj and ctx.obj.debug:
                raise
            raise PortalClickError(
                _("unexpected {kind}: {error}").format(kind=type(exc).__name__, error=exc),
                _("run again with --debug for the traceback"), ExitCode.ERROR,
                io_of(ctx), code="internal", as_json=errors_as_json(ctx),
            ) from exc


def not_text(exc: UnicodeError, argv: list[str]) -> str:
    """What was not UTF-8 text. Python keeps a command-line word's undecodable bytes as lone surrogates (so file
    names with any bytes work); such a word reaching text storage is the user's input to name, with its option."""
    for index, word in enumerate(argv):
        bad = next((ord(ch) - 0xDC00 for ch in word if "\udc80" <= ch <= "\udcff"), None)
        if bad is None:
            continue
        flag, equals, _value = word.partition("=")
        if not (equals and flag.startswith("--")):
            flag = (argv[index - 1] if index and argv[index - 1].startswith("-")
                    else _("the argument {number}").format(number=index + 1))
        return _("{flag} is not UTF-8 text (it has the byte {byte:#04x})").format(flag=flag, byte=bad)
    return _("the input is not UTF-8 text ({reason})").format(reason=getattr(exc, "reason", exc))


def complete_profile(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """-p NAME completes the profiles of the user config."""
    from portalctl.commands import complete

    return complete.listed(complete.profiles, ctx, incomplete)


JSON_OUTPUTS = ("json", "jsonl")
WORDS = "portalctl.words"  # ctx.meta key: the command line's words as typed


def errors_as_json(ctx: click.Context) -> bool:
    """Errors as one JSON object on stderr: PORTALCTL_ERRORS=json, or a command line asking for JSON output
    (`-o json`, read from the words before they are parsed, so a usage error is JSON too)."""
    from portalctl.config import Settings

    try:
        if str(Settings().get("errors") or "").strip().lower() == "json":
            return True
    except Exception:  # a broken settings file is the error being shown: it must not hide it
        pass
    words = ctx.meta.get(WORDS, [])
    for i, word in enumerate(words):
        if word in ("-o", "--output") and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith(("--output=", "-o")) and word not in ("-o", "--output"):
            value = word.split("=", 1)[1] if word.startswith("--output=") else word[2:]
        else:
            continue
        return value in JSON_OUTPUTS
    return False


def io_of(ctx: click.Context) -> IOStreams:
    """The I/O object of this run; the process's own if the root callback never ran."""
    from portalctl.iostreams import IOStreams

    if isinstance(ctx.obj, IOStreams):
        return ctx.obj
    return ctx.obj.io if ctx.obj is not None else IOStreams.system()


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="portalctl", message="%(prog)s %(version)s",
                      help="Show the version and exit.")  # click's msgid, English until shown (i18n.py)
@click.option("--lang", metavar="es|en", is_eager=True, expose_value=False, callback=lambda _c, _p, value: lang(value),
              help="Language of messages and help: es (español) or en (English). Default: PORTALCTL_LANG, your "
                   "profile's language, else the locale.")
@click.option("-p", "--profile", metavar="NAME", shell_complete=complete_profile,
              help="Profile to act through (env PORTALCTL_PROFILE).")
@click.option("--no-input", is_flag=True, help="Never prompt; fail naming the missing flag (also CI=true).")
@click.option("--debug", is_flag=True, envvar="PORTALCTL_DEBUG",
              help="Show tracebacks for errors, and each HTTP request's method, URL and status (never secrets).")
@click.option("--no-pager", is_flag=True, help="Never page long output (else PORTALCTL_PAGER, PAGER, less -FRX).")
@click.pass_context
def root(ctx: click.Context, profile: str | None, no_input: bool, debug: bool, no_pager: bool) -> None:
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
    private.warn_to(io.err)  # "warning: ... could be read by other users; it is now 0600" (settings read below)
    ctx.obj = AppContext(profile=profile, no_input=no_input, debug=debug, no_pager=no_pager, io=io)
    ctx.call_on_close(ctx.obj.close)
    i18n.start(ctx.obj.settings)  # unless --lang chose: the language of the -p profile, if it has one
    if not debug:  # PORTALCTL_DEBUG in .env, .portalctl.toml or `portalctl config set debug 1`
        from portalctl.config import truthy

        debug = ctx.obj.debug = truthy(ctx.obj.settings.get("debug"))
    if debug:
        import logging

        handler = logging.StreamHandler(io.err)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        http_log = logging.getLogger("portalctl.http")
        http_log.addHandler(handler)
        http_log.setLevel(logging.DEBUG)


def lang(value: str | None) -> None:
    """--lang: this run's language; checked, as a typo would otherwise quietly give English."""
    if value is not None and i18n.language_of(value) is None:
        raise click.BadParameter(_("{value!r} is not a language portalctl speaks: use es or en").format(value=value),
                                 param_hint="--lang")
    i18n.choose(value)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise BrokenPipeError again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """Console-script entry point."""
    try:
        root(prog_name="portalctl")
    except BrokenPipeError:
        from portalctl.exitcodes import ExitCode

        quiet_stdout()
        sys.exit(ExitCode.OK)
    finally:
        # The process ends here, its portal closed. What it made is freed as the interpreter clears its modules;
        # the cycle collector's full pass over every object at exit would add 15-20 ms to a listing (1 in 7).
        gc.freeze()
