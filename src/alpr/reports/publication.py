"""The daily publication for the transparency page (REQ P2): the audit chain's verified
head, and the last 30 days' counts (aggregates only: no plate, read or person).

A head is published only over a chain that verifies: the entries since the previous
publication are walked from its hash (or the whole chain when there is none, or its entry
was removed by retention). One publication per UTC day; a second run that day keeps the
first, so a published hash never changes.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.audit.service import verify_chain
from alpr.hotlists.models import Alert
from alpr.reads.models import Read
from alpr.reports.models import PublishedChainHead

WINDOW = timedelta(days=30)


class ChainBrokenError(RuntimeError):
    """The audit chain does not verify: nothing is published, the job fails loudly."""


def latest(session: Session) -> PublishedChainHead | None:
    return session.scalars(select(PublishedChainHead).order_by(PublishedChainHead.day.desc())
                           .limit(1)).first()


def history(session: Session, limit: int = 400) -> list[PublishedChainHead]:
    return list(session.scalars(select(PublishedChainHead)
                                .order_by(PublishedChainHead.day.desc()).limit(limit)))


def verified_head(session: Session, *, key: bytes | None) -> tuple[int, str]:
    previous = latest(session)
    after = None
    if previous is not None and previous.last_id:
        stored = session.get(AuditEntry, previous.last_id)
        if stored is not None and stored.hash != previous.hash:
            raise ChainBrokenError(f"entry {previous.last_id} no longer has the hash published on"
                              f" {previous.day}: the log was rewritten")
        after = (previous.last_id, previous.hash) if stored is not None else None
    report = verify_chain(session, key=key, after=after)
    if not report.ok:
        raise ChainBrokenError(f"audit chain broken at entry {report.broken_id}: {report.reason}")
    return report.head_id, report.head_hash


def last_days(session: Session, now: datetime, window: timedelta = WINDOW) -> dict[str, Any]:
    """The window's counts shown on the page."""
    since = now - window
    searches = Counter(str(d.get("purpose_category")) for d in session.scalars(
        select(AuditEntry.details).where(AuditEntry.event == AuditEvent.SEARCH_QUERY.value,
                                         AuditEntry.at >= since, AuditEntry.at < now)))
    return {
        "since": since.isoformat(), "until": now.isoformat(),
        "reads": session.scalar(select(func.count()).select_from(Read).where(
            Read.captured_at >= since, Read.captured_at < now)) or 0,
        "hits": session.scalar(select(func.count()).select_from(Alert).where(
            Alert.created_at >= since, Alert.created_at < now)) or 0,
        "searches": sum(searches.values()),
        "searches_by_purpose_category": dict(sorted(searches.items())),
    }


def publish_day(session: Session, *, now: datetime, key: bytes | None
                ) -> PublishedChainHead | None:
    """Publish today's head and counts; None when today's publication already exists."""
    day = now.date()
    if session.get(PublishedChainHead, day) is not None:
        return None
    last_id, head = verified_head(session, key=key)
    row = PublishedChainHead(day=day, last_id=last_id, hash=head, published_at=now,
                             figures=last_days(session, now))
    session.add(row)
    session.flush()
    return row


def mismatched_publications(session: Session) -> list[str]:
    """Every published head whose entry no longer has the published hash (an entry removed
    by audit retention is covered by the signed checkpoint instead)."""
    problems = []
    for published in history(session, limit=100_000):
        stored = session.get(AuditEntry, published.last_id) if published.last_id else None
        if stored is not None and stored.hash != published.hash:
            problems.append(f"entry {published.last_id} no longer has the hash published on"
                            f" {published.day}")
    return problems
