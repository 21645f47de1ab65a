"""Drive every command's options with arbitrary text, numbers and bytes (Hypothesis) and count the "unexpected"
exits: exit 1 with the unexpected-error message, or an exception that escaped as a traceback.

Each command runs through click's runner on a real embedded portal in a temporary directory, acting as its
admin. Values are text of any kind, command-line words with undecodable bytes (as Python gives them: lone
surrogates), numbers of any size, the option's own choices, and files that are empty, binary or not UTF-8.
`tests/test_cli_fuzz.py` asserts none is unexpected; `scripts/bench/cli_fuzz.py` prints the counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalctl.cli import root

# Commands that do not return by themselves (a server, a poll) or that take a guided tour through everything.
SKIPPED = {("serve",), ("demo",), ("tickets", "wait"), ("tickets", "watch")}


@dataclass
class Tally:
    tried: int = 0
    unexpected: list[str] = field(default_factory=list)


def leaves(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                                                   click.Command]]:
    """Every runnable command under `group`, with the words that reach it."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or (*path, name) in SKIPPED:
            continue
        if isinstance(command, click.Group):
            yield from leaves(command, ctx, (*path, name))
        else:
            yield (*path, name), command


def files(folder: Path) -> list[str]:
    """Files a path option may be given: empty, binary, not UTF-8, missing, a directory, stdin."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "latin1.txt").write_bytes(b"caf\xe9 \xff\xfe\x00 end")
    (folder / "nul.yaml").write_bytes(b"subject: \"a\x00b\"\nbody: x\n")
    return [str(folder / name) for name in ("empty.txt", "binary.bin", "latin1.txt", "nul.yaml")] + [
        str(folder / "missing.txt"), str(folder), "-"]


def words() -> st.SearchStrategy[str]:
    """A command-line word: any text, or bytes decoded as Python decodes argv (surrogateescape)."""
    return st.one_of(st.text(max_size=40), st.binary(max_size=20).map(lambda b: b.decode("utf-8", "surrogateescape")))


def value_of(param: click.Parameter, paths: list[str]) -> st.SearchStrategy[str]:
    kind = param.type
    if isinstance(kind, click.Choice):
        return st.one_of(st.sampled_from([str(c) for c in kind.choices]), words())
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return st.one_of(st.integers().map(str), st.sampled_from(["9223372036854775808", "-1", "0", "1e309", "nan"]),
                         words())
    if isinstance(kind, (click.Path, click.File)):
        return st.one_of(st.sampled_from(paths), words())
    return st.one_of(words(), st.integers().map(str), st.sampled_from(["1", "1d", "2026-01-01", "a=b", "x@y.z"]))


def arguments(command: click.Command, paths: list[str]) -> st.SearchStrategy[list[str]]:
    """Some of the command's options (flags on or off) and values for its arguments."""
    parts: list[st.SearchStrategy[list[str]]] = []
    for param in command.params:
        if isinstance(param, click.Option):
            if param.hidden or "--help" in param.opts or "--version" in param.opts:
                continue
            flag = param.opts[-1] if param.opts[-1].startswith("--") else param.opts[0]
            if param.is_flag:
                parts.append(st.sampled_from([[], [flag]]))
            else:
                parts.append(st.one_of(st.just([]), value_of(param, paths).map(lambda v, f=flag: [f, v])))
        elif isinstance(param, click.Argument):
            count = 1 if param.nargs == 1 else 2
            parts.append(st.lists(value_of(param, paths), min_size=0 if not param.required else 1, max_size=count))
    if not parts:
        return st.just([])
    return st.tuples(*parts).map(lambda lists: [word for part in lists for word in part])


def is_unexpected(result: Result) -> bool:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return True
    return result.exit_code == 1 and "unexpected" in result.stderr


def fuzz(folder: Path, max_examples: int) -> Tally:
    """Run every command `max_examples` times on a fresh portal under `folder`; returns the tally."""
    home, work = folder / "home", folder / "work"
    paths = files(work)
    env = {"PORTALCTL_HOME": str(home), "PORTALCTL_KEYRING": "0", "PORTALCTL_TIMEOUT": "1",
           "PORTALCTL_RETRIES": "0", "CI": "true", "EDITOR": "false", "PAGER": "cat"}
    runner = CliRunner()
    cwd = Path.cwd()
    os.chdir(work)
    tally = Tally()
    try:
        setup = runner.invoke(root, ["--no-input", "init", "--demo", "--email", "boss@example.test"], env=env)
        assert setup.exit_code == 0, setup.output
        ctx = click.Context(root)
        for path, command in sorted(leaves(root, ctx)):
            run_command(runner, env, path, command, paths, max_examples, tally)
    finally:
        os.chdir(cwd)
    return tally


def run_command(runner: CliRunner, env: dict[str, str], path: tuple[str, ...], command: click.Command,
                paths: list[str], max_examples: int, tally: Tally) -> None:
    @settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(arguments(command, paths), st.binary(max_size=30))
    def once(args: list[str], stdin: bytes) -> None:
        tally.tried += 1
        result = runner.invoke(root, ["--no-input", *path, *args], env=env, input=stdin)
        if is_unexpected(result):
            detail = repr(result.exception) if result.exception and not isinstance(result.exception, SystemExit) \
                else result.stderr.strip().splitlines()[0]
            tally.unexpected.append(f"{' '.join(path)} {args!r}: {detail}")

    once()
