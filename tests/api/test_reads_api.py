"""POST /api/v1/reads with a camera key; deny by default everywhere else."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import check_every_route_guarded, create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras.service import disable_camera
from alpr.db.base import utcnow
from alpr.db.session import Database
from tests.helpers import CameraFactory, jpeg


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def read(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "plate": "8XYZ789",
        "confidence": 0.91,
        "captured_at": (utcnow() - timedelta(seconds=30)).isoformat(),
    }
    data.update(overrides)
    return data


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def denials(database: Database) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.event == AuditEvent.API_AUTH_DENIED)
        ))


def test_camera_posts_a_json_batch_with_base64_images(
    client: TestClient, make_camera: CameraFactory
) -> None:
    # REQ C2 — reads with their images arrive over HTTP from an authenticated camera
    _, key = make_camera()
    image = base64.b64encode(jpeg()).decode()
    body = {"reads": [read(plate_image=image), read(plate="$$"), read(plate_image="@@@")]}
    response = client.post("/api/v1/reads", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    report = response.json()
    assert [r["status"] for r in report["results"]] == ["accepted", "rejected", "rejected"]
    assert "plate" in report["results"][1]["reason"]
    assert report["results"][2]["reason"] == "plate_image: not valid base64"
    again = client.post("/api/v1/reads", json={"reads": body["reads"][:1]}, headers=auth(key))
    assert again.json()["results"][0]["status"] == "duplicate"


def test_camera_posts_multipart_with_image_files(
    client: TestClient, make_camera: CameraFactory
) -> None:
    _, key = make_camera()
    reads = [read(plate_image="p1", vehicle_image="v1"), read(plate_image="missing")]
    response = client.post(
        "/api/v1/reads",
        data={"reads": json.dumps({"reads": reads})},
        files=[("p1", ("p1.jpg", jpeg(), "image/jpeg")),
               ("v1", ("v1.jpg", jpeg((1, 2, 3), (120, 80)), "image/jpeg"))],
        headers=auth(key),
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1] == {"index": 1, "id": reads[1]["id"], "status": "rejected",
                          "reason": "plate_image: no file part named 'missing'"}


def test_no_key_or_a_wrong_key_is_refused_and_audited(
    client: TestClient, database: Database, make_camera: CameraFactory
) -> None:
    camera, key = make_camera()
    assert client.post("/api/v1/reads", json={"reads": []}).status_code == 401
    assert client.post("/api/v1/reads", json={"reads": []},
                       headers=auth("alpr_cam_wrong")).status_code == 401
    with database.unit_of_work() as session:
        disable_camera(session, camera_id=camera.id, actor="test", reason="stolen unit")
    assert client.post("/api/v1/reads", json={"reads": []}, headers=auth(key)).status_code == 401
    reasons = [entry.details["reason"] for entry in denials(database)]
    assert reasons == ["no credentials", "unknown or disabled credentials",
                       "unknown or disabled credentials"]


def test_a_camera_key_cannot_manage_cameras(
    client: TestClient, database: Database, make_camera: CameraFactory
) -> None:
    # REQ C7 — only administrators change configuration
    _, key = make_camera()
    response = client.get("/api/v1/cameras", headers=auth(key))
    assert response.status_code == 403
    assert "cameras:manage" in response.json()["detail"]
    assert denials(database)[-1].actor == "camera:cam-1"


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b'{"reads": 5}', 422), (b"[]", 422)],
)
def test_malformed_batches_get_a_clear_error(
    client: TestClient, make_camera: CameraFactory, body: bytes, status: int
) -> None:
    _, key = make_camera()
    response = client.post("/api/v1/reads", content=body,
                           headers={**auth(key), "Content-Type": "application/json"})
    assert response.status_code == status
    assert response.json()["detail"]


def test_oversized_batch_is_refused(client: TestClient, make_camera: CameraFactory) -> None:
    _, key = make_camera()
    response = client.post("/api/v1/reads", json={"reads": [{}] * 1001}, headers=auth(key))
    assert response.status_code == 413


def test_health_is_public(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_an_unguarded_route_stops_the_app_from_starting() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/leak")
    def leak() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="/leak"):
        check_every_route_guarded(app)
