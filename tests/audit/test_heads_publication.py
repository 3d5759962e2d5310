"""Signed tree heads: the hourly job, the public JSON, consistency over HTTP, the proof
route; exports as JSON Lines and CSV with JSON details; the organization of every entry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.audit import heads
from alpr.audit.events import AuditEvent
from alpr.audit.service import own_agency, record
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.jobs.registry import JobContext, load_all, run_job
from alpr.policy import default_policy
from alpr.users.permissions import Role, permissions_for
from tests.helpers import CameraFactory, active_user


@pytest.fixture
def auditor(database: Database) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="aud", organization="PD", permissions=permissions_for([Role.AUDITOR]))
    with TestClient(app) as client:
        yield client


def _write(database: Database, n: int) -> list[int]:
    with database.unit_of_work() as session:
        return [record(session, event=AuditEvent.SEARCH_QUERY, actor="user:ortiz",
                       details={"query": {"plate": f"7ABC{i:03}"},
                                "note": "a, \"quoted\" value"}).id for i in range(n)]


def test_the_tree_head_job_runs_at_least_hourly_and_publishes(database: Database) -> None:
    # REQ L1 REQ P2 — signed heads published at least hourly, by the job runner
    job = load_all()["publish-tree-head"]
    policy = default_policy()
    every = job.every(policy)
    assert isinstance(every, timedelta) and every <= timedelta(hours=1)
    _write(database, 3)
    result = run_job(job, JobContext(settings=get_settings(), policy=policy, now=utcnow()))
    assert result.outcome == "success", result.detail
    published = heads.file_heads()
    assert len(published) == 1 and published[0]["tree_size"] >= 3


def test_heads_and_consistency_are_public_proofs_are_for_auditors(
        auditor: TestClient, database: Database) -> None:
    # REQ L1 REQ P2 — anyone checks heads and consistency; an entry's proof needs audit:view
    ids = _write(database, 2)
    with database.unit_of_work() as session:
        first = heads.publish(session, now=utcnow()).tree_size
    _write(database, 3)
    with database.unit_of_work() as session:
        second = heads.publish(session, now=utcnow()).tree_size
    anonymous = TestClient(create_app())
    document = anonymous.get("/transparency/audit-heads.json").json()
    assert [h["tree_size"] for h in document["heads"]] == [first, second]
    assert "BEGIN PUBLIC KEY" in document["public_key"]
    proof = anonymous.get("/transparency/audit-consistency",
                          params={"first": first, "second": second}).json()
    heads.check_consistency(proof, document["public_key"])
    assert anonymous.get("/transparency/audit-consistency",
                         params={"first": first, "second": 99}).status_code == 404
    assert anonymous.get(f"/api/v1/audit/proof/{ids[0]}").status_code == 401
    inclusion = auditor.get(f"/api/v1/audit/proof/{ids[0]}")
    assert inclusion.status_code == 200, inclusion.text
    heads.check_inclusion(inclusion.json(), document["public_key"])
    assert "7ABC" not in anonymous.get("/transparency/audit-heads").text


def test_exports_carry_details_as_json(auditor: TestClient, database: Database) -> None:
    # REQ L5 — JSON Lines, and CSV whose details column is JSON (never Python repr)
    _write(database, 2)
    lines = auditor.get("/api/v1/audit/export.jsonl", params={"event": "search:query"}).text
    rows = [json.loads(line) for line in lines.splitlines()]
    assert [r["details"]["query"]["plate"] for r in rows] == ["7ABC000", "7ABC001"]
    table = auditor.get("/api/v1/audit/export.csv", params={"event": "search:query"}).text
    parsed = list(csv.DictReader(io.StringIO(table)))
    assert json.loads(parsed[1]["details"]) == rows[1]["details"]
    assert parsed[0]["user_agent"].startswith("alpr/")  # the process wrote it directly


def test_every_entry_names_the_organization_of_whoever_acted(
        database: Database, make_camera: CameraFactory) -> None:
    # REQ L1 — §1798.90.52: organization from the acting user's or camera's agency, or
    # this agency for the system and the server console — never left empty
    active_user(database, "kim", [Role.DATA_USER], agency="Oakland PD")
    make_camera("cam-9")
    with database.unit_of_work() as session:
        entries = {actor: record(session, event=AuditEvent.SEARCH_QUERY, actor=actor)
                   for actor in ("user:kim", "camera:cam-9", "system:jobs", "cli:root",
                                 "user:unknown")}
    assert entries["user:kim"].organization == "Oakland PD"
    assert entries["camera:cam-9"].organization == "Test PD"
    for actor in ("system:jobs", "cli:root", "user:unknown"):
        assert entries[actor].organization == own_agency()
    assert all(e.purpose for e in entries.values())
