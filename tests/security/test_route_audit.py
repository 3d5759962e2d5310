"""One audit rule for every route (issue 18.4), proven by walking `app.routes`.

Every guarded route that returns agency data leaves an audit entry naming the user, their
organization, the source address, user agent and device (CJIS AU-3, §1798.90.52); a
refused request leaves a refusal entry; and while audit entries cannot be written, every
such route answers 503 and returns nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from alpr.api.app import api_routes, create_app
from alpr.audit.middleware import route_rule
from alpr.audit.models import AuditEntry
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import default_policy
from alpr.users.auth import login
from alpr.users.models import Device
from alpr.users.permissions import Role
from alpr.users.security import token_hash
from tests.helpers import PASSWORD, CameraFactory, active_user, workstation

USER_AGENT = "route-audit-walker/1.0"
PEOPLE_ROLES = [r for r in Role if r is not Role.CAMERA]
# Routes open to everyone because they hold no agency data (aggregates, hashes, forms).
PUBLIC_WITHOUT_AGENCY_DATA = {
    "/api/v1/health", "/api/v1/auth/banner", "/api/v1/auth/login", "/login",
    "/transparency", "/transparency/chain-heads.json", "/transparency/audit-heads.json",
    "/transparency/audit-key.pem", "/transparency/audit-consistency",
    "/transparency/audit-heads", "/transparency/policy",  # the written policy file
    "/docs", "/redoc",  # the API's documentation pages (the document itself is a schema)
    "/api/v1/auth/unlock",  # a locked session proves its password again; answers no data
}
STREAMED = {"/api/v1/alerts/stream"}  # writes alert:stream itself before streaming
PATH_VALUES = {"username": "walker", "camera_id": "cam-1", "name": "stolen",
               "kind": "plate", "fmt": "csv", "year": "2026", "alert_id": str(uuid.uuid4())}


def _routes() -> list[APIRoute]:
    return list(api_routes(create_app().routes))


def _get_routes() -> list[APIRoute]:
    return [r for r in _routes() if "GET" in (r.methods or set())
            and r.path not in PUBLIC_WITHOUT_AGENCY_DATA and r.path not in STREAMED]


def _url(route: APIRoute) -> str:
    return re.sub(r"{(\w+)}", lambda m: PATH_VALUES.get(m.group(1), "1"), route.path)


def test_every_route_declares_its_audit_rule() -> None:
    # REQ L1 — a route open to all must be one that returns no agency data; every other
    # route is audited (by its own entry or the one the middleware writes for it)
    rules = {r.path: route_rule(r) for r in _routes()}
    public = {path for path, rule in rules.items() if rule == "public"}
    assert public <= PUBLIC_WITHOUT_AGENCY_DATA, public - PUBLIC_WITHOUT_AGENCY_DATA
    assert all(rule in {"public", "audited", "self"} for rule in rules.values()), rules
    assert len(_get_routes()) >= 28  # the 21 API GET routes of the issue and the pages


@pytest.fixture
def walker(database: Database, make_camera: CameraFactory) -> Iterator[TestClient]:
    make_camera("cam-1")
    secret = active_user(database, "walker", PEOPLE_ROLES, agency="Walker PD")
    now = utcnow()
    with database.unit_of_work() as session:
        result = login(session, username="walker", password=PASSWORD,
                       code=pyotp.TOTP(secret).at(now), policy=default_policy(), now=now,
                       device_token=workstation(database))
    assert result.token
    with TestClient(create_app()) as client:
        client.headers.update({"Authorization": f"Bearer {result.token}",
                               "User-Agent": USER_AGENT, "X-ALPR-Device": "mdt-17"})
        yield client


def _entries_after(database: Database, last: int) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.id > last)
                                    .order_by(AuditEntry.id)))


def _last_id(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def test_every_get_route_writes_an_entry_with_its_context(walker: TestClient,
                                                          database: Database) -> None:
    # REQ L1 — every answer of every data route is audited with user, organization,
    # purpose, query elements, source address, user agent and device (CJIS AU-3)
    problems: list[str] = []
    # The session's registered device names the device, not the header it sends (U12).
    with database.unit_of_work() as session:
        device = session.scalar(select(Device.id).where(
            Device.token_hash == token_hash(workstation(database))))
    for route in _get_routes():
        last = _last_id(database)
        answer = walker.get(_url(route), params={"plate": "7ABC123"})
        entries = [e for e in _entries_after(database, last) if e.actor == "user:walker"]
        if answer.status_code >= 500:
            problems.append(f"{route.path}: {answer.status_code}")
        elif not entries:
            problems.append(f"{route.path}: answered {answer.status_code} with no entry")
        else:
            entry = entries[-1]
            context = (entry.organization, entry.source, entry.user_agent, entry.device)
            if (context != ("Walker PD", "testclient", USER_AGENT, f"device:{device}")
                    or not entry.purpose):
                problems.append(f"{route.path}: {entry.event} lacks context {context}")
            if entry.event == "data:access" and entry.details["query"] != {"plate": "7ABC123"}:
                # e.g. `?plate=` on NCIC hot-list entries: the query elements are recorded
                problems.append(f"{route.path}: query not recorded: {entry.details}")
            if answer.status_code >= 400 and entry.outcome == "success":
                problems.append(f"{route.path}: refusal {answer.status_code} not recorded")
    assert not problems, "\n".join(problems)


def test_listings_record_the_query_and_what_they_returned(walker: TestClient,
                                                         database: Database) -> None:
    # REQ L1 — one entry per request, with the query and the ids returned (compactly)
    for _ in range(2):
        last = _last_id(database)
        assert walker.get("/api/v1/users", params={"status": "active"}).status_code == 200
        entries = _entries_after(database, last)
        assert len(entries) == 1
        details: dict[str, Any] = entries[0].details
        assert details["query"] == {"status": "active"}
        assert "walker" in details["returned"]["ids"]
        assert details["returned"]["count"] >= 1


def _refuse_audit_inserts(database: Database) -> None:
    with database.unit_of_work() as session:
        if database.dialect == "postgresql":
            session.execute(text(
                "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'audit storage down'; END $$"))
            session.execute(text("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log"
                                 " FOR EACH ROW EXECUTE FUNCTION audit_down()"))
        else:
            session.execute(text("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log"
                                 " BEGIN SELECT RAISE(ABORT, 'audit storage down'); END"))


def test_every_audited_route_fails_closed(walker: TestClient, database: Database) -> None:
    # REQ L1 — no entry, no data: 503 with Retry-After and nothing of the answer
    served = {}
    for route in _get_routes():
        answer = walker.get(_url(route))
        if answer.status_code < 400:
            served[route.path] = answer
    assert len(served) >= 15
    _refuse_audit_inserts(database)
    problems = []
    for path, before in served.items():
        route = next(r for r in _get_routes() if r.path == path)
        answer = walker.get(_url(route))
        if answer.status_code != 503 or "retry-after" not in answer.headers:
            problems.append(f"{path}: {answer.status_code}")
        elif before.content and before.content in answer.content:
            problems.append(f"{path}: data returned")
    assert not problems, "\n".join(problems)


def test_a_change_whose_entry_cannot_be_written_does_not_happen(
        walker: TestClient, database: Database) -> None:
    # REQ L1 — the action and its entry are saved together or not at all: 503, nothing saved
    from alpr.hotlists.models import HotList

    _refuse_audit_inserts(database)
    answer = walker.post("/api/v1/hotlists", json={"name": "ghost", "source": "SVS"})
    assert answer.status_code == 503 and answer.headers["retry-after"]
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(HotList)) == 0


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/static/console.css"])
def test_framework_pages_are_served_and_not_audited(database: Database, path: str) -> None:
    # REQ L1 — documentation and static files hold no agency data
    last = _last_id(database)
    with TestClient(create_app()) as client:
        assert client.get(path).status_code == 200
    assert _entries_after(database, last) == []


def test_the_openapi_document_declares_every_routes_audit_rule(database: Database) -> None:
    # REQ L1 — each operation says what it records, and documents the fail-closed 503
    with TestClient(create_app()) as client:
        document = client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("x-audit"), (method, path)
            if not operation["x-audit"].startswith("Not audited"):
                assert "503" in operation["responses"], (method, path)
