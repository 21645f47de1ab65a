"""What every command shares: the global options, the client, the I/O object, and how records reach stdout."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from portalctl.i18n import _, formatted
from portalctl.iostreams import IOStreams, pager_command
from portalctl.output.localtime import TimeView
from portalctl.output.render import FORMATS, PLAIN, Look, render, render_one
from portalctl.safetext import visible

if TYPE_CHECKING:
    from portalctl.config import Settings

F = TypeVar("F", bound=Callable[..., Any])
FIELD = "field:"  # a custom field's column: field:KEY

# IDs, counts and limits: at least 1 and at most what a database integer holds, so an absurd number is a usage
# error (exit 2) naming the option rather than an overflow deep in SQLite or PostgreSQL.
POSITIVE = click.IntRange(min=1, max=2**63 - 1)


@dataclass
class AppContext:
    """The run's global options and what commands share: settings, the client, the I/O object, time views."""

    profile: str | None = None
    no_input: bool = False
    debug: bool = False
    no_pager: bool = False
    io: IOStreams = field(default_factory=IOStreams.system)
    _settings: Any = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)
    _times: dict[bool, TimeView] = field(default_factory=dict, repr=False)

    @property
    def settings(self) -> Settings:
        """This run's settings, one object: .env, .portalctl.toml and the user config are read once a run, however
        many settings the command asks for."""
        if self._settings is None:
            from portalctl.config import Settings

            self._settings = Settings({"profile": self.profile})
        settings: Settings = self._settings
        return settings

    @property
    def client(self) -> Any:
        """The Client for the selected profile, opened on first use."""
        if self._client is None:
            from portalctl.client import Client

            profile = self.settings.profile()
            if profile.backend == "embedded":
                self.tell_of_upgrade(profile.db_path())
            self._client = Client(profile)
        return self._client

    def close(self) -> None:
        """Close the client, if the run opened one (the root command's context calls this as the run ends)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def tell_of_upgrade(self, path: Path) -> None:
        """Say so before a newer portalctl upgrades the portal file: on a large portal that takes a while (the
        search index of 100,000 tickets is rebuilt in about a minute and a half), and a silent command looks hung."""
        from portalctl.engine.schema import MIGRATIONS
        from portalctl.engine.sqlite import schema_behind

        version = schema_behind(path, len(MIGRATIONS))
        if version is not None:
            self.io.err.write(_("Upgrading the portal {path} for this portalctl (schema {version} to {count}); on a "
                                "large portal this takes a few minutes, once…").format(
                path=path, version=version, count=len(MIGRATIONS)) + "\n")
            self.io.err.flush()

    @property
    def pager(self) -> str | None:
        """The pager command for long output; None with --no-pager."""
        return None if self.no_pager else pager_command()

    def times(self, *, err: bool = False) -> TimeView:
        """Times as this reader reads them on stdout (err=True: on stderr): in their zone, relative on a terminal."""
        if err not in self._times:
            from portalctl.output.localtime import user_zone

            tty = self.io.err_tty if err else self.io.out_tty
            self._times[err] = TimeView(lambda: user_zone(self.client), self.io.now() if tty else None)
        return self._times[err]

    @property
    def interactive(self) -> bool:
        return self.io.can_prompt(self.no_input)

    def require(self, value: Any, flag: str, prompt: str, **prompt_options: Any) -> Any:
        """A required value: prompted for on a TTY, else an error naming the flag to pass."""
        if value not in (None, ""):
            return value
        if self.interactive:
            return click.prompt(prompt, err=True, **prompt_options)
        raise click.UsageError(_("missing {flag} (no prompt without a terminal)").format(flag=flag))

    def confirm(self, question: str, yes: bool) -> None:
        """Destructive actions: ask on a TTY, else demand --yes."""
        if yes:
            return
        if self.interactive:
            click.confirm(question, abort=True, err=True)
            return
        raise click.UsageError(_("{question} Pass --yes to confirm without a terminal.").format(question=question))


def app(ctx: click.Context | None = None) -> AppContext:
    ctx = ctx or click.get_current_context()
    obj = ctx.find_object(AppContext)
    if obj is None:  # a group invoked on its own (tests, completion)
        obj = ctx.ensure_object(AppContext)
    return obj


def output_options(default_columns: Sequence[str], extra: Sequence[str] = ()) -> Callable[[F], F]:
    """-o/--output and --columns, shared by every command that prints records (sqlite-utils style). `extra`: more
    formats the command itself writes (`articles show --print -o html`)."""

    def decorate(function: F) -> F:
        function = click.option(
            "--columns",
            metavar="A,B,...",
            help=formatted("Fields to show, comma-separated (table default: {columns}).",
                           columns=",".join(default_columns)),
        )(function)
        function = click.option("--wide", is_flag=True, help="Tables: show every cell in full (as -o wide).")(function)
        function = click.option(
            "-o",
            "--output",
            type=click.Choice((*FORMATS, "wide", *extra), case_sensitive=False),
            help="Output format (default: the output setting, else table; wide: a table with nothing cut; see "
                 "'portalctl config').",
        )(function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            fmt, wide = (kwargs.pop("output") or configured_output()).lower(), kwargs.pop("wide")
            kwargs["output"] = Output("table" if fmt == "wide" else fmt, kwargs.pop("columns"), default_columns,
                                      app().io, wide=wide or fmt == "wide")
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def configured_output() -> str:
    """The output setting (environment, .env, .portalctl.toml, user config), else table."""
    from portalctl.errors import InvalidInput

    value, source = app().settings.source("output")
    if value is None:
        return "table"
    if str(value).lower() not in FORMATS:
        raise InvalidInput(_("output {value!r} (from {source}) is not a format").format(value=value, source=source),
                           hint=_("formats: {formats}; see 'portalctl config list'").format(formats=", ".join(FORMATS)))
    return str(value).lower()


@dataclass
class Output:
    """How a command's records reach stdout: the format, the columns, the terminal."""

    fmt: str
    columns_flag: str | None
    default_columns: Sequence[str]
    io: IOStreams
    wide: bool = False

    @property
    def look(self) -> Look:
        """How a human format uses this terminal; CSV gets local times, the other machine formats nothing."""
        if self.fmt not in ("table", "csv"):
            return PLAIN
        return Look(color=self.io.color, width=None if self.wide else self.io.width, times=app().times())

    @property
    def columns(self) -> list[str] | None:
        if self.columns_flag:
            return [c.strip() for c in self.columns_flag.split(",") if c.strip()]
        return list(self.default_columns) if self.fmt in ("table", "csv") else None

    def many(self, records: Iterable[Any]) -> int:
        rows = (r.to_dict() if hasattr(r, "to_dict") else r for r in records)
        custom = [c for c in self.columns or () if c.startswith(FIELD)]
        if custom:  # field:KEY, a custom field, as `export --columns` names it
            rows = ({**row, **{c: (row.get("fields") or {}).get(c[len(FIELD):]) for c in custom}} for row in rows)
        return render(rows, self.fmt, self.io.out, columns=self.columns, look=self.look)

    def one(self, record: Any, table: Callable[[Any, IOStreams, TimeView], None] | None = None) -> None:
        """One record; `table` draws the human view (e.g. a ticket with its conversation) on the I/O object."""
        if self.fmt == "table" and table is not None and not self.columns_flag:
            table(record, self.io, app().times())
            return
        data = record.to_dict() if hasattr(record, "to_dict") else record
        if self.columns_flag:
            data = {c: data.get(c) for c in self.columns or []}
        render_one(data, self.fmt, self.io.out, look=self.look)


