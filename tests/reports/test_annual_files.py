"""The annual report as CSV, HTML and PDF with charts: every number equals a count made
with plain SQL on the database, not by the report code (REQ P1, H6)."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, text
from typer.testing import CliRunner

from alpr.db.base import UtcDateTime
from alpr.db.session import Database
from alpr.hotlists.models import Alert, AlertResponse
from alpr.policy import Policy
from alpr.reports import audits
from alpr.reports.cli import reports_app
from alpr.sharing.models import Incident
from tests.helpers import cli_login
from tests.reports.factories import hotlist_entry, search, share, share_request

Y = 2026
T0 = datetime(Y, 6, 10, 17, 0, tzinfo=UTC)
OUTSIDE = (datetime(Y - 1, 12, 31, 23, tzinfo=UTC), datetime(Y + 1, 1, 1, 1, tzinfo=UTC))
runner = CliRunner(env={"COLUMNS": "200"})


def _alert(at: datetime, match: str, status: str) -> Alert:
    return Alert(id=uuid.uuid4(), created_at=at, read_id=uuid.uuid4(), read_captured_at=at,
                 camera_id="cam-1", plate_read="6ALR666", entry_id=1, list_id=1,
                 list_name="SVS", source="SVS", plate_listed="6ALR666", state_listed="CA",
                 reason="STOLEN", match=match, status=status,
                 verified_at=at if status != "unverified" else None)


def _respond(alert: Alert, disposition: str) -> AlertResponse:
    return AlertResponse(alert_id=alert.id, member="Ofc. Diaz", justification="seen",
                         disposition=disposition, responded_at=alert.created_at,
                         recorded_by="user:diaz", recorded_at=alert.created_at)


def _plant(database: Database, policy: Policy) -> None:
    """A year of activity in every section, and some on both sides of it."""
    with database.unit_of_work() as session:
        for days, category in ((1, "criminal_investigation"), (9, "missing_person"),
                               (20, "criminal_investigation"), (30, "amber_alert")):
            search(session, at=T0 - timedelta(days=days), category=category)
        for at in OUTSIDE:
            search(session, at=at)
            share(session, agency="Berkeley PD", at=at)
            hotlist_entry(session, at=at, plate="4OUT000")
        share(session, agency="Berkeley PD", at=T0)
        share(session, agency="Berkeley PD", at=T0 + timedelta(days=3))
        share(session, agency="Alameda County DA", at=T0)
        share_request(session, agency="Alameda County DA", at=T0, status="denied")
        share_request(session, agency="Oakland Unified SD", at=T0, status="refused")
        hotlist_entry(session, at=T0, source="SVS", plate="4HOT111")
        hotlist_entry(session, at=T0, source="NCIC", plate="4HOT112")
        hotlist_entry(session, at=T0, source="BOLO", origin="manual", plate="5IMP555",
                      entered_by="user:a", decided_by="user:b")
        alerts = [_alert(T0, "exact", "confirmed"), _alert(T0, "exact", "confirmed"),
                  _alert(T0, "fuzzy", "not_confirmed"), _alert(T0, "exact", "unverified"),
                  _alert(OUTSIDE[0], "exact", "confirmed")]
        session.add_all(alerts)
        session.flush()
        session.add_all([_respond(alerts[0], "arrest"), _respond(alerts[1], "vehicle recovered"),
                         _respond(alerts[2], "hit not confirmed"),
                         _respond(alerts[4], "arrest")])
        session.add_all(Incident(discovered_at=at, description="lost laptop",
                                 data_involved="exports", persons_affected=0,
                                 recorded_by="t", recorded_at=at)
                        for at in (T0, OUTSIDE[1]))
        audits.run_periodic(session, since=T0 - timedelta(days=60), until=T0, policy=policy,
                            actor="user:auditor", now=T0, seed=3)


def _sql(database: Database, sql: str) -> list[tuple[Any, ...]]:
    """Plain SQL over the year, independent of the report code."""
    with database.unit_of_work() as session:
        category = ("json_extract(details, '$.purpose_category')"
                    if session.get_bind().dialect.name == "sqlite"
                    else "details->>'purpose_category'")
        statement = text(sql.replace("{category}", category)).bindparams(
            bindparam("since", datetime(Y, 1, 1, tzinfo=UTC), type_=UtcDateTime),
            bindparam("until", datetime(Y + 1, 1, 1, tzinfo=UTC), type_=UtcDateTime))
        rows = session.execute(statement).all()
    return sorted((*(str(v) for v in row[:-1]), int(row[-1])) for row in rows)


def _expected(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "searches": _sql(database, "SELECT {category}, COUNT(*) FROM audit_log"
                         " WHERE event = 'search:query' AND at >= :since AND at < :until"
                         " GROUP BY {category}"),
        "shares": _sql(database, "SELECT a.name, COUNT(*) FROM shares s"
                       " JOIN sharing_agencies a ON a.id = s.agency_id"
                       " WHERE s.shared_at >= :since AND s.shared_at < :until GROUP BY a.name"),
        "share-requests": _sql(database, "SELECT a.name, r.status, COUNT(*) FROM share_requests r"
                               " JOIN sharing_agencies a ON a.id = r.agency_id"
                               " WHERE r.received_at >= :since AND r.received_at < :until"
                               " GROUP BY a.name, r.status"),
        "hotlist-entries": _sql(database, "SELECT h.source, e.origin, COUNT(*)"
                                " FROM hotlist_entries e JOIN hotlists h ON h.id = e.list_id"
                                " WHERE e.entered_at >= :since AND e.entered_at < :until"
                                " GROUP BY h.source, e.origin"),
        "hits-by-match": _sql(database, "SELECT match, COUNT(*) FROM alerts"
                              " WHERE created_at >= :since AND created_at < :until"
                              " GROUP BY match"),
        "hits-by-status": _sql(database, "SELECT status, COUNT(*) FROM alerts"
                               " WHERE created_at >= :since AND created_at < :until"
                               " GROUP BY status"),
        "hit-dispositions": _sql(database, "SELECT r.disposition, COUNT(*) FROM alert_responses r"
                                 " JOIN alerts a ON a.id = r.alert_id"
                                 " WHERE a.created_at >= :since AND a.created_at < :until"
                                 " GROUP BY r.disposition"),
        "audits": _sql(database, "SELECT kind, COUNT(*) FROM audits"
                       " WHERE created_at >= :since AND created_at < :until GROUP BY kind"),
        "audit-findings": _sql(database, 'SELECT f."check", COUNT(*) FROM audit_findings f'
                               " JOIN audits a ON a.id = f.audit_id"
                               " WHERE a.created_at >= :since AND a.created_at < :until"
                               ' GROUP BY f."check"'),
        "trainings": _sql(database, "SELECT kind, COUNT(*) FROM training_records"
                          " WHERE completed_at >= :since AND completed_at < :until"
                          " GROUP BY kind"),
        "breaches": _sql(database, "SELECT 'Breaches', COUNT(*) FROM breach_incidents"
                         " WHERE discovered_at >= :since AND discovered_at < :until"),
        "cameras": _sql(database, "SELECT 'Cameras', COUNT(*) FROM cameras"
                        " WHERE :since < :until"),  # every camera: the report's count
    }


class _Tables(HTMLParser):
    """Rows of every <table id=...> in the HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs).get("id") or ""
            self.tables[self.current] = []
        elif tag == "tr" and self.current is not None:
            self.tables[self.current].append([])
        elif tag == "td" and self.current is not None:
            self.cell = []

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None and self.current is not None:
            self.tables[self.current][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "table":
            self.current = None


def _typed(rows: list[list[str]]) -> list[tuple[Any, ...]]:
    return sorted((*row[:-1], int(row[-1])) for row in rows if row)


def test_annual_files_equal_counts_made_with_plain_sql(database: Database, policy: Policy,
                                                        tmp_path: Path) -> None:
    # REQ P1 REQ H6 — CSV and HTML tables, every section, against independent SQL
    _plant(database, policy)
    cli_login(database)
    result = runner.invoke(reports_app, ["annual", "--year", str(Y), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    expected = _expected(database)
    assert expected["share-requests"] == [("Alameda County DA", "denied", 1),
                                          ("Alameda County DA", "honored", 1),
                                          ("Berkeley PD", "honored", 2),
                                          ("Oakland Unified SD", "refused", 1)]
    assert len(expected["hit-dispositions"]) == 3 and expected["audits"]  # the plant worked
    parser = _Tables()
    parser.feed((tmp_path / f"annual-{Y}.html").read_text())
    for name, rows in expected.items():
        if name in ("breaches", "cameras"):
            continue
        with (tmp_path / f"annual-{Y}-{name}.csv").open(newline="") as handle:
            table = list(csv.reader(handle))
        assert _typed(table[1:]) == rows, name
        assert _typed(parser.tables.get(name, [])) == rows, name
    with (tmp_path / f"annual-{Y}-summary.csv").open(newline="") as handle:
        summary = {row[0]: int(row[1]) for row in list(csv.reader(handle))[1:]}
    assert summary["Breaches"] == expected["breaches"][0][1] == 1
    assert summary["Cameras"] == expected["cameras"][0][1]
    assert summary["Searches"] == sum(n for *_, n in expected["searches"]) == 4
    assert summary["Hits (alerts)"] == sum(n for *_, n in expected["hits-by-match"])


def test_annual_pdf_and_charts_are_written(database: Database, policy: Policy,
                                           tmp_path: Path) -> None:
    # REQ P1 — PDF with the PNG charts embedded; HTML links the same charts; no plate
    _plant(database, policy)
    cli_login(database)
    result = runner.invoke(reports_app, ["annual", "--year", str(Y), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    charts = sorted(tmp_path.glob(f"annual-{Y}-*.png"))
    assert {p.stem.removeprefix(f"annual-{Y}-") for p in charts} == {
        "searches", "share-requests", "hotlist-entries", "hit-dispositions"}
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in charts)
    html = (tmp_path / f"annual-{Y}.html").read_text()
    assert all(f'src="{p.name}"' in html for p in charts)
    pdf = (tmp_path / f"annual-{Y}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Subtype /Image") == len(charts)
    everything = html + "".join(p.read_text() for p in tmp_path.glob("*.csv"))
    assert not any(plate in everything for plate in ("6ALR666", "4HOT111", "5IMP555"))


def test_annual_refuses_a_nonsense_year(database: Database) -> None:
    # REQ P1 — a clear error, not a crash
    cli_login(database)
    result = runner.invoke(reports_app, ["annual", "--year", "26"])
    assert result.exit_code == 1 and "calendar year" in result.output
