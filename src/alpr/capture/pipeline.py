"""Capture → recognize → track → ingest: a camera source becomes stored reads.

One read per vehicle pass (the tracker votes the frames), with the plate crop and the
frame it was best seen in as images. Plates whose box centre lies inside one of the
camera's image masks (REQ C4) are dropped before tracking: their passes are only counted.
Reads go through the same `ingest` as HTTP, in small
batches (one transaction each), so a long video or a live stream stores as it goes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import cv2
import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.broker.route import broker_configured, ingest_batch
from alpr.cameras.masks import CameraMasks, count_masked, masks_for
from alpr.cameras.models import Camera
from alpr.capture.models import CaptureId
from alpr.capture.motion import MotionGate
from alpr.capture.service import prune_capture_ids
from alpr.capture.sources import CaptureError, Frame, SourceKind, open_source, redact, source_kind
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import IngestReport, ItemStatus
from alpr.reads.service import IngestItem, ingest
from alpr.recognition.interfaces import Box, Image, PlateResult
from alpr.recognition.tracking import Pass, PlateTracker

MAX_VEHICLE_WIDTH = 1280  # stored overview images are downscaled to this width
BATCH_SIZE = 20
# Read ids of captured passes: uuid5 in this namespace of the pass's source key.
CAPTURE_NAMESPACE = uuid.UUID("5b0f3c6e-8a43-5d0e-9a4f-1c2d7e9b6a10")
# A live stream's reads are stored at least this often, even when the batch is not full.
MAX_BATCH_DELAY_S = 2.0


class FrameRecognizer(Protocol):
    def recognize(self, image: Image) -> list[PlateResult]: ...


@dataclass
class PassRead:
    """What became of one vehicle pass."""

    plate: str
    confidence: float
    captured_at: datetime
    frames: int
    status: str
    reason: str | None = None


@dataclass
class CaptureSummary:
    source: str
    camera_id: str
    frames: int = 0
    passes: int = 0
    dropped: int = 0  # short, low-confidence tracks discarded as noise
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    masked: int = 0  # passes inside a privacy mask: counted, never stored (REQ C4)
    unchanged: int = 0  # video frames like the last recognized one: not recognized again
    queued: int = 0  # handed to the broker (ALPR_BROKER_URL): a worker stores them
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # unreadable files (skipped)
    reads: list[PassRead] = field(default_factory=list)
    alerts: list[AlertOut] = field(default_factory=list)  # hot-list hits raised by ingest

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def check_camera(camera_id: str, *, lat: float | None, lon: float | None) -> Camera:
    """The registered, active camera; a mobile one needs the position given (lat/lon)."""
    with unit_of_work() as session:
        camera = session.get(Camera, camera_id)
    if camera is None:
        raise CaptureError(f"unknown camera {camera_id!r}: register it first (alpr cameras add)")
    if not camera.active:
        raise CaptureError(f"camera {camera_id!r} is disabled")
    if (lat is None) != (lon is None):
        raise CaptureError("give both --lat and --lon, or neither")
    if lat is None and (camera.lat is None or camera.lon is None):
        raise CaptureError(f"camera {camera_id!r} is mobile: give its position (--lat, --lon)")
    return camera


def run_capture(
    source_spec: str,
    *,
    camera_id: str,
    recognizer: FrameRecognizer,
    actor: str,
    policy: Policy,
    images: ImageStore,
    every_n: int = 1,
    fps_limit: float | None = None,
    start: datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    heading: float | None = None,
    min_frames: int = 2,
    max_clock_skew: timedelta = timedelta(minutes=5),
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    frames: Iterable[Frame] | None = None,
    stills: bool | None = None,
    motion: bool | None = None,
) -> CaptureSummary:
    """Recognize every sampled frame of a source and ingest one read per vehicle pass.

    `frames` replaces opening `source_spec` (frames from elsewhere); `stills` says whether
    each frame is a separate photo (default: a folder or image is, a video or stream is not).
    `progress` is called with the number of frames done. With `motion` (default: on for
    video and streams) a frame that did not change since the last recognized one takes
    that frame's plates instead of being recognized again (`capture.motion`).
    """
    camera = check_camera(camera_id, lat=lat, lon=lon)
    with unit_of_work() as session:
        masks = masks_for(session, camera)
    name = redact(source_spec)
    summary = CaptureSummary(source=name, camera_id=camera_id)
    if stills is None:
        stills = frames is None and source_kind(source_spec) in (
            SourceKind.IMAGE,
            SourceKind.FOLDER,
        )
    if frames is None:
        frames = open_source(
            source_spec,
            every_n=every_n,
            fps_limit=fps_limit,
            start=start,
            on_error=lambda error: summary.errors.append(str(error)),
        )
    gate = MotionGate() if (motion if motion is not None else not stills) else None
    last_results: list[PlateResult] = []
    tracker = PlateTracker(min_frames=min_frames, stills=stills)
    hidden = PlateTracker(min_frames=min_frames, stills=stills)  # masked plates: counted only
    position = {"lat": lat, "lon": lon, "heading": heading}
    pending: list[Pass] = []
    pending_since = 0.0
    started = time.monotonic()

    def store() -> None:
        _store(
            pending,
            summary,
            camera_id=camera_id,
            position=position,
            actor=actor,
            policy=policy,
            images=images,
            max_clock_skew=max_clock_skew,
        )
        pending.clear()

    try:
        for frame in frames:
            if gate is None or gate.changed(frame.image):
                last_results = recognizer.recognize(frame.image)
            shown, masked = split_masked(last_results, masks)
            closed = tracker.update(frame, shown)
            _count_masked(hidden.update(frame, masked), summary)
            summary.frames += 1
            if closed and not pending:
                pending_since = time.monotonic()
            pending.extend(closed)
            overdue = pending and time.monotonic() - pending_since >= MAX_BATCH_DELAY_S
            if len(pending) >= batch_size or overdue:
                store()
            if progress:
                progress(summary.frames)
    finally:
        # Also when a stream is lost or stopped (Ctrl-C): the vehicles seen so far are kept.
        pending.extend(tracker.flush())
        store()
        _count_masked(hidden.flush(), summary)
        summary.dropped = tracker.dropped
        summary.unchanged = gate.skipped_total if gate else 0
        summary.seconds = time.monotonic() - started
        _audit(summary, actor)
    return summary


def split_masked(
    results: list[PlateResult], masks: CameraMasks
) -> tuple[list[PlateResult], list[PlateResult]]:
    """The results outside the camera's image masks, and those inside (box centre)."""
    if not masks.image:
        return results, []
    shown: list[PlateResult] = []
    masked: list[PlateResult] = []
    for result in results:
        box = result.box
        (masked if masks.hides_box((box.x, box.y, box.w, box.h)) else shown).append(result)
    return shown, masked


