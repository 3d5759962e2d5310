"""Holds and evidence exports over the API: the CLI's services and permissions, over HTTP."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alpr.api.app import api_routes, create_app, route_guards
from alpr.api.deps import Principal, current_principal
from alpr.audit.models import AuditEntry
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import default_policy
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.retention import evidence
from alpr.retention.models import Download
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory, jpeg

API = "/api/v1/retention"
PURPOSE = {"category": "criminal_investigation", "case_number": "26-004512",
           "on_behalf_of": "Det. Ortiz", "attests_standard": True,
           "attests_prohibited_uses": True}


def person(name: str, *roles: Role) -> Principal:
    return Principal(kind="user", id=name, organization="Test PD",
                     permissions=permissions_for(roles))


INVESTIGATOR = person("ortiz", Role.DATA_USER)
SUPERVISOR = person("chen", Role.ALPR_ADMINISTRATOR)
REQUESTING_ADMIN = person("lee", Role.ALPR_ADMINISTRATOR)


class Caller:
    """Whom the test client speaks as (switched between requests)."""

    def __init__(self) -> None:
        self.principal = INVESTIGATOR


@pytest.fixture
def caller() -> Caller:
    return Caller()


@pytest.fixture
def client(database: Database, caller: Caller) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[current_principal] = lambda: caller.principal
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def reads(database: Database, images: ImageStore, make_camera: CameraFactory
          ) -> list[uuid.UUID]:
    """Three reads of 7ABC123 an hour apart and one of another plate."""
    make_camera()
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(4)]
    items = [IngestItem({"id": str(read_id), "plate": "7ABC123" if n < 3 else "5XYZ999",
                         "confidence": 0.9, "camera_id": "cam-1", "plate_image": "p",
                         "captured_at": (now - timedelta(hours=n + 1)).isoformat()},
                        images={"plate_image": jpeg()}) for n, read_id in enumerate(ids)]
    with database.unit_of_work() as session:
        ingest(session, items, actor="camera:cam-1", policy=default_policy(), images=images,
               now=now)
    return ids


def test_every_retention_route_is_guarded_as_the_cli_is() -> None:
    # REQ R4 — approving, reviewing and releasing holds and the download record need
    # retention:manage; asking for a hold and packaging evidence need reads:search (as the CLI)
    routes = {f"{sorted(r.methods or [])[0]} {r.path}": route_guards(r)
              for r in api_routes(create_app().routes) if r.path.startswith(API)}
    searcher = {f"POST {API}/holds", f"POST {API}/exports"}
    assert len(routes) == 8
    assert {k: v for k, v in routes.items() if k not in searcher} == {
        k: {"retention:manage"} for k in routes if k not in searcher}
    assert all(routes[k] == {"reads:search"} for k in searcher)


def test_hold_by_plate_and_window_needs_another_person_to_approve(
    client: TestClient, caller: Caller, reads: list[uuid.UUID]
) -> None:
    # REQ R3 REQ R4 — requested by plate and time window with case, reason and contact;
    # approved by a supervisor other than the requester
    now = utcnow()
    body = {"case_number": "26-004512", "reason": "investigation",
            "details": "Burglary series", "investigator_contact": "Det. Ortiz x4410",
            "plate": "7abc-123", "since": (now - timedelta(hours=2, minutes=30)).isoformat(),
            "until": now.isoformat()}
    assert client.post(f"{API}/holds", json=body | {"plate": None}).status_code == 422
    missing = client.post(f"{API}/holds", json=body | {"investigator_contact": " "})
    assert missing.status_code == 422 and "investigator contact" in missing.json()["detail"]
    created = client.post(f"{API}/holds", json=body)
    assert created.status_code == 201, created.text
    hold = created.json()
    assert (hold["status"], hold["reads"], hold["requested_by"]) == ("pending", 2, "user:ortiz")
    assert client.get(f"{API}/holds").status_code == 403  # a Data User does not manage holds
    assert client.post(f"{API}/holds/{hold['id']}/approve").status_code == 403

    caller.principal = REQUESTING_ADMIN
    own = client.post(f"{API}/holds", json=body | {"plate": None, "since": None,
                                                   "until": None, "read_ids": [str(reads[3])]})
    refused = client.post(f"{API}/holds/{own.json()['id']}/approve")
    assert refused.status_code == 422 and "other than the requester" in refused.json()["detail"]

    caller.principal = SUPERVISOR
    approved = client.post(f"{API}/holds/{hold['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active" and approved.json()["approved_by"] == \
        "user:chen"
    listed = {h["id"]: h for h in client.get(f"{API}/holds").json()}
    assert listed[hold["id"]]["reads"] == 2 and listed[own.json()["id"]]["status"] == "pending"
    assert client.post(f"{API}/holds/{hold['id']}/approve").status_code == 422  # not pending


def test_review_pushes_the_deadline_and_release_ends_the_hold(
    client: TestClient, caller: Caller, reads: list[uuid.UUID]
) -> None:
    # REQ R5 — an active hold shows when it must be re-verified; review renews it
    created = client.post(f"{API}/holds", json={
        "case_number": "DR 26-77", "reason": "missing_person", "details": "Missing teen",
        "investigator_contact": "Sgt. Park", "read_ids": [str(r) for r in reads[:2]]}).json()
    assert created["review_due"] is None  # pending: nothing to re-verify yet
    caller.principal = SUPERVISOR
    assert client.post(f"{API}/holds/{created['id']}/review").status_code == 422  # pending
    approved = client.post(f"{API}/holds/{created['id']}/approve").json()
    due = approved["review_due"]
    assert due is not None and due[:4] == str(utcnow().year + 2)
    reviewed = client.post(f"{API}/holds/{created['id']}/review").json()
    assert reviewed["review_due"] >= due and reviewed["reads"] == 2
    assert client.post(f"{API}/holds/{created['id']}/release", json={}).status_code == 422
    released = client.post(f"{API}/holds/{created['id']}/release",
                           json={"reason": "case closed"}).json()
    assert (released["status"], released["release_reason"]) == ("released", "case closed")
    assert released["review_due"] is None
    assert client.post(f"{API}/holds/{created['id']}/release",
                       json={"reason": "again"}).status_code == 422


def test_export_needs_a_purpose_and_is_tracked_as_a_download(
    client: TestClient, caller: Caller, database: Database, reads: list[uuid.UUID]
) -> None:
    # REQ R6 REQ R7 — a signed package for a valid purpose; recorded with its deadline
    vague = client.post(f"{API}/exports", json={"read_ids": [str(reads[0])], "purpose":
                                                PURPOSE | {"category": "curiosity"}})
    assert vague.status_code == 422
    exported = client.post(f"{API}/exports", json={"read_ids": [str(r) for r in reads[:2]],
                                                   "purpose": PURPOSE})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/zip"
    download_id = int(exported.headers["x-download-id"])
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert {"reads.json", "manifest.json", "manifest.sig"} <= set(names)
    assert evidence.verify_package(exported.content, key=evidence.evidence_key(
        get_settings().data_dir)) == []
    with database.unit_of_work() as session:
        events = set(session.scalars(select(AuditEntry.event)))
    assert {"search:refused", "evidence:export"} <= events

    assert client.get(f"{API}/downloads").status_code == 403
    caller.principal = SUPERVISOR
    listed = client.get(f"{API}/downloads").json()
    mine = next(d for d in listed if d["id"] == download_id)
    assert mine["reads"] == 2 and mine["destroy_by"] is not None and not mine["overdue"]
    assert client.get(f"{API}/downloads?overdue=true").json() == []
    with database.unit_of_work() as session:  # pretend the 60 days have passed
        row = session.get(Download, download_id)
        assert row is not None
        row.destroy_by = utcnow() - timedelta(days=1)
    late = client.get(f"{API}/downloads?overdue=true").json()
    assert [d["id"] for d in late] == [download_id] and late[0]["overdue"]
    destroyed = client.post(f"{API}/downloads/{download_id}/destroyed")
    assert destroyed.status_code == 200 and destroyed.json()["destroyed_by"] == "user:chen"
    assert client.get(f"{API}/downloads?overdue=true").json() == []
    assert client.post(f"{API}/downloads/999999/destroyed").status_code == 422
