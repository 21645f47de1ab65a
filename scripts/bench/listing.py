"""Do listings and searches on a large portal still feel instant? Each is compared with `portalctl --version`.

    python scripts/bench/listing.py [--home DIR] [--rounds 20] [--budget 2.0] [--explain]

Without --home the portal (100,000 tickets, 5,000 articles, via generate.py) is built in a temporary directory
and removed afterwards; with --home it is reused when it is there and built there when it is not. Every command
runs as a real process with PORTALCTL_HOME set, interleaved with the others, after one warm-up. The floor is
`portalctl --version` (the interpreter, click and the CLI's own start), so each ratio is what the work itself
costs: the budget is 2x its median. `articles` commands are measured once that command group exists; until then
they are reported as skipped. --explain also prints, for the SQL `tickets list --limit 50` runs, each statement's
time in-process and its EXPLAIN QUERY PLAN.

Exit status: 0 within budget, 1 when a command is over budget or fails.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import Failure, child_env, measure, median, p90, portalctl_command, run_once, table

HERE = Path(__file__).resolve().parent
ID_LIST = re.compile(r"IN \((?:\d+, ){3,}\d+\)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="PORTALCTL_HOME to reuse (built there if it has no portal)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds (after one warm-up)")
    parser.add_argument("--budget", type=float, default=2.0, help="max ratio of medians to `portalctl --version`")
    parser.add_argument("--word", default="password", help="a common word for `articles search`")
    parser.add_argument("--accented", default="configuración", help="an accented word for `articles search`")
    parser.add_argument("--ticket-word", default="facturas",
                        help="a word for `tickets list --search` (a plural: the stemmer's work is measured too)")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the environment's bytecode settings (default: cache .pyc in a temp prefix)")
    parser.add_argument("--explain", action="store_true", help="time and EXPLAIN the listing's SQL in-process")
    return parser.parse_args()


def ensure_portal(home: Path, args: argparse.Namespace) -> None:
    """Build the portal with generate.py unless `home` already has one."""
    if (home / "data" / "portal.db").exists():
        print(f"reusing the portal in {home}")
        return
    print(f"building a portal of {args.tickets} tickets and {args.articles} articles in {home} ...")
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--home", str(home), "--tickets", str(args.tickets),
         "--articles", str(args.articles), "--seed", str(args.seed)],
        check=True,
    )
    print()


def output_size(argv: list[str], env: dict[str, str]) -> str:
    """Lines and bytes a command prints: a listing that prints nothing is fast for the wrong reason."""
    result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    lines = result.stdout.count(b"\n")
    return f"{lines} lines, {len(result.stdout) / 1024:.1f} KiB"


def missing_command(failure: Failure) -> bool:
    """The group is not registered yet, or registered (cli.COMMANDS) before its module exists."""
    return "No such command" in failure.stderr or "No module named 'portalctl.commands." in failure.stderr


def explain(home: Path) -> str:
    """Replay the statements `tickets list --limit 50` runs, timing each and showing SQLite's plan for it."""
    os.environ["PORTALCTL_HOME"] = str(home)
    from portalctl.backends.embedded import open_backend
    from portalctl.config import Settings
    from portalctl.contract import TicketQuery

    session = open_backend(Settings().profile())
    conn = session.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    started = time.perf_counter()
    tickets = list(session.tickets.list(TicketQuery(limit=50)))
    total = (time.perf_counter() - started) * 1000
    conn.set_trace_callback(None)
    lines = [f"in-process: tickets.list(limit=50) -> {len(tickets)} tickets in {total:.1f} ms; its SELECTs:"]
    for sql in dict.fromkeys(s for s in statements if s.lstrip().upper().startswith("SELECT")):
        mark = time.perf_counter()
        conn.execute(sql).fetchall()
        elapsed = (time.perf_counter() - mark) * 1000
        lines.append(f"\n  {elapsed:7.2f} ms  {ID_LIST.sub('IN (...ids...)', sql)}")
        lines += [f"             plan: {row['detail']}" for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    session.portal.close()
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    portalctl = portalctl_command()
    with tempfile.TemporaryDirectory(prefix="portalctl-listing-") as tmp:
        home = (args.home or Path(tmp) / "home").expanduser().resolve()
        ensure_portal(home, args)
        env = child_env(home, None if args.as_is else Path(tmp) / "pycache")
        commands = {
            "portalctl --version": [*portalctl, "--version"],
            "tickets list --limit 50": [*portalctl, "tickets", "list", "--limit", "50"],
            "tickets list --limit 50 -o json": [*portalctl, "tickets", "list", "--limit", "50", "-o", "json"],
            f"tickets list --search {args.ticket_word}": [*portalctl, "tickets", "list", "--search", args.ticket_word],
            f"articles search {args.word}": [*portalctl, "articles", "search", args.word],
            f"articles search {args.accented}": [*portalctl, "articles", "search", args.accented],
        }
        skipped: dict[str, str] = {}
        for name in list(commands):  # also the warm-up that absorbs a first auto-close or cold page cache
            try:
                run_once(name, commands[name], env)
            except Failure as failure:
                if name.startswith("articles") and missing_command(failure):
                    skipped[name] = "skipped: no `articles` command yet"
                    del commands[name]
                else:
                    print(f"failed: {failure}", file=sys.stderr)
                    return 1
        sizes = {name: output_size(argv, env) for name, argv in commands.items()}
        print(f"portalctl:   {' '.join(portalctl)}")
        print(f"portal:      {home / 'data' / 'portal.db'}")
        print(f"rounds:      {args.rounds}, interleaved, after one warm-up\n")
        try:
            samples = measure(commands, args.rounds, env)
        except Failure as failure:
            print(f"failed: {failure}", file=sys.stderr)
            return 1
        plans = explain(home) if args.explain else ""

    floor = median(samples["portalctl --version"])
    rows, over = [], []
    for name, values in samples.items():
        ratio = median(values) / floor
        if name == "portalctl --version":
            verdict = "baseline"
        elif ratio <= args.budget:
            verdict = "ok"
        else:
            verdict = "OVER BUDGET"
            over.append(name)
        rows.append([name, f"{median(values):.1f}", f"{p90(values):.1f}", f"{min(values):.1f}", f"{ratio:.2f}x",
                     verdict, sizes[name]])
    rows += [[name, "-", "-", "-", "-", why, ""] for name, why in skipped.items()]
    print(table(["command", "median ms", "p90 ms", "min ms", "ratio", f"budget {args.budget}x", "output"], rows))
    print(f"\n{plans}\n" if plans else "")
    if over:
        print(f"over budget: {', '.join(over)} (median more than {args.budget}x `portalctl --version`)")
        return 1
    print(f"within budget ({args.budget}x `portalctl --version`)" + (f"; {len(skipped)} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
