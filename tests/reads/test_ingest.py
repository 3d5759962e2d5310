"""The one ingest path: validation per item, idempotency, images, audit of rejections."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras.models import CameraKind
from alpr.cameras.service import disable_camera
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.plates import PlateError, normalize_plate
from alpr.reads.schemas import IngestReport, ItemStatus
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory, jpeg

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def read(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "plate": "7ABC123",
        "confidence": 0.93,
        "region": "ca",
        "captured_at": (NOW - timedelta(minutes=5)).isoformat(),
        "camera_id": "cam-1",
    }
    data.update(overrides)
    return data


def run(
    database: Database, policy: Policy, images: ImageStore, items: list[IngestItem], **kw: Any
) -> IngestReport:
    with database.unit_of_work() as session:
        return ingest(session, items, actor="test", policy=policy, images=images, now=NOW, **kw)


def stored_count(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Read)) or 0


def test_same_batch_twice_is_stored_once(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ C2 — idempotent ingest by the source's read id (edge units retry safely)
    make_camera()
    batch = [IngestItem(read()) for _ in range(5)]
    first = run(database, policy, images, batch)
    second = run(database, policy, images, batch)
    assert (first.accepted, first.duplicates) == (5, 0)
    assert (second.accepted, second.duplicates) == (0, 5)
    assert {r.status for r in second.results} == {ItemStatus.DUPLICATE}
    assert stored_count(database) == 5


def test_repeat_inside_one_batch_is_a_duplicate(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    make_camera()
    one = read()
    report = run(database, policy, images, [IngestItem(one), IngestItem(dict(one))])
    assert [r.status for r in report.results] == [ItemStatus.ACCEPTED, ItemStatus.DUPLICATE]
    assert stored_count(database) == 1


def test_a_read_stores_plate_time_place_camera_and_images(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ C2 — plate, images, date/time, location, camera; REQ C3 — vehicle attributes
    make_camera()
    plate_jpeg, vehicle_jpeg = jpeg((250, 250, 250)), jpeg((10, 20, 200), (200, 120))
    item = IngestItem(
        read(plate="7abc-123", plate_image="p", vehicle_image="v", vehicle_color="blue",
             vehicle_make="Toyota", vehicle_model="Camry"),
        images={"plate_image": plate_jpeg, "vehicle_image": vehicle_jpeg},
    )
    report = run(database, policy, images, [item])
    assert report.accepted == 1
    with database.unit_of_work() as session:
        row = session.scalars(select(Read)).one()
    assert (row.plate, row.plate_normalized, row.region) == ("7abc-123", "7ABC123", "CA")
    assert row.captured_at == NOW - timedelta(minutes=5)
    assert row.received_at == NOW
    assert (row.lat, row.lon) == (37.80, -122.27)  # a fixed camera's reads are where it is
    assert row.camera_id == "cam-1"
    assert (row.vehicle_color, row.vehicle_make, row.vehicle_model) == ("blue", "Toyota", "Camry")
    day = row.captured_at.date()
    assert row.plate_image and images.get(row.plate_image, day) == plate_jpeg
    assert row.vehicle_image and images.get(row.vehicle_image, day) == vehicle_jpeg
    path = images.path_for(row.plate_image, day)
    assert path.name == row.plate_image  # content addressed
    assert b"JFIF" not in path.read_bytes()  # REQ X1: encrypted at rest


def test_bad_items_are_rejected_with_reasons_and_good_ones_kept(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ C2 — a bad item never drops the good ones; each rejection says why
    make_camera()
    make_camera("car-9", kind=CameraKind.MOBILE)
    make_camera("old-cam")
    with database.unit_of_work() as session:
        disable_camera(session, camera_id="old-cam", actor="test", reason="removed")
    cases = {
        "plate: plate may contain only letters": read(plate="7AB$123"),
        "plate: plate has 12 characters": read(plate="ABCDEFGHIJKL"),
        "is in the future": read(captured_at=(NOW + timedelta(hours=1)).isoformat()),
        "older than the retention period": read(captured_at="2001-01-01T00:00:00+00:00"),
        "unknown camera 'nope'": read(camera_id="nope"),
        "camera 'old-cam' is disabled": read(camera_id="old-cam"),
        "lat: Input should be less than or equal to 90": read(lat=91.0, lon=0.0),
        "id: Input should be a valid UUID": read(id="not-a-uuid"),
        "captured_at: Input should have timezone info": read(captured_at="2026-11-23T11:00:00"),
        "confidence: Input should be less than or equal to 1": read(confidence=1.5),
    }
    good = [read(), read(camera_id="car-9", lat=37.7, lon=-122.2)]
    items = [IngestItem(good[0])] + [IngestItem(d) for d in cases.values()] + [IngestItem(good[1])]
    items.append(IngestItem(read(plate_image="p"), images={"plate_image": b"\xff\xd8 broken"}))
    items.append(IngestItem(read(plate_image="p")))
    items.append(IngestItem({}, problem="plate_image: not valid base64"))

    report = run(database, policy, images, items)

    assert report.accepted == 2
    assert report.rejected == len(cases) + 3
    reasons = [r.reason or "" for r in report.results if r.status is ItemStatus.REJECTED]
    for expected, reason in zip(
        [*cases, "plate_image: not a readable image", "plate_image: image data not supplied",
         "not valid base64"], reasons, strict=True
    ):
        assert expected in reason
    assert stored_count(database) == 2


def test_rejections_are_audited_in_one_entry_per_batch(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    make_camera()
    run(database, policy, images, [IngestItem(read()), IngestItem(read(plate="!!"))])
    with database.unit_of_work() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.event == AuditEvent.READ_INGEST_REJECTED)
        ).all()
    assert len(entries) == 1
    assert entries[0].details["rejected"] == 1
    assert entries[0].details["items"][0]["index"] == 1


def test_a_camera_cannot_send_reads_for_another(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    camera, _ = make_camera()
    make_camera("cam-2")
    report = run(
        database, policy, images,
        [IngestItem(read(camera_id="cam-2")), IngestItem(read(camera_id=None))],
        camera=camera,
    )
    assert report.results[0].status is ItemStatus.REJECTED
    assert "sent by 'cam-1'" in (report.results[0].reason or "")
    assert report.results[1].status is ItemStatus.ACCEPTED  # defaults to the sender


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7abc123", "7ABC123"), (" 7ABC-123 ", "7ABC123"), ("ab·12.3", "AB123"), ("X", "X")],
)
def test_plates_are_normalized(text: str, expected: str) -> None:
    assert normalize_plate(text) == expected


@pytest.mark.parametrize("text", ["", "  - ", "7ÄBC123", "ABCDEFGHIJK", "7AB/123"])
def test_non_plates_are_refused(text: str) -> None:
    with pytest.raises(PlateError):
        normalize_plate(text)