def report(output: Output, changed: Any) -> None:
    """After a change to an article or a notice, as `tickets` does: the id on a plain table (for scripts), else the
    record."""
    if output.fmt == "table" and not output.columns_flag:
        output.io.echo(changed.id)
    else:
        output.one(changed)


def limit_options(function: F) -> F:
    """--limit N and --all: pagination is the tool's job."""
    function = click.option("--all", "all_", is_flag=True, help="Every matching record (no limit).")(function)
    function = click.option(
        "-L", "--limit", type=POSITIVE, default=30, show_default=True, help="At most this many records."
    )(function)
    return function


def message(text: str) -> None:
    """A human message: stderr, so stdout stays data. Messages quote portal text (subjects, names, file names), so
    control characters in them are shown, never obeyed."""
    app().io.echo(visible(text), err=True)


class Capped:
    """At most `limit` records of a listing asked for one more, so that a person can be told that more match."""

    def __init__(self, records: Iterable[Any], limit: int) -> None:
        self.records, self.limit, self.more = iter(records), limit, False

    def __iter__(self) -> Iterator[Any]:
        for count, record in enumerate(self.records):
            if count == self.limit:
                self.more = True
                return
            yield record


def paged(function: F) -> F:
    """Long output goes through the pager on a terminal (PORTALCTL_PAGER, PAGER, less -FRX); --no-pager skips it."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = app()
        with ctx.io.paging(ctx.pager):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
