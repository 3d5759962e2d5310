"""The patrol unit's on-disk buffer of reads waiting for upload (REQ C5).

One file per read, written atomically, named by the read's UUID. A file is deleted only
after the server has answered for it (accepted, or duplicate: stored by an earlier try),
so a unit killed at any moment — mid-read, mid-upload — loses nothing, and a resend is
harmless because the server stores each read id once.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BATCH = 100


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rejected = folder / "rejected"
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, data: Mapping[str, Any], images: Mapping[str, bytes]) -> Path:
        # Images travel inline as base64, the way POST /api/v1/reads takes them in JSON.
        inline = {name: base64.b64encode(blob).decode() for name, blob in images.items()}
        record = {**data, **inline}
        path = self.folder / f"{data['id']}.json"
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".incoming-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return path

    def pending(self) -> list[Path]:
        return sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


@dataclass
class UploadReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    queued: int = 0  # acknowledged by the server's broker (202): a worker stores them
    rejected: list[tuple[str, str]] = field(default_factory=list)
    left: int = 0
    error: str | None = None


# Answers that mean "not now" (the database restarting, a proxy in between): wait as the
# server asks (Retry-After, capped) and send the same batch again; the reads stay spooled.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_WAIT = 30.0


def upload(spool: Spool, client: httpx.Client, *, server: str, key: str, retries: int = 3,
           sleep: Callable[[float], None] = time.sleep) -> UploadReport:
    """Send the spooled reads in batches; a 503 (database outage) is retried `retries`
    times after its Retry-After; stop at the first error that persists."""
    report = UploadReport()
    files = spool.pending()
    for start in range(0, len(files), BATCH):
        batch = files[start : start + BATCH]
        reads = [json.loads(path.read_text(encoding="utf-8")) for path in batch]
        try:
            response = _post(client, f"{server.rstrip('/')}/api/v1/reads", {"reads": reads},
                             key=key, retries=retries, sleep=sleep)
            response.raise_for_status()
        except httpx.HTTPError as error:
            report.error = f"{type(error).__name__}: {error}"
            break
        report.sent += len(batch)
        for result in response.json()["results"]:
            path = batch[result["index"]]
            if result["status"] == "rejected":
                spool.rejected.mkdir(exist_ok=True)
                path.rename(spool.rejected / path.name)
                report.rejected.append((path.stem, result["reason"]))
                continue
            report.accepted += result["status"] == "accepted"
            report.duplicates += result["status"] == "duplicate"
            report.queued += result["status"] == "queued"
            path.unlink()
    report.left = len(spool.pending())
    return report


def _post(client: httpx.Client, url: str, body: dict[str, Any], *, key: str, retries: int,
          sleep: Callable[[float], None]) -> httpx.Response:
    for attempt in range(retries + 1):
        response = client.post(url, json=body, headers={"Authorization": f"Bearer {key}"})
        if response.status_code not in RETRY_STATUSES or attempt == retries:
            return response
        sleep(retry_wait(response.headers.get("Retry-After"), attempt))
    raise AssertionError("unreachable")


def retry_wait(header: str | None, attempt: int) -> float:
    """Seconds to wait: the server's Retry-After (seconds) if sensible, else 1, 2, 4 ..."""
    try:
        wait = float(header) if header is not None else 2.0**attempt
    except ValueError:
        wait = 2.0**attempt
    return min(max(wait, 0.0), MAX_RETRY_WAIT) if wait == wait else 1.0  # NaN: 1 s


@dataclass(frozen=True)
class EdgeConfig:
    server: str
    key: str
    camera_id: str
    folder: Path  # snapshot and spool live here

    @property
    def snapshot_file(self) -> Path:
        return self.folder / "hotlist-snapshot.json"

    @property
    def spool(self) -> Spool:
        return Spool(self.folder / "spool")
