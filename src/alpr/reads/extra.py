"""The raw source record: what a sender sent that alpr has no column for.

Kept with the read (`reads.source_extra`) rather than refusing the read (an `fps` or a
`vehicle_body_type` is no reason to lose a plate), and bounded so no sender can fill the
store through it: past the limit the largest values are dropped and their names listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

LIMIT_BYTES = 16 * 1024
TRUNCATED = "_truncated"


def bounded_json(extra: Mapping[str, Any], limit: int = LIMIT_BYTES) -> str | None:
    """`extra` as JSON of at most `limit` bytes, or None when there is nothing to keep."""
    if not extra:
        return None
    kept = {str(name): value for name, value in extra.items()}
    text = _dump(kept)
    dropped: list[str] = []
    while len(text.encode()) > limit and kept:
        largest = max(kept, key=lambda name: len(_dump(kept[name]).encode()))
        dropped.append(largest)
        del kept[largest]
        text = _dump({**kept, TRUNCATED: dropped})
    if len(text.encode()) > limit:  # even the names of what was dropped are too long
        text = _dump({TRUNCATED: len(dropped)})
    return text


def _dump(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)
