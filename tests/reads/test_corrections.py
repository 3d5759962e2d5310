"""Misread corrections (REQ A5): original kept, change audited, corrected plate matched."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import load_preset
from alpr.reads.corrections import CorrectionError, correct_read
from alpr.reads.images import ImageStore
from alpr.reads.models import Read, ReadCorrection
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_corrected_misread_keeps_the_original_and_is_matched_again(
    database: Database, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ A5 — corrected by authorized staff, original kept, change audited
    make_camera()
    policy = load_preset("oakland")
    read_id = uuid.uuid4()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy, now=NOW)
        import_entries(session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
                       now=NOW, parsed=parse_clew("DATE\n7ABC123 CA0120260101\n"
                                                  "TOTAL RECORD 0000001\n",
                                                  table="svs"))
        report = ingest(session, [IngestItem({
            "id": str(read_id), "plate": "7ARC128", "confidence": 0.6, "camera_id": "cam-1",
            "captured_at": (NOW - timedelta(minutes=1)).isoformat()})],
            actor="camera:cam-1", policy=policy, images=images, now=NOW)
        assert report.alerts == []  # two characters off: no hit
        done = correct_read(session, read_id=read_id, plate="7abc123",
                            reason="plate image clearly shows 7ABC123", actor="alpr-admin",
                            now=NOW)
        read = session.scalars(select(Read)).one()
        corrections = session.scalars(select(ReadCorrection)).all()
        audited = session.scalars(select(AuditEntry).where(AuditEntry.event == "read:correct")
                                  ).one()
    assert (read.plate, read.plate_normalized) == ("7ARC128", "7ABC123")
    assert [(c.original_plate, c.corrected_plate, c.corrected_by) for c in corrections] == [
        ("7ARC128", "7ABC123", "alpr-admin")]
    assert audited.details["from"] == "7ARC128"
    assert [a.plate_listed for a in done.alerts] == ["7ABC123"]


def test_corrections_need_a_reason_a_plate_and_a_read(
    database: Database, make_camera: CameraFactory
) -> None:
    with database.unit_of_work() as session:
        with pytest.raises(CorrectionError, match="say why"):
            correct_read(session, read_id=uuid.uuid4(), plate="X", reason="", actor="a")
        with pytest.raises(CorrectionError, match="no read"):
            correct_read(session, read_id=uuid.uuid4(), plate="7ABC123", reason="misread",
                         actor="a")
