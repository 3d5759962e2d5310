"""Search results against a brute-force check on generated reads; audit of every access;
logically deleted reads invisible without an approval (REQ Q6, Q7, L1)."""

from __future__ import annotations

import fnmatch
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.policy import load_preset
from alpr.reads.images import ImageStore
from alpr.reads.plates import confusion_key, exact_key
from alpr.reads.service import IngestItem, ingest
from alpr.search import geo, service
from alpr.search.purpose import PurposeIn, validate_purpose
from alpr.search.schemas import Near, SearchQuery
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory, jpeg

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CENTER = (37.8044, -122.2712)
POLICY = load_preset("lapd")


@dataclass(frozen=True)
class Generated:
    id: uuid.UUID
    plate: str
    lat: float
    lon: float
    captured_at: datetime


@pytest.fixture
def reads(database: Database, images: ImageStore, make_camera: CameraFactory
          ) -> list[Generated]:
    make_camera("car-1", kind="mobile")
    rng = random.Random(11)
    made = []
    for n in range(240):
        letters = "".join(rng.choices("ABCDOGSZ", k=3))
        plate = rng.choice(["7ABC123", "7A8C123", "7ABC12", "8XYZ0O1", "8XYZ001"]) if n % 8 == 0 \
            else f"{rng.randint(1, 9)}{letters}{rng.randint(0, 999):03d}"
        made.append(Generated(uuid.uuid4(), plate, CENTER[0] + rng.uniform(-0.03, 0.03),
                              CENTER[1] + rng.uniform(-0.03, 0.03),
                              NOW - timedelta(minutes=rng.randint(1, 6000))))
    items = [IngestItem({"id": str(g.id), "plate": g.plate, "confidence": 0.9, "lat": g.lat,
                         "lon": g.lon, "camera_id": "car-1",
                         "captured_at": g.captured_at.isoformat(), "plate_image": "p"},
                        images={"plate_image": jpeg()}) for g in made]
    with database.unit_of_work() as session:
        assert ingest(session, items, actor="t", policy=POLICY, images=images,
                      now=NOW).accepted == len(made)
    return made


CALLER = service.Caller("user:ortiz", "LAPD")
PURPOSE = validate_purpose(PurposeIn(
    category=POLICY.search.permitted_purposes[0].code, case_number="26-004512",
    on_behalf_of="Det. Ortiz", attests_standard=True, attests_prohibited_uses=True),
    policy=POLICY)


def run(database: Database, **query: Any) -> list[uuid.UUID]:
    with database.unit_of_work() as session:
        found = service.search(session, query=SearchQuery(page_size=500, **query),
                               purpose=PURPOSE, caller=CALLER, policy=POLICY, now=NOW)
    return [r.id for r in found.reads]


@pytest.mark.parametrize(
    ("plate", "confusion"),
    [("7ABC123", False), ("8XYZ001", False), ("7AB*", False), ("*C12*", False),
     ("7A?C123", False), ("7ABC123", True), ("8XY*", True)],
)
def test_plate_searches_match_a_brute_force_check(
    database: Database, reads: list[Generated], plate: str, confusion: bool
) -> None:
    # REQ Q6 — full, partial and wildcard plates, confusion-aware option
    def key(text: str) -> str:
        return confusion_key(exact_key(text)) if confusion else exact_key(text)

    expected = {g.id for g in reads if fnmatch.fnmatchcase(key(g.plate), key(plate))}
    assert expected
    assert set(run(database, plate=plate, confusion=confusion)) == expected


def test_canvass_by_radius_and_polygon_match_a_brute_force_check(
    database: Database, reads: list[Generated]
) -> None:
    # REQ Q6 — location canvass around a scene (radius, polygon) within a time range
    since = NOW - timedelta(hours=24)
    expected = {g.id for g in reads if g.captured_at >= since
                and geo.distance_m(CENTER[0], CENTER[1], g.lat, g.lon) <= 1000}
    found = run(database, near=Near(lat=CENTER[0], lon=CENTER[1], radius_m=1000), since=since)
    assert set(found) == expected and expected
    polygon = [(37.79, -122.29), (37.82, -122.28), (37.81, -122.25), (37.785, -122.26)]
    inside = {g.id for g in reads if geo.in_polygon(g.lat, g.lon, polygon)}
    assert set(run(database, polygon=polygon)) == inside and inside
    times = [g.captured_at for g in reads if g.id in set(found)]
    assert [t for t in sorted(times, reverse=True)] == [
        next(g.captured_at for g in reads if g.id == i) for i in found]  # newest first


def test_every_search_is_audited_with_its_purpose(database: Database, reads: list[Generated]
                                                  ) -> None:
    # REQ L1 — date/time, query elements, user, organization, purpose, on-behalf-of, results
    found = run(database, plate="7ABC123")
    with database.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.event == "search:query")).one()
    assert (entry.actor, entry.organization) == ("user:ortiz", "LAPD")
    assert entry.purpose and "case 26-004512" in entry.purpose
    assert entry.details["query"]["plate"] == "7ABC123"
    assert entry.details["on_behalf_of"] == "Det. Ortiz"
    assert entry.details["results"] == len(found)


@pytest.fixture
def searcher(database: Database) -> Iterator[TestClient]:
    app = create_app(policy=POLICY)
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="ortiz", organization="LAPD",
        permissions=permissions_for([Role.DATA_USER]))
    with TestClient(app) as client:
        yield client


GOOD = {"category": POLICY.search.permitted_purposes[0].code, "case_number": "26-004512",
        "on_behalf_of": "Det. Ortiz", "attests_standard": True,
        "attests_prohibited_uses": True}


def test_no_route_returns_reads_without_a_valid_purpose_and_an_audit_entry(
    searcher: TestClient, database: Database, reads: list[Generated]
) -> None:
    # REQ Q1 REQ L1 — search, read view and image view: refused without a purpose, audited with one
    read_id = reads[0].id
    routes = [("/api/v1/searches", {"query": {"plate": reads[0].plate}}),
              (f"/api/v1/reads/{read_id}/view", {}),
              (f"/api/v1/reads/{read_id}/images/plate", {})]
    for path, body in routes:
        assert searcher.post(path, json=body).status_code == 422  # no purpose at all
        vague = searcher.post(path, json={**body, "purpose": {**GOOD, "case_number": "inv"}})
        assert vague.status_code == 422 and "rule: specific" in vague.json()["detail"]
        ok = searcher.post(path, json={**body, "purpose": GOOD})
        assert ok.status_code == 200, (path, ok.text)
    with database.unit_of_work() as session:
        events = [e.event for e in session.scalars(select(AuditEntry).where(
            AuditEntry.actor == "user:ortiz").order_by(AuditEntry.id))]
    # A request refused before it reaches the route (no purpose: 422) is audited too, by
    # the one audit rule for every route (request:refused).
    assert events == ["request:refused", "search:refused", "search:query",
                      "request:refused", "search:refused", "read:view",
                      "request:refused", "search:refused", "read:image"]
    geo = searcher.post("/api/v1/searches?format=geojson",
                        json={"query": {"plate": "7ABC123"}, "purpose": GOOD}).json()
    assert geo["type"] == "FeatureCollection"
    assert geo["features"][0]["geometry"]["type"] == "Point"


def test_a_search_whose_audit_write_fails_returns_nothing(
    database: Database, reads: list[Generated], monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ L1 — no access without its audit record (CJIS AU-5: refuse when auditing fails)
    def audit_store_down(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("alpr.search.service.record", audit_store_down)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        run(database, plate="7ABC123")
