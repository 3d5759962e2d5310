"""Hot-list matching cost per read against 1,000,000 entries, next to a plain dict lookup.

Run with `make bench-hotlist`. The matcher does an exact lookup (O written as 0), a
confusion-class lookup, and one lookup per recognizer alternative; the baseline is one
`dict.get` of the plate. Both over the same reads (about 1 in 1000 on the list).
"""

from __future__ import annotations

import argparse
import random
import string
import time
import tracemalloc

from rich.console import Console
from rich.table import Table

from alpr.hotlists.matching import MatchIndex, exact_key

console = Console()


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=3))
    return f"{rng.randint(1, 9)}{letters}{rng.randint(0, 999):03d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(3)
    listed = [plate(rng) for _ in range(args.entries)]

    tracemalloc.start()
    started = time.perf_counter()
    index = MatchIndex("bench")
    for entry_id, text in enumerate(listed):
        index.add(entry_id, exact_key(text))
    build_s = time.perf_counter() - started
    index_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    plain = {text: entry_id for entry_id, text in enumerate(listed)}

    reads = [rng.choice(listed) if rng.random() < 0.001 else plate(rng) for _ in range(args.reads)]
    alternatives = [(r[:-1] + "8",) for r in reads]

    started = time.perf_counter()
    hits = sum(1 for r in reads if plain.get(r) is not None)
    dict_us = (time.perf_counter() - started) / len(reads) * 1e6

    started = time.perf_counter()
    matched = sum(len(index.match(r)) for r in reads)
    match_us = (time.perf_counter() - started) / len(reads) * 1e6

    started = time.perf_counter()
    for r, alt in zip(reads, alternatives, strict=True):
        index.match(r, alternatives=alt)
    alt_us = (time.perf_counter() - started) / len(reads) * 1e6

    table = Table("lookup", "µs per read", title=f"Hot-list matching, {args.entries:,} entries")
    table.add_row("plain dict.get (exact only)", f"{dict_us:.2f}")
    table.add_row("MatchIndex.match (exact + confusion)", f"{match_us:.2f}")
    table.add_row("MatchIndex.match + 1 alternative", f"{alt_us:.2f}")
    console.print(table)
    console.print(f"reads {len(reads):,}: {hits} exact hits by dict, {matched} hits by matcher;"
                  f" index built in {build_s:.1f} s, {index_mb:.0f} MiB")
    print("\n| lookup | µs per read |\n|---|---:|")
    print(f"| plain dict.get (exact only) | {dict_us:.2f} |")
    print(f"| MatchIndex.match (exact + confusion) | {match_us:.2f} |")
    print(f"| MatchIndex.match + 1 alternative | {alt_us:.2f} |")


if __name__ == "__main__":
    main()
