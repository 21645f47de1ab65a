"""Print how many option values the property-based CLI run tried and how many exits were "unexpected" (0 is the
budget). The same run as tests/test_cli_fuzz.py, with more examples per command:

    PYTHONPATH=cli python scripts/bench/cli_fuzz.py [EXAMPLES_PER_COMMAND]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for tests.cli_fuzz

from tests.cli_fuzz import fuzz


def main() -> None:
    per_command = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        tally = fuzz(Path(folder), per_command)
    print(f"examples tried: {tally.tried}  unexpected exits: {len(tally.unexpected)}  "
          f"({time.perf_counter() - started:.1f} s, {per_command} per command)")
    for line in tally.unexpected[:20]:
        print("  " + line)


if __name__ == "__main__":
    main()
