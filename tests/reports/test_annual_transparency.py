"""The annual report and the public transparency page (REQ P1, P2, H6, L5)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.policy import Policy
from alpr.reports import annual, audits
from alpr.reports.cli import audits_app, reports_app
from tests.helpers import cli_login
from tests.reports.factories import hotlist_entry, search, share

Y = 2026
T0 = datetime(Y, 6, 10, 17, 0, tzinfo=UTC)
PLATES = ("7ABC123", "4HOT111", "5IMP555", "6ALR666")
runner = CliRunner(env={"COLUMNS": "200"})


def _alert(at: datetime, match: str, status: str, verified: bool) -> Alert:
    return Alert(id=uuid.uuid4(), created_at=at, read_id=uuid.uuid4(), read_captured_at=at,
                 camera_id="cam-1", plate_read=PLATES[3], entry_id=1, list_id=1,
                 list_name="SVS", source="SVS", plate_listed=PLATES[3], state_listed="CA",
                 reason="STOLEN", match=match, status=status,
                 verified_at=at if verified else None, verified_by="u" if verified else None)


def _plant(database: Database) -> None:
    """A year of activity, plus some just outside it that must not count."""
    with database.unit_of_work() as session:
        for day, category in ((1, "criminal_investigation"), (2, "criminal_investigation"),
                              (3, "missing_person"), (400, "criminal_investigation")):
            search(session, at=T0 - timedelta(days=day), category=category)
        share(session, agency="Berkeley PD", at=T0)
        share(session, agency="Berkeley PD", at=T0 + timedelta(days=1))
        share(session, agency="Alameda County DA", at=T0)
        share(session, agency="Alameda County DA", at=datetime(Y + 1, 1, 2, tzinfo=UTC))
        hotlist_entry(session, at=T0, source="SVS", plate=PLATES[1])
        hotlist_entry(session, at=T0, source="SVS", plate="4HOT112")
        hotlist_entry(session, at=T0, source="BOLO", origin="manual", plate=PLATES[2],
                      entered_by="user:a", decided_by="user:b")
        session.add_all([_alert(T0, "exact", "confirmed", True),
                         _alert(T0, "fuzzy", "not_confirmed", True),
                         _alert(T0, "exact", "unverified", False),
                         _alert(datetime(Y - 1, 12, 31, tzinfo=UTC), "exact", "unverified",
                                False)])


def test_annual_report_counts_match_the_planted_data(database: Database,
                                                     policy: Policy) -> None:
    # REQ P1 REQ H6 — searches by purpose, shares by agency, hot lists by source, alerts
    _plant(database)
    with database.unit_of_work() as session:
        data = annual.generate(session, year=Y, actor="user:auditor", now=T0).data
    assert data["searches"] == {"total": 3, "by_purpose_category": {
        "criminal_investigation": 2, "missing_person": 1}}
    assert data["sharing"]["shares_by_agency"] == {"Alameda County DA": 1, "Berkeley PD": 2}
    assert data["sharing"]["requests_by_decision"] == {"honored": 3}
    assert data["hotlist_entries"] == {"total": 3, "by_source": {
        "BOLO": {"manual": 1}, "SVS": {"import": 2}}}
    assert data["alerts"] == {"total": 3, "verified": 2, "by_match": {"exact": 2, "fuzzy": 1},
                              "by_status": {"confirmed": 1, "not_confirmed": 1,
                                            "unverified": 1}, "dispositions": {}}
    text = annual.markdown(data, agency=policy.agency.name)
    assert "| criminal_investigation | 2 |" in text and "| Berkeley PD | 2 |" in text
    assert not any(plate in text + json.dumps(data) for plate in PLATES)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_transparency_page_is_public_and_never_shows_a_plate(
        client: TestClient, database: Database, policy: Policy) -> None:
    # REQ P2 REQ L5 — no login; policy, published audits, annual aggregates; no plate, no read id
    _plant(database)
    with database.unit_of_work() as session:
        audit = audits.run_periodic(session, since=T0 - timedelta(days=30), until=T0,
                                    policy=policy, actor="user:auditor", now=T0, seed=5)
        for sample in audits.samples(session, audit.id):
            audits.review_sample(session, audit_id=audit.id, sample_id=sample.id, answers={
                "purpose_specific": True, "case_number_real": True,
                "on_behalf_of_plausible": True}, note=None, actor="user:auditor", now=T0)
        audits.approve(session, audit_id=audit.id, note=None, actor="user:admin", now=T0)
        audits.publish(session, audit_id=audit.id, actor="user:admin", now=T0)
        annual.generate(session, year=Y, actor="user:auditor", now=T0)
    page = client.get("/transparency")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert str(policy.retention.delete_after) in html
    assert policy.search.permitted_purposes[0].label in html
    assert "<h2 id=\"audits-h\">Audits</h2>" in html and f"<td>Audit {audit.id}: " in html
    # Plain words, never the policy file's raw values
    assert not re.search(r"ca_public_agency|\bTrue\b|\bFalse\b", html)
    written = client.get("/transparency/policy")
    assert written.status_code == 200 and "[retention]" in written.text
    assert 'href="/transparency/policy"' in html
    assert f"Annual report {Y}" in html and "Berkeley PD" in html
    assert not any(plate in html for plate in PLATES)
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", html)  # no read or alert id


def test_cli_runs_approves_and_writes_the_annual_report(database: Database,
                                                         tmp_path: Path) -> None:
    # REQ L3 REQ L4 REQ P1 — `alpr audits run/approve`, `alpr reports annual --year`
    _plant(database)
    cli_login(database)
    ran = runner.invoke(audits_app, ["run", "--since", f"{Y}-01-01", "--until", f"{Y}-12-31",
                                     "--seed", "9"])
    assert ran.exit_code == 0, ran.output
    assert "3 of 3 sampled, seed 9" in ran.output
    assert "weak-purpose 1" in ran.output  # missing_person: not a category this policy permits
    audit_id = re.search(r"audit (\d+)", ran.output)
    assert audit_id is not None
    refused = runner.invoke(audits_app, ["approve", audit_id.group(1)])
    assert refused.exit_code == 1 and "not reviewed" in refused.output
    report = runner.invoke(reports_app, ["annual", "--year", str(Y), "--out", str(tmp_path)])
    assert report.exit_code == 0, report.output
    assert json.loads((tmp_path / f"annual-{Y}.json").read_text())["searches"]["total"] == 3
    assert "# ALPR annual report 2026" in (tmp_path / f"annual-{Y}.md").read_text()
