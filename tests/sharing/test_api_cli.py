"""Sharing through the API and the CLI: every route needs `sharing:manage`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alpr.api.app import api_routes, create_app, route_guards
from alpr.db.session import Database
from alpr.sharing.cli import agencies_app, incidents_app, shares_app
from alpr.users.cli_session import session_file
from tests.helpers import cli_login

runner = CliRunner(env={"COLUMNS": "200"})






def test_every_sharing_route_needs_sharing_manage() -> None:
    # REQ S6 — sharing decisions only by those who may manage sharing
    routes = [r for r in api_routes(create_app().routes) if r.path.startswith("/api/v1/sharing")]
    assert len(routes) >= 15
    assert {r.path: route_guards(r) for r in routes} == {r.path: {"sharing:manage"} for r in routes}


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_api_refuses_federal_and_records_it(client: TestClient, database: Database) -> None:
    # REQ S1 REQ S6 — unauthenticated is refused; a federal request is stored as refused
    assert client.get("/api/v1/sharing/agencies").status_code == 401
    cli_login(database)
    auth = {"Authorization": f"Bearer {session_file().read_text()}"}
    created = client.post("/api/v1/sharing/agencies", headers=auth, json={
        "name": "CBP", "kind": "federal", "jurisdiction": "United States"})
    assert created.status_code == 201, created.text
    refused = client.post("/api/v1/sharing/requests", headers=auth, json={
        "agency": "CBP", "requester_name": "Agent Doe", "right_to_know": "8 USC 1357",
        "case_number": "X-1", "involvement": "Field office", "purpose_category":
        "criminal_investigation", "purpose_text": "Smuggling case", "attests_no_immigration":
        True, "attests_no_reproductive_health": True, "attests_no_resharing": True})
    assert refused.status_code == 201, refused.text
    assert refused.json()["status"] == "refused" and refused.json()["rule"] == "ca-public-agency"
    listed = client.get("/api/v1/sharing/requests?state=refused", headers=auth).json()
    assert [r["id"] for r in listed] == [refused.json()["id"]]
    incident = client.post("/api/v1/sharing/incidents", headers=auth, json={
        "discovered_at": "2026-06-01T00:00:00Z", "description": "Stolen laptop",
        "data_involved": "Reads export", "persons_affected": 800})
    assert [t["kind"] for t in incident.json()][-1] == "ag_sample_notice_form"


def test_cli_agencies_shares_incidents(database: Database, tmp_path: Path) -> None:
    # REQ S1 REQ S7 REQ S9 REQ X2 — the commands, each acting as a user with sharing:manage
    cli_login(database)
    steps = [
        (agencies_app, ["add", "Oakland PD", "--kind", "ca_law_enforcement",
                        "--jurisdiction", "Oakland"], 0, "registered"),
        (agencies_app, ["add", "ICE", "--kind", "federal", "--jurisdiction", "US"], 0,
         "never a recipient"),
        (agencies_app, ["agreement", "Oakland PD", "--start", "2026-01-01", "--end",
                        "2027-01-01", "--scope", "ALPR reads", "--standing"], 0, "recorded"),
        (agencies_app, ["agreements"], 0, "Oakland PD"),
        (shares_app, ["request", "--agency", "ICE", "--requester", "Agent", "--right-to-know",
                      "federal law", "--case", "A1", "--involvement", "agent",
                      "--purpose", "criminal_investigation", "--purpose-text", "fraud",
                      "--attest-no-immigration", "--attest-no-reproductive-health",
                      "--attest-no-resharing"], 1, "refused"),
        (shares_app, ["request", "--agency", "Oakland PD", "--requester", "Det. Ruiz",
                      "--right-to-know", "PC 830.1", "--case", "26-1", "--involvement",
                      "investigator", "--purpose", "criminal_investigation", "--purpose-text",
                      "burglary PC 459", "--attest-no-immigration",
                      "--attest-no-reproductive-health", "--attest-no-resharing"], 0,
         "pending"),
        (shares_app, ["decide", "{request}", "--honor", "--reason", "verified"], 0, "honored"),
        (shares_app, ["transfer", "{request}", "--message", "see attached", "--reads", "3"], 0,
         "recorded"),
        (shares_app, ["report"], 0, "Oakland PD"),
        (shares_app, ["list"], 0, "refused"),
        (shares_app, ["public-records", "request", "--requester", "EFF", "--description",
                      "ALPR volume"], 0, "logged"),
        (shares_app, ["public-records", "export", "{records}", "--start", "2026-01-01", "--end",
                      "2026-01-03", "-o", str(tmp_path / "agg.json")], 0, "wrote"),
        (incidents_app, ["record", "--discovered", "2026-06-01", "--description", "intrusion",
                         "--data", "reads", "--persons", "12"], 0, "notify_residents"),
        (incidents_app, ["notify", "{task}", "--note", "letters mailed"], 0, "completed"),
        (incidents_app, ["list"], 0, "notify_attorney_general"),
    ]
    ids: dict[str, str] = {}  # ids differ per backend: PostgreSQL sequences never roll back
    for app, args, code, says in steps:
        result = runner.invoke(app, [a.format(**ids) for a in args])
        assert result.exit_code == code, (args, result.output)
        assert says in result.output, (args, result.output)
        for name, pattern in (("request", r"request (\d+) recorded"),
                              ("records", r"public records request (\d+)"),
                              ("task", r"^\s+(\d+) notify_residents")):
            if found := re.search(pattern, result.output, re.MULTILINE):
                ids[name] = found.group(1)
