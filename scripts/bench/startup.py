"""How much `portalctl --version` and `portalctl --help` (in English and in Spanish) cost over the floor,
`python -c "import click"`.

    python scripts/bench/startup.py [--rounds 30] [--budget 1.3] [--as-is]

A CLI is started hundreds of times a day from shells and scripts; what it adds on top of Python and click is
what the project controls. The budget is a ratio of medians to that floor (default 1.3x), measured in one run,
interleaved, after one warm-up. Then `python -X importtime -m portalctl --help` shows which heavy dependencies
the help screen drags in: it must not need requests, openpyxl, tabulate, yaml or the server.

Exit status: 0 within budget and no forbidden import, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from benchlib import Failure, child_env, measure, median, p90, portalctl_command, table

WATCHED = ("requests", "openpyxl", "tabulate", "yaml", "keyring", "rich", "filetype", "platformdirs", "dotenv",
           "portalctl.engine", "portalctl.server", "shutil", "locale")  # the last two: 2 ms and 1 ms of --help
FORBIDDEN = ("requests", "openpyxl", "tabulate", "yaml", "portalctl.server")


@dataclass
class Import:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


def import_times(argv: list[str], env: Mapping[str, str]) -> list[Import]:
    """Parse `-X importtime` (stderr): one line per module, indented by nesting depth."""
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure("importtime", argv, result.returncode, result.stderr)
    imports = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        imports.append(Import(name.strip(), int(self_us), int(cumulative_us), depth))
    return imports


def matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (after one warm-up)")
    parser.add_argument("--budget", type=float, default=1.3, help="max ratio of medians to the click baseline")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the environment's bytecode settings (default: cache .pyc in a temp prefix)")
    parser.add_argument("--top", type=int, default=12, help="slowest imports to list")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    portalctl = portalctl_command()
    with tempfile.TemporaryDirectory(prefix="portalctl-startup-") as tmp:
        env = child_env(Path(tmp) / "home", None if args.as_is else Path(tmp) / "pycache")
        commands = {
            'python -c "import click"': [sys.executable, "-c", "import click"],
            "portalctl --version": [*portalctl, "--version"],
            "portalctl --help": [*portalctl, "--help"],
            # Spanish reads its catalog (the .mo) and translates every help text it shows: its own budget line
            "portalctl --lang es --help": [*portalctl, "--lang", "es", "--help"],
        }
        for key in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):  # the other rows in English, whatever this shell's locale
            env.pop(key, None)
        env["LANG"] = "C.UTF-8"
        print(f"interpreter: {sys.executable} (Python {sys.version.split()[0]})")
        print(f"portalctl:   {' '.join(portalctl)}")
        print(f"bytecode:    {'as the environment says' if args.as_is else 'cached in a temporary prefix'}")
        print(f"rounds:      {args.rounds}, interleaved, after one warm-up\n")
        try:
            samples = measure(commands, args.rounds, env)
        except Failure as failure:
            print(f"failed: {failure}", file=sys.stderr)
            return 1
        imports = import_times(["-m", "portalctl", "--help"], env)

    floor = samples['python -c "import click"']
    baseline, baseline_p90 = median(floor), p90(floor)
    rows, over = [], []
    for name, values in samples.items():
        ratio = median(values) / baseline
        is_baseline = name.startswith("python")
        verdict = "baseline" if is_baseline else ("ok" if ratio <= args.budget else "OVER BUDGET")
        if not is_baseline and ratio > args.budget:
            over.append(name)
        rows.append([name, f"{median(values):.1f}", f"{p90(values):.1f}", f"{min(values):.1f}",
                     f"{ratio:.2f}x", f"{p90(values) / baseline_p90:.2f}x", verdict])
    print(table(["command", "median ms", "p90 ms", "min ms", "ratio", "p90 ratio", f"budget {args.budget}x"],
                rows))

    print("\nimports of `python -X importtime -m portalctl --help`:")
    watched = sorted({i.module for i in imports if matches(i.module, WATCHED)})
    forbidden = sorted({m for m in watched if matches(m, FORBIDDEN)})
    print(f"  watched modules imported: {', '.join(watched) if watched else 'none'}")
    print(f"  forbidden (requests, openpyxl, tabulate, yaml, portalctl.server): {', '.join(forbidden) or 'none'}")
    total = sum(i.self_us for i in imports)
    print(f"  {len(imports)} modules, {total / 1000:.1f} ms of import time in all; slowest by own time:")
    slowest = sorted(imports, key=lambda i: i.self_us, reverse=True)[: args.top]
    print(table(["module", "self ms", "cumulative ms"],
                [[i.module, f"{i.self_us / 1000:.2f}", f"{i.cumulative_us / 1000:.2f}"] for i in slowest], indent="  "))
    top_level = [i for i in imports if i.depth == 0 and i.cumulative_us >= 1000]
    print("  top-level imports over 1 ms: " + ", ".join(
        f"{i.module} {i.cumulative_us / 1000:.1f}" for i in sorted(top_level, key=lambda i: -i.cumulative_us)))

    print()
    if over:
        print(f"over budget: {', '.join(over)} (median more than {args.budget}x `import click`)")
    if forbidden:
        print(f"forbidden imports on --help: {', '.join(forbidden)}")
    if over or forbidden:
        return 1
    print(f"within budget ({args.budget}x), no forbidden imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
