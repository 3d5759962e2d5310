"""Start-up time of the `alpr` command: `alpr --help` and one domain's `--help`, next to the
old eager start (every domain imported before anything runs), measured in the same run.

Run with `make bench-cli`. Target (issue 21): `alpr --help` under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

from alpr.cli import LAZY_COMMANDS

EAGER = "; ".join(f"import {target.split(':')[0]}" for target, _ in LAZY_COMMANDS.values())


def wall(argv: list[str], runs: int) -> float:
    """Median wall time in ms of a fresh interpreter running argv."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    rows = [
        ("alpr --help", [python, "-m", "alpr.cli", "--help"]),
        ("alpr policy --help", [python, "-m", "alpr.cli", "policy", "--help"]),
        ("alpr search --help", [python, "-m", "alpr.cli", "search", "--help"]),
        ("reference: python -c pass", [python, "-c", "pass"]),
        ("reference: eager import of every domain (old start)", [python, "-c", EAGER]),
    ]
    table = Table(title=f"CLI start-up, median of {args.runs} runs")
    table.add_column("command")
    table.add_column("ms", justify="right")
    for label, argv in rows:
        table.add_row(label, f"{wall(argv, args.runs):.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
