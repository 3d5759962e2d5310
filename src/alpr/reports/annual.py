"""The annual report (REQ P1, H6): counts for one calendar year (UTC), JSON and Markdown
(HTML, PDF, CSV and charts: alpr.reports.annual_files).

Aggregates only — no plate, read id or person appears in it — so it can be published.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.audit.service import record
from alpr.cameras.models import Camera
from alpr.hotlists.models import Alert, AlertResponse, HotList, HotListEntry
from alpr.reads.models import Read
from alpr.reports.models import AnnualReport, Audit, AuditFinding
from alpr.sharing.models import Agency, Incident, Share, ShareRequest
from alpr.users.models import TrainingRecord


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _counted(rows: Any) -> dict[str, int]:
    return {str(key): int(count) for key, count in sorted(rows, key=lambda r: str(r[0]))}


def compute(session: Session, year: int) -> dict[str, Any]:
    since, until = year_bounds(year)
    searches = Counter(str(d.get("purpose_category")) for d in session.scalars(
        select(AuditEntry.details).where(AuditEntry.event == AuditEvent.SEARCH_QUERY.value,
                                         AuditEntry.at >= since, AuditEntry.at < until)))
    shares = session.execute(select(Agency.name, func.count()).join(
        Share, Share.agency_id == Agency.id).where(Share.shared_at >= since,
                                                   Share.shared_at < until)
        .group_by(Agency.name)).all()
    requests = session.execute(select(ShareRequest.status, func.count()).where(
        ShareRequest.received_at >= since, ShareRequest.received_at < until)
        .group_by(ShareRequest.status)).all()
    by_agency = session.execute(select(Agency.name, ShareRequest.status, func.count()).join(
        Agency, Agency.id == ShareRequest.agency_id).where(
        ShareRequest.received_at >= since, ShareRequest.received_at < until)
        .group_by(Agency.name, ShareRequest.status)).all()
    dispositions = session.execute(select(AlertResponse.disposition, func.count()).join(
        Alert, Alert.id == AlertResponse.alert_id).where(
        Alert.created_at >= since, Alert.created_at < until)
        .group_by(AlertResponse.disposition)).all()
    entries = session.execute(select(HotList.source, HotListEntry.origin, func.count()).join(
        HotList, HotList.id == HotListEntry.list_id).where(
        HotListEntry.entered_at >= since, HotListEntry.entered_at < until)
        .group_by(HotList.source, HotListEntry.origin)).all()
    in_year = (Alert.created_at >= since, Alert.created_at < until)
    alerts_by = {name: _counted(session.execute(select(column, func.count()).where(*in_year)
                                                .group_by(column)).all())
                 for name, column in (("by_match", Alert.match), ("by_status", Alert.status))}
    verified = session.scalar(select(func.count()).select_from(Alert).where(
        *in_year, Alert.verified_at.is_not(None))) or 0
    audits = session.execute(select(Audit.kind, func.count()).where(
        Audit.created_at >= since, Audit.created_at < until).group_by(Audit.kind)).all()
    found = session.execute(select(AuditFinding.check, func.count()).join(
        Audit, Audit.id == AuditFinding.audit_id).where(
        Audit.created_at >= since, Audit.created_at < until)
        .group_by(AuditFinding.check)).all()
    trainings = session.execute(select(TrainingRecord.kind, func.count()).where(
        TrainingRecord.completed_at >= since, TrainingRecord.completed_at < until)
        .group_by(TrainingRecord.kind)).all()

    def count(model: Any, column: Any) -> int:
        return session.scalar(select(func.count()).select_from(model).where(
            column >= since, column < until)) or 0

    by_source: dict[str, dict[str, int]] = {}
    for source, origin, n in entries:
        by_source.setdefault(str(source), {})[str(origin)] = int(n)
    decisions: dict[str, dict[str, int]] = {}
    for agency, decision, n in sorted(by_agency, key=lambda r: (str(r[0]), str(r[1]))):
        decisions.setdefault(str(agency), {})[str(decision)] = int(n)
    return {
        "year": year,
        "cameras": session.scalar(select(func.count()).select_from(Camera)) or 0,
        "reads_stored": count(Read, Read.captured_at),
        "searches": {"total": sum(searches.values()),
                     "by_purpose_category": dict(sorted(searches.items()))},
        "sharing": {"shares": sum(int(n) for _, n in shares),
                    "shares_by_agency": _counted(shares),
                    "requests_by_decision": _counted(requests),
                    "requests_by_agency_and_decision": decisions},
        "hotlist_entries": {"total": sum(int(n) for *_, n in entries),
                            "by_source": dict(sorted(by_source.items()))},
        "alerts": {"total": count(Alert, Alert.created_at), "verified": verified,
                   **alerts_by, "dispositions": _counted(dispositions)},
        "audits": {"performed": _counted(audits), "findings_by_check": _counted(found)},
        "trainings": _counted(trainings),
        "breaches": count(Incident, Incident.discovered_at),
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
             f"- Cameras: {data['cameras']}", f"- Reads still stored from the year:"
             f" {data['reads_stored']}", f"- Searches: {data['searches']['total']}",
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
