"""`alpr reads import FILE.jsonl`: one read per line, image paths relative to the file.

The file goes through the same `ingest` as HTTP, in chunks (one transaction each), so a
large file neither holds one huge transaction nor loses what was stored if a later line
is bad. Each item's reason names its line number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.session import unit_of_work
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import ItemResult, ItemStatus
from alpr.reads.service import IngestItem, ingest, item_with_images

CHUNK = 500


@dataclass
class ImportSummary:
    file: str
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    results: list[tuple[int, ItemResult]] = field(default_factory=list)
    alerts: list[AlertOut] = field(default_factory=list)


def import_jsonl(
    path: Path,
    *,
    actor: str,
    policy: Policy,
    images: ImageStore,
    max_clock_skew: timedelta = timedelta(minutes=5),
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Ingest every line of a JSONL file; `progress` is called with the lines done so far."""
    summary = ImportSummary(file=str(path))
    for chunk in _chunks(_items(path), CHUNK):
        line_numbers = [number for number, _ in chunk]
        with unit_of_work() as session:
            report = ingest(
                session,
                [item for _, item in chunk],
                actor=actor,
                policy=policy,
                images=images,
                max_clock_skew=max_clock_skew,
            )
        for result in report.results:
            line = line_numbers[result.index]
            summary.results.append((line, result))
            if result.status is ItemStatus.REJECTED:
                summary.rejections.append((line, result.reason or ""))
        summary.alerts.extend(report.alerts)
        summary.accepted += report.accepted
        summary.duplicates += report.duplicates
        summary.rejected += report.rejected
        summary.lines += len(chunk)
        if progress:
            progress(summary.lines)
    with unit_of_work() as session:
        record(
            session,
            event=AuditEvent.READ_IMPORT,
            actor=actor,
            details={
                "file": path.name,
                "lines": summary.lines,
                "accepted": summary.accepted,
                "duplicates": summary.duplicates,
                "rejected": summary.rejected,
            },
        )
    return summary


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _items(path: Path) -> Iterator[tuple[int, IngestItem]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, _item(line, path.parent)


def _item(line: str, folder: Path) -> IngestItem:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return IngestItem(data={}, problem=f"not JSON: {error.msg}")

    def read_file(reference: Any) -> bytes:
        try:
            return (folder / str(reference)).read_bytes()
        except OSError as error:
            raise ValueError(f"cannot read {reference}: {error.strerror}") from error

    return item_with_images(data, read_file)


def _chunks(
    items: Iterator[tuple[int, IngestItem]], size: int
) -> Iterator[list[tuple[int, IngestItem]]]:
    chunk: list[tuple[int, IngestItem]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
