"""`alpr reads import FILE.jsonl`: one read per line, image paths relative to the file.

The file goes through the same `ingest` as HTTP, in chunks (one transaction each), so a
large file neither holds one huge transaction nor loses what was stored if a later line
is bad. Each item's reason names its line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from alpr.api.inputs import JsonError, parse_json, read_regular_file
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.session import unit_of_work
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.reads.images import MAX_IMAGE_BYTES, ImageStore
from alpr.reads.schemas import ItemResult, ItemStatus
from alpr.reads.service import IngestItem, ingest, item_with_images

CHUNK = 500
# One read with its image paths is well under 4 KB; images are files, never inline here.
MAX_LINE_CHARS = 64 * 1024


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
    """About how many lines (for a progress bar), read in blocks: one huge line is no
    reason to hold the whole file in memory."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _items(path: Path) -> Iterator[tuple[int, IngestItem]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        number = 0
        while line := handle.readline(MAX_LINE_CHARS + 1):
            number += 1
            if len(line) > MAX_LINE_CHARS:
                while line and not line.endswith("\n"):  # skip the rest of the long line
                    line = handle.readline(MAX_LINE_CHARS)
                yield number, IngestItem(
                    data={}, problem=f"line longer than {MAX_LINE_CHARS} characters")
            elif line.strip():
                yield number, _item(line, path.parent)


def _item(line: str, folder: Path) -> IngestItem:
    try:
        data = parse_json(line)
    except JsonError as error:
        return IngestItem(data={}, problem=str(error).replace("body is", "line is"))

    return item_with_images(data, lambda reference: read_image_file(folder, reference))


def read_image_file(folder: Path, reference: Any) -> bytes:
    """The bytes of an image the file names: a regular file of bounded size inside the
    file's own folder (no `../../etc/passwd`, no absolute path, no link out, no /dev/zero)."""
    name = str(reference)
    if not name or "\x00" in name:
        raise ValueError("not a file name")
    root = folder.resolve()
    try:
        path = (root / name).resolve()  # follows links: a link out of the folder is out
    except (OSError, RuntimeError) as error:
        raise ValueError(f"cannot read {name}: {error}") from error
    if not path.is_relative_to(root):
        raise ValueError(f"{name!r} is outside the folder of the import file")
    try:  # a name too long for the file system is an OSError here, not "no such file"
        exists, regular = path.exists(), path.is_file()
    except OSError as error:
        raise ValueError(f"cannot read {name[:80]!r}: {error.strerror}") from error
    if not exists:
        raise ValueError(f"cannot read {name}: no such file")
    if not regular:
        raise ValueError(f"{name!r} is not a regular file")
    return read_regular_file(path, max_bytes=MAX_IMAGE_BYTES)


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
