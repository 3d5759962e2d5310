"""Alerts: verification before response, documented responses and their export, SSE."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.responses import (
    AlertError,
    Response,
    Verification,
    export_responses,
    respond,
    verify_alert,
)
from alpr.hotlists.service import create_list
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory


@pytest.fixture
def oakland() -> Policy:
    return load_preset("oakland")


def raise_alert(database: Database, policy: Policy, images: ImageStore) -> uuid.UUID:
    now = utcnow()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy)
        import_entries(session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
                       parsed=parse_clew("DATE\nABC123  CA0120260101\nTOTAL RECORD 0000001\n",
                                         table="svs"))
        report = ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": "ABC123", "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (now - timedelta(seconds=5)).isoformat()})],
            actor="camera:cam-1", policy=policy, images=images)
    return report.alerts[0].id


@pytest.fixture
def alert_id(database: Database, oakland: Policy, images: ImageStore,
             make_camera: CameraFactory) -> uuid.UUID:
    make_camera()
    return raise_alert(database, oakland, images)


CONFIRMED = Verification(True, True, True, True, utcnow() - timedelta(minutes=1))


def response(**overrides: Any) -> Response:
    fields: dict[str, Any] = {"member": "Ofc. Diaz #4411", "justification": "stop at 14th/Broadway",
                              "disposition": "vehicle recovered", "responded_at": utcnow(),
                              "case_number": "26-001234", "next_steps": "tow to yard"}
    fields.update(overrides)
    return Response(**fields)


def test_no_response_before_verification(
    database: Database, oakland: Policy, alert_id: uuid.UUID
) -> None:
    # REQ A2 — an alert is only informational until verified
    with database.unit_of_work() as session, pytest.raises(AlertError, match="verify the alert"):
        respond(session, alert_id=alert_id, response=response(), actor="ofc", policy=oakland)


def test_verified_alert_takes_a_documented_response_and_exports(
    database: Database, oakland: Policy, alert_id: uuid.UUID
) -> None:
    # REQ A2 REQ A3 — verification recorded, then member/justification/case/disposition/time
    with database.unit_of_work() as session:
        alert = verify_alert(session, alert_id=alert_id, check=CONFIRMED, actor="ofc")
        assert alert.status == "confirmed"
        with pytest.raises(AlertError, match="already verified"):
            verify_alert(session, alert_id=alert_id, check=CONFIRMED, actor="ofc")
        with pytest.raises(AlertError, match="disposition 'shrug' is not one of"):
            respond(session, alert_id=alert_id, response=response(disposition="shrug"),
                    actor="ofc", policy=oakland)
        respond(session, alert_id=alert_id, response=response(), actor="ofc", policy=oakland)
        as_csv = export_responses(session, fmt="csv", actor="auditor")
        as_xlsx = export_responses(session, fmt="xlsx", actor="auditor")
    rows = list(csv.DictReader(io.StringIO(as_csv.decode())))
    assert [(r["plate read"], r["disposition"], r["case number"], r["member"]) for r in rows] == [
        ("ABC123", "vehicle recovered", "26-001234", "Ofc. Diaz #4411")]
    sheet = load_workbook(io.BytesIO(as_xlsx)).active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][0] == "alert time"
    assert values[1][13] == "vehicle recovered"


def test_a_mismatch_is_recorded_as_not_confirmed(
    database: Database, alert_id: uuid.UUID
) -> None:
    # REQ A2 — e.g. the state on the car differs from the listed one
    check = Verification(True, False, True, True, utcnow())
    with database.unit_of_work() as session:
        assert verify_alert(session, alert_id=alert_id, check=check, actor="ofc").status == (
            "not_confirmed")


@pytest.fixture
def operator(database: Database) -> Iterator[TestClient]:
    app = create_app(policy=load_preset("oakland"))
    # User logins arrive with issue 5; stand in an ALPR Administrator for the API.
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="admin1", organization="Test PD",
        permissions=permissions_for([Role.ALPR_ADMINISTRATOR]))
    with TestClient(app) as client:
        yield client


def test_sse_stream_delivers_the_alert(
    operator: TestClient, database: Database, oakland: Policy, images: ImageStore,
    make_camera: CameraFactory,
) -> None:
    # REQ A1 — pushed to subscribers at once
    make_camera()
    since = utcnow() - timedelta(seconds=1)
    alert_id = raise_alert(database, oakland, images)
    with operator.stream("GET", "/api/v1/alerts/stream",
                         params={"since": since.isoformat(), "limit": 1}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in stream.iter_lines() if line.startswith("data:")]
    event = json.loads(lines[0].removeprefix("data: "))
    assert (event["id"], event["plate_read"], event["list_name"]) == (str(alert_id), "ABC123",
                                                                        "svs")


def test_api_verify_respond_export(
    operator: TestClient, alert_id: uuid.UUID
) -> None:
    body = {"member": "Ofc. Diaz", "justification": "stop", "disposition": "arrest",
            "responded_at": utcnow().isoformat()}
    early = operator.post(f"/api/v1/alerts/{alert_id}/responses", json=body)
    assert early.status_code == 422
    assert "verify the alert first" in early.json()["detail"]
    verified = operator.post(f"/api/v1/alerts/{alert_id}/verify", json={
        "plate_matches": True, "state_matches": True, "vehicle_matches": True,
        "clets_confirmed": True, "clets_checked_at": utcnow().isoformat()})
    assert verified.json()["status"] == "confirmed"
    assert operator.post(f"/api/v1/alerts/{alert_id}/responses", json=body).status_code == 201
    exported = operator.get("/api/v1/alerts/responses.csv")
    assert exported.status_code == 200
    assert "Ofc. Diaz" in exported.text
    listed = operator.get("/api/v1/alerts").json()
    assert listed[0]["status"] == "confirmed"


def test_hotlist_api_manual_entry_and_approval(
    operator: TestClient, database: Database, make_camera: CameraFactory
) -> None:
    # REQ H3 — entered pending; approved by someone else
    assert operator.post("/api/v1/hotlists", json={"name": "bolo", "source": "BOLO"}
                         ).status_code == 201
    created = operator.post("/api/v1/hotlists/bolo/entries", json={
        "plate": "8bol 000", "reason": "burglary", "case_number": "26-1",
        "justification": "seen at scene"})
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["plate"], entry["status"]) == ("8BOL000", "pending")
    same_person = operator.post(f"/api/v1/hotlists/entries/{entry['id']}/decision",
                                json={"approve": True})
    assert same_person.status_code == 422
    upload = operator.post("/api/v1/hotlists", json={"name": "svs", "source": "SVS"})
    assert upload.status_code == 201
    imported = operator.post(
        "/api/v1/hotlists/svs/import", data={"profile": "clew-svs"},
        files={"file": ("svs.tbl", b"DATE\nABC123  CA0120260101\n!!      CA0120260101\n"
                                   b"TOTAL RECORD 0000002\n")})
    assert imported.status_code == 200, imported.text
    assert imported.json()["loaded"] == 1
    assert imported.json()["problems"][0][0] == 3
