"""`alpr edge`: a patrol unit that works with or without the network (REQ C5).

At shift start it pulls a signed hot-list snapshot; then it recognizes, matches every
pass against the snapshot on the vehicle (alerts at once, offline too), spools each read
to disk, and uploads the spool whenever the server answers. Everything the unit knows
is on disk, so it can be killed and restarted at any point.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from alpr.cameras.service import hash_api_key
from alpr.capture.pipeline import FrameRecognizer, pass_to_item
from alpr.capture.sources import Frame
from alpr.capture.spool import EdgeConfig, UploadReport
from alpr.hotlists.snapshot import ListedEntry, Snapshot
from alpr.recognition.tracking import Pass, PlateTracker


def pull_snapshot(config: EdgeConfig, client: httpx.Client) -> Snapshot:
    """Fetch and verify the snapshot; keep it on disk for offline shifts."""
    response = client.get(f"{config.server.rstrip('/')}/api/v1/hotlists/snapshot",
                          headers={"Authorization": f"Bearer {config.key}"})
    response.raise_for_status()
    signed = response.headers["X-ALPR-Signature"]
    snapshot = Snapshot.load(response.content, key_hash=hash_api_key(config.key), signed=signed)
    config.folder.mkdir(parents=True, exist_ok=True)
    config.snapshot_file.write_text(json.dumps({"signature": signed,
                                                "body": response.content.decode()}))
    return snapshot


def cached_snapshot(config: EdgeConfig) -> Snapshot:
    """The last snapshot pulled (verified again: a file on a vehicle can be tampered with)."""
    stored = json.loads(config.snapshot_file.read_text())
    return Snapshot.load(stored["body"].encode(), key_hash=hash_api_key(config.key),
                         signed=stored["signature"])


@dataclass(frozen=True)
class EdgeHit:
    plate: str
    entry: ListedEntry
    match: str


@dataclass
class EdgeRun:
    passes: int = 0
    hits: list[EdgeHit] = field(default_factory=list)
    upload: UploadReport | None = None


def run_edge(
    config: EdgeConfig, frames: Iterable[Frame], *, recognizer: FrameRecognizer,
    snapshot: Snapshot, position: dict[str, float | None],
    on_hit: Callable[[EdgeHit], None] | None = None, stills: bool = False,
) -> EdgeRun:
    """Recognize, match on the vehicle, spool every pass (upload is separate)."""
    run = EdgeRun()
    spool = config.spool
    tracker = PlateTracker(stills=stills)

    def handle(passes: list[Pass]) -> None:
        for one in passes:
            item = pass_to_item(one, config.camera_id, position)
            spool.add(item.data, item.images)
            run.passes += 1
            alternatives = [text for text, _ in one.candidates[1:4]]
            for hit in snapshot.index.match(one.plate, alternatives=alternatives):
                found = EdgeHit(one.plate, snapshot.entries[hit.entry_id], hit.match.value)
                run.hits.append(found)
                if on_hit:
                    on_hit(found)

    for frame in frames:
        handle(tracker.update(frame, recognizer.recognize(frame.image)))
    handle(tracker.flush())
    return run
