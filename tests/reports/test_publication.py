"""The transparency page's daily publication: the audit-chain head `alpr audit verify`
computes, the 30-day counts, the agencies shared with; never a plate (REQ P2, L5)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, text, update
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.cli import app as audit_app
from alpr.config import get_settings
from alpr.db.base import UtcDateTime
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.jobs.registry import JobContext, load_all
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.reports import publication
from alpr.reports.models import PublishedChainHead
from tests.helpers import CameraFactory
from tests.reports.factories import hotlist_entry, search, share

NOW = datetime.now(UTC).replace(microsecond=0)  # ingest refuses reads from the future
runner = CliRunner(env={"COLUMNS": "200"})


def _alert(at: datetime, plate: str) -> Alert:
    return Alert(id=uuid.uuid4(), created_at=at, read_id=uuid.uuid4(), read_captured_at=at,
                 camera_id="cam-1", plate_read=plate, entry_id=1, list_id=1, list_name="SVS",
                 source="SVS", plate_listed=plate, state_listed="CA", reason="STOLEN",
                 match="exact", status="unverified")


@pytest.fixture
def planted(database: Database, policy: Policy, images: ImageStore,
            make_camera: CameraFactory) -> None:
    """Reads inside and outside the 30 days, hits, searches, shares, hot-list entries."""
    make_camera("cam-1")
    make_camera("cam-2")
    ages = [timedelta(hours=h) for h in (1, 5, 30, 24 * 20)] + [timedelta(days=40)]
    items = [IngestItem({"id": str(uuid.uuid4()), "plate": f"{i}PUB{i}{i}{i}",
                         "confidence": 0.9, "camera_id": "cam-1",
                         "captured_at": (NOW - age).isoformat()}) for i, age in enumerate(ages)]
    with database.unit_of_work() as session:
        assert ingest(session, items, actor="t", policy=policy, images=images,
                      now=NOW).accepted == len(items)
        session.add_all([_alert(NOW - timedelta(days=2), "1PUB111"),
                         _alert(NOW - timedelta(days=45), "4PUB444")])
        hotlist_entry(session, at=NOW - timedelta(days=3), plate="7HOT777")
        for days, category in ((1, "criminal_investigation"), (2, "missing_person"),
                               (50, "criminal_investigation")):
            search(session, at=NOW - timedelta(days=days), category=category)
        share(session, agency="Berkeley PD", at=NOW - timedelta(days=4))
        share(session, agency="Alameda County DA", at=NOW - timedelta(days=100))


def _publish(database: Database, policy: Policy, now: datetime) -> str:
    context = JobContext(settings=get_settings(), policy=policy, now=now)
    with database.unit_of_work() as session:
        return load_all()["publish-chain-head"].run(session, context)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _count(database: Database, sql: str) -> int:
    """Counts computed with plain SQL, independent of the code under test."""
    statement = text(sql).bindparams(bindparam("since", NOW - timedelta(days=30),
                                               type_=UtcDateTime),
                                     bindparam("until", NOW, type_=UtcDateTime))
    with database.unit_of_work() as session:
        return int(session.execute(statement).scalar_one())


def test_page_publishes_the_head_audit_verify_computes_and_never_a_plate(
        client: TestClient, database: Database, policy: Policy, planted: None) -> None:
    # REQ P2 REQ L5 — chain head as `alpr audit verify` computes it; 30-day counts; no plate
    assert "published" in _publish(database, policy, NOW)
    verified = runner.invoke(audit_app, ["verify"])
    assert verified.exit_code == 0, verified.output
    head = re.search(r"head: entry (\d+), hash ([0-9a-f]{64})", verified.output)
    assert head is not None
    html = client.get("/transparency").text
    assert (f"<tr><td>{NOW:%Y-%m-%d}</td><td>{head.group(1)}</td><td><code>{head.group(2)}"
            "</code></td></tr>") in html
    reads = _count(database, "SELECT COUNT(*) FROM reads WHERE captured_at >= :since"
                             " AND captured_at < :until")
    hits = _count(database, "SELECT COUNT(*) FROM alerts WHERE created_at >= :since"
                            " AND created_at < :until")
    searches = _count(database, "SELECT COUNT(*) FROM audit_log WHERE event = 'search:query'"
                                " AND at >= :since AND at < :until")
    cameras = _count(database, "SELECT COUNT(*) FROM cameras WHERE active AND :since < :until")
    assert (reads, hits, searches, cameras) == (4, 1, 2, 2)  # the plant is what we think
    # Each figure says what it counts and over which period (issue 21).
    for what, value in (("plates read in the last 30 days", reads),
                        ("alerts in the last 30 days", hits),
                        ("searches in the last 30 days", searches),
                        ("cameras in service today", cameras)):
        assert f'<p class="number">{value}</p><p class="what">{what}</p>' in html
    # A category is shown by the policy's label (a code the policy lacks: in words).
    missing = next((p.label for p in policy.search.permitted_purposes
                    if p.code == "missing_person"), "missing person")
    assert f"<li><span>{missing}</span><strong>1</strong></li>" in html
    assert "<td>Berkeley PD</td><td>1</td>" in html and "Alameda County DA" in html
    with database.unit_of_work() as session:
        plates = {p for sql in ("SELECT plate FROM reads", "SELECT plate_normalized FROM reads",
                                "SELECT plate FROM hotlist_entries",
                                "SELECT plate_read FROM alerts",
                                "SELECT plate_listed FROM alerts")
                  for p in session.execute(text(sql)).scalars()}
    assert len(plates) == 6  # five reads (two also hits) and a hot-list entry
    published = html + client.get("/transparency/chain-heads.json").text
    assert not [p for p in plates if p in published]


def test_one_publication_a_day_and_a_rewritten_log_is_refused(
        client: TestClient, database: Database, policy: Policy, planted: None) -> None:
    # REQ P2 — history of heads; a published hash never changes; a mismatch stops publishing
    _publish(database, policy, NOW - timedelta(days=1))
    with database.unit_of_work() as session:
        first = publication.latest(session)
        assert first is not None
        first_hash = first.hash
        search(session, at=NOW, category="criminal_investigation")  # the chain grows
    assert "already published" in _publish(database, policy, NOW - timedelta(days=1))
    _publish(database, policy, NOW)
    heads = client.get("/transparency/chain-heads.json").json()
    assert [h["day"] for h in heads] == [f"{NOW:%Y-%m-%d}",
                                         f"{NOW - timedelta(days=1):%Y-%m-%d}"]
    assert heads[1]["hash"] == first_hash and heads[0]["last_id"] > heads[1]["last_id"]
    html = client.get("/transparency").text
    assert all(h["hash"] in html for h in heads)
    # Someone swaps the published fingerprint (or the log under it): the next day fails.
    with database.unit_of_work() as session:
        session.execute(update(PublishedChainHead).where(
            PublishedChainHead.day == NOW.date()).values(hash="f" * 64))
    with pytest.raises(publication.ChainBrokenError, match="no longer has the hash"):
        _publish(database, policy, NOW + timedelta(days=1))
    # ... and `alpr audit verify` names the published day whose hash no longer matches.
    verified = runner.invoke(audit_app, ["verify"])
    assert verified.exit_code == 1
    assert f"no longer has the hash published on {NOW:%Y-%m-%d}" in verified.output
