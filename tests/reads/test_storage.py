"""PostgreSQL storage: daily partitions on demand, and the COPY fast path's fallback."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from alpr.db.session import Database
from alpr.reads.partitions import ensure_partitions, existing_partitions, partition_name
from alpr.reads.storage import insert_reads
from tests.helpers import CameraFactory

pytestmark = pytest.mark.postgres_only


def row(captured_at: datetime, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": uuid.uuid4(), "captured_at": captured_at, "received_at": captured_at,
        "plate": "7ABC123", "plate_normalized": "7ABC123", "plate_confusion": "7A8C123",
        "confidence": 0.9, "region": "CA",
        "camera_id": "cam-1", "lat": 37.8, "lon": -122.27, "heading": None,
        "plate_image": None, "vehicle_image": None, "vehicle_color": None,
        "vehicle_make": None, "vehicle_model": None, "logically_deleted_at": None,
    }
    data.update(overrides)
    return data


def test_partitions_are_created_per_day_on_demand(
    database: Database, make_camera: CameraFactory
) -> None:
    make_camera()
    days = [datetime(2031, 5, d, 23, 59, tzinfo=UTC) for d in (1, 2, 4)]
    with database.unit_of_work() as session:
        assert partition_name(date(2031, 5, 1)) not in existing_partitions(session)
        insert_reads(session, [row(at) for at in days])
        names = existing_partitions(session)
        assert {"reads_p20310501", "reads_p20310502", "reads_p20310504"} <= set(names)
        assert "reads_p20310503" not in names
        # each row lives in the partition of its UTC day
        placed = session.execute(
            text("SELECT tableoid::regclass::text, captured_at FROM reads ORDER BY captured_at")
        ).all()
        assert [name for name, _ in placed] == ["reads_p20310501", "reads_p20310502",
                                                "reads_p20310504"]
        assert ensure_partitions(session, [date(2031, 5, 1)]) == []  # already there


def test_partition_bounds_are_utc_days(database: Database, make_camera: CameraFactory) -> None:
    make_camera()
    just_before_midnight = datetime(2031, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)
    with database.unit_of_work() as session:
        insert_reads(session, [row(just_before_midnight),
                               row(just_before_midnight + timedelta(microseconds=1))])
        placed = session.scalars(
            text("SELECT tableoid::regclass::text FROM reads ORDER BY captured_at")
        ).all()
    assert placed == ["reads_p20310601", "reads_p20310602"]


def test_copy_falls_back_when_another_writer_stored_a_read_first(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C5 — uploads retried by several workers are stored once, nothing lost
    make_camera()
    at = datetime(2031, 7, 1, 12, tzinfo=UTC)
    raced = row(at)
    with database.unit_of_work() as session:
        insert_reads(session, [raced])
    fresh = [row(at), row(at)]
    with database.unit_of_work() as session:
        inserted = insert_reads(session, [dict(raced), *fresh])
        count = session.scalar(text("SELECT count(*) FROM reads"))
    assert inserted == {fresh[0]["id"], fresh[1]["id"]}
    assert count == 3
