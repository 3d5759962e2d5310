"""Evidence packages (REQ R6) and downloads with destruction deadlines (REQ R7)."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.policy import Duration, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.retention import evidence
from alpr.search.purpose import PurposeIn, validate_purpose
from tests.helpers import CameraFactory, jpeg

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
BASE = load_preset("oakland")
POLICY = BASE.model_copy(update={"retention": BASE.retention.model_copy(
    update={"downloaded_data_destroy_after": Duration(days=90)})})
PURPOSE = validate_purpose(PurposeIn(
    category=POLICY.search.permitted_purposes[0].code, case_number="26-004512",
    on_behalf_of="Det. Ortiz", attests_standard=True, attests_prohibited_uses=True),
    policy=POLICY)


def test_package_verifies_and_any_changed_byte_is_found(
    database: Database, images: ImageStore, make_camera: CameraFactory, tmp_path: Path
) -> None:
    # REQ R6 — reads, images, manifest with hashes, who/when/case/purpose, signed
    make_camera()
    read_id = uuid.uuid4()
    with database.unit_of_work() as session:
        ingest(session, [IngestItem({"id": str(read_id), "plate": "7ABC123", "confidence": 0.9,
                                     "camera_id": "cam-1", "plate_image": "p",
                                     "captured_at": (T0 - timedelta(hours=1)).isoformat()},
                                    images={"plate_image": jpeg()})],
               actor="t", policy=POLICY, images=images, now=T0)
        key = evidence.evidence_key(tmp_path)
        data, download = evidence.export_package(
            session, read_ids=[read_id], purpose=PURPOSE, actor="user:ortiz",
            organization="OPD", images=images, key=key, policy=POLICY, now=T0)
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "evidence:export")).one()
    assert evidence.verify_package(data, key=key) == []
    assert audited.details["plates"] == ["7ABC123"] and "26-004512" in (audited.purpose or "")
    package = zipfile.ZipFile(io.BytesIO(data))
    image_name = next(n for n in package.namelist() if n.startswith("images/"))
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as copy:
        for name in package.namelist():
            content = package.read(name)
            if name == image_name:
                content = content[:100] + bytes([content[100] ^ 1]) + content[101:]
            copy.writestr(name, content)
    assert evidence.verify_package(tampered.getvalue(), key=key) == [
        f"{image_name}: content changed (SHA-256 differs)"]
    assert evidence.verify_package(data, key=evidence.evidence_key(tmp_path / "other")) == [
        "manifest signature does not match: the manifest was changed"]
    # REQ R7 — the download is recorded with its destruction deadline, and reported overdue
    assert download.destroy_by == T0 + timedelta(days=90)
    with database.unit_of_work() as session:
        assert evidence.overdue_downloads(session, now=T0 + timedelta(days=89)) == []
        overdue = evidence.overdue_downloads(session, now=T0 + timedelta(days=91))
        assert [d.id for d in overdue] == [download.id]
        evidence.record_destroyed(session, download_id=download.id, actor="user:ortiz",
                                  now=T0 + timedelta(days=92))
        assert evidence.overdue_downloads(session, now=T0 + timedelta(days=93)) == []
