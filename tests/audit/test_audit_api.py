"""Audit access for Auditors: filters, CSV export, verify; reading the log is audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.session import Database
from alpr.users.permissions import Role, permissions_for


@pytest.fixture
def auditor(database: Database) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="user", id="aud", organization="PD", permissions=permissions_for([Role.AUDITOR]))
    with TestClient(app) as client:
        yield client


def test_auditors_filter_export_and_verify(auditor: TestClient, database: Database) -> None:
    # REQ L1 REQ L5 — the record of every access, for auditors
    with database.unit_of_work() as session:
        record(session, event=AuditEvent.SEARCH_QUERY, actor="user:ortiz",
               details={"query": {"plate": "7ABC123"}, "results": 2})
        record(session, event=AuditEvent.SEARCH_QUERY, actor="user:lee",
               details={"query": {"plate": "8XYZ001"}, "results": 0})
    by_plate = auditor.get("/api/v1/audit", params={"plate": "7abc123"}).json()
    assert [e["actor"] for e in by_plate] == ["user:ortiz"]
    by_actor = auditor.get("/api/v1/audit", params={"actor": "user:lee"}).json()
    assert by_actor[0]["details"]["query"]["plate"] == "8XYZ001"
    exported = auditor.get("/api/v1/audit/export.csv", params={"event": "search:query"})
    assert exported.text.count("search:query") == 2
    assert auditor.get("/api/v1/audit/verify").json()["ok"] is True
    reads_of_log = auditor.get("/api/v1/audit", params={"event": "audit:query"}).json()
    assert len(reads_of_log) == 3  # each look at the log is itself on the log
