"""Run the benchmarks of issue 13, each next to its baseline from the same run.

    python -m bench [NAME ...] [--database-url URL] [--full]

Each benchmark is its own script (``bench/<name>.py``, documented there) and runs as its own
process, one after the other, so one's load does not colour the next. Its output is
streamed as it comes; at the end the lines that carry a figure against its baseline (a
ratio, a goal) are repeated as one summary. Without ``--full`` the sizes are cut down so the
whole set takes a few minutes on a small machine; the scripts' own defaults are the sizes
the issue's targets are stated for. ``--database-url`` is passed to those that take one
(it must name an empty scratch database).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (quick arguments, full arguments, takes --database-url)
BENCHES: dict[str, tuple[list[str], list[str], bool]] = {
    "startup": (["--runs", "3"], [], True),
    "scale": (["--large", "2000", "--repeat", "10"], [], True),
    "reminders": (["--pending", "2000", "--due", "200", "--window", "10"], [], True),
    "export": (["--sizes", "2000", "10000", "--repeat", "1"], [], False),
    "retention": (["--rows", "20000", "--old", "2000"], [], True),
    "slack_latency": (
        ["--rate", "50", "--seconds", "5", "--saturation", "--step-seconds", "3"],
        ["--saturation"],
        True,
    ),
    "intents": ([], [], False),
    "statements": ([], [], True),  # no baseline: the count per message kind
    # These two run SQLite and PostgreSQL in one run (each its own scratch bench_* database).
    "web_load": (["--seconds", "4"], [], False),
    "contention": (["--events", "2000", "--seconds", "4"], [], False),
}
# A line that states a figure against its baseline or its goal.
FIGURE = re.compile(r"ratio|baseline|goal|target|\d+(\.\d+)?x\b|FAIL", re.IGNORECASE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"default all: {', '.join(BENCHES)}"
    )
    parser.add_argument("--database-url")
    parser.add_argument("--full", action="store_true", help="the scripts' own default sizes")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHES]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(BENCHES)}")
    summary: list[str] = []
    failed: list[str] = []
    for name in args.names or list(BENCHES):
        quick, full, takes_url = BENCHES[name]
        argv = [sys.executable, "-m", f"bench.{name}", *(full if args.full else quick)]
        if takes_url and args.database_url:
            argv += ["--database-url", args.database_url]
        print(f"\n=== {name}: {' '.join(argv[2:])}", flush=True)
        lines: list[str] = []
        with subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                print(line, end="", flush=True)
                lines.append(line.rstrip())
        if proc.returncode != 0:
            failed.append(name)
        summary += [f"{name:14} {line.strip()}" for line in lines if FIGURE.search(line)]
    print("\n=== summary (figure, baseline from the same run, ratio)")
    print("\n".join(summary) or "(no figures)")
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
