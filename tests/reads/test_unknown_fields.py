"""Tolerant, never silent: a field alpr does not know is kept with the read (bounded),
never a reason to refuse it; a known field with a wrong value still is, alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.reads.extra import LIMIT_BYTES, TRUNCATED, bounded_json
from alpr.reads.models import Read
from tests.helpers import CameraFactory


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def read(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "plate": "8XYZ789", "confidence": 0.9,
            "captured_at": (utcnow() - timedelta(seconds=5)).isoformat(), **fields}


def test_unknown_fields_are_kept_and_a_wrong_known_field_rejects_only_its_read(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C2 — nothing a camera sends is lost for a field alpr does not know
    _, key = make_camera()
    reads = [read(fps=15, vehicle_body_type="sedan", nested={"a": [1, 2]}),
             read(confidence="very", fps=15), read(heading=400), read()]
    response = client.post("/api/v1/reads", json={"reads": reads},
                           headers={"Authorization": f"Bearer {key}"})
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert results[1]["reason"].startswith("confidence:")
    assert results[2]["reason"].startswith("heading:")
    with database.unit_of_work() as session:
        kept = {str(r.id): r.source_extra for r in session.scalars(select(Read))}
    assert json.loads(kept[reads[0]["id"]] or "{}") == {
        "fps": 15, "vehicle_body_type": "sedan", "nested": {"a": [1, 2]}}
    assert kept[reads[3]["id"]] is None


def test_heartbeats_with_unknown_fields_are_taken_and_kept(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C6
    camera, key = make_camera()
    for path in ("/api/v1/cameras/heartbeat", f"/api/v1/cameras/{camera.id}/heartbeat"):
        response = client.post(path, headers={"Authorization": f"Bearer {key}"},
                               json={"frames_per_second": 12, "fps": 12, "cpu_temp": 61.5})
        assert response.status_code == 200, response.text
    with database.unit_of_work() as session:
        row = session.get(Camera, camera.id)
        assert row is not None
        assert json.loads(row.last_heartbeat or "{}")["extra"] == {"fps": 12, "cpu_temp": 61.5}
    wrong = client.post("/api/v1/cameras/heartbeat", headers={"Authorization": f"Bearer {key}"},
                        json={"disk_free_percent": 140, "fps": 1})
    assert wrong.status_code == 422 and "disk_free_percent" in wrong.text


@pytest.mark.parametrize("extra", [
    {"blob": "x" * 100_000},
    {f"k{n}": "y" * 1000 for n in range(100)},
    {"x" * 40_000: 1},
])
def test_the_raw_record_is_bounded(extra: dict[str, Any]) -> None:
    text = bounded_json(extra)
    assert text is not None and len(text.encode()) <= LIMIT_BYTES
    assert TRUNCATED in json.loads(text)


def test_a_huge_unknown_field_is_bounded_in_storage(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    _, key = make_camera()
    body = read(debug="z" * 200_000, fps=10)
    response = client.post("/api/v1/reads", json={"reads": [body]},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.json()["accepted"] == 1
    with database.unit_of_work() as session:
        stored = session.scalars(select(Read.source_extra)).one()
    assert stored is not None and len(stored.encode()) <= LIMIT_BYTES
    assert json.loads(stored) == {"fps": 10, TRUNCATED: ["debug"]}
