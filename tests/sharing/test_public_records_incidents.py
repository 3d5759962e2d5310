"""Public records exports (aggregates only) and breach incident notifications."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.sharing import incidents, public_records
from tests.helpers import CameraFactory

T0 = datetime(2026, 6, 3, 12, tzinfo=UTC)


def test_public_records_export_is_counts_only(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ S9 — a request log, and counts per camera per day and hot-list hits: never a plate
    make_camera("cam-1")
    make_camera("cam-2")
    plates = ["7ABC123", "8XYZ987", "5JKL246"]
    items = [IngestItem({"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9,
                         "camera_id": camera,
                         "captured_at": (T0 - timedelta(days=day)).isoformat()})
             for plate, camera, day in ((plates[0], "cam-1", 0), (plates[1], "cam-1", 0),
                                        (plates[2], "cam-2", 1))]
    with database.unit_of_work() as session:
        ingest(session, items, actor="t", policy=policy, images=images, now=T0)
        session.add(Alert(id=uuid.uuid4(), created_at=T0, read_id=uuid.uuid4(),
                          read_captured_at=T0, camera_id="cam-1", plate_read=plates[0],
                          entry_id=1, list_id=1, list_name="SVS", source="SVS",
                          plate_listed=plates[0], state_listed="CA", reason="STOLEN",
                          match="exact"))
        request = public_records.record_request(
            session, requester="Oakland Privacy", description="ALPR volume, June 2026",
            actor="user:clerk", now=T0)
        data = public_records.export(session, request_id=request.id, start=T0 - timedelta(
            days=2), end=T0 + timedelta(days=1), actor="user:clerk", now=T0)
        audited = session.scalars(select(AuditEntry.event).where(
            AuditEntry.event.like("public-records:%")).order_by(AuditEntry.id)).all()
    text = data.decode()
    assert not any(plate in text for plate in plates)
    assert "read_id" not in text and "image" not in text
    exported = json.loads(text)
    assert exported["reads_per_camera_per_day"] == [
        {"day": "2026-06-02", "camera_id": "cam-2", "reads": 1},
        {"day": "2026-06-03", "camera_id": "cam-1", "reads": 2}]
    assert [d["hotlist_hits"] for d in exported["hotlist_hits_per_day"]] == [0, 0, 1, 0]
    assert request.status == "fulfilled"
    assert list(audited) == ["public-records:request", "public-records:export"]


def test_incident_tasks_add_the_ag_form_at_500_persons(database: Database) -> None:
    # REQ X2 — residents and the Attorney General notified; the AG form at ≥ 500 persons
    with database.unit_of_work() as session:
        small = incidents.record_incident(
            session, discovered_at=T0, description="Lost laptop", data_involved="Reads export",
            persons_affected=499, actor="user:admin", now=T0)
        large = incidents.record_incident(
            session, discovered_at=T0, description="Server intrusion",
            data_involved="Reads and images", persons_affected=500, actor="user:admin", now=T0)
        small_kinds = [t.kind for t in incidents.tasks(session, small.id)]
        large_tasks = incidents.tasks(session, large.id)
        task = large_tasks[0]
        incidents.complete_task(session, task_id=task.id, actor="user:admin",
                                now=T0 + timedelta(days=40), note="letters mailed")
        still_open = incidents.tasks(session, open_only=True)
        notified = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "incident:notify")).one()
    assert small_kinds == ["notify_residents", "notify_attorney_general"]
    assert {t.kind for t in large_tasks} == {"notify_residents", "notify_attorney_general",
                                             "ag_sample_notice_form"}
    assert all(t.due_at == T0 + incidents.NOTIFY_WITHIN for t in large_tasks)
    assert task.completed_by == "user:admin" and task not in still_open
    assert len(still_open) == 4
    assert notified.details["late"] is True
