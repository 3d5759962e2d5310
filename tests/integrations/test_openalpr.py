"""OpenALPR / Rekor Scout agent webhook: what the agent POSTs, to a running server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.integrations.links import link_camera
from alpr.reads.images import ImageStore
from tests.helpers import CameraFactory
from tests.integrations.conftest import StoredReads
from tests.integrations.payloads import openalpr_group, openalpr_heartbeat, openalpr_results


def url(key: str) -> str:
    return f"/api/v1/integrations/openalpr/{key}"


def test_alpr_group_is_stored_matched_and_alerted_with_images_and_attributes(
    client: TestClient, make_camera: CameraFactory, hot_list: str, stored: StoredReads,
    alerts: Callable[[], list[Alert]], images: ImageStore,
) -> None:
    # REQ C2, C3, A1 — a foreign camera's read: images, time, place, camera, attributes
    _, key = make_camera("gate-1")
    when = utcnow() - timedelta(seconds=20)
    response = client.post(url(key), json=openalpr_group(when, plate=hot_list))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    [read] = stored()
    assert (read.plate_normalized, read.camera_id, read.region) == (hot_list, "gate-1", "CA")
    assert abs((read.captured_at - when).total_seconds()) < 0.01
    assert (read.lat, read.lon, read.location_source) == (37.8101, -122.2702, "device")
    assert read.heading == 182.0 and read.confidence == pytest.approx(0.912)
    assert (read.vehicle_color, read.vehicle_make, read.vehicle_model) == (
        "white", "toyota", "camry")
    assert read.plate_image and read.vehicle_image
    assert images.get(read.vehicle_image, read.captured_at.date())[:2] == b"\xff\xd8"
    extra = json.loads(read.source_extra or "{}")
    assert extra["source"] == "openalpr" and extra["vehicle"]["body_type"][0]["name"]
    assert "vehicle_crop_jpeg" not in extra and "plate_crop_jpeg" not in extra["best_plate"]
    [alert] = alerts()
    assert (alert.plate_read, alert.camera_id) == (hot_list, "gate-1")
    # The agent resends (and an alpr_alert wraps the same group): one read, one alert.
    again = client.post(url(key), json={"data_type": "alpr_alert", "agent_uid": "AGENT01",
                                        "alert_list": "Stolen", "plate_number": hot_list,
                                        "group": openalpr_group(when, plate=hot_list)})
    assert again.json()["duplicates"] == 1
    assert len(stored()) == 1 and len(alerts()) == 1


def test_alpr_results_store_each_plate_of_the_frame(
    client: TestClient, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    _, key = make_camera("gate-1")
    body = openalpr_results(utcnow() - timedelta(seconds=5), ["8XYZ789", "5DEF456"])
    response = client.post(url(key), json=body)
    assert response.json()["accepted"] == 2, response.text
    reads = stored()
    assert sorted(r.plate for r in reads) == ["5DEF456", "8XYZ789"]
    assert all(r.plate_image and r.location_source == "camera" for r in reads)


def test_agent_camera_is_mapped_by_agent_and_number_within_the_agency(
    client: TestClient, database: Database, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    # One upload address per agent: its cameras are told apart by the link table.
    _, key = make_camera("gate-1")
    make_camera("gate-2", lat=37.7, lon=-122.1)
    with database.unit_of_work() as session:
        link_camera(session, source="openalpr", external_id="AGENT01/4711", camera_id="gate-2",
                    actor="admin")
    response = client.post(url(key), json=openalpr_group(utcnow() - timedelta(seconds=5)))
    assert response.json()["accepted"] == 1, response.text
    assert [r.camera_id for r in stored()] == ["gate-2"]
    # A link into another agency's camera is refused, never written there.
    with database.unit_of_work() as session:
        session.get(Camera, "gate-2").agency = "Other PD"  # type: ignore[union-attr]
    refused = client.post(url(key), json=openalpr_group(utcnow() - timedelta(seconds=4),
                                                        best_uuid="x2"))
    assert refused.status_code == 422
    assert "not of the sender's agency" in refused.text


def test_heartbeat_keeps_the_streaming_camera_alive_and_drops_the_stream_url(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C6 — the agent's per-camera health reaches the heartbeat service
    camera, key = make_camera("gate-1")
    response = client.post(url(key), json=openalpr_heartbeat(utcnow()))
    assert response.json() == {"status": "ok", "cameras": ["gate-1"], "problems": []}
    with database.unit_of_work() as session:
        row = session.get(Camera, camera.id)
        assert row is not None and row.last_heartbeat_at is not None
        assert "secret" not in (row.last_heartbeat or "")
        assert json.loads(row.last_heartbeat or "{}")["frames_per_second"] == 15
    down = openalpr_heartbeat(utcnow())
    down["video_streams"][0]["is_streaming"] = False
    assert client.post(url(key), json=down).json()["cameras"] == []


def test_the_test_ping_answers_200(client: TestClient, make_camera: CameraFactory) -> None:
    _, key = make_camera()
    response = client.post(url(key), json={"openalpr_webhook": "test"})
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_a_wrong_key_is_refused_and_audited_without_the_key(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    make_camera()
    response = client.post(url("alpr_cam_guessed"), json={"openalpr_webhook": "test"})
    assert response.status_code == 401
    with database.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.API_AUTH_DENIED)).all()[-1]
    assert "guessed" not in json.dumps(entry.details)


BAD_GROUPS: list[tuple[dict[str, Any], str]] = [
    ({"best_confidence": "high"}, "best_confidence: expected a number"),
    ({"best_confidence": 140}, "best_confidence: 140"),
    ({"best_plate_number": None}, "best_plate_number: required"),
    ({"best_plate_number": ["7ABC123"]}, "best_plate_number: expected text"),
    ({"epoch_start": "yesterday"}, "epoch_start: expected a number"),
    ({"gps_latitude": 123.0}, "gps_latitude: 123.0 is outside"),
    ({"vehicle_crop_jpeg": "@@not base64@@"}, "vehicle_crop_jpeg: not valid base64"),
    ({"best_plate": {"plate": "X", "coordinates": [{"x": "a", "y": 1}]}},
     "best_plate.coordinates[0].x: expected a number"),
    ({"candidates": "7ABC123"}, "candidates: expected a list"),
    ({"best_plate_number": "$$"}, "plate:"),
]


@pytest.mark.parametrize(("change", "reason"), BAD_GROUPS)
def test_a_wrong_field_rejects_the_read_with_the_field_named(
    client: TestClient, make_camera: CameraFactory, stored: StoredReads,
    change: dict[str, Any], reason: str,
) -> None:
    _, key = make_camera()
    response = client.post(url(key), json=openalpr_group(utcnow(), **change))
    assert response.status_code == 422
    assert reason in response.json()["detail"]["reasons"][0]
    assert stored() == []


def test_a_bad_plate_in_a_frame_rejects_only_that_plate(
    client: TestClient, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    _, key = make_camera()
    body = openalpr_results(utcnow(), ["8XYZ789", "5DEF456"])
    body["results"][0]["confidence"] = "?"
    report = client.post(url(key), json=body).json()
    assert [r["status"] for r in report["results"]] == ["rejected", "accepted"]
    assert report["results"][0]["reason"].startswith("results[0].confidence")
    assert [r.plate for r in stored()] == ["5DEF456"]


@pytest.mark.parametrize(("body", "status", "text"), [
    (b"{nope", 400, "not JSON"),
    (b'{"data_type": "alpr_weird"}', 422, "data_type: 'alpr_weird' is not one of"),
    (b'{"plate": "7ABC123"}', 422, "data_type: required"),
    (b"[]", 422, "body: expected a JSON object"),
])
def test_bad_payloads_get_a_clear_error(
    client: TestClient, make_camera: CameraFactory, body: bytes, status: int, text: str,
) -> None:
    _, key = make_camera()
    response = client.post(url(key), content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert text in response.text
