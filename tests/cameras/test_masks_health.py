"""Privacy masks (C4), health and tickets (C6), administrators only (C7), registry (C2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras import admin, health, masks
from alpr.cameras.models import Camera, CameraKind, MaskKind, TicketStatus
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.schemas import ItemStatus
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory, jpeg

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DRIVEWAY = [[0, 0], [100, 0], [100, 100], [0, 100]]
ZONE = [[37.0, -123.0], [38.0, -123.0], [38.0, -122.0], [37.0, -122.0]]


def _read(**extra: Any) -> IngestItem:
    data = {"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
            "captured_at": (NOW - timedelta(minutes=1)).isoformat(), "camera_id": "cam-1",
            "plate_image": "p", **extra}
    return IngestItem(data=data, images={"plate_image": jpeg()})


def test_point_in_polygon() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    assert masks.point_in_polygon((5, 5), square)
    assert not masks.point_in_polygon((15, 5), square)


def test_masked_reads_are_counted_never_stored(
    database: Database, make_camera: CameraFactory, policy: Policy, images: ImageStore
) -> None:
    # REQ C4 — reads inside an image mask or an exclusion zone: dropped before storage, counted
    make_camera(lat=40.0, lon=-100.0)
    make_camera("car-2", kind=CameraKind.MOBILE)
    with database.unit_of_work() as session:
        masks.set_mask(session, name="driveway", kind=MaskKind.IMAGE, polygon=DRIVEWAY,
                       camera_id="cam-1", actor="admin", reason="private driveway", now=NOW)
        masks.set_mask(session, name="base", kind=MaskKind.GEO, polygon=ZONE, agency="Test PD",
                       actor="admin", reason="private lot", now=NOW)
    items = [_read(plate_box=[40, 40, 20, 10]),  # centre inside the driveway
             _read(plate_box=[400, 400, 20, 10]),  # outside
             _read(camera_id="car-2", lat=37.5, lon=-122.5),  # inside the zone
             _read(camera_id="car-2", lat=39.5, lon=-122.5)]  # outside
    with database.unit_of_work() as session:
        report = ingest(session, items, actor="test", policy=policy, images=images, now=NOW)
        stored = set(session.scalars(select(Read.id)))
        counts = {(c.camera_id, c.count) for c in masks.masked_counts(session)}
    statuses = [r.status for r in report.results]
    assert statuses == [ItemStatus.MASKED, ItemStatus.ACCEPTED, ItemStatus.MASKED,
                        ItemStatus.ACCEPTED]
    assert (report.masked, report.accepted, report.rejected) == (2, 2, 0)
    assert stored == {uuid.UUID(items[1].data["id"]), uuid.UUID(items[3].data["id"])}
    assert counts == {("cam-1", 1), ("car-2", 1)}


def test_mask_versions_are_kept_and_audited(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C4 — masks are versioned (old versions kept) and every change audited
    make_camera()
    with database.unit_of_work() as session:
        for polygon in (DRIVEWAY, [[0, 0], [50, 0], [50, 50]], None):
            masks.set_mask(session, name="window", kind=MaskKind.IMAGE, polygon=polygon,
                           camera_id="cam-1", actor="admin", reason="window", now=NOW)
        history = masks.mask_history(session, "window")
        assert [(m.version, m.superseded_at is None) for m in history] == [
            (1, False), (2, False), (3, True)]
        assert history[-1].polygon is None
        assert masks.list_masks(session) == []
        events = session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.event == AuditEvent.CAMERA_MASK_CHANGE))
    assert events == 3


def test_silent_camera_opens_one_ticket_closed_with_resolution(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C6 — a silent camera is reported as a trouble ticket, exactly once, until repaired
    make_camera()
    with database.unit_of_work() as session:
        camera = session.get(Camera, "cam-1")
        assert camera is not None
        health.heartbeat(session, camera=camera, metrics={"frames_per_second": 10}, now=NOW)
        assert health.check_silent(session, now=NOW + timedelta(minutes=10)) == []
        later = NOW + timedelta(minutes=20)
        first = health.check_silent(session, now=later)
        assert [t.camera_id for t in first] == ["cam-1"]
        assert health.check_silent(session, now=later + timedelta(minutes=5)) == []
        closed = health.close_ticket(session, ticket_id=first[0].id, actor="tech",
                                     resolution="replaced power supply", now=later)
        assert (closed.status, closed.closed_by) == (TicketStatus.CLOSED, "tech")
        assert health.list_tickets(session) == []
        # silent again, then heard from again: the check closes its own ticket
        again = health.check_silent(session, now=later + timedelta(hours=1))
        assert len(again) == 1
        health.heartbeat(session, camera=camera, metrics={}, now=later + timedelta(hours=2))
        assert health.check_silent(session, now=later + timedelta(hours=2, minutes=1)) == []
        [recovered] = health.list_tickets(session, include_closed=True)[-1:]
        assert recovered.resolution and "heard from again" in recovered.resolution


def test_inspection_recorded_and_failure_opens_ticket(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C6 — start-of-shift inspection record; a problem opens a trouble ticket
    make_camera("car-2", kind=CameraKind.MOBILE)
    with database.unit_of_work() as session:
        good = health.record_inspection(session, camera_id="car-2", actor="user:officer",
                                        checklist=dict.fromkeys(health.CHECKLIST, True), now=NOW)
        bad = health.record_inspection(
            session, camera_id="car-2", actor="user:officer", notes="lens dirty", now=NOW,
            checklist={**dict.fromkeys(health.CHECKLIST, True), "camera_clean_and_aimed": False})
        assert good.ok and good.ticket_id is None
        assert not bad.ok and bad.ticket_id is not None
        assert [i.id for i in health.inspections(session, "car-2")] == [good.id, bad.id]


def test_only_named_administrators_change_a_camera(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C7 — only administrators change configuration, audited before/after
    # REQ C2 — registry: field of view, assigned vehicle, administrators
    make_camera("car-2", kind=CameraKind.MOBILE)
    with database.unit_of_work() as session:
        admin.update_camera(session, camera_id="car-2", actor="user:root",
                            changes={"field_of_view": 60.0, "vehicle": "unit 12",
                                     "administrators": ["alice"]})
        with pytest.raises(admin.NotAdministratorError):
            admin.update_camera(session, camera_id="car-2", actor="user:bob",
                                changes={"field_of_view": 90.0})
        with pytest.raises(admin.NotAdministratorError):
            masks.set_mask(session, name="m", kind=MaskKind.IMAGE, polygon=DRIVEWAY,
                           camera_id="car-2", actor="user:bob", reason="nope")
        admin.update_camera(session, camera_id="car-2", actor="user:alice",
                            changes={"field_of_view": 90.0})
        camera = session.get(Camera, "car-2")
        assert camera is not None and camera.field_of_view == 90.0
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.CAMERA_UPDATE)).first()
        assert entry is not None and "before" in str(entry.details)


def test_data_user_cannot_change_a_camera_and_cameras_send_heartbeats(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C7 — a Data User is refused; REQ C6 — heartbeat by the camera's own key
    from fastapi.testclient import TestClient

    from alpr.api.app import create_app
    from alpr.api.deps import Principal, current_principal
    from alpr.users.permissions import Role, permissions_for

    _, key = make_camera()
    app = create_app()
    with TestClient(app) as client:
        beat = client.post("/api/v1/cameras/heartbeat", json={"frames_per_second": 12},
                           headers={"Authorization": f"Bearer {key}"})
        assert beat.status_code == 200, beat.text
        app.dependency_overrides[current_principal] = lambda: Principal(
            kind="user", id="dana", organization="Test PD",
            permissions=permissions_for([Role.DATA_USER]))
        body = {"name": "d", "kind": "image", "polygon": DRIVEWAY, "camera_id": "cam-1",
                "reason": "driveway"}
        assert client.put("/api/v1/cameras/masks", json=body).status_code == 403
        assert client.patch("/api/v1/cameras/cam-1", json={"field_of_view": 5}).status_code == 403
    with database.unit_of_work() as session:
        camera = session.get(Camera, "cam-1")
        assert camera is not None and camera.last_heartbeat_at is not None