def _count_masked(passes: list[Pass], summary: CaptureSummary) -> None:
    if not passes:
        return
    summary.masked += len(passes)
    with unit_of_work() as session:
        for one in passes:
            count_masked(session, summary.camera_id, one.first_seen.date())


def _store(
    passes: list[Pass],
    summary: CaptureSummary,
    *,
    camera_id: str,
    position: dict[str, float | None],
    actor: str,
    policy: Policy,
    images: ImageStore,
    max_clock_skew: timedelta,
) -> None:
    if not passes:
        return
    items = [pass_to_item(p, camera_id, position) for p in passes]
    if broker_configured():
        # Queued for a worker: the source's ids are claimed first, in their own transaction;
        # a worker stores each read once whatever happens (idempotent by read id).
        with unit_of_work() as session:
            fresh = claim_capture_ids(
                session, items, prune_before=policy.retention.delete_after.before(utcnow())
            )
        report = ingest_batch(
            [items[i] for i in fresh], actor=actor, policy=policy, images=images,
            max_clock_skew=max_clock_skew,
        )
    else:
        with unit_of_work() as session:
            fresh = claim_capture_ids(
                session, items, prune_before=policy.retention.delete_after.before(utcnow())
            )
            report = ingest(
                session,
                [items[i] for i in fresh],
                actor=actor,
                policy=policy,
                images=images,
                max_clock_skew=max_clock_skew,
            )
            release_rejected(session, report, [items[i] for i in fresh])
    summary.passes += len(passes)
    summary.alerts.extend(report.alerts)
    summary.accepted += report.accepted
    summary.duplicates += report.duplicates + len(passes) - len(fresh)
    summary.rejected += report.rejected
    summary.masked += report.masked
    for index in sorted(set(range(len(passes))) - set(fresh)):
        one = passes[index]
        summary.reads.append(
            PassRead(one.plate, one.confidence, one.first_seen, one.frames, "duplicate")
        )
    summary.queued += report.queued
    for result in report.results:
        one = passes[fresh[result.index]]
        summary.reads.append(
            PassRead(
                one.plate,
                one.confidence,
                one.first_seen,
                one.frames,
                result.status.value,
                result.reason,
            )
        )


def capture_read_id(one: Pass) -> uuid.UUID:
    """The read id of a pass: stable for a pass of a file or stream moment, else random."""
    if one.source_key:
        return uuid.uuid5(CAPTURE_NAMESPACE, one.source_key)
    return uuid.uuid4()


