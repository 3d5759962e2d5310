"""The same purpose rules through the HTTP API, the CLI and share requests (issue 16):
each refusal names its rule and citation and is audited with what was attempted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.models import AuditEntry
from alpr.cli import app as cli_app
from alpr.db.session import Database
from alpr.sharing import agencies, requests
from alpr.sharing.models import AgencyKind
from alpr.sharing.schemas import ShareRequestIn
from alpr.users.cli_session import session_file
from tests.helpers import cli_login

runner = CliRunner(env={"COLUMNS": "200"})
GOOD = {"category": "criminal_investigation", "case_number": "26-004512",
        "on_behalf_of": "Det. R. Ortiz #2231", "attests_standard": True,
        "attests_prohibited_uses": True}
# (purpose field, value, rule): a few of each class, disguised as an attacker would
API_REFUSALS = [
    ("description", "H.S.I. follow-up", "immigration"),
    ("description", "Enforcement and Removal Operations", "immigration"),
    ("description", "vehicles seen at Planned Parenthood", "reproductive-health"),
    ("description", "identify everyone who attended the union rally", "first-amendment"),
    ("description", "personal use", "personal-use"),
    ("description", "suspect 123456789", "ssn"),
    ("description", "lives at 1234 Elm", "address"),
    ("case_number", "N.A.", "specific"),
    ("case_number", "???", "case-number-format"),
    ("last_name", "John Smith", "last-name"),
    ("code_section", "burglary", "code-section"),
]


@pytest.fixture
def api(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    cli_login(database)  # a trained, active administrator with a real session token
    with TestClient(create_app()) as client:
        yield client, {"Authorization": f"Bearer {session_file().read_text()}"}


def _refused_entries(database: Database) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.event == "search:refused").order_by(AuditEntry.id)))


@pytest.mark.parametrize(("field", "value", "rule"), API_REFUSALS)
def test_api_refuses_names_the_rule_and_audits_the_attempt(
        api: tuple[TestClient, dict[str, str]], database: Database, field: str, value: str,
        rule: str) -> None:
    # REQ Q2 REQ Q3 REQ Q8 REQ L1: 422 naming rule and citation; audited with purpose and plate
    client, auth = api
    body = {"query": {"plate": "7ABC123"}, "purpose": GOOD | {field: value}}
    refused = client.post("/api/v1/searches", headers=auth, json=body)
    assert refused.status_code == 422, refused.text
    assert f"[rule: {rule}]" in refused.json()["detail"]
    entry = _refused_entries(database)[-1]
    assert entry.details["rule"] == rule and entry.details["citation"]
    assert entry.details["request"]["purpose"][field] == value  # what was attempted
    assert entry.details["request"]["query"]["plate"] == "7ABC123"
    ok = client.post("/api/v1/searches", headers=auth, json=body | {"purpose": GOOD})
    assert ok.status_code == 200, ok.text


def test_api_view_and_export_take_the_same_rules(
        api: tuple[TestClient, dict[str, str]]) -> None:
    # REQ Q1 REQ Q8: the read view and the evidence export validate purposes the same way
    client, auth = api
    bad = GOOD | {"description": "I C E"}
    read = "00000000-0000-0000-0000-000000000001"
    viewed = client.post(f"/api/v1/reads/{read}/view", headers=auth, json={"purpose": bad})
    assert viewed.status_code == 422 and "[rule: immigration]" in viewed.json()["detail"]
    exported = client.post("/api/v1/retention/exports", headers=auth,
                           json={"read_ids": [read], "purpose": bad})
    assert exported.status_code == 422 and "[rule: immigration]" in exported.json()["detail"]


@pytest.mark.parametrize(("args", "rule"), [
    (["--description", "HSI"], "immigration"),
    (["--description", "abort1on clinic"], "reproductive-health"),
    (["--case", "-"], "case-number-format"),
    (["--last-name", "Smith, John"], "last-name"),
    (["--description", "born March 3rd 1985"], "date-of-birth"),
])
def test_cli_refuses_with_the_rule_and_audits_the_attempt(
        database: Database, args: list[str], rule: str) -> None:
    # REQ Q2 REQ Q8 REQ L1: the CLI gives the same refusal as the API, audited
    cli_login(database)
    base = ["search", "--purpose", "criminal_investigation", "--on-behalf-of", "Det. Ortiz",
            "--attest", "--plate", "7ABC123", "--case", "26-004512"]
    result = runner.invoke(cli_app, base + args)
    assert result.exit_code != 0
    assert f"rule: {rule}" in " ".join(result.output.split())
    entry = _refused_entries(database)[-1]
    assert entry.details["path"] == "cli:search" and entry.details["rule"] == rule
    assert entry.details["request"]["query"]["plate"] == "7ABC123"
    ok = runner.invoke(cli_app, base)
    assert ok.exit_code == 0, ok.output


def _request(**changes: Any) -> ShareRequestIn:
    fields: dict[str, Any] = {
        "agency": "Oakland PD", "requester_name": "Det. Ruiz", "received_via": "email",
        "right_to_know": "Peace officer, Penal Code 830.1", "case_number": "26-004512",
        "involvement": "Assigned investigator on the burglary",
        "purpose_category": "criminal_investigation", "purpose_text": "Burglary series, PC 459",
        "attests_no_immigration": True, "attests_no_reproductive_health": True,
        "attests_no_resharing": True} | changes
    return ShareRequestIn(**fields)


@pytest.mark.parametrize(("changes", "rule"), [
    ({"on_behalf_of_name": "Homeland Security Investigations"}, "immigration"),
    ({"on_behalf_of_name": "H.S.I. Los Angeles"}, "immigration"),
    ({"on_behalf_of_name": "U.S. Immigration & Customs Enforcement"}, "immigration"),
    ({"on_behalf_of_name": "Enforcement and Removal Ops"}, "immigration"),
    ({"on_behalf_of_name": "F.B.I. field office"}, "on-behalf-of"),
    ({"on_behalf_of_name": "Nevada Highway Patrol"}, "on-behalf-of"),
    ({"on_behalf_of_name": "Acme Repossession LLC"}, "on-behalf-of"),
    ({"requester_name": "SA Doe (HSI)"}, "immigration"),
    ({"purpose_text": "locate for removal proceedings"}, "immigration"),
    ({"purpose_text": "Planned Parenthood patients"}, "reproductive-health"),
    ({"involvement": "monitoring the protest organizers"}, "first-amendment"),
    ({"purpose_text": "deportaton"}, "immigration"),
])
def test_share_requests_naming_a_forbidden_purpose_or_recipient_are_refused_at_creation(
        database: Database, changes: dict[str, Any], rule: str) -> None:
    # REQ S1 REQ S2 REQ S3 REQ S6: no kind given, any wording: refused when made, stored
    policy = create_app().state.policy
    with database.unit_of_work() as session:
        agencies.register_agency(session, name="Oakland PD", kind=AgencyKind.CA_LAW_ENFORCEMENT,
                                 jurisdiction="Oakland", contacts=None, actor="t", now=_now())
        made = requests.submit(session, given=_request(**changes), actor="user:admin",
                               policy=policy, now=_now())
        assert (made.status, made.rule) == ("refused", rule), made.reason
        assert made.reason and "§" in made.reason  # the citation travels with the reason
        entry = session.scalars(select(AuditEntry).where(AuditEntry.event == "share:refused")
                                .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.details["rule"] == rule
        attempted = _request(**changes).model_dump()
        assert all(entry.details[key] == attempted[key] for key in (
            "purpose_text", "involvement", "right_to_know"))
        assert entry.details["on_behalf_of"] == attempted["on_behalf_of_name"]


@pytest.mark.parametrize("changes", [
    {}, {"on_behalf_of_name": "Alameda County District Attorney"},
    {"on_behalf_of_name": "CHP Golden Gate Division"},
    {"purpose_text": "Burglary at the Union Pacific rail yard, PC 459"},
    {"purpose_text": "Vehicle removal after hit and run, VC 20001"},
    {"requester_name": "Det. Iceberg"}, {"on_behalf_of_name": "Union City PD"},
    {"purpose_text": "Grand theft on March 3, PC 487"},
    {"involvement": "Case agent; police office burglary"},
    {"requester_name": "Sgt. Justice"},
])
def test_share_request_near_misses_stay_pending(database: Database,
                                                changes: dict[str, Any]) -> None:
    # REQ S1 REQ S6: a lawful request from a California agency is not refused by wording
    policy = create_app().state.policy
    with database.unit_of_work() as session:
        agencies.register_agency(session, name="Oakland PD", kind=AgencyKind.CA_LAW_ENFORCEMENT,
                                 jurisdiction="Oakland", contacts=None, actor="t", now=_now())
        made = requests.submit(session, given=_request(**changes), actor="user:admin",
                               policy=policy, now=_now())
        assert made.status == "pending", made.reason


def _now() -> Any:
    from alpr.db.base import utcnow

    return utcnow()


def test_share_request_on_behalf_of_hsi_is_refused_through_api_and_cli(
        api: tuple[TestClient, dict[str, str]]) -> None:
    # REQ S1 REQ S2 REQ S6: "on behalf of Homeland Security Investigations", no kind given,
    # from a California agency: refused when made, naming the rule, through both doors
    from alpr.sharing.cli import shares_app

    client, auth = api
    created = client.post("/api/v1/sharing/agencies", headers=auth, json={
        "name": "Oakland PD", "kind": "ca_law_enforcement", "jurisdiction": "Oakland"})
    assert created.status_code == 201, created.text
    body = _request(on_behalf_of_name="Homeland Security Investigations").model_dump(
        mode="json", exclude_none=True)
    made = client.post("/api/v1/sharing/requests", headers=auth, json=body)
    assert made.status_code == 201, made.text
    assert (made.json()["status"], made.json()["rule"]) == ("refused", "immigration")
    result = runner.invoke(shares_app, [
        "request", "--agency", "Oakland PD", "--requester", "Det. Ruiz", "--right-to-know",
        "PC 830.1", "--case", "26-004512", "--involvement", "investigator", "--purpose",
        "criminal_investigation", "--purpose-text", "burglary PC 459", "--on-behalf-of",
        "H.S.I. task force", "--attest-no-immigration", "--attest-no-reproductive-health",
        "--attest-no-resharing"])
    assert result.exit_code == 1 and "immigration" in result.output, result.output
