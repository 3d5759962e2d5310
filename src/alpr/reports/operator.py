"""The operator audit (REQ L6): read accuracy, retention compliance, who accessed from where.

Read accuracy: `audits.read_accuracy_sample` random reads of the period (seeded, the seed
kept) for an operator to confirm or correct against their images; accuracy reported is
confirmed / reviewed. Retention compliance counts reads past the period still stored (held
reads excluded). Access groups the period's audit entries by organization and flags
organizations that are neither the agency nor the agency of any account.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.reads.models import Read
from alpr.reports import checks
from alpr.reports.audits import AuditError, add_findings
from alpr.reports.models import Audit, AuditKind, AuditSample, AuditStatus
from alpr.reports.sampling import draw, new_seed
from alpr.users.lifecycle import agency_problem
from alpr.users.models import AccountStatus, User


def access_by_organization(session: Session, since: datetime, until: datetime
                           ) -> dict[str, dict[str, int]]:
    """Per organization: how many audited actions and by how many distinct actors."""
    actors: dict[str, set[str]] = defaultdict(set)
    events: dict[str, int] = defaultdict(int)
    for organization, actor in session.execute(select(AuditEntry.organization, AuditEntry.actor)
                                               .where(AuditEntry.at >= since,
                                                      AuditEntry.at < until)):
        key = organization or "(none)"
        actors[key].add(actor)
        events[key] += 1
    return {org: {"events": events[org], "actors": len(actors[org])} for org in sorted(events)}


def account_agencies(session: Session) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The agencies of accounts that pass the legal floor (16.2: only California public
    agencies hold accounts), and each account that is not deleted yet fails it."""
    authorized: set[str] = set()
    outside: list[tuple[str, str, str]] = []
    for user in session.scalars(select(User).where(User.status != AccountStatus.DELETED)
                                .order_by(User.username)):
        problem = agency_problem(session, user)
        if problem is None:
            authorized.add(user.agency)
        else:
            outside.append((user.username, user.agency, problem))
    return authorized, outside


def run_operator(session: Session, *, since: datetime, until: datetime, policy: Policy,
                 actor: str, now: datetime, size: int | None = None, seed: int | None = None
                 ) -> Audit:
    if until <= since:
        raise AuditError("the audited period must end after it starts")
    seed = seed if seed is not None else new_seed()
    ids = session.execute(select(Read.id, Read.captured_at).where(
        Read.captured_at >= since, Read.captured_at < until)
        .order_by(Read.captured_at, Read.id)).all()
    chosen = draw(ids, size if size is not None else policy.audits.read_accuracy_sample,
                  seed=seed)
    access = access_by_organization(session, since, until)
    overdue = checks.overdue_reads(session, policy, now)
    audit = Audit(kind=AuditKind.OPERATOR.value, status=AuditStatus.OPEN.value,
                  period_start=since, period_end=until, created_at=now, created_by=actor,
                  population=len(ids), sample_size=len(chosen), seed=seed, published=False,
                  summary={"access_by_organization": access, "retention_overdue": overdue})
    session.add(audit)
    session.flush()
    for position, (read_id, captured_at) in enumerate(chosen):
        read = session.get_one(Read, (read_id, captured_at))
        session.add(AuditSample(audit_id=audit.id, position=position, subject=str(read_id),
                                subject_at=captured_at, details={
                                    "camera_id": read.camera_id, "plate": read.plate,
                                    "confidence": read.confidence,
                                    "plate_image": read.plate_image,
                                    "vehicle_image": read.vehicle_image}))
    authorized, outside = account_agencies(session)
    known = {policy.agency.name, *authorized}
    found = checks.retention(session, policy, now) + [
        checks.Found("organization", "violation", org, f"{counts['events']} actions from an"
                     " organization that is not the agency nor an authorized account's"
                     " agency", counts)
        for org, counts in access.items() if org != "(none)" and org not in known] + [
        checks.Found("account-agency", "violation", username, problem, {"agency": agency})
        for username, agency, problem in outside]
    add_findings(session, audit, found)
    record(session, event=AuditEvent.AUDITS_RUN, actor=actor, now=now, details={
        "audit_id": audit.id, "kind": audit.kind, "population": audit.population,
        "sample_size": audit.sample_size, "seed": seed, "findings": len(found)})
    return audit


def accuracy(samples: list[AuditSample]) -> dict[str, Any]:
    reviewed = [s for s in samples if s.reviewed_at is not None]
    confirmed = sum(1 for s in reviewed if s.passed)
    return {"reviewed": len(reviewed), "confirmed": confirmed,
            "accuracy": round(confirmed / len(reviewed), 4) if reviewed else None}
