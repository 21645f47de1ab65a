"""Are exports fast and flat in memory? `portalctl export tickets` against bare-hands baselines, in one run.

    python scripts/bench/export.py [--home DIR] [--rounds 3] [--small 10000] [--profile]

- CSV: rows/s of `portalctl export tickets -o out.csv` vs a bare loop over the same SQLite file (sqlite3, one
  SELECT of the same columns joined the same way, csv.writer). Budget: ours >= 0.8x the bare loop's rows/s.
- Excel: `portalctl export tickets -o out.xlsx` vs pandas.DataFrame.to_excel (openpyxl engine) of the same rows,
  read with the same SELECT. Budget: ours at least 2x faster. Without pandas this comparison is skipped (nothing
  is installed for you: `pip install pandas`).
- Memory: peak RSS (ru_maxrss of each child process, from os.wait4) of the CSV and Excel exports of every ticket
  vs of the first --small tickets (--limit) of the same portal. Budget: <= 1.2x.

Every command runs as a whole process (what a cron job meets), interleaved with the others, after one warm-up;
the figures are medians. Without --home the portal (100,000 tickets, via generate.py) is built in a temporary
directory; with --home it is reused when it is there. --profile prints where an in-process CSV export spends its
time (cProfile, top functions), to say what to change when the CSV budget is missed.

Exit status: 0 within budget, 1 when over a budget or a command fails.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchlib import Failure, child_env, portalctl_command, table

HERE = Path(__file__).resolve().parent

BARE = r'''
import csv, json, sqlite3, sys
from datetime import datetime, timezone
db, out, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
keys = [k for (k,) in conn.execute("SELECT DISTINCT key FROM field_defs ORDER BY id")]
now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
fields = "".join(f", json_extract(t.fields, '$.{k}')" for k in keys)
sql = (
    "SELECT t.id, t.subject, t.status, t.priority, t.type, d.slug, o.slug, r.email, r.name, a.email,"
    " (SELECT group_concat(u.email, ', ') FROM ticket_ccs c JOIN users u ON u.id = c.user_id"
    "  WHERE c.ticket_id = t.id), t.tags, t.created_at, t.updated_at, t.due_at,"
    " CASE WHEN t.status IN ('new', 'open') AND t.due_at < ? THEN 'yes' ELSE 'no' END,"
    f" t.resolved_at, t.closed_at, t.follow_up_of{fields}"
    " FROM tickets t JOIN users r ON r.id = t.requester_id LEFT JOIN organizations o ON o.id = t.org_id"
    " LEFT JOIN users a ON a.id = t.assignee_id LEFT JOIN departments d ON d.id = t.department_id"
    " ORDER BY t.updated_at DESC, t.id DESC"
)
header = ["id", "subject", "status", "priority", "type", "department", "organization", "requester",
          "requester_name", "assignee", "ccs", "tags", "created_at", "updated_at", "due_at", "overdue",
          "resolved_at", "closed_at", "follow_up_of", *(f"field:{k}" for k in keys)]
cursor = conn.execute(sql, (now,))
if fmt == "csv":
    with open(out, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(cursor)
else:
    import pandas
    pandas.DataFrame(cursor.fetchall(), columns=header).to_excel(out, engine="openpyxl", index=False)
'''


@dataclass
class Run:
    seconds: float
    max_rss_kb: int


def run_measured(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Run:
    """Wall time and peak RSS of one whole child process (os.wait4 gives that child's own rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode != 0:
        raise Failure(name, argv, child.returncode, stderr)
    return Run(elapsed, usage.ru_maxrss)  # KiB on Linux


def measure(commands: Mapping[str, Sequence[str]], rounds: int, env: Mapping[str, str],
            warm_up: bool = True) -> dict[str, list[Run]]:
    """An untimed warm-up each (page cache, bytecode), then `rounds` rounds in a rotating order."""
    names = list(commands)
    for name in names if warm_up else ():
        run_measured(name, commands[name], env)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(run_measured(name, commands[name], env))
        if sys.stderr.isatty():
            print(f"\r  round {index + 1}/{rounds}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print("\r" + " " * 24 + "\r", end="", file=sys.stderr, flush=True)
    return runs


def seconds(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def rss_mb(runs: list[Run]) -> float:
    return statistics.median(r.max_rss_kb for r in runs) / 1024


def csv_rows(path: Path) -> tuple[int, str, str]:
    """Data rows, first and last id: both sides must have written the same listing."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        first = last = ""
        count = 0
        for row in reader:
            first = first or row[0]
            last = row[0]
            count += 1
    return count, first, last


def ensure_portal(home: Path, tickets: int) -> None:
    if (home / "data" / "portal.db").exists():
        print(f"reusing the portal in {home}")
        return
    print(f"building a portal of {tickets} tickets in {home} ...")
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--home", str(home), "--tickets", str(tickets),
                    "--articles", "100"], check=True, stdout=subprocess.DEVNULL)


def profile(portalctl_env: Mapping[str, str], out: Path, top: int) -> str:
    """Where an in-process CSV export spends its time: cProfile's top functions by own time."""
    result = subprocess.run(
        [sys.executable, "-m", "cProfile", "-s", "tottime", "-m", "portalctl", "export", "tickets", "-o", str(out)],
        env=dict(portalctl_env), capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    return "\n".join(lines[start - 2: start + top + 1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="PORTALCTL_HOME to reuse (built there if it has no portal)")
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets of a portal built here")
    parser.add_argument("--small", type=int, default=10_000, help="tickets of the small export (memory)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of the CSV exports (after a warm-up)")
    parser.add_argument("--xlsx-rounds", type=int, default=1, help="timed rounds of the Excel exports")
    parser.add_argument("--csv-budget", type=float, default=0.8, help="min ratio of rows/s to the bare loop")
    parser.add_argument("--xlsx-budget", type=float, default=2.0, help="min speed-up over pandas")
    parser.add_argument("--memory-budget", type=float, default=1.2, help="max peak RSS ratio, all vs --small")
    parser.add_argument("--profile", action="store_true", help="also profile an in-process CSV export")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    portalctl = portalctl_command()
    has_pandas = importlib.util.find_spec("pandas") is not None
    with tempfile.TemporaryDirectory(prefix="portalctl-export-") as tmp:
        work = Path(tmp)
        home = (args.home or work / "home").expanduser().resolve()
        ensure_portal(home, args.tickets)
        db = home / "data" / "portal.db"
        env = child_env(home, work / "pycache")
        export = [*portalctl, "export", "tickets", "--status", "all"]
        csv_commands = {
            "portalctl export .csv": [*export, "-o", str(work / "ours.csv")],
            "sqlite3 + csv.writer": [sys.executable, "-c", BARE, str(db), str(work / "bare.csv"), "csv"],
            f"portalctl export .csv --limit {args.small}": [*export, "-o", str(work / "small.csv"),
                                                            "--limit", str(args.small)],
        }
        xlsx_commands = {
            "portalctl export .xlsx": [*export, "-o", str(work / "ours.xlsx")],
            f"portalctl export .xlsx --limit {args.small}": [*export, "-o", str(work / "small.xlsx"),
                                                             "--limit", str(args.small)],
        }
        if has_pandas:
            xlsx_commands["pandas to_excel (openpyxl)"] = [sys.executable, "-c", BARE, str(db),
                                                          str(work / "pandas.xlsx"), "xlsx"]
        print(f"portalctl:   {' '.join(portalctl)}")
        print(f"portal:      {db} ({db.stat().st_size / 1e6:.0f} MB)")
        print(f"rounds:      CSV {args.rounds} after a warm-up, Excel {args.xlsx_rounds}; interleaved\n")
        try:
            runs = measure(csv_commands, args.rounds, env)
            runs |= measure(xlsx_commands, args.xlsx_rounds, env, warm_up=False)  # the CSV runs warmed up
        except Failure as failure:
            print(f"failed: {failure}", file=sys.stderr)
            return 1
        ours_rows, bare_rows = csv_rows(work / "ours.csv"), csv_rows(work / "bare.csv")
        why = profile(env, work / "profiled.csv", 18) if args.profile else ""

    n = ours_rows[0]
    over: list[str] = []
    rows: list[list[str]] = []

    def verdict(ok: bool, name: str) -> str:
        if not ok:
            over.append(name)
        return "ok" if ok else "OVER BUDGET"

    ours_csv, bare_csv = runs["portalctl export .csv"], runs["sqlite3 + csv.writer"]
    ratio = (n / seconds(ours_csv)) / (n / seconds(bare_csv))
    rows.append(["CSV export (rows/s)", f"{n / seconds(ours_csv):,.0f}", f"{n / seconds(bare_csv):,.0f}",
                 "sqlite3 + csv.writer", f"{ratio:.2f}x", f">= {args.csv_budget}x",
                 verdict(ratio >= args.csv_budget, "CSV rows/s")])
    ours_xlsx = runs["portalctl export .xlsx"]
    if has_pandas:
        pandas_xlsx = runs["pandas to_excel (openpyxl)"]
        speedup = seconds(pandas_xlsx) / seconds(ours_xlsx)
        rows.append(["Excel export (s)", f"{seconds(ours_xlsx):.1f}", f"{seconds(pandas_xlsx):.1f}",
                     "pandas to_excel", f"{speedup:.1f}x faster", f">= {args.xlsx_budget}x",
                     verdict(speedup >= args.xlsx_budget, "Excel vs pandas")])
    else:
        rows.append(["Excel export (s)", f"{seconds(ours_xlsx):.1f}", "-", "pandas not installed", "-",
                     f">= {args.xlsx_budget}x", "skipped"])
    for fmt in ("csv", "xlsx"):
        big, small = runs[f"portalctl export .{fmt}"], runs[f"portalctl export .{fmt} --limit {args.small}"]
        growth = rss_mb(big) / rss_mb(small)
        rows.append([f"peak RSS {fmt}, {n:,} vs {args.small:,}", f"{rss_mb(big):.1f} MB", f"{rss_mb(small):.1f} MB",
                     f"--limit {args.small}", f"{growth:.2f}x", f"<= {args.memory_budget}x",
                     verdict(growth <= args.memory_budget, f"{fmt} memory")])
    print(table(["measure", "ours", "baseline", "baseline is", "ratio", "budget", "verdict"], rows))
    print()
    details = [[name, f"{seconds(r):.2f}", f"{min(x.seconds for x in r):.2f}", f"{rss_mb(r):.1f}"]
               for name, r in runs.items()]
    print(table(["command", "median s", "min s", "peak RSS MB"], details))
    print(f"\nrows written: ours {ours_rows[0]:,} (ids {ours_rows[1]}..{ours_rows[2]}), "
          f"bare {bare_rows[0]:,} (ids {bare_rows[1]}..{bare_rows[2]})")
    if ours_rows != bare_rows:
        print("the two CSV files do not hold the same listing: the comparison is void", file=sys.stderr)
        over.append("same rows")
    if not has_pandas:
        print("pandas is not installed, so the Excel comparison was skipped: pip install pandas")
    if why:
        print(f"\nin-process CSV export, by own time (SQLite computing the rows is pump's own time: it reads them "
              f"in C):\n{why}")
    if over:
        print(f"\nover budget: {', '.join(over)}")
        return 1
    print("\nwithin budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
