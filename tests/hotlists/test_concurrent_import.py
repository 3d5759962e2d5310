"""A hot-list import running while reads arrive: alerts see the old list or the new one,
never a mix (REQ H2). Real concurrency needs real commits, so this test has a schema of
its own on PostgreSQL (where imports and ingest run in parallel in production)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest

import alpr.audit.service as audit_service
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest


def clew(*plates: str) -> Any:
    rows = "".join(f"{p:<8}CA0120260101\n" for p in plates)
    return parse_clew(f"DATE\n{rows}TOTAL RECORD {len(plates):07d}\n", table="svs")


def hits(database: Database, policy: Policy, images: ImageStore, plate: str) -> list[str]:
    with database.unit_of_work() as session:
        report = ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (utcnow() - timedelta(seconds=2)).isoformat()})],
            actor="camera:cam-1", policy=policy, images=images)
    return [a.plate_listed for a in report.alerts]


@pytest.mark.postgres_only
def test_ingest_during_an_import_sees_the_old_list_until_it_commits(
    committed: Database, images: ImageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ H2 — the newest import replaces the old one atomically; REQ A1 — alerts keep flowing
    policy = load_preset("oakland")
    with committed.unit_of_work() as session:
        register_camera(session, actor="t", camera=CameraIn(
            id="cam-1", name="c", kind="fixed", agency="PD", lat=37.8, lon=-122.2))
        create_list(session, name="svs", source="SVS", actor="t", policy=policy)
        import_entries(session, list_name="svs", parsed=clew("OLD0001", "OLD0002"), actor="t",
                       policy=policy, file_name="day1.tbl")

    loaded, release = threading.Event(), threading.Event()
    real_record = audit_service.record

    def record_after_pause(*args: Any, **kwargs: Any) -> Any:
        loaded.set()  # new rows written, old ones deleted, not yet committed
        assert release.wait(30)
        return real_record(*args, **kwargs)

    monkeypatch.setattr("alpr.hotlists.importing.record", record_after_pause)
    failures: list[BaseException] = []

    def import_day2() -> None:
        try:
            with committed.unit_of_work() as session:
                import_entries(session, list_name="svs", parsed=clew(*[f"NEW{n:04d}" for n in
                               range(2000)]), actor="t", policy=policy, file_name="day2.tbl")
        except BaseException as error:  # surfaced in the main thread
            failures.append(error)

    worker = threading.Thread(target=import_day2)
    worker.start()
    assert loaded.wait(30)
    during = (hits(committed, policy, images, "OLD0001"), hits(committed, policy, images,
                                                                 "NEW0001"))
    release.set()
    worker.join(30)
    assert not failures
    after = (hits(committed, policy, images, "OLD0002"), hits(committed, policy, images,
                                                                "NEW0002"))
    assert during == (["OLD0001"], [])
    assert after == ([], ["NEW0002"])
