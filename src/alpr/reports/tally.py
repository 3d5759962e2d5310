"""Durable yearly figures (REQ P1, H6): counted as events happen, kept after the data goes.

Retention purges reads and alerts, hot-list entries expire and access records age out, yet
the annual report for a year must give the same numbers afterwards. So every countable
event adds to a `yearly_counts` row (year, metric, key) in the transaction that records the
event, and the annual report reads only these rows. Nothing deletes them.

Rows added through the ORM (alerts, responses, shares, share requests, manual hot-list
entries, trainings, audits and findings, breaches, search audit entries) are counted by one
`after_flush` listener, so no code path can forget; status changes (an alert verified, a
request honored) move a count from the old key to the new one. Bulk inserts (reads at
ingest, hot-list imports) call `add` themselves. The year is the event's own time (UTC).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.hotlists.models import Alert, AlertResponse, HotList, HotListEntry
from alpr.reports.models import Audit, AuditFinding, YearlyCount
from alpr.sharing.models import Agency, Incident, Share, ShareRequest
from alpr.users.models import TrainingRecord

# Metric names: the annual report's vocabulary.
READS = "reads"
SEARCHES = "searches_by_purpose_category"
SHARES = "shares_by_agency"
REQUESTS = "share_requests_by_decision"
REQUESTS_BY_AGENCY = "share_requests_by_agency_and_decision"
ENTRIES = "hotlist_entries_by_source_and_origin"
ALERTS_BY_MATCH = "alerts_by_match"
ALERTS_BY_STATUS = "alerts_by_status"
ALERTS_VERIFIED = "alerts_verified"
DISPOSITIONS = "alert_dispositions"
AUDITS = "audits_by_kind"
FINDINGS = "audit_findings_by_check"
TRAININGS = "trainings_by_kind"
BREACHES = "breaches"
SEP = "|"  # between the parts of a two-part key (agency|decision, source|origin)

Key = tuple[int, str, str]


def add(session: Session | Connection, counts: Counter[Key]) -> None:
    """Add to the yearly counters (an upsert: safe under concurrent writers)."""
    rows = [{"year": year, "metric": metric, "key": key[:200], "count": n}
            for (year, metric, key), n in counts.items() if n]
    if not rows:
        return
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(YearlyCount).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["year", "metric", "key"],
        set_={"count": YearlyCount.count + statement.excluded.count})
    session.execute(statement)


def count_reads(session: Session, captured: Iterable[datetime]) -> None:
    """Reads stored by an ingest, by the year they were captured."""
    add(session, Counter((moment.year, READS, "") for moment in captured))


def count_imported_entries(session: Session, *, source: str, entered_at: datetime,
                           new: int) -> None:
    """Entries an import added to a list (plates the previous generation did not carry)."""
    add(session, Counter({(entered_at.year, ENTRIES, f"{source}{SEP}import"): new}))


def figures(session: Session, year: int) -> dict[str, dict[str, int]]:
    """Every counter of a year, by metric then key."""
    out: dict[str, dict[str, int]] = {}
    for metric, key, n in session.execute(
            select(YearlyCount.metric, YearlyCount.key, YearlyCount.count)
            .where(YearlyCount.year == year).order_by(YearlyCount.metric, YearlyCount.key)):
        if n:
            out.setdefault(metric, {})[key] = int(n)
    return out


# --- the listener -----------------------------------------------------------------------

def _scalar(connection: Connection, statement: Any) -> Any:
    return connection.execute(statement).scalar()


def _agency(connection: Connection, agency_id: int) -> str:
    return str(_scalar(connection, select(Agency.name).where(Agency.id == agency_id)))


def _new(obj: object, connection: Connection, counts: Counter[Key]) -> None:
    if isinstance(obj, Alert):
        year = obj.created_at.year
        counts[(year, ALERTS_BY_MATCH, obj.match)] += 1
        counts[(year, ALERTS_BY_STATUS, obj.status or "unverified")] += 1
        if obj.verified_at is not None:
            counts[(year, ALERTS_VERIFIED, "")] += 1
    elif isinstance(obj, AlertResponse):
        created = _scalar(connection, select(Alert.created_at).where(Alert.id == obj.alert_id))
        counts[((created or obj.responded_at).year, DISPOSITIONS, obj.disposition)] += 1
    elif isinstance(obj, Share):
        counts[(obj.shared_at.year, SHARES, _agency(connection, obj.agency_id))] += 1
    elif isinstance(obj, ShareRequest):
        year, agency = obj.received_at.year, _agency(connection, obj.agency_id)
        counts[(year, REQUESTS, obj.status)] += 1
        counts[(year, REQUESTS_BY_AGENCY, f"{agency}{SEP}{obj.status}")] += 1
    elif isinstance(obj, HotListEntry):
        source = _scalar(connection, select(HotList.source).where(HotList.id == obj.list_id))
        counts[(obj.entered_at.year, ENTRIES, f"{source}{SEP}{obj.origin}")] += 1
    elif isinstance(obj, TrainingRecord):
        counts[(obj.completed_at.year, TRAININGS, obj.kind)] += 1
    elif isinstance(obj, Audit):
        counts[(obj.created_at.year, AUDITS, obj.kind)] += 1
    elif isinstance(obj, AuditFinding):
        created = _scalar(connection, select(Audit.created_at).where(Audit.id == obj.audit_id))
        if created is not None:
            counts[(created.year, FINDINGS, obj.check)] += 1
    elif isinstance(obj, Incident):
        counts[(obj.discovered_at.year, BREACHES, "")] += 1
    elif isinstance(obj, AuditEntry) and obj.event == AuditEvent.SEARCH_QUERY.value:
        category = str((obj.details or {}).get("purpose_category"))
        counts[(obj.at.year, SEARCHES, category)] += 1


def _moved(obj: object, attribute: str) -> tuple[Any, Any] | None:
    history = get_history(obj, attribute)
    if not history.added or not history.deleted or history.added[0] == history.deleted[0]:
        return None
    return history.deleted[0], history.added[0]


def _changed(obj: object, connection: Connection, counts: Counter[Key]) -> None:
    if isinstance(obj, Alert):
        year = obj.created_at.year
        if (status := _moved(obj, "status")) is not None:
            counts[(year, ALERTS_BY_STATUS, str(status[0]))] -= 1
            counts[(year, ALERTS_BY_STATUS, str(status[1]))] += 1
        history = get_history(obj, "verified_at")
        if history.added and history.added[0] is not None and not any(history.deleted):
            counts[(year, ALERTS_VERIFIED, "")] += 1
    elif isinstance(obj, ShareRequest) and (status := _moved(obj, "status")) is not None:
        year, agency = obj.received_at.year, _agency(connection, obj.agency_id)
        counts[(year, REQUESTS, str(status[0]))] -= 1
        counts[(year, REQUESTS, str(status[1]))] += 1
        counts[(year, REQUESTS_BY_AGENCY, f"{agency}{SEP}{status[0]}")] -= 1
        counts[(year, REQUESTS_BY_AGENCY, f"{agency}{SEP}{status[1]}")] += 1


@event.listens_for(Session, "after_flush")
def _count_flushed(session: Session, _flush: UOWTransaction) -> None:
    """Count what this flush added or changed, in the same transaction."""
    counts: Counter[Key] = Counter()
    connection = session.connection()
    for obj in session.new:
        _new(obj, connection, counts)
    for obj in session.dirty:
        _changed(obj, connection, counts)
    add(connection, counts)
