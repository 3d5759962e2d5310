"""Every refused action is audited, decided in one place (issue 17.3): the audit middleware
for HTTP (`request:refused`), `alpr.console.fail` for the CLI (`command:refused`), each in
its own committed transaction while the refused action itself is rolled back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.models import AuditEntry
from alpr.cli import app as cli
from alpr.db.session import Database
from alpr.users.permissions import Role
from tests.helpers import (
    CameraFactory,
    cli_login,
    session_token,
)

runner = CliRunner()
TRUNCATED_SVS = "DATE11/23/2026 09:00\nXYZ999  CA0120260101\n"  # no TOTAL line
FEDERAL_REQUEST = {
    "agency": "CBP", "requester_name": "Agent Doe", "right_to_know": "8 USC 1357",
    "case_number": "X-1", "involvement": "Field office",
    "purpose_category": "criminal_investigation", "purpose_text": "Smuggling case",
    "attests_no_immigration": True, "attests_no_reproductive_health": True,
    "attests_no_resharing": True}
AGREEMENT = {"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z",
             "scope": "ALPR reads"}


@pytest.fixture
def setup(database: Database, make_camera: CameraFactory) -> Iterator[dict[str, Any]]:
    _, camera_key = make_camera("cam-1")
    roles = [r for r in Role if r is not Role.CAMERA]
    token = session_token(database, "walker", roles, agency="Walker PD")
    with TestClient(create_app()) as client:
        user = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/hotlists", headers=user,
                           json={"name": "stolen", "source": "SVS"}).status_code == 201
        agency = client.post("/api/v1/sharing/agencies", headers=user, json={
            "name": "CBP", "kind": "federal", "jurisdiction": "United States"}).json()
        refused = client.post("/api/v1/sharing/requests", headers=user,
                              json=FEDERAL_REQUEST).json()
        assert refused["status"] == "refused"
        yield {"client": client, "user": user, "camera": {"Authorization": f"Bearer {camera_key}"},
               "agency": agency["id"], "refused_request": refused["id"]}


def _last(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def _denied_since(database: Database, last: int) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.id > last, AuditEntry.outcome == "denied")))


HTTP_REFUSALS = [
    # (what, who, method, path, body)
    ("manual hot-list entry", "user", "post", "/api/v1/hotlists/no-such-list/entries",
     {"json": {"plate": "7ABC123", "reason": "stolen", "case_number": "26-1",
               "justification": "seen leaving"}}),
    ("hot-list import", "user", "post", "/api/v1/hotlists/stolen/import",
     {"files": {"file": ("cut.tbl", TRUNCATED_SVS.encode())}}),
    ("evidence export without a purpose", "user", "post", "/api/v1/retention/exports",
     {"json": {"read_ids": [str(uuid.uuid4())]}}),
    ("honouring a refused share", "user", "post", "/api/v1/sharing/requests/{refused}/export",
     {"json": {"read_ids": [str(uuid.uuid4())]}}),
    ("agreement with a federal agency", "user", "post",
     "/api/v1/sharing/agencies/{agency}/agreements", {"json": AGREEMENT}),
    ("oversized read batch (413)", "camera", "post", "/api/v1/reads",
     {"json": {"reads": [{}] * 1001}}),
]


@pytest.mark.parametrize(("what", "who", "method", "path", "body"), HTTP_REFUSALS,
                         ids=[c[0] for c in HTTP_REFUSALS])
def test_every_refused_request_is_audited(setup: dict[str, Any], database: Database,
                                         what: str, who: str, method: str, path: str,
                                         body: dict[str, Any]) -> None:
    # REQ L1 — refusals are accesses too: who, organization, what and why
    client: TestClient = setup["client"]
    url = path.format(refused=setup["refused_request"], agency=setup["agency"])
    last = _last(database)
    answer = client.request(method.upper(), url, headers=setup[who], **body)
    assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
    denied = _denied_since(database, last)
    assert denied, f"{what}: refused with {answer.status_code} but not audited"
    entry = denied[-1]
    assert entry.actor == ("user:walker" if who == "user" else "camera:cam-1")
    assert entry.organization in {"Walker PD", "Test PD"}
    assert entry.source == "testclient" and entry.purpose
    assert len(denied) == 1, [e.event for e in denied]  # one entry per refusal


def _cli_cases(tmp_path: Path) -> list[tuple[str, list[str], str]]:
    cut = tmp_path / "cut.tbl"
    cut.write_text(TRUNCATED_SVS)
    return [
        ("manual hot-list entry", ["hotlists", "add", "no-such-list", "7ABC123", "--reason",
                                   "stolen", "--case-number", "26-1", "--justification", "x"],
         "7ABC123"),
        ("hot-list import", ["hotlists", "import", "stolen", str(cut)], "cut.tbl"),
        ("evidence export", ["evidence", "export", "--read", str(uuid.uuid4()), "--output",
                             str(tmp_path / "e.zip"), "--purpose", "no-such-purpose",
                             "--case", "inv", "--on-behalf-of", "Det. X"], "no-such-purpose"),
        ("federal agreement", ["agencies", "agreement", "ICE", "--start", "2026-01-01", "--end",
                               "2027-01-01", "--scope", "ALPR reads"], "ICE"),
        ("search without a valid purpose", ["search", "--plate", "8XYZ001", "--purpose",
                                            "curiosity", "--on-behalf-of", "me"], "8XYZ001"),
    ]


def test_every_refused_command_is_audited_with_what_was_asked(database: Database,
                                                              tmp_path: Path) -> None:
    # REQ L1 — the CLI too: user, organization, purpose and query elements (§1798.90.52)
    cli_login(database, "operator")
    assert runner.invoke(cli, ["hotlists", "create", "stolen", "--source", "SVS"]).exit_code == 0
    assert runner.invoke(cli, ["agencies", "add", "ICE", "--kind", "federal",
                               "--jurisdiction", "US"]).exit_code == 0
    for what, args, asked in _cli_cases(tmp_path):
        last = _last(database)
        result = runner.invoke(cli, args)
        assert result.exit_code != 0, (what, result.output)
        denied = _denied_since(database, last)
        assert denied, f"{what}: refused but not audited"
        entry = denied[-1]
        assert entry.actor == "user:operator" and entry.organization == "Test PD", what
        assert entry.purpose and entry.source and entry.source.startswith("cli@"), what
        assert asked in str(entry.details), (what, entry.details)
