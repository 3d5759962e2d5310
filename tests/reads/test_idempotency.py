"""Idempotency by the read id alone (issue 18.8): a resend with changed fields is a duplicate.

`reads` is partitioned by day on PostgreSQL, so its key is (id, captured_at); the same id
sent again with another capture time used to be stored again and to alert again. Each
path that stores reads (ingest service, API, JSONL import, capture) is tried here, and
the routine jobs (retention purge) run between the send and the check.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alpr.api.app import create_app
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Duration, Policy
from alpr.reads.corrections import correct_read
from alpr.reads.images import ImageStore
from alpr.reads.importer import import_jsonl
from alpr.reads.models import Read, ReadId
from alpr.reads.schemas import ItemStatus
from alpr.reads.service import IngestItem, ingest
from alpr.retention.purge import drop_detached, purge
from tests.helpers import CameraFactory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def read(read_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(read_id), "plate": "HIT0001", "confidence": 0.9, "camera_id": "cam-1",
        "captured_at": (NOW - timedelta(minutes=5)).isoformat(),
    }
    data.update(overrides)
    return data


def hot_list(database: Database, policy: Policy, *plates: str) -> None:
    rows = "".join(f"{p:<8}CA0120260101\n" for p in plates)
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="t", policy=policy, now=NOW)
        import_entries(session, list_name="svs", actor="t", policy=policy, file_name="f",
                       now=NOW, parsed=parse_clew(
                           f"DATE\n{rows}TOTAL RECORD {len(plates):07d}\n", table="svs"))


def send(database: Database, policy: Policy, images: ImageStore, *reads: dict[str, Any]
         ) -> list[tuple[ItemStatus, str | None, int]]:
    with database.unit_of_work() as session:
        report = ingest(session, [IngestItem(r) for r in reads], actor="t", policy=policy,
                        images=images, now=NOW)
    return [(r.status, r.reason, len(report.alerts)) for r in report.results]


def counts(database: Database, read_id: uuid.UUID) -> tuple[int, int, int]:
    with database.unit_of_work() as session:
        return (
            session.scalar(select(func.count()).select_from(Read).where(Read.id == read_id))
            or 0,
            session.scalar(select(func.count()).select_from(Alert)
                           .where(Alert.read_id == read_id)) or 0,
            session.scalar(select(func.count()).select_from(ReadId)
                           .where(ReadId.id == read_id)) or 0,
        )


# Every way a resend can differ from the stored read: it stays the same read.
CHANGES: list[dict[str, Any]] = [
    {"captured_at": (NOW - timedelta(minutes=1)).isoformat()},
    {"captured_at": (NOW - timedelta(days=3)).isoformat()},  # another day: another partition
    # the same instant written with another offset
    {"captured_at": (NOW - timedelta(minutes=5)).astimezone(
        timezone(timedelta(hours=-8))).isoformat()},
    {"plate": "HIT 0001"},
    {"plate": "OTHER01"},
    {"confidence": 0.5, "lat": 37.0, "lon": -122.0},
]


@pytest.mark.parametrize("change", CHANGES)
def test_a_resend_with_changed_fields_is_a_duplicate_and_alerts_once(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory,
    change: dict[str, Any],
) -> None:
    # REQ A1 — a resent read never alerts twice; REQ C5 — edge units retry safely
    make_camera()
    hot_list(database, policy, "HIT0001")
    read_id = uuid.uuid4()
    first = send(database, policy, images, read(read_id))
    assert first == [(ItemStatus.ACCEPTED, None, 1)]
    again = send(database, policy, images, read(read_id, **change))
    status, reason, alerts = again[0]
    assert (status, alerts) == (ItemStatus.DUPLICATE, 0)
    assert reason is not None and "already stored" in reason
    # the same id twice in one batch, with different times: one stored, one reported
    other = uuid.uuid4()
    inside = send(database, policy, images, read(other), read(other, **change))
    assert [s for s, _, _ in inside] == [ItemStatus.ACCEPTED, ItemStatus.DUPLICATE]
    assert inside[1][1] is not None and "repeated in this batch" in inside[1][1]
    assert counts(database, read_id) == (1, 1, 1)
    assert counts(database, other) == (1, 1, 1)
    # corrections on that id then work (they failed with MultipleResultsFound)
    with database.unit_of_work() as session:
        done = correct_read(session, read_id=read_id, plate="FIX0001", reason="misread 0/O",
                            actor="user:sup", now=NOW)
    assert done.correction.original_plate == "HIT0001"


def test_the_api_and_the_import_report_the_resend_as_a_duplicate(
    database: Database, policy: Policy, make_camera: CameraFactory, tmp_path: Path,
    images: ImageStore,
) -> None:
    # REQ C5 — the same read through API, then import, then API again: stored once
    _, key = make_camera()
    read_id = uuid.uuid4()
    at = utcnow() - timedelta(minutes=2)
    with TestClient(create_app()) as client:
        sent = client.post("/api/v1/reads", headers={"Authorization": f"Bearer {key}"},
                           json={"reads": [read(read_id, captured_at=at.isoformat())]})
        assert sent.json()["results"][0]["status"] == "accepted", sent.text
        resent = client.post("/api/v1/reads", headers={"Authorization": f"Bearer {key}"},
                             json={"reads": [read(read_id, captured_at=(
                                 at - timedelta(hours=5)).isoformat())]})
    result = resent.json()["results"][0]
    assert (result["status"], "already stored" in result["reason"]) == ("duplicate", True)
    file = tmp_path / "reads.jsonl"
    file.write_text(json.dumps(read(read_id, captured_at=(at - timedelta(days=1)).isoformat()))
                    + "\n")
    summary = import_jsonl(file, actor="t", policy=policy, images=images)
    assert (summary.accepted, summary.duplicates) == (0, 1)
    assert counts(database, read_id)[0] == 1


def test_the_purge_removes_a_days_ids_with_its_reads(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory
) -> None:
    # REQ R1 — a purged read leaves nothing behind, not even its id
    make_camera()
    short = policy.model_copy(update={"retention": policy.retention.model_copy(update={
        "delete_after": Duration(days=30), "minimum_keep": None,
        "logical_delete_after": None})})
    old, recent = uuid.uuid4(), uuid.uuid4()
    send(database, short, images, read(old, captured_at=(NOW - timedelta(days=2)).isoformat()),
         read(recent))
    later = NOW + timedelta(days=29)
    with database.unit_of_work() as session:
        purge(session, policy=short, now=later)
        drop_detached(session, later)
    assert counts(database, old) == (0, 0, 0)
    assert counts(database, recent) == (1, 0, 1)


@pytest.mark.postgres_only
def test_parallel_resends_with_other_times_are_stored_once(
    database: Database, committed: Database, policy: Policy, images: ImageStore
) -> None:
    # REQ C5 — several workers storing the same read id at once (broker redelivery, retries)
    with committed.unit_of_work() as session:
        register_camera(session, actor="t", camera=CameraIn(
            id="cam-1", name="c", kind="fixed", agency="PD", lat=37.8, lon=-122.2))
    hot_list(committed, policy, "HIT0001")
    ids = [uuid.uuid4() for _ in range(5)]
    barrier = threading.Barrier(8)
    statuses: list[ItemStatus] = []
    failures: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            batch = [read(i, captured_at=(NOW - timedelta(hours=offset, minutes=1)).isoformat())
                     for i in ids]
            barrier.wait(10)
            statuses.extend(s for s, _, _ in send(committed, policy, images, *batch))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert statuses.count(ItemStatus.ACCEPTED) == len(ids)
    assert statuses.count(ItemStatus.DUPLICATE) == 7 * len(ids)
    for read_id in ids:
        assert counts(committed, read_id) == (1, 1, 1)
