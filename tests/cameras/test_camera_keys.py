"""Camera keys (REQ C7): rotation with a grace period, revocation, last use; through the
service, the API and the CLI; every change audited."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras import keys
from alpr.cameras.service import CameraError, camera_for_key
from alpr.cli import app as cli
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.users.cli_session import session_file
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, cli_login


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post_read(client: TestClient, key: str) -> int:
    read = {"id": str(uuid.uuid4()), "plate": "8XYZ789", "confidence": 0.9,
            "captured_at": (utcnow() - timedelta(seconds=5)).isoformat()}
    response = client.post("/api/v1/reads", json={"reads": [read]}, headers=bearer(key))
    return int(response.status_code)


def audited(database: Database, event: AuditEvent) -> list[dict[str, Any]]:
    with database.unit_of_work() as session:
        return [e.details for e in session.scalars(
            select(AuditEntry).where(AuditEntry.event == event))]


def test_the_old_key_works_during_the_grace_period_and_never_after(
    database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C7 — a rotated key is refused once its grace period ends
    _, old = make_camera()
    start = utcnow()
    with database.unit_of_work() as session:
        new = keys.rotate_key(session, camera_id="cam-1", actor="admin",
                              grace=timedelta(hours=1), now=start).key
    cases = [(old, start + timedelta(minutes=59), True), (old, start + timedelta(hours=1), False),
             (old, start + timedelta(days=400), False), (new, start + timedelta(days=400), True)]
    with database.unit_of_work() as session:
        for key, when, works in cases:
            assert (keys.authenticate_key(session, key, now=when) is not None) is works
    assert audited(database, AuditEvent.CAMERA_KEY_ROTATE)[0]["grace_seconds"] == 3600


def test_rotate_then_revoke_through_the_api(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    _, old = make_camera()
    admin = cli_login(database, roles=(Role.SYSTEM_ADMINISTRATOR,))
    token = bearer(session_file().read_text().strip())
    rotated = client.post("/api/v1/cameras/cam-1/keys/rotate", json={"grace_hours": 1},
                          headers=token)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["api_key"]
    assert rotated.json()["old_key_valid_until"] is not None
    assert post_read(client, old) == 200 and post_read(client, new) == 200
    states = client.get("/api/v1/cameras/cam-1/keys", headers=token).json()
    assert sorted(k["state"] for k in states) == ["current", "grace"]
    assert all(k["last_used_at"] for k in states)  # both were used just now
    # End the grace at once: the old key is refused, the new one still works.
    client.post("/api/v1/cameras/cam-1/keys/revoke", headers=token,
                json={"reason": "laptop stolen", "previous_only": True})
    assert post_read(client, old) == 401 and post_read(client, new) == 200
    # Revoke everything: nothing authenticates as the camera until the next rotation.
    revoked = client.post("/api/v1/cameras/cam-1/keys/revoke", headers=token,
                          json={"reason": "unit compromised"})
    assert {k["state"] for k in revoked.json()} == {"revoked"}
    assert post_read(client, new) == 401
    newest = client.post("/api/v1/cameras/cam-1/keys/rotate", json={"grace_hours": 24},
                         headers=token).json()
    assert newest["old_key_valid_until"] is None  # a revoked key gets no grace
    assert post_read(client, newest["api_key"]) == 200
    assert post_read(client, old) == 401 and post_read(client, new) == 401
    assert [d["reason"] for d in audited(database, AuditEvent.CAMERA_KEY_REVOKE)] == [
        "laptop stolen", "unit compromised"]
    assert admin == "user:operator"


@pytest.mark.parametrize("body", [{"grace_hours": -1}, {"grace_hours": 24 * 31},
                                  {"grace_hours": "soon"}, {"grace": 1}])
def test_bad_rotation_requests_are_refused_with_the_field_named(
    client: TestClient, database: Database, make_camera: CameraFactory, body: dict[str, Any],
) -> None:
    make_camera()
    cli_login(database, roles=(Role.SYSTEM_ADMINISTRATOR,))
    response = client.post("/api/v1/cameras/cam-1/keys/rotate", json=body,
                           headers=bearer(session_file().read_text().strip()))
    assert response.status_code == 422
    assert next(iter(body)) in response.text


def test_a_camera_or_a_data_user_cannot_rotate_keys(
    client: TestClient, database: Database, make_camera: CameraFactory,
) -> None:
    # REQ C7 — only administrators change configuration
    _, key = make_camera()
    assert client.post("/api/v1/cameras/cam-1/keys/rotate", json={},
                       headers=bearer(key)).status_code == 403
    cli_login(database, username="searcher", roles=(Role.DATA_USER,))
    assert client.post("/api/v1/cameras/cam-1/keys/revoke", json={"reason": "because"},
                       headers=bearer(session_file().read_text().strip())).status_code == 403
    assert client.get("/api/v1/cameras/cam-1/keys",
                      headers=bearer(session_file().read_text().strip())).status_code == 403


def test_cli_rotate_list_revoke(database: Database, make_camera: CameraFactory) -> None:
    _, old = make_camera()
    cli_login(database)
    runner = CliRunner()
    rotated = runner.invoke(cli, ["cameras", "key", "rotate", "cam-1", "--grace-hours", "2"])
    assert rotated.exit_code == 0, rotated.output
    new = next(word for word in rotated.output.split() if word.startswith("alpr_cam_"))
    listed = runner.invoke(cli, ["cameras", "key", "list", "cam-1"])
    assert "current" in listed.output and "grace" in listed.output
    revoked = runner.invoke(cli, ["cameras", "key", "revoke", "cam-1", "--reason", "lost"])
    assert revoked.exit_code == 0 and "2 keys" in revoked.output
    with database.unit_of_work() as session:
        assert camera_for_key(session, old) is None and camera_for_key(session, new) is None
    refused = runner.invoke(cli, ["cameras", "key", "rotate", "nope"])
    assert refused.exit_code == 1 and "no camera 'nope'" in refused.output
    assert audited(database, AuditEvent.CAMERA_KEY_LIST)


def test_a_disabled_camera_gets_no_new_key(database: Database, make_camera: CameraFactory
                                           ) -> None:
    make_camera()
    from alpr.cameras.service import disable_camera
    with database.unit_of_work() as session:
        disable_camera(session, camera_id="cam-1", actor="admin", reason="retired")
    with database.unit_of_work() as session, pytest.raises(CameraError, match="disabled"):
        keys.rotate_key(session, camera_id="cam-1", actor="admin", grace=timedelta(0))
