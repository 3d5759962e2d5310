"""Patrol units: signed snapshot, offline matching, spooled upload that survives a kill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.cameras.health import CHECKLIST, record_inspection
from alpr.cameras.models import CameraKind
from alpr.capture.edge import cached_snapshot, pull_snapshot, run_edge
from alpr.capture.sources import Frame
from alpr.capture.spool import EdgeConfig, upload
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import load_preset
from alpr.reads.models import Read
from alpr.recognition.interfaces import Box, Image, PlateResult
from tests.helpers import CameraFactory, jpeg

SERVER = "http://testserver"


@pytest.fixture
def server(database: Database) -> Iterator[TestClient]:
    policy = load_preset("oakland")
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy)
        import_entries(session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
                       parsed=parse_clew("DATE\n7STL123 CA0120260101\nTOTAL RECORD 0000001\n",
                                         table="svs"))
    with TestClient(create_app(policy=policy), base_url=SERVER) as client:
        yield client


@pytest.fixture
def unit(make_camera: CameraFactory, tmp_path: Path) -> EdgeConfig:
    _, key = make_camera("car-12", kind=CameraKind.MOBILE)
    return EdgeConfig(server=SERVER, key=key, camera_id="car-12", folder=tmp_path / "edge")


def test_snapshot_is_signed_for_the_unit_and_tampering_is_refused(
    server: TestClient, unit: EdgeConfig
) -> None:
    # REQ C5 — mobile units get the hot lists at shift start
    snapshot = pull_snapshot(unit, server)
    assert [e.key for e in snapshot.entries.values()] == ["7STL123"]
    assert cached_snapshot(unit).version == snapshot.version  # kept for offline shifts
    stored = unit.snapshot_file.read_text()
    unit.snapshot_file.write_text(stored.replace("7STL123", "7STL124"))
    with pytest.raises(ValueError, match="signature does not match"):
        cached_snapshot(unit)


@dataclass
class Scripted:
    """Stands in for the recognizer: what each frame 'shows' (recognition is tested apart)."""

    plates: list[str]
    calls: int = field(default=0)

    def recognize(self, image: Image) -> list[PlateResult]:
        plate = self.plates[self.calls]
        self.calls += 1
        return [PlateResult(plate=plate, confidence=0.95, box=Box(10, 10, 40, 20))] if plate else []


def frames(count: int) -> Iterator[Frame]:
    t0 = utcnow() - timedelta(minutes=5)
    image = np.full((60, 80, 3), 200, np.uint8)
    for index in range(count):
        yield Frame(image=image, captured_at=t0 + timedelta(seconds=index), index=index,
                    source="test", position_ms=None)


def test_offline_unit_alerts_and_uploads_later_without_loss_or_duplicates(
    server: TestClient, unit: EdgeConfig, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ C5 — compare on the vehicle (offline too), upload later without loss
    with database.unit_of_work() as session:  # the shift inspection enables its alerts
        record_inspection(session, camera_id="car-12", actor="user:officer",
                          checklist=dict.fromkeys(CHECKLIST, True))
    pull_snapshot(unit, server)
    offline = cached_snapshot(unit)  # the network is gone from here on
    recognizer = Scripted(["7STL123", "8OK0001", "4ABC777"])
    run = run_edge(unit, frames(3), recognizer=recognizer, snapshot=offline,
                   position={"lat": 37.8, "lon": -122.27}, stills=True)
    assert [(h.plate, h.entry.reason, h.match) for h in run.hits] == [
        ("7STL123", "stolen vehicle", "exact")]
    assert len(unit.spool.pending()) == 3

    # The unit is killed after the server stored the batch, before it cleaned its spool.
    real_unlink = Path.unlink
    calls = {"n": 0}

    def dies_after_first(path: Path, missing_ok: bool = False) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt("unit powered off")
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", dies_after_first)
    with pytest.raises(KeyboardInterrupt):
        upload(unit.spool, server, server=SERVER, key=unit.key)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert len(unit.spool.pending()) == 2

    report = upload(unit.spool, server, server=SERVER, key=unit.key)  # after restart
    assert (report.accepted, report.duplicates, report.left) == (0, 2, 0)
    with database.unit_of_work() as session:
        plates = sorted(session.scalars(select(Read.plate_normalized)))
        alerts = session.scalars(select(Alert.plate_read)).all()
    assert plates == ["4ABC777", "7STL123", "8OK0001"]
    assert alerts == ["7STL123"]  # the server alerts too, once


def test_spooled_reads_carry_their_images(unit: EdgeConfig) -> None:
    data: dict[str, Any] = {"id": str(uuid.uuid4()), "plate": "1ABC234", "confidence": 0.9,
                            "captured_at": datetime.now(UTC).isoformat(), "camera_id": "car-12",
                            "plate_image": "plate.jpg"}
    path = unit.spool.add(data, {"plate_image": jpeg()})
    assert path.name == f"{data['id']}.json"
    assert '"plate_image": "/9j/' in path.read_text()  # base64 of a JPEG, inline
