"""The camera registry: keys issued once and stored hashed; every change audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras.models import Camera
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import (
    CameraError,
    camera_for_key,
    disable_camera,
    hash_api_key,
    register_camera,
)
from alpr.db.session import Database
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory


def test_key_is_returned_once_and_only_its_hash_is_kept(
    database: Database, make_camera: CameraFactory
) -> None:
    camera, key = make_camera()
    with database.unit_of_work() as session:
        row = session.get(Camera, camera.id)
        assert row is not None
        assert row.api_key_hash == hash_api_key(key)
        assert key not in row.api_key_hash
        found = camera_for_key(session, key)
        assert found is not None and found.id == camera.id
        assert camera_for_key(session, key + "x") is None


def test_registration_and_disabling_are_audited(
    database: Database, make_camera: CameraFactory
) -> None:
    make_camera()
    with database.unit_of_work() as session:
        disable_camera(session, camera_id="cam-1", actor="admin", reason="vandalized")
        events = [(e.event, e.actor) for e in session.scalars(select(AuditEntry))]
        assert camera_for_key(session, "anything") is None
    assert events == [(AuditEvent.CAMERA_REGISTER, "test"), (AuditEvent.CAMERA_DISABLE, "admin")]


@pytest.mark.parametrize(
    ("camera", "message"),
    [
        (CameraIn(id="f", name="f", kind="fixed", agency="PD"), "needs its location"),
        (CameraIn(id="m", name="m", kind="mobile", agency="PD", lat=1.0), "both lat and lon"),
    ],
)
def test_incomplete_cameras_are_refused(
    database: Database, camera: CameraIn, message: str
) -> None:
    with pytest.raises(CameraError, match=message), database.unit_of_work() as session:
        register_camera(session, camera=camera, actor="test")


def test_duplicate_ids_are_refused(database: Database, make_camera: CameraFactory) -> None:
    make_camera()
    with pytest.raises(CameraError, match="already exists"):
        make_camera()


@pytest.fixture
def admin_client(database: Database) -> Iterator[TestClient]:
    app = create_app()
    # User accounts and logins arrive with issue 5; here we stand in a System Administrator.
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="admin", organization="Test PD",
        permissions=permissions_for([Role.SYSTEM_ADMINISTRATOR]),
    )
    with TestClient(app) as client:
        yield client


def test_cameras_api_registers_lists_and_disables(admin_client: TestClient) -> None:
    # REQ C7 — configuration changes by administrators only, through the same services
    body = {"id": "cam-7", "name": "Main St", "kind": "fixed", "agency": "Test PD",
            "lat": 37.8, "lon": -122.2}
    created = admin_client.post("/api/v1/cameras", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["api_key"].startswith("alpr_cam_")
    assert admin_client.post("/api/v1/cameras", json=body).status_code == 409
    listed = admin_client.get("/api/v1/cameras").json()
    assert [c["id"] for c in listed] == ["cam-7"]
    assert "api_key" not in listed[0]
    disabled = admin_client.post("/api/v1/cameras/cam-7/disable", json={"reason": "moved"})
    assert disabled.json()["active"] is False
    bad = admin_client.post("/api/v1/cameras", json={**body, "id": "bad id!"})
    assert bad.status_code == 422
