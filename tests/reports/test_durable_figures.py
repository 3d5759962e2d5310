"""Figures that outlive the data (REQ P1, H6, L2).

A year of activity goes through the real services; then the routine jobs (retention purge,
hot-list expiry and import, access-record retention, audit-results retention) run until
the year's reads, alerts, entries and search records are gone; the annual report for that
year still gives the same numbers. Audit results stay for at least three years.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

import alpr.policy
from alpr.api.app import create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cli import app as cli
from alpr.config import get_settings
from alpr.db.session import Database
from alpr.hotlists import responses
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert, HotListEntry
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import add_manual_entry, create_list, decide_entry
from alpr.jobs.registry import JobContext, run_due
from alpr.policy import Policy, load_preset
from alpr.policy.duration import Duration
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.service import IngestItem, ingest
from alpr.reports import annual
from alpr.reports.audits import run_periodic
from alpr.reports.models import Audit, YearlyCount
from alpr.search import service as search_service
from alpr.search.purpose import PurposeIn, validate_purpose
from alpr.search.schemas import SearchQuery
from alpr.sharing.incidents import record_incident
from alpr.users import service as users
from alpr.users.cli_session import save_token
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, active_user, session_token
from tests.reports.factories import share

Y = 2025
T0 = datetime(Y, 6, 10, 12, 0, tzinfo=UTC)
LISTED = ("7STL001", "7STL002", "7STL003")


@pytest.fixture
def oakland() -> Policy:
    return load_preset("oakland")  # reads 30 days, access records 1 year, results 3 years


def routine_jobs(policy: Policy, *moments: datetime) -> None:
    """Every registered job that is due, at each moment (what the scheduler does)."""
    for moment in moments:
        results = run_due(JobContext(settings=get_settings(), policy=policy, now=moment))
        assert results, moment


def search(session: Any, policy: Policy, category: str, plate: str) -> None:
    purpose = validate_purpose(PurposeIn(
        category=category, case_number="26-004512", on_behalf_of="Det. Reyes",
        attests_standard=True, attests_prohibited_uses=True), policy=policy)
    search_service.search(session, query=SearchQuery(plate=plate), purpose=purpose,
                          caller=search_service.Caller("user:analyst", "Oakland PD"),
                          policy=policy, now=T0)


def a_year_of_activity(database: Database, policy: Policy, images: ImageStore) -> None:
    active_user(database, "analyst", (Role.DATA_USER,), policy=policy)
    clew = ("DATE06/10/2025 09:00\n" + "".join(f"{p:<8}CA0120250101\n" for p in LISTED)
            + f"TOTAL RECORD {len(LISTED):07d}\n")
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=policy, now=T0)
        create_list(session, name="bolo", source="BOLO", actor="admin", policy=policy, now=T0)
        import_entries(session, list_name="svs", parsed=parse_clew(clew, table="svs"),
                       actor="job", policy=policy, file_name="svs.tbl", now=T0)
        entry = add_manual_entry(session, list_name="bolo", plate="8BOL000", reason="burglary",
                                 case_number="26-004512", justification="seen at the scene",
                                 actor="user:officer", policy=policy, now=T0)
        decide_entry(session, entry_id=entry.id, approve=True, actor="user:admin", now=T0)
        plates = [*LISTED[:2], "8BOL000", "5PLN001", "5PLN002"]
        report = ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": p, "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (T0 - timedelta(seconds=30)).isoformat()}) for p in plates],
            actor="camera:cam-1", policy=policy, images=images, now=T0)
        assert len(report.alerts) == 3
        first = report.alerts[0].id
        responses.verify_alert(session, alert_id=first, actor="user:officer", now=T0,
                               check=responses.Verification(True, True, True, True, T0))
        responses.respond(session, alert_id=first, actor="user:officer", policy=policy,
                          now=T0, response=responses.Response(
                              member="Ofc. Diaz", justification="stop", responded_at=T0,
                              disposition="vehicle recovered"))
        search(session, policy, "burglary", LISTED[0])
        search(session, policy, "burglary", LISTED[1])
        search(session, policy, "missing_person", "5PLN001")
        share(session, agency="Berkeley PD", at=T0)
        users.record_training(session, username="analyst", kind="refresher",
                              actor="system:test", now=T0)
        run_periodic(session, since=T0 - timedelta(days=30), until=T0 + timedelta(hours=1),
                     policy=policy, actor="system:audits", now=T0 + timedelta(hours=1))
        record_incident(session, discovered_at=T0, description="lost laptop",
                        data_involved="none", persons_affected=0, actor="user:admin", now=T0)


def live_rows(database: Database) -> dict[str, int]:
    since, until = annual.year_bounds(Y)
    with database.unit_of_work() as session:
        return {
            "reads": session.scalar(select(func.count()).select_from(Read).where(
                Read.captured_at >= since, Read.captured_at < until)) or 0,
            "alerts": session.scalar(select(func.count()).select_from(Alert)) or 0,
            "entries": session.scalar(select(func.count()).select_from(HotListEntry).where(
                HotListEntry.entered_at < until)) or 0,
            "searches": session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.event == AuditEvent.SEARCH_QUERY.value)) or 0,
        }


def user_token(database: Database, username: str, roles: tuple[Role, ...], policy: Policy) -> str:
    """An active, trained account under `policy`, signed in; its bearer token."""
    return session_token(database, username, roles, policy=policy)


def test_the_annual_report_is_the_same_after_retention_and_expiry(
    database: Database, oakland: Policy, images: ImageStore, make_camera: CameraFactory,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    # REQ P1 REQ H6 — the year's report after its reads, alerts, entries and search records
    # are gone gives the numbers it gave before
    make_camera()
    a_year_of_activity(database, oakland, images)
    with database.unit_of_work() as session:
        before = annual.compute(session, Y)
    assert live_rows(database) == {"reads": 5, "alerts": 3, "entries": 4, "searches": 3}
    assert before["reads"] == before["reads_stored"] == 5
    assert before["searches"] == {"total": 3, "by_purpose_category": {
        "burglary": 2, "missing_person": 1}}
    assert before["hotlist_entries"] == {"total": 4, "by_source": {
        "BOLO": {"manual": 1}, "SVS": {"import": 3}}}
    assert before["alerts"] == {"total": 3, "verified": 1, "by_match": {"exact": 3},
                                "by_status": {"confirmed": 1, "unverified": 2},
                                "dispositions": {"vehicle recovered": 1}}
    assert before["sharing"]["shares_by_agency"] == {"Berkeley PD": 1}
    assert before["trainings"] == {"refresher": 1}
    assert before["audits"]["performed"] == {"periodic": 1}
    assert before["breaches"] == 1

    # A new daily list replaces the old one, then the jobs run through to the next year.
    with database.unit_of_work() as session:
        import_entries(session, list_name="svs", actor="job", policy=oakland,
                       file_name="svs.tbl", now=T0 + timedelta(days=1),
                       parsed=parse_clew("DATE\n" + "".join(
                           f"{p:<8}CA0120250101\n" for p in ("9NEW001", "9NEW002", *LISTED))
                           + "TOTAL RECORD 0000005\n", table="svs"))
    routine_jobs(oakland, datetime(Y + 1, 1, 2, tzinfo=UTC), datetime(Y + 1, 3, 1, tzinfo=UTC),
                 datetime(Y + 1, 7, 1, tzinfo=UTC), datetime(Y + 1, 12, 31, tzinfo=UTC))
    assert live_rows(database) == {"reads": 0, "alerts": 0, "entries": 0, "searches": 0}
    with database.unit_of_work() as session:
        after = annual.compute(session, Y)
        report = annual.generate(session, year=Y, actor="user:auditor",
                                 now=datetime(Y + 2, 1, 5, tzinfo=UTC)).data
    assert after["reads_stored"] == 0  # the one figure that is about what is still stored
    expected = before | {"reads_stored": 0,
                         # the new list added two plates, counted in its own day
                         "hotlist_entries": {"total": 6, "by_source": {
                             "BOLO": {"manual": 1}, "SVS": {"import": 5}}}}
    assert after == expected
    assert report == expected
    # The same numbers through the HTTP API and the command line (REQ P1).
    auditor = user_token(database, "auditor", (Role.AUDITOR, Role.ALPR_ADMINISTRATOR), oakland)
    with TestClient(create_app(policy=oakland)) as client:
        served = client.get(f"/api/v1/audits/annual/{Y}",
                            headers={"Authorization": f"Bearer {auditor}"})
    assert served.status_code == 200, served.text
    assert served.json() == expected
    monkeypatch.setenv("ALPR_POLICY", str(Path(alpr.policy.__file__).parent / "presets"
                                          / "oakland.toml"))
    get_settings.cache_clear()
    save_token(auditor)
    printed = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["reports", "annual", "--year", str(Y), "--out", str(tmp_path)])
    assert printed.exit_code == 0, printed.output
    assert json.loads((tmp_path / f"annual-{Y}.json").read_text()) == expected


def test_counts_are_upserted_under_both_databases(database: Database) -> None:
    # REQ P1 — the same key twice adds up (ON CONFLICT on SQLite and PostgreSQL)
    from collections import Counter

    from alpr.reports import tally

    with database.unit_of_work() as session:
        tally.add(session, Counter({(Y, tally.READS, ""): 2}))
        tally.add(session, Counter({(Y, tally.READS, ""): 3, (Y, tally.BREACHES, ""): 1}))
        assert tally.figures(session, Y) == {"breaches": {"": 1}, "reads": {"": 5}}
        assert session.scalar(select(func.count()).select_from(YearlyCount)) == 2


def audits(database: Database, created_at: datetime = T0) -> list[tuple[int, bool]]:
    """The audits made at `created_at` (the periodic job makes more of its own)."""
    with database.unit_of_work() as session:
        return [(a.id, a.published) for a in session.scalars(
            select(Audit).where(Audit.created_at == created_at).order_by(Audit.id))]


@pytest.mark.parametrize("keep", [Duration(years=3), Duration(years=1)])
def test_audit_results_are_kept_at_least_three_years(
    database: Database, oakland: Policy, keep: Duration
) -> None:
    # REQ L2 — audit results kept ≥ 3 years: no routine job removes them earlier, even
    # under a policy that asks for less; published results stay for good
    policy = oakland.model_copy(update={"retention": oakland.retention.model_copy(
        update={"audit_results_keep": keep})})
    with database.unit_of_work() as session:
        kept = run_periodic(session, since=T0 - timedelta(days=30), until=T0, policy=policy,
                            actor="system:audits", now=T0)
        shown = run_periodic(session, since=T0 - timedelta(days=60), until=T0 - timedelta(
            days=30), policy=policy, actor="system:audits", now=T0)
        shown.published = True
    both = audits(database)
    assert len(both) == 2
    routine_jobs(policy, T0 + timedelta(days=1), T0 + timedelta(days=366),
                 T0 + timedelta(days=2 * 365), T0 + timedelta(days=3 * 365 - 2))
    assert audits(database) == both
    routine_jobs(policy, T0 + timedelta(days=3 * 365 + 2))
    assert audits(database) == [(shown.id, True)]  # the unpublished one reached its period
    assert kept.id not in [a for a, _ in audits(database)]
    with database.unit_of_work() as session:  # and the year's figures still count both
        assert annual.compute(session, Y)["audits"]["performed"]["periodic"] >= 2
