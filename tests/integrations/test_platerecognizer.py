"""Plate Recognizer: the Snapshot-compatible reader and the webhook receiver, sent what
their clients send (HASS, frigate_plate_recognizer, Node-RED, Stream, Snapshot cloud)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import cv2
import pytest
from fastapi.testclient import TestClient

from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.integrations.links import link_camera
from tests.helpers import CameraFactory, jpeg
from tests.integrations.conftest import StoredReads
from tests.integrations.payloads import (
    pr_result_flat,
    pr_result_props,
    pr_snapshot_hook,
    pr_stream_hook,
)
from tests.recognition.scenes import plate_scene

HOOK = "/api/v1/integrations/platerecognizer"


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


@pytest.fixture(scope="module")
def scene_jpeg() -> bytes:
    frame, _ = plate_scene("7ABC123", width=180)
    ok, data = cv2.imencode(".jpg", frame)
    assert ok
    return bytes(data)


def test_snapshot_reader_answers_in_their_shape_and_stores_for_a_registered_camera(
    client: TestClient, make_camera: CameraFactory, hot_list: str, stored: StoredReads,
    alerts: Callable[[], list[Alert]], scene_jpeg: bytes,
) -> None:
    # REQ C1, C2, A1 — a HASS / frigate_plate_recognizer client pointed at alpr
    _, key = make_camera("gate")
    when = utcnow() - timedelta(seconds=3)
    form = {"regions": ["us-ca"], "camera_id": "gate", "timestamp": when.isoformat(),
            "mmc": "true", "config": json.dumps({"mode": "fast", "region": "strict"})}
    response = client.post("/v1/plate-reader/", data=form, headers=token(key),
                           files={"upload": ("gate.jpg", scene_jpeg, "image/jpeg")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"processing_time", "timestamp", "camera_id", "filename", "version",
            "results"} <= set(body)
    assert (body["camera_id"], body["filename"], body["version"]) == ("gate", "gate.jpg", 1)
    first = body["results"][0]
    assert first["plate"] == "7abc123" and 0 < first["score"] <= 1
    assert set(first["box"]) == {"xmin", "ymin", "xmax", "ymax"}
    assert first["region"]["code"] == "us-ca" and first["vehicle"]["type"]
    assert first["candidates"][0]["plate"] == "7abc123"
    assert first["model_make"] == [] and first["color"] == []  # asked for, not invented
    [read] = stored()
    assert (read.plate_normalized, read.camera_id, read.location_source) == (
        hot_list, "gate", "camera")
    assert read.vehicle_image and abs((read.captured_at - when).total_seconds()) < 0.01
    assert [a.plate_read for a in alerts()] == [hot_list]
    # A client retrying the same image stores nothing twice.
    again = client.post("/v1/plate-reader/", data=form, headers=token(key),
                        files={"upload": ("gate.jpg", scene_jpeg, "image/jpeg")})
    assert again.json()["alpr"]["duplicates"] == 1 and len(stored()) == 1


def test_snapshot_reader_takes_base64_json_and_stores_nothing_without_camera_id(
    client: TestClient, make_camera: CameraFactory, stored: StoredReads, scene_jpeg: bytes,
) -> None:
    _, key = make_camera("gate")
    response = client.post("/v1/plate-reader/", headers=token(key),
                           json={"upload": base64.b64encode(scene_jpeg).decode()})
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["plate"] == "7abc123"
    assert response.json()["camera_id"] is None and stored() == []


@pytest.mark.parametrize(("fields", "files", "status", "text"), [
    ({}, None, 400, "upload: required"),
    ({"upload": "@@@"}, None, 400, "upload: not valid base64"),
    ({"upload_url": "http://169.254.169.254/"}, None, 400, "upload_url: not supported"),
    ({}, {"upload": ("x.jpg", b"not an image", "image/jpeg")}, 400, "not a readable image"),
    ({"config": "{mode"}, {"upload": ("x.jpg", b"x", "image/jpeg")}, 400, "config: not JSON"),
    ({"timestamp": "noon"}, {"upload": ("x.jpg", b"x", "image/jpeg")}, 400,
     "timestamp: not an ISO 8601 time"),
])
def test_snapshot_reader_bad_requests_get_a_clear_error(
    client: TestClient, make_camera: CameraFactory, fields: dict[str, Any],
    files: dict[str, Any] | None, status: int, text: str,
) -> None:
    _, key = make_camera("gate")
    response = client.post("/v1/plate-reader/", data=fields, files=files, headers=token(key))
    assert response.status_code == status
    assert text in response.text


@pytest.mark.parametrize("header", [None, "Token alpr_cam_nope", "Basic dXNlcjpwYXNz"])
def test_snapshot_reader_refuses_without_a_valid_token(
    client: TestClient, make_camera: CameraFactory, header: str | None,
) -> None:
    make_camera("gate")
    headers = {"Authorization": header} if header else {}
    response = client.post("/v1/plate-reader/", headers=headers,
                           files={"upload": ("x.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 401


def _send(client: TestClient, url: str, body: dict[str, Any], encoding: str,
          headers: dict[str, str] | None = None) -> Any:
    if encoding == "json":
        return client.post(url, json=body, headers=headers)
    if encoding == "multipart":
        return client.post(url, data={"json": json.dumps(body)}, headers=headers,
                           files={"upload": ("car.jpg", jpeg((9, 99, 199), (320, 200)),
                                             "image/jpeg")})
    return client.post(url, data={"json": json.dumps(body)}, headers=headers)


@pytest.mark.parametrize("encoding", ["json", "multipart", "form"])
@pytest.mark.parametrize(("hook", "shape"), [
    (pr_snapshot_hook, pr_result_flat), (pr_stream_hook, pr_result_flat),
    (pr_snapshot_hook, pr_result_props), (pr_stream_hook, pr_result_props)])
def test_webhooks_in_every_encoding_and_shape_are_stored_and_alerted(
    client: TestClient, make_camera: CameraFactory, hot_list: str, stored: StoredReads,
    alerts: Callable[[], list[Alert]], encoding: str, hook: Callable[..., dict[str, Any]],
    shape: Callable[..., dict[str, Any]],
) -> None:
    # REQ C2, C3, A1
    _, key = make_camera("gate")
    when = utcnow() - timedelta(seconds=10)
    body = hook(when, [shape(hot_list), shape("5DEF456", 0.7)])
    response = _send(client, f"{HOOK}/{key}", body, encoding)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    reads = {r.plate_normalized: r for r in stored()}
    read = reads[hot_list]
    assert read.camera_id == "gate" and read.region == "CA" and read.heading is not None
    assert read.vehicle_color in {"blue", "red"} and read.vehicle_make in {"Honda", "Ford"}
    assert abs((read.captured_at - when).total_seconds()) < 0.01
    assert (read.vehicle_image is not None) == (encoding == "multipart")
    assert json.loads(read.source_extra or "{}")["source"] == "platerecognizer"
    assert [a.plate_read for a in alerts()] == [hot_list]
    assert _send(client, f"{HOOK}/{key}", body, encoding).json()["duplicates"] == 2


def test_stream_header_auth_and_camera_links(
    client: TestClient, database: Database, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    _, key = make_camera("gate")
    make_camera("lot-2", lat=37.7, lon=-122.2)
    with database.unit_of_work() as session:
        link_camera(session, source="platerecognizer", external_id="camera-north",
                    camera_id="lot-2", actor="admin")
    body = pr_stream_hook(utcnow(), [pr_result_flat("8XYZ789")], camera="camera-north")
    assert client.post(HOOK, json=body).status_code == 401
    response = client.post(HOOK, json=body, headers=token(key))
    assert response.status_code == 200, response.text
    assert [r.camera_id for r in stored()] == ["lot-2"]


@pytest.mark.parametrize(("change", "text"), [
    ({"score": "0.9"}, None),  # a number as text is still a number
    ({"score": 1.7}, "results[0].score: 1.7 is outside"),
    ({"plate": None}, "results[0].plate: required"),
    ({"box": {"xmin": 5, "ymin": 1, "xmax": 2, "ymax": 9}}, "results[0].box: xmax/ymax"),
    ({"direction": "north"}, "results[0].direction: expected a number"),
])
def test_a_wrong_result_field_rejects_that_read_only(
    client: TestClient, make_camera: CameraFactory, stored: StoredReads,
    change: dict[str, Any], text: str | None,
) -> None:
    _, key = make_camera("gate")
    body = pr_stream_hook(utcnow(), [pr_result_flat("8XYZ789") | change,
                                     pr_result_flat("5DEF456")])
    report = client.post(f"{HOOK}/{key}", json=body).json()
    statuses = [r["status"] for r in report["results"]]
    if text is None:
        assert statuses == ["accepted", "accepted"]
        return
    assert statuses == ["rejected", "accepted"]
    assert text in report["results"][0]["reason"]
    assert [r.plate for r in stored()] == ["5DEF456"]


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"hook": {"event": "image.done"}}, 422, "data: required"),
    ({"hook": {"event": "plate.lost"}, "data": {"results": []}}, 422, "hook.event"),
    ({"data": {"timestamp": "2026-13-45", "results": []}}, 422, "data.timestamp"),
    ({"data": {"timestamp": "2026-01-01T00:00:00Z", "results": {}}}, 422,
     "data.results: expected a list"),
])
def test_bad_webhook_envelopes_get_a_clear_error(
    client: TestClient, make_camera: CameraFactory, body: dict[str, Any], status: int,
    text: str,
) -> None:
    _, key = make_camera("gate")
    response = client.post(f"{HOOK}/{key}", json=body)
    assert response.status_code == status
    assert text in response.text


def test_a_form_without_the_json_field_is_refused(
    client: TestClient, make_camera: CameraFactory,
) -> None:
    _, key = make_camera("gate")
    response = client.post(f"{HOOK}/{key}", data={"payload": "{}"})
    assert response.status_code == 422 and "json:" in response.text


def test_a_user_token_stores_only_for_its_own_agency(
    client: TestClient, database: Database, make_camera: CameraFactory, stored: StoredReads,
    scene_jpeg: bytes,
) -> None:
    # REQ C7 — an administrator's token, not a camera's: only the agency's own cameras
    from alpr.cameras.models import Camera
    from alpr.users.cli_session import session_file
    from alpr.users.permissions import Role
    from tests.helpers import cli_login

    make_camera("gate")
    make_camera("elsewhere", lat=37.7, lon=-122.1)
    with database.unit_of_work() as session:
        session.get(Camera, "elsewhere").agency = "Other PD"  # type: ignore[union-attr]
    cli_login(database, roles=(Role.SYSTEM_ADMINISTRATOR,))
    headers = token(session_file().read_text().strip())
    upload = {"upload": ("gate.jpg", scene_jpeg, "image/jpeg")}
    own = client.post("/v1/plate-reader/", headers=headers, data={"camera_id": "gate"},
                      files=upload)
    assert own.status_code == 200 and own.json()["alpr"]["accepted"] == 1
    other = client.post("/v1/plate-reader/", headers=headers, files=upload,
                        data={"camera_id": "elsewhere"})
    assert other.json()["alpr"]["rejected"] == 1
    assert "not of the sender's agency" in other.json()["alpr"]["results"][0]["reason"]
    assert [r.camera_id for r in stored()] == ["gate"]
    cli_login(database, username="viewer", roles=(Role.DATA_USER,))
    refused = client.post("/v1/plate-reader/", files=upload,
                          headers=token(session_file().read_text().strip()))
    assert refused.status_code == 403
