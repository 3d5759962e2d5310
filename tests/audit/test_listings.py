"""Listings and read batches: one audit entry per request or batch, naming what was
returned or stored, compactly (issues 17.3, 18.4)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.audit.models import AuditEntry
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, session_token

SVS = "DATE11/23/2026 09:00\nABC123  CA0120260101\nTOTAL RECORD 0000001\n"


@pytest.fixture
def clients(database: Database, make_camera: CameraFactory
            ) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    _, camera_key = make_camera("cam-1")
    roles = [r for r in Role if r is not Role.CAMERA]
    token = session_token(database, "lee", roles)
    with TestClient(create_app()) as client:
        yield client, {"Authorization": f"Bearer {token}"}, {
            "Authorization": f"Bearer {camera_key}"}


def _reads(plates: list[str]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9,
             "captured_at": (now - timedelta(seconds=n)).isoformat()}
            for n, plate in enumerate(plates)]


def _events(database: Database, event: str) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.event == event)
                                    .order_by(AuditEntry.id)))


def test_an_accepted_batch_is_one_entry_with_count_camera_and_id_range(
        clients: tuple[TestClient, dict[str, str], dict[str, str]], database: Database) -> None:
    # REQ L1 — accepted reads audited per batch (count, camera, id range)
    client, _, camera = clients
    batch = _reads(["7ABC123", "8XYZ001", "5DEF456"])
    assert client.post("/api/v1/reads", headers=camera, json={"reads": batch}).status_code == 200
    [entry] = _events(database, "read:ingest")
    ids = sorted(r["id"] for r in batch)
    assert entry.actor == "camera:cam-1" and entry.organization == "Test PD"
    assert entry.details["accepted"] == 3 and entry.details["cameras"] == ["cam-1"]
    assert entry.details["id_range"] == [ids[0], ids[-1]]
    # A resend stores nothing: no new batch entry.
    assert client.post("/api/v1/reads", headers=camera, json={"reads": batch}).status_code == 200
    assert len(_events(database, "read:ingest")) == 1


def test_the_alert_list_is_one_entry_per_request_naming_the_alerts(
        clients: tuple[TestClient, dict[str, str], dict[str, str]], database: Database) -> None:
    # REQ L1 — opening the list twice: two entries, each with the alert ids and plates
    client, user, camera = clients
    assert client.post("/api/v1/hotlists", headers=user,
                       json={"name": "svs", "source": "SVS"}).status_code == 201
    imported = client.post("/api/v1/hotlists/svs/import", headers=user,
                           files={"file": ("svs.tbl", SVS.encode())})
    assert imported.status_code == 200, imported.text
    client.post("/api/v1/reads", headers=camera, json={"reads": _reads(["ABC123"] * 3)})
    before = len(_events(database, "alert:list"))
    for _ in range(2):
        shown = client.get("/api/v1/alerts", headers=user).json()
        assert len(shown) == 3
    listed = _events(database, "alert:list")[before:]
    assert len(listed) == 2
    assert sorted(listed[-1].details["ids"]) == sorted(a["id"] for a in shown)
    assert listed[-1].details["plates"] == ["ABC123"]