def claim_capture_ids(
    session: Session, items: list[IngestItem], *, prune_before: datetime | None = None
) -> list[int]:
    """Record the items' read ids; return the indexes of those not captured before.

    The claim is an insert that skips known ids: a parallel capture of the same source
    waits on the other's uncommitted claim (PostgreSQL) or on the write lock (SQLite), then
    finds it taken, so the same pass is never stored twice. Ids of reads captured before
    `prune_before` (the retention period: ingest refuses such reads anyway) are dropped,
    so nothing of a purged read outlives its period here.
    """
    if prune_before is not None:
        prune_capture_ids(session, before=prune_before)
    if not items:
        return []
    now = utcnow()
    ids = [uuid.UUID(str(item.data["id"])) for item in items]
    rows = [
        {
            "id": read_id,
            "captured_at": datetime.fromisoformat(str(item.data["captured_at"])),
            "claimed_at": now,
        }
        for read_id, item in zip(ids, items, strict=True)
    ]
    claimed: set[uuid.UUID]
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(CaptureId).on_conflict_do_nothing().returning(CaptureId.id)
        claimed = set(session.scalars(statement, rows))
    else:
        known = set(session.scalars(select(CaptureId.id).where(CaptureId.id.in_(ids))))
        new_rows = list({row["id"]: row for row in rows if row["id"] not in known}.values())
        if new_rows:
            session.execute(sqlite_insert(CaptureId).on_conflict_do_nothing(), new_rows)
        claimed = set(ids) - known
    fresh: list[int] = []
    for index, read_id in enumerate(ids):
        if read_id in claimed:
            claimed.discard(read_id)  # the same id twice in one batch: the first one counts
            fresh.append(index)
    return fresh


def release_rejected(session: Session, report: IngestReport, items: list[IngestItem]) -> None:
    """A rejected read was not stored: capturing it again (say, with a fixed time) may."""
    rejected = [
        uuid.UUID(str(items[result.index].data["id"]))
        for result in report.results
        if result.status == ItemStatus.REJECTED
    ]
    if rejected:
        session.execute(delete(CaptureId).where(CaptureId.id.in_(rejected)))


def pass_to_item(one: Pass, camera_id: str, position: dict[str, float | None]) -> IngestItem:
    """One vehicle pass as a read to ingest, with its plate crop and overview image."""
    data: dict[str, Any] = {
        "id": str(capture_read_id(one)),
        "plate": one.plate,
        "confidence": one.confidence,
        "region": one.region.upper()[:8] if one.region else None,
        "captured_at": one.first_seen.isoformat(),  # when the vehicle was first seen
        "camera_id": camera_id,
        # Other readings the tracker saw, for confusion-aware hot-list matching.
        "candidates": [text for text, _ in one.candidates[1:4] if text != one.plate],
        # Ingest checks it against the camera's image masks too (they may have changed).
        "plate_box": [one.best_box.x, one.best_box.y, one.best_box.w, one.best_box.h],
        "plate_image": "plate.jpg",
        "vehicle_image": "vehicle.jpg",
        **{key: value for key, value in position.items() if value is not None},
    }
    pictures = {
        "plate_image": encode_jpeg(plate_crop(one.best_frame_image, one.best_box)),
        "vehicle_image": encode_jpeg(downscale(one.best_frame_image, MAX_VEHICLE_WIDTH)),
    }
    return IngestItem(data=data, images=pictures)


def plate_crop(image: Image, box: Box, margin: float = 0.15) -> Image:
    """The plate with a margin around it, clipped to the frame."""
    height, width = image.shape[:2]
    pad_x, pad_y = int(box.w * margin), int(box.h * margin)
    left, top = max(0, box.x - pad_x), max(0, box.y - pad_y)
    right, bottom = min(width, box.x + box.w + pad_x), min(height, box.y + box.h + pad_y)
    if right <= left or bottom <= top:
        return image
    return image[top:bottom, left:right]


def downscale(image: Image, max_width: int) -> Image:
    height, width = image.shape[:2]
    if width <= max_width:
        return image
    size = (max_width, max(1, round(height * max_width / width)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def encode_jpeg(image: Image, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CaptureError("cannot encode a JPEG image")
    return bytes(data.tobytes())


def _audit(summary: CaptureSummary, actor: str) -> None:
    with unit_of_work() as session:
        record(
            session,
            event=AuditEvent.READ_CAPTURE,
            actor=actor,
            details={
                "capture": summary.source,
                "camera_id": summary.camera_id,
                "frames": summary.frames,
                "passes": summary.passes,
                "accepted": summary.accepted,
                "duplicates": summary.duplicates,
                "rejected": summary.rejected,
                "masked": summary.masked,
            },
        )
