"""Periodic audits: sample size, reproducible sample, automatic checks, approval (REQ L3–L6)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from alpr.api.app import create_app
from alpr.db.session import Database
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.reports import audits, checks, operator
from alpr.reports.sampling import draw, sample_size
from alpr.users import service
from alpr.users.cli_session import session_file
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, cli_login, registered_agency
from tests.reports.factories import hotlist_entry, search, share

T0 = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in California
SINCE, UNTIL = T0 - timedelta(days=30), T0 + timedelta(days=1)


def test_sample_size_is_cochran_with_finite_population_correction() -> None:
    # REQ L3 — statistically sized: 95 % confidence, ±5 % margin
    assert sample_size(10**9, confidence=0.95, margin=0.05) == 385
    assert sample_size(1000, confidence=0.95, margin=0.05) == 278
    assert sample_size(100, confidence=0.95, margin=0.05) == 80
    assert sample_size(10, confidence=0.95, margin=0.05) == 10
    assert sample_size(1000, confidence=0.99, margin=0.05) == 400
    assert sample_size(0, confidence=0.95, margin=0.05) == 0
    with pytest.raises(ValueError, match="confidence"):
        sample_size(10, confidence=95, margin=0.05)


def test_sample_is_random_and_reproducible_from_its_seed() -> None:
    # REQ L3 — seeded: the same seed draws the same sample, another seed another one
    population = list(range(1000))
    first = draw(population, 50, seed=1234)
    assert first == draw(population, 50, seed=1234)
    assert first != draw(population, 50, seed=4321)
    assert len(set(first)) == 50 and first != sorted(first)


def test_periodic_audit_samples_searches_and_finds_planted_violations(
        database: Database, policy: Policy) -> None:
    # REQ L3 REQ H6 — sample + weak purpose, off-hours, volume, shares, hot-list approval
    with database.unit_of_work() as session:
        good = [search(session, at=T0 - timedelta(days=d)) for d in range(1, 40)]
        weak = search(session, at=T0, case="inv", purpose="Criminal investigation; case inv")
        short = search(session, at=T0, case="12")
        night = search(session, actor="user:owl", at=T0.replace(hour=10))  # 03:00 local
        for _ in range(policy.audits.max_searches_per_day + 1):
            search(session, actor="user:busy", at=T0 + timedelta(minutes=1))
        share(session, agency="Berkeley PD", at=T0)
        unapproved = hotlist_entry(session, at=T0, origin="manual", entered_by="user:a").id
        hotlist_entry(session, at=T0, origin="manual", entered_by="user:a", decided_by="user:b",
                      plate="4HOT222")
        audit = audits.run_periodic(session, since=SINCE, until=UNTIL, policy=policy,
                                    actor="user:auditor", now=T0 + timedelta(days=1), seed=7)
        sampled = [s.subject for s in audits.samples(session, audit.id)]
        found = {(f.check, f.subject) for f in audits.findings(session, audit.id)}
        again = audits.run_periodic(session, since=SINCE, until=UNTIL, policy=policy,
                                    actor="user:auditor", now=T0 + timedelta(days=1), seed=7)
        resampled = [s.subject for s in audits.samples(session, again.id)]
    population = 30 + 3 + policy.audits.max_searches_per_day + 1  # days 31–39: before it
    assert audit.population == population
    assert audit.sample_size == sample_size(population, confidence=0.95, margin=0.05)
    assert sampled == resampled and len(set(sampled)) == audit.sample_size
    assert ("weak-purpose", f"search {weak}") in found
    assert ("weak-purpose", f"search {short}") in found
    assert not any(s == f"search {good[0]}" for _, s in found)
    assert ("off-hours", "user:owl") in found and ("off-hours", f"search {night}") not in found
    assert ("high-volume", "user:busy") in found
    assert any(c == "share-agreement" for c, _ in found)
    assert [s for c, s in found if c == "hotlist-approval"] == [f"hotlist entry {unapproved}"]


def test_weak_purpose_rules_reuse_the_purpose_validation(policy: Policy) -> None:
    # REQ L3 — the search purpose rules, re-run over what the audit log recorded
    ok = {"purpose_category": "criminal_investigation", "case_number": "26-004512",
          "on_behalf_of": "Det. Reyes"}
    assert checks.weak_purpose_reasons(ok, "Criminal investigation; case 26-004512",
                                       policy) == []
    assert checks.weak_purpose_reasons({**ok, "purpose_category": "curiosity"}, "", policy)
    assert checks.weak_purpose_reasons(ok, "case 26-1 — immigration status", policy)
    assert checks.weak_purpose_reasons({**ok, "on_behalf_of": ""}, "", policy)


def test_lapsed_accounts_and_retention_are_flagged(
        database: Database, policy: Policy, images: ImageStore,
        make_camera: CameraFactory) -> None:
    # REQ L3 REQ L6 — accounts past training, reads past retention still stored
    make_camera("cam-1")
    old = policy.retention.delete_after.before(T0) - timedelta(days=2)
    with database.unit_of_work() as session:
        registered_agency(session, "Test PD")
        service.create_user(session, username="stale", full_name="Stale", agency="Test PD",
                            classification=policy.users.authorized_classifications[0],
                            roles=[Role.DATA_USER], actor="t", policy=policy, now=T0,
                            active=True)
        ingest(session, [IngestItem({"id": str(uuid.uuid4()), "plate": "7OLD123",
                                     "confidence": 0.9, "camera_id": "cam-1",
                                     "captured_at": old.isoformat()})],
               actor="t", policy=policy, images=images, now=old)
        found = {f.check: f for f in checks.run_checks(
            session, [], policy=policy, since=SINCE, until=UNTIL, now=T0)}
    assert "no ALPR training" in found["account"].message
    assert found["retention"].details == {"reads": 1}


def test_operator_audit_measures_read_accuracy(
        database: Database, policy: Policy, images: ImageStore,
        make_camera: CameraFactory) -> None:
    # REQ L6 — operator confirms or corrects sampled reads; accuracy = confirmed / reviewed
    make_camera("cam-1")
    with database.unit_of_work() as session:
        ingest(session, [IngestItem({"id": str(uuid.uuid4()), "plate": f"7ABC{i:03d}",
                                     "confidence": 0.9, "camera_id": "cam-1",
                                     "captured_at": (T0 - timedelta(hours=i)).isoformat()})
                         for i in range(6)], actor="t", policy=policy, images=images, now=T0)
        search(session, at=T0, actor="user:x")
        audit = operator.run_operator(session, since=SINCE, until=UNTIL, policy=policy,
                                      actor="user:auditor", now=T0, size=4, seed=3)
        chosen = audits.samples(session, audit.id)
        for i, sample in enumerate(chosen):
            audits.review_sample(session, audit_id=audit.id, sample_id=sample.id,
                                 answers={"confirmed": i > 0,
                                          "corrected_plate": None if i else "7ABC999"},
                                 note=None, actor="user:op", now=T0)
        result = operator.accuracy(audits.samples(session, audit.id))
    assert audit.population == 6 and audit.sample_size == 4
    assert result == {"reviewed": 4, "confirmed": 3, "accuracy": 0.75}
    assert audit.summary["access_by_organization"]["Test PD"]["actors"] >= 1


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _token(database: Database, username: str, roles: tuple[Role, ...]) -> dict[str, str]:
    cli_login(database, username, roles)
    return {"Authorization": f"Bearer {session_file().read_text()}"}


def test_only_the_alpr_administrator_approves(client: TestClient, database: Database) -> None:
    # REQ L4 REQ L5 — the auditor reviews; only the ALPR Administrator approves and publishes
    with database.unit_of_work() as session:
        search(session, at=T0)
        search(session, at=T0, case="inv")
    auditor = _token(database, "auditor", (Role.AUDITOR,))
    admin = _token(database, "admin", (Role.ALPR_ADMINISTRATOR,))
    assert client.get("/api/v1/audits").status_code == 401
    created = client.post("/api/v1/audits", headers=auditor, json={
        "since": SINCE.isoformat(), "until": UNTIL.isoformat(), "seed": 11})
    assert created.status_code == 201, created.text
    audit_id = created.json()["id"]
    detail = client.get(f"/api/v1/audits/{audit_id}", headers=auditor).json()
    assert len(detail["samples"]) == 2
    assert client.post(f"/api/v1/audits/{audit_id}/approve", headers=admin,
                       json={}).status_code == 409  # samples not reviewed yet
    for sample in detail["samples"]:
        ok = sample["details"]["case_number"] != "inv"
        reviewed = client.post(f"/api/v1/audits/{audit_id}/samples/{sample['id']}/review",
                               headers=auditor, json={
                                   "purpose_specific": ok, "case_number_real": ok,
                                   "on_behalf_of_plausible": True})
        assert reviewed.status_code == 200, reviewed.text
    assert client.post(f"/api/v1/audits/{audit_id}/approve", headers=auditor,
                       json={}).status_code == 403
    assert client.post(f"/api/v1/audits/{audit_id}/publish", headers=admin).status_code == 409
    approved = client.post(f"/api/v1/audits/{audit_id}/approve", headers=admin,
                           json={"note": "reviewed with the chief"})
    assert approved.status_code == 200 and approved.json()["approved_by"] == "user:admin"
    assert approved.json()["summary"]["passed"] == 1
    assert client.post(f"/api/v1/audits/{audit_id}/publish",
                       headers=auditor).status_code == 403
    assert client.post(f"/api/v1/audits/{audit_id}/publish",
                       headers=admin).json()["published"] is True
    findings = client.get(f"/api/v1/audits/{audit_id}", headers=auditor).json()["findings"]
    assert "sample-review" in {f["check"] for f in findings}
