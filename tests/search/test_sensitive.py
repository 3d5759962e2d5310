"""Sensitive locations: searches whose area or results touch a clinic, a place of worship or
a permitted protest need a court-order reference; the audit entry names the place and the
periodic audit flags such searches (REQ Q1, Q8, L3)."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

import alpr.policy
from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.audit.service import record
from alpr.db.session import Database
from alpr.policy import Policy, load_preset
from alpr.policy.model import SensitiveLocation
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.reports import checks
from alpr.search import service
from alpr.search.geo import Area, distance_m, overlaps
from alpr.search.purpose import PurposeIn, validate_purpose
from alpr.search.schemas import Near, SearchQuery
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CLINIC = SensitiveLocation(name="Eastside clinic", kind="clinic", lat=37.8044,
                           lon=-122.2712, radius_m=150)
CHAPEL = SensitiveLocation(name="St. Mary chapel", kind="worship", polygon=(
    (37.8200, -122.2500), (37.8200, -122.2490), (37.8190, -122.2490), (37.8190, -122.2500)))
BASE = load_preset("lapd")
POLICY = BASE.model_copy(update={"search": BASE.search.model_copy(
    update={"sensitive_locations": (CLINIC, CHAPEL)})})
CALLER = service.Caller("user:ortiz", "LAPD")
CATEGORY = POLICY.search.permitted_purposes[0].code


def purpose(court_order: str | None = None) -> Any:
    return validate_purpose(PurposeIn(
        category=CATEGORY, case_number="26-004512", court_order=court_order,
        on_behalf_of="Det. Ortiz", attests_standard=True, attests_prohibited_uses=True),
        policy=POLICY)


def test_shapes_overlap_when_they_share_a_point() -> None:
    # REQ Q8 — circle/circle, circle/polygon, polygon/polygon, in both directions
    clinic = Area(center=(37.8044, -122.2712), radius_m=150)
    square = Area(polygon=((37.806, -122.274), (37.806, -122.268), (37.803, -122.268),
                           (37.803, -122.274)))
    chapel = Area(polygon=tuple(CHAPEL.polygon or ()))
    gap = distance_m(37.8044, -122.2712, 37.8044, -122.2650)  # about 545 m east
    assert overlaps(clinic, Area(center=(37.8044, -122.2650), radius_m=gap - 140))
    assert not overlaps(clinic, Area(center=(37.8044, -122.2650), radius_m=gap - 160))
    assert overlaps(clinic, square) and overlaps(square, clinic)  # clinic inside the square
    edge = Area(polygon=((37.8070, -122.2700), (37.8070, -122.2690), (37.8060, -122.2690),
                         (37.8060, -122.2700)))  # north-east; nearest corner ~207 m away
    assert 200 < distance_m(37.8044, -122.2712, 37.8060, -122.2700) < 215
    assert not overlaps(clinic, edge) and overlaps(Area(center=clinic.center,
                                                        radius_m=250), edge)
    crossing = Area(polygon=((37.8195, -122.2510), (37.8195, -122.2480), (37.8194, -122.2480),
                             (37.8194, -122.2510)))  # a thin strip through the chapel
    assert overlaps(chapel, crossing) and overlaps(crossing, chapel)
    assert not overlaps(chapel, square)


def test_policy_section_is_validated_and_the_preset_example_parses() -> None:
    # REQ Q8 — the commented preset example is a valid section; bad shapes are refused
    text = (Path(alpr.policy.__file__).parent / "presets" / "lapd.toml").read_text()
    example = text.split("# Uncomment and fill in the agency's own places:\n")[1]
    example = example.split("\n[sharing]")[0]
    toml = "\n".join(line.removeprefix("#").removeprefix(" ") for line in example.splitlines())
    parsed = tomllib.loads("[search]\n" + toml)["search"]["sensitive_locations"]
    places = [SensitiveLocation.model_validate(p) for p in parsed]
    assert {p.kind for p in places} == {"clinic", "protest"}
    with pytest.raises(ValidationError, match="lat, lon and radius_m"):
        SensitiveLocation.model_validate({"name": "x", "kind": "clinic", "lat": 37.0})
    with pytest.raises(ValidationError, match="not both"):
        SensitiveLocation.model_validate({"name": "x", "kind": "worship", "lat": 37.0,
                                          "lon": -122.0, "radius_m": 10,
                                          "polygon": [[1, 2], [3, 4], [5, 6]]})
    with pytest.raises(ValidationError, match="kind"):
        SensitiveLocation.model_validate({"name": "x", "kind": "bar", "lat": 37.0,
                                          "lon": -122.0, "radius_m": 10})


@pytest.fixture
def reads(database: Database, images: ImageStore, make_camera: CameraFactory) -> None:
    """One car seen at the clinic, at the chapel and far from both."""
    make_camera("car-1", kind="mobile")
    spots = [(37.8045, -122.2711), (37.8195, -122.2495), (37.7500, -122.2000)]
    items = [IngestItem({"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                         "lat": lat, "lon": lon, "camera_id": "car-1",
                         "captured_at": (NOW - timedelta(hours=i + 1)).isoformat()})
             for i, (lat, lon) in enumerate(spots)]
    with database.unit_of_work() as session:
        assert ingest(session, items, actor="t", policy=POLICY, images=images,
                      now=NOW).accepted == 3


def _search(database: Database, query: SearchQuery, court_order: str | None = None
            ) -> service.SearchResult:
    with database.unit_of_work() as session:
        return service.search(session, query=query, purpose=purpose(court_order),
                              caller=CALLER, policy=POLICY, now=NOW)


def _entry(database: Database, audit_id: int) -> AuditEntry:
    with database.unit_of_work() as session:
        entry = session.get(AuditEntry, audit_id)
        assert entry is not None
        session.expunge(entry)
        return entry


def test_search_over_a_sensitive_location_needs_a_court_order(
        database: Database, reads: None) -> None:
    # REQ Q8 REQ Q1 — area overlapping the clinic: refused, naming it; with an order: audited
    near = SearchQuery(near=Near(lat=37.8050, lon=-122.2720, radius_m=200))
    with pytest.raises(service.SensitiveLocationRefused, match="Eastside clinic") as refused:
        _search(database, near)
    assert "search area overlaps it" in str(refused.value)
    assert "court_order" in str(refused.value)
    with database.unit_of_work() as session:
        assert not session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.SEARCH_QUERY.value)).all()
    found = _search(database, near, court_order="SW-26-0412")
    assert len(found.reads) == 1
    details = _entry(database, found.audit_id).details
    assert details["court_order"] == "SW-26-0412"
    assert details["sensitive_locations"] == [
        {"name": "Eastside clinic", "kind": "clinic", "by": "area", "reads": 0}]


def test_results_inside_a_sensitive_location_need_a_court_order(
        database: Database, reads: None) -> None:
    # REQ Q8 — a plate search whose results lie in the chapel and at the clinic is refused
    with pytest.raises(service.SensitiveLocationRefused) as refused:
        _search(database, SearchQuery(plate="7ABC123"))
    message = str(refused.value)
    assert "St. Mary chapel" in message and "Eastside clinic" in message
    assert "1 result(s) lie within it" in message
    far = _search(database, SearchQuery(near=Near(lat=37.75, lon=-122.20, radius_m=300)))
    assert len(far.reads) == 1
    assert _entry(database, far.audit_id).details["sensitive_locations"] == []
    ordered = _search(database, SearchQuery(plate="7ABC123"), court_order="Warrant 26-W-77")
    assert len(ordered.reads) == 3
    touched = _entry(database, ordered.audit_id).details["sensitive_locations"]
    assert {(t["name"], t["by"]) for t in touched} == {("Eastside clinic", "results"),
                                                      ("St. Mary chapel", "results")}


def test_polygon_search_touching_the_chapel_is_refused(database: Database, reads: None
                                                       ) -> None:
    # REQ Q8 — a canvass polygon whose edge crosses the chapel, no reads needed
    strip = [(37.8196, -122.2520), (37.8196, -122.2470), (37.8193, -122.2470),
             (37.8193, -122.2520)]
    with pytest.raises(service.SensitiveLocationRefused, match=r"St\. Mary chapel"):
        _search(database, SearchQuery(polygon=strip, since=NOW - timedelta(minutes=5)))


@pytest.fixture
def searcher(database: Database) -> Iterator[TestClient]:
    app = create_app(policy=POLICY)
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="ortiz", organization="LAPD",
        permissions=permissions_for([Role.DATA_USER]))
    with TestClient(app) as client:
        yield client


def test_api_refuses_and_audits_the_attempt(searcher: TestClient, database: Database,
                                            reads: None) -> None:
    # REQ Q8 REQ L1 — 422 naming the place; the refusal is on the audit log
    body: dict[str, Any] = {
        "query": {"near": {"lat": 37.8044, "lon": -122.2712, "radius_m": 50}},
        "purpose": {"category": CATEGORY, "case_number": "26-004512",
                    "on_behalf_of": "Det. Ortiz", "attests_standard": True,
                    "attests_prohibited_uses": True}}
    refused = searcher.post("/api/v1/searches", json=body)
    assert refused.status_code == 422 and "Eastside clinic" in refused.text
    body["purpose"]["court_order"] = "SW-26-0412"
    allowed = searcher.post("/api/v1/searches", json=body)
    assert allowed.status_code == 200, allowed.text
    with database.unit_of_work() as session:
        reasons = [e.details["reason"] for e in session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.SEARCH_REFUSED.value))]
    assert any("[rule: sensitive-location]" in r for r in reasons)


def test_audit_flags_searches_at_sensitive_locations(database: Database) -> None:
    # REQ L3 — planted: no order (violation), with an order (review), a refused attempt,
    # and one made before the place was listed (re-checked against today's policy)
    policy: Policy = POLICY
    near_clinic = {"near": {"lat": 37.8046, "lon": -122.2714, "radius_m": 100}}
    with database.unit_of_work() as session:
        def planted(order: str | None, touched: list[dict[str, Any]] | None,
                    query: dict[str, Any]) -> int:
            return record(session, event=AuditEvent.SEARCH_QUERY, actor="user:ortiz",
                          now=NOW, organization="LAPD", purpose=f"case 26-004512 {order}",
                          details={"query": query, "purpose_category": CATEGORY,
                                   "case_number": "26-004512", "on_behalf_of": "Det. Ortiz",
                                   "court_order": order, "sensitive_locations": touched,
                                   "results": 1}).id
        bypass = planted(None, [{"name": "Eastside clinic", "kind": "clinic", "by": "results",
                                 "reads": 1}], {"plate": "7ABC123"})
        ordered = planted("SW-26-0412", [{"name": "Eastside clinic", "kind": "clinic",
                                          "by": "area", "reads": 0}], near_clinic)
        before = planted(None, None, near_clinic)
        clean = planted(None, [], {"near": {"lat": 37.75, "lon": -122.2, "radius_m": 100}})
        attempt = record(session, event=AuditEvent.SEARCH_REFUSED, actor="user:nosy",
                         now=NOW, details={"reason": "this search touches a sensitive"
                                           " location … [rule: sensitive-location]"}).id
        entries = checks.searches(session, NOW - timedelta(days=1), NOW + timedelta(days=1))
        found = {f.subject: f for f in checks.run_checks(
            session, entries, policy=policy, since=NOW - timedelta(days=1),
            until=NOW + timedelta(days=1), now=NOW) if f.check == "sensitive-location"}
    assert found[f"search {bypass}"].severity == "violation"
    assert found[f"search {before}"].severity == "violation"
    assert "Eastside clinic" in found[f"search {before}"].message
    assert found[f"search {ordered}"].severity == "review"
    assert "SW-26-0412" in found[f"search {ordered}"].message
    assert found[f"refused search {attempt}"].details["actor"] == "user:nosy"
    assert f"search {clean}" not in found
