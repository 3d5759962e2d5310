"""The one ingest path: every read enters the system through `ingest`.

It validates each item on its own (a bad item never drops the good ones), stores the
accepted reads idempotently by their source UUID, and answers per item: accepted,
duplicate, rejected with the reason, or masked. Rejections are audited in the same
transaction. A read inside a camera's privacy mask or an exclusion zone (REQ C4) is
dropped here, before anything (row or image) is stored, and only counted per camera and day.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from alpr.api.inputs import find_control_character
from alpr.audit.batches import record_accepted_batch
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.gps import LocationSource, place_read
from alpr.cameras.masks import MASKED_REASON, CameraMasks, count_masked, masks_for
from alpr.cameras.models import Camera, CameraKind
from alpr.db.base import utcnow
from alpr.hotlists.alerts import raise_alerts
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.reads import storage
from alpr.reads.extra import bounded_json
from alpr.reads.images import ImageError, ImageStore, check_image
from alpr.reads.plates import PlateError, confusion_key, exact_key, normalize_plate
from alpr.reads.schemas import IngestReport, ItemResult, ItemStatus, ReadIn
from alpr.reports import tally

IMAGE_FIELDS = ("plate_image", "vehicle_image")
# At most this many rejections are copied into one audit entry; the count is always exact.
_AUDITED_REJECTIONS = 100
# A read is identified by its id alone: a resend with other fields (another capture time,
# another plate) is the same read sent again, never a second read or a second alert.
_ALREADY_STORED = "id: a read with this id is already stored; this copy is ignored"
_REPEATED_IN_BATCH = "id: repeated in this batch; only its first copy counts"
_NOTE_READS_EVERY = timedelta(seconds=60)  # far below any silence threshold (minutes)


@dataclass(frozen=True)
class IngestItem:
    """One read as received: its fields, and the bytes of the images it names.

    `problem` is set by an adapter that could not even decode the item (bad base64, a
    missing file part); the item is then rejected with that reason. `extra` is what a
    foreign source sent that maps to no field (kept with the read, bounded).
    """

    data: Mapping[str, Any]
    images: Mapping[str, bytes] = field(default_factory=dict)
    problem: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def item_with_images(data: Any, resolve: Callable[[Any], bytes]) -> IngestItem:
    """An IngestItem whose image references are turned into bytes by `resolve`.

    Each adapter resolves references its own way (base64 text, a file part, a path); a
    reference it cannot resolve raises ValueError, and the item is rejected with that reason.
    """
    if not isinstance(data, Mapping):
        return IngestItem(data={}, problem="read: expected a JSON object")
    images: dict[str, bytes] = {}
    for name in IMAGE_FIELDS:
        reference = data.get(name)
        if reference is None:
            continue
        try:
            images[name] = resolve(reference)
        except ValueError as error:
            return IngestItem(data=data, problem=f"{name}: {error}")
    return IngestItem(data=data, images=images)


class _RejectedError(Exception):
    """Internal: the reason one item is refused."""


class _MaskedError(Exception):
    """Internal: the item lies inside a privacy mask; args: (camera id, capture day)."""


@dataclass
class _Batch:
    """What the checks need to know once per batch, not once per item."""

    session: Session
    policy: Policy
    camera: Camera | None
    now: datetime
    max_skew: timedelta
    cameras: dict[str, Camera | None] = field(default_factory=dict)
    masks: dict[str, CameraMasks] = field(default_factory=dict)
    oldest: datetime = field(init=False)

    def __post_init__(self) -> None:
        # Reads older than the retention period would be purged at once: refuse them.
        self.oldest = self.policy.retention.delete_after.before(self.now)

    def camera_named(self, camera_id: str) -> Camera | None:
        if camera_id not in self.cameras:
            self.cameras[camera_id] = self.session.get(Camera, camera_id)
        return self.cameras[camera_id]

    def masks_of(self, camera: Camera) -> CameraMasks:
        if camera.id not in self.masks:
            self.masks[camera.id] = masks_for(self.session, camera)
        return self.masks[camera.id]


def ingest(
    session: Session,
    items: Sequence[IngestItem],
    *,
    actor: str,
    policy: Policy,
    images: ImageStore,
    camera: Camera | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta = timedelta(minutes=5),
) -> IngestReport:
    """Validate and store a batch of reads; `camera` is the authenticated sender, if any."""
    batch = _Batch(session, policy, camera, now or utcnow(), max_clock_skew)
    results: list[ItemResult | None] = [None] * len(items)
    candidates: dict[uuid.UUID, tuple[int, dict[str, Any], dict[str, bytes]]] = {}
    alternatives: dict[uuid.UUID, tuple[str, ...]] = {}

    for index, item in enumerate(items):
        read_id = _raw_id(item.data)
        try:
            row, image_data, others = _check(batch, item)
        except _RejectedError as why:
            results[index] = ItemResult(
                index=index, id=read_id, status=ItemStatus.REJECTED, reason=_printable(str(why))
            )
            continue
        except _MaskedError as masked:
            camera_id, day = masked.args
            count_masked(session, camera_id, day)
            results[index] = ItemResult(
                index=index, id=read_id, status=ItemStatus.MASKED, reason=MASKED_REASON
            )
            continue
        if row["id"] in candidates:
            results[index] = ItemResult(index=index, id=read_id, status=ItemStatus.DUPLICATE,
                                        reason=_REPEATED_IN_BATCH)
            continue
        candidates[row["id"]] = (index, row, image_data)
        if others:
            alternatives[row["id"]] = others

    fresh = [row for _, row, _ in candidates.values()]
    for _, row, image_data in candidates.values():
        for name, data in image_data.items():
            images.put(data, row["captured_at"].date(), row[name])
    inserted = storage.insert_reads(session, fresh)
    # Only reads stored now are compared: a resent read never alerts twice (REQ A1).
    alerts = raise_alerts(
        session, [row for row in fresh if row["id"] in inserted], now=batch.now,
        alternatives=alternatives,
    )
    for candidate_id, (index, _, _) in candidates.items():
        if candidate_id in inserted:
            results[index] = ItemResult(index=index, id=str(candidate_id),
                                        status=ItemStatus.ACCEPTED)
        else:
            results[index] = ItemResult(index=index, id=str(candidate_id),
                                        status=ItemStatus.DUPLICATE, reason=_ALREADY_STORED)
    _note_reads(batch, [row for row in fresh if row["id"] in inserted])
    # Durable yearly figures (REQ P1): the count outlives the reads' retention.
    tally.count_reads(session, [row["captured_at"] for row in fresh if row["id"] in inserted])

    report = _report([result for result in results if result is not None])
    report.alerts = [AlertOut.model_validate(alert) for alert in alerts]
    if report.rejected:
        _audit_rejections(batch, report, actor)
    record_accepted_batch(session, actor=actor, rows=[r for r in fresh if r["id"] in inserted],
                          organization=batch.camera.agency if batch.camera else None,
                          duplicates=report.duplicates, rejected=report.rejected, now=batch.now)
    return report


def _raw_id(data: Mapping[str, Any]) -> str | None:
    value = data.get("id") if isinstance(data, Mapping) else None
    return _printable(str(value)[:64]) if value is not None else None


def _printable(text: str) -> str:
    """Text as it may be echoed and audited: control characters written as escapes (a NUL
    cannot even be stored in PostgreSQL's text or JSON)."""
    if find_control_character(text) is None:
        return text
    return "".join(c if find_control_character(c) is None else ascii(c)[1:-1] for c in text)


def _check(
    batch: _Batch, item: IngestItem
) -> tuple[dict[str, Any], dict[str, bytes], tuple[str, ...]]:
    """Return the row to store and the images to keep, or raise _RejectedError with the reason."""
    if item.problem:
        raise _RejectedError(item.problem)
    try:
        read = ReadIn.model_validate(item.data)
    except ValidationError as error:
        raise _RejectedError(_describe(error)) from error
    try:
        plate = normalize_plate(read.plate)
    except PlateError as error:
        raise _RejectedError(f"plate: {error}") from error

    camera = _check_camera(batch, read.camera_id)
    captured_at = read.captured_at.astimezone(UTC)
    _check_time(batch, captured_at)
    lat, lon, source = _location(batch, read, camera, captured_at)
    masks = batch.masks_of(camera)
    if masks and (
        # No fix, yet zones apply: it cannot be shown to lie outside them, so it is dropped.
        (masks.geo and (lat is None or lon is None))
        or (lat is not None and lon is not None and masks.hides_location(lat, lon))
        or (read.plate_box is not None and masks.hides_box(read.plate_box))
    ):
        raise _MaskedError(camera.id, captured_at.date())
    image_digests, image_data = _check_images(read, item.images)

    row: dict[str, Any] = {
        "id": read.id,
        "captured_at": captured_at,
        "received_at": batch.now,
        "plate": read.plate.strip(),
        "plate_normalized": plate,
        "plate_confusion": confusion_key(exact_key(plate)),
        "confidence": read.confidence,
        "region": read.region.upper() if read.region else None,
        "camera_id": camera.id,
        "lat": lat,
        "lon": lon,
        "location_source": str(source),  # camera, device, gps or none (REQ C2)
        "heading": read.heading if read.heading is not None else camera.heading,
        "vehicle_color": read.vehicle_color,
        "vehicle_make": read.vehicle_make,
        "vehicle_model": read.vehicle_model,
        "logically_deleted_at": None,
        # Unknown fields are kept, not refused (bounded; the source's own record first).
        "source_extra": bounded_json({**item.extra, **(read.model_extra or {})}),
        **image_digests,
    }
    others = []
    for text in read.candidates:
        try:
            others.append(normalize_plate(text))
        except PlateError:
            continue  # a bad alternative is just not offered for matching
    return row, image_data, tuple(others)


def _describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors()[:3]:
        where = ".".join(str(part) for part in detail["loc"]) or "read"
        problems.append(f"{where}: {detail['msg']}")
    return "; ".join(problems)


def _check_camera(batch: _Batch, camera_id: str | None) -> Camera:
    sender = batch.camera
    if camera_id is None:
        if sender is None:
            raise _RejectedError("camera_id: required")
        camera_id = sender.id
    if sender is not None and camera_id != sender.id:
        raise _RejectedError(
            f"camera_id: read names camera {camera_id!r} but was sent by {sender.id!r}"
        )
    camera = batch.camera_named(camera_id)
    if camera is None:
        raise _RejectedError(f"camera_id: unknown camera {camera_id!r}")
    if not camera.active:
        raise _RejectedError(f"camera_id: camera {camera_id!r} is disabled")
    return camera


def _check_time(batch: _Batch, captured_at: datetime) -> None:
    if captured_at > batch.now + batch.max_skew:
        raise _RejectedError(
            f"captured_at: {captured_at.isoformat()} is in the future"
            f" (more than {int(batch.max_skew.total_seconds())} s ahead of the server clock)"
        )
    if captured_at < batch.oldest:
        raise _RejectedError(
            f"captured_at: {captured_at.isoformat()} is older than the retention period"
            f" ({batch.policy.retention.delete_after}); it would be purged at once"
        )


def _location(
    batch: _Batch, read: ReadIn, camera: Camera, captured_at: datetime
) -> tuple[float | None, float | None, str]:
    if (read.lat is None) != (read.lon is None):
        raise _RejectedError("lat/lon: give both or neither")
    if read.lat is not None and read.lon is not None:
        return read.lat, read.lon, LocationSource.DEVICE
    if camera.kind == CameraKind.MOBILE:
        return place_read(batch.session, camera.id, captured_at)  # its GPS track, or no fix
    if camera.lat is not None and camera.lon is not None:
        return camera.lat, camera.lon, LocationSource.CAMERA  # a fixed camera's position
    raise _RejectedError(f"lat/lon: required, camera {camera.id!r} has no position")


def _check_images(
    read: ReadIn, supplied: Mapping[str, bytes]
) -> tuple[dict[str, str | None], dict[str, bytes]]:
    digests: dict[str, str | None] = {}
    data: dict[str, bytes] = {}
    for name in IMAGE_FIELDS:
        if getattr(read, name) is None:
            digests[name] = None
            continue
        content = supplied.get(name)
        if content is None:
            raise _RejectedError(f"{name}: image data not supplied")
        try:
            digests[name] = check_image(content)
        except ImageError as error:
            raise _RejectedError(f"{name}: {error}") from error
        data[name] = content
    return digests, data


def _note_reads(batch: _Batch, rows: list[dict[str, Any]]) -> None:
    """Remember each camera's newest read: a camera that reads is not silent (REQ C6).

    At most once a minute per camera, in camera order: several workers storing reads of
    the same cameras would otherwise queue on (or deadlock over) the cameras' rows.
    """
    for camera_id in sorted({row["camera_id"] for row in rows}):
        camera = batch.camera_named(camera_id)
        if camera is not None and (camera.last_read_at is None
                                   or camera.last_read_at < batch.now - _NOTE_READS_EVERY
                                   or camera.last_read_at > batch.now):
            camera.last_read_at = batch.now


def _report(results: list[ItemResult]) -> IngestReport:
    counts = {status: 0 for status in ItemStatus}
    for result in results:
        counts[result.status] += 1
    return IngestReport(
        accepted=counts[ItemStatus.ACCEPTED],
        duplicates=counts[ItemStatus.DUPLICATE],
        rejected=counts[ItemStatus.REJECTED],
        masked=counts[ItemStatus.MASKED],
        results=results,
    )


def _audit_rejections(batch: _Batch, report: IngestReport, actor: str) -> None:
    rejected = [r for r in report.results if r.status is ItemStatus.REJECTED]
    record(
        batch.session,
        event=AuditEvent.READ_INGEST_REJECTED,
        actor=actor,
        outcome=Outcome.FAILURE,
        organization=batch.camera.agency if batch.camera else None,
        details={
            "camera_id": batch.camera.id if batch.camera else None,
            "batch_size": len(report.results),
            "rejected": report.rejected,
            "items": [r.model_dump(exclude={"status"}) for r in rejected[:_AUDITED_REJECTIONS]],
        },
        now=batch.now,
    )
