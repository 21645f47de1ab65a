"""What the bench scripts share: a clean child environment, interleaved timing of real processes, waiting for a
server to answer, and a table.

Commands are timed as whole processes (spawn to exit), the way a person or a script meets them. Rounds are
interleaved and their order rotates, so a burst of background load or a cache warming up hits every command alike
instead of skewing whichever ran in that stretch.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def portalctl_command() -> list[str]:
    """The console script of this interpreter (what users run), else `python -m portalctl`."""
    script = Path(sys.executable).parent / "portalctl"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "portalctl"]


def child_env(home: Path, pycache: Path | None) -> dict[str, str]:
    """The environment the measured commands run in.

    No PORTALCTL_* from the caller (a stray profile or output format would change what is measured), HOME under
    our control. With `pycache`, bytecode is written to and read from that directory (PYTHONPYCACHEPREFIX), and
    PYTHONDONTWRITEBYTECODE is dropped: an installed package has its .pyc files, and a checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every portalctl module on every start. The prefix keeps
    the work tree free of __pycache__ directories.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALCTL_")}
    for key in ("PYTHONPROFILEIMPORTTIME", "PYTHONSTARTUP", "PYTHONBREAKPOINT", "CI", "NO_COLOR"):
        env.pop(key, None)
    env["PORTALCTL_HOME"] = str(home)
    env["PORTALCTL_KEYRING"] = "0"
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


@dataclass
class Failure(Exception):
    """A measured command exited non-zero: its numbers would mean nothing."""

    name: str
    argv: Sequence[str]
    returncode: int
    stderr: str

    def __str__(self) -> str:
        last = self.stderr.strip().splitlines()[-1:] or ["(no stderr)"]
        return f"{self.name}: exit {self.returncode}: {last[0]}"


def run_once(name: str, argv: Sequence[str], env: Mapping[str, str]) -> float:
    """Wall time of one whole process in milliseconds. stdout goes to a pipe, as when piped into jq or a file."""
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        raise Failure(name, argv, result.returncode, result.stderr.decode(errors="replace"))
    return elapsed


def measure(commands: Mapping[str, Sequence[str]], rounds: int, env: Mapping[str, str],
            progress: bool = True) -> dict[str, list[float]]:
    """Warm up each command once (untimed), then `rounds` interleaved rounds in a rotating order."""
    names = list(commands)
    for name in names:
        run_once(name, commands[name], env)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(run_once(name, commands[name], env))
        if progress and sys.stderr.isatty():
            print(f"\r  round {index + 1}/{rounds}", end="", file=sys.stderr, flush=True)
    if progress and sys.stderr.isatty():
        print("\r" + " " * 24 + "\r", end="", file=sys.stderr, flush=True)
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """A plain aligned table: the first column left-aligned, the rest right-aligned (they are numbers)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def wait_until_serving(process: subprocess.Popen[bytes], health_url: str, log: Path, seconds: float = 60) -> None:
    """Return once `health_url` answers; a server that exits or stays silent for `seconds` ends the run, naming its
    log."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"portalctl serve exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(health_url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"portalctl serve did not answer within {seconds:g} s; see {log}") from None
            time.sleep(0.05)
