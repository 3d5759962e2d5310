"""The annual report (REQ P1, H6): counts for one calendar year (UTC), JSON and Markdown
(HTML, PDF, CSV and charts: alpr.reports.annual_files).

Aggregates only — no plate, read id or person appears in it — so it can be published.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera
from alpr.reads.models import Read
from alpr.reports import tally
from alpr.reports.models import AnnualReport


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _counted(rows: Any) -> dict[str, int]:
    return {str(key): int(count) for key, count in sorted(rows, key=lambda r: str(r[0]))}


def _split(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """'a|b' keys as {a: {b: n}} (agency and decision, source and origin)."""
    nested: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        outer, _, inner = key.rpartition(tally.SEP)
        nested.setdefault(outer, {})[inner] = n
    return dict(sorted(nested.items()))


def compute(session: Session, year: int) -> dict[str, Any]:
    """The year's figures from the durable yearly counts (reports.tally): the same after
    retention has purged the year's reads and alerts and its hot-list entries expired.
    Only the camera count and the reads still stored are read live, and say so."""
    since, until = year_bounds(year)
    f = tally.figures(session, year)

    def total(metric: str) -> int:
        return sum(f.get(metric, {}).values())

    searches = f.get(tally.SEARCHES, {})
    return {
        "year": year,
        "cameras": session.scalar(select(func.count()).select_from(Camera)) or 0,
        "reads": total(tally.READS),
        "reads_stored": session.scalar(select(func.count()).select_from(Read).where(
            Read.captured_at >= since, Read.captured_at < until)) or 0,
        "searches": {"total": sum(searches.values()),
                     "by_purpose_category": searches},
        "sharing": {"shares": total(tally.SHARES),
                    "shares_by_agency": f.get(tally.SHARES, {}),
                    "requests_by_decision": f.get(tally.REQUESTS, {}),
                    "requests_by_agency_and_decision": _split(
                        f.get(tally.REQUESTS_BY_AGENCY, {}))},
        "hotlist_entries": {"total": total(tally.ENTRIES),
                            "by_source": _split(f.get(tally.ENTRIES, {}))},
        "alerts": {"total": total(tally.ALERTS_BY_MATCH), "verified": total(
            tally.ALERTS_VERIFIED), "by_match": f.get(tally.ALERTS_BY_MATCH, {}),
                   "by_status": f.get(tally.ALERTS_BY_STATUS, {}),
                   "dispositions": f.get(tally.DISPOSITIONS, {})},
        "audits": {"performed": f.get(tally.AUDITS, {}),
                   "findings_by_check": f.get(tally.FINDINGS, {})},
        "trainings": f.get(tally.TRAININGS, {}),
        "breaches": total(tally.BREACHES),
    }


def generate(session: Session, *, year: int, actor: str, now: datetime) -> AnnualReport:
    """Compute the year's report, store it (replacing an earlier run) and audit that."""
    data = compute(session, year)
    report = session.get(AnnualReport, year)
    if report is None:
        report = AnnualReport(year=year, generated_at=now, generated_by=actor, data=data)
        session.add(report)
    else:
        report.generated_at, report.generated_by, report.data = now, actor, data
    session.flush()
    record(session, event=AuditEvent.REPORT_ANNUAL, actor=actor, now=now,
           details={"year": year})
    return report


def latest(session: Session) -> AnnualReport | None:
    return session.scalars(select(AnnualReport).order_by(AnnualReport.year.desc())
                           .limit(1)).first()


def _table(title: str, counts: dict[str, Any]) -> list[str]:
    if not counts:
        return [f"**{title}:** none", ""]
    lines = [f"| {title} | Count |", "|---|---:|"]
    lines += [f"| {key} | {value} |" for key, value in counts.items()]
    return [*lines, ""]


def markdown(data: dict[str, Any], *, agency: str) -> str:
    entries = {f"{source} ({origin})": n
               for source, origins in data["hotlist_entries"]["by_source"].items()
               for origin, n in origins.items()}
    alerts = data["alerts"]
    lines = [f"# ALPR annual report {data['year']} — {agency}", "",
             f"- Cameras: {data['cameras']}", f"- Reads collected: {data.get('reads', 0)}",
             f"- Reads still stored from the year: {data['reads_stored']}",
             f"- Searches: {data['searches']['total']}",
             f"- Shares: {data['sharing']['shares']}",
             f"- Hot-list entries: {data['hotlist_entries']['total']}",
             f"- Alerts: {alerts['total']} ({alerts['verified']} verified)",
             f"- Breaches: {data['breaches']}", "", "## Searches", "",
             *_table("Purpose category", data["searches"]["by_purpose_category"]),
             "## Sharing", "", *_table("Agency", data["sharing"]["shares_by_agency"]),
             *_table("Request decision", data["sharing"]["requests_by_decision"]),
             "## Hot lists", "", *_table("Source (origin)", entries),
             "## Alerts", "", *_table("Match", alerts["by_match"]),
             *_table("Status", alerts["by_status"]),
             "## Audits", "", *_table("Kind", data["audits"]["performed"]),
             *_table("Finding", data["audits"]["findings_by_check"]),
             "## Training", "", *_table("Kind", data["trainings"])]
    return "\n".join(lines).rstrip() + "\n"
