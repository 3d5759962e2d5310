"""Periodic audits: run, review sample by sample, approve, publish, expire (REQ L3–L5).

Every step is audited in the caller's transaction. Only the ALPR Administrator approves
(the caller checks `audits:approve`); an approved audit's results are kept per
`retention.audit_results_keep`, a published one indefinitely (002: public indefinitely).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.policy.floor import AUDIT_RESULTS_RECOMMENDED
from alpr.reports import checks
from alpr.reports.models import Audit, AuditFinding, AuditKind, AuditSample, AuditStatus
from alpr.reports.sampling import draw, new_seed, sample_size

# The auditor's questions about one sampled search (REQ L3).
SEARCH_QUESTIONS = ("purpose_specific", "case_number_real", "on_behalf_of_plausible")


class AuditError(ValueError):
    """An audit step that cannot be done; the message says why."""


def run_periodic(session: Session, *, since: datetime, until: datetime, policy: Policy,
                 actor: str, now: datetime, confidence: float | None = None,
                 margin: float | None = None, seed: int | None = None) -> Audit:
    """Sample the period's searches and run the automatic checks."""
    if until <= since:
        raise AuditError("the audited period must end after it starts")
    confidence = confidence if confidence is not None else policy.audits.confidence
    margin = margin if margin is not None else policy.audits.margin
    seed = seed if seed is not None else new_seed()
    entries = checks.searches(session, since, until)
    size = sample_size(len(entries), confidence=confidence, margin=margin)
    chosen = draw(entries, size, seed=seed)
    audit = Audit(kind=AuditKind.PERIODIC.value, status=AuditStatus.OPEN.value,
                  period_start=since, period_end=until, created_at=now, created_by=actor,
                  population=len(entries), sample_size=len(chosen), confidence=confidence,
                  margin=margin, seed=seed, summary={}, published=False)
    session.add(audit)
    session.flush()
    session.add_all(AuditSample(
        audit_id=audit.id, position=i, subject=str(e.id), subject_at=e.at, details={
            "actor": e.actor, "organization": e.organization, "purpose": e.purpose,
            **{k: e.details.get(k) for k in ("purpose_category", "case_number",
                                             "on_behalf_of", "results")}})
        for i, e in enumerate(chosen))
    found = checks.run_checks(session, entries, policy=policy, since=since, until=until,
                              now=now)
    add_findings(session, audit, found)
    audit.summary = {"findings": dict(Counter(f.check for f in found))}
    record(session, event=AuditEvent.AUDITS_RUN, actor=actor, now=now, details={
        "audit_id": audit.id, "kind": audit.kind, "population": audit.population,
        "sample_size": audit.sample_size, "seed": seed, "findings": len(found)})
    return audit


def add_findings(session: Session, audit: Audit, found: list[checks.Found]) -> None:
    session.add_all(AuditFinding(audit_id=audit.id, check=f.check, severity=f.severity,
                                 subject=f.subject[:200], message=f.message,
                                 details=f.details) for f in found)
    session.flush()


def get_audit(session: Session, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise AuditError(f"no audit {audit_id}")
    return audit


def all_audits(session: Session, *, published_only: bool = False) -> list[Audit]:
    statement = select(Audit).order_by(Audit.id.desc())
    if published_only:
        statement = statement.where(Audit.published.is_(True))
    return list(session.scalars(statement))


def samples(session: Session, audit_id: int) -> list[AuditSample]:
    return list(session.scalars(select(AuditSample).where(AuditSample.audit_id == audit_id)
                                .order_by(AuditSample.position)))


def findings(session: Session, audit_id: int) -> list[AuditFinding]:
    return list(session.scalars(select(AuditFinding).where(AuditFinding.audit_id == audit_id)
                                .order_by(AuditFinding.id)))


def view(session: Session, audit_id: int, *, actor: str, now: datetime) -> Audit:
    """An audit as the auditor opens it; reading audit results is audited too."""
    audit = get_audit(session, audit_id)
    record(session, event=AuditEvent.AUDITS_VIEW, actor=actor, now=now,
           details={"audit_id": audit_id})
    return audit


def review_sample(session: Session, *, audit_id: int, sample_id: int, answers: dict[str, Any],
                  note: str | None, actor: str, now: datetime) -> AuditSample:
    """Record the auditor's answers for one sample; a failed one becomes a finding.

    Searches answer SEARCH_QUESTIONS (all true: passed); reads answer `confirmed` or give
    `corrected_plate` (REQ L6).
    """
    audit = get_audit(session, audit_id)
    if audit.status != AuditStatus.OPEN:
        raise AuditError(f"audit {audit_id} is {audit.status}: its samples are final")
    sample = session.get(AuditSample, sample_id)
    if sample is None or sample.audit_id != audit_id:
        raise AuditError(f"audit {audit_id} has no sample {sample_id}")
    if audit.kind == AuditKind.PERIODIC:
        missing = [q for q in SEARCH_QUESTIONS if not isinstance(answers.get(q), bool)]
        if missing:
            raise AuditError("answer yes or no: " + ", ".join(missing))
        passed = all(answers[q] for q in SEARCH_QUESTIONS)
        verdict = {q: answers[q] for q in SEARCH_QUESTIONS}
    else:
        corrected = (answers.get("corrected_plate") or "").strip().upper() or None
        confirmed = answers.get("confirmed") is True and corrected is None
        if not confirmed and corrected is None:
            raise AuditError("confirm the read, or give the plate the image shows")
        passed, verdict = confirmed, {"confirmed": confirmed, "corrected_plate": corrected}
    verdict["note"] = note
    sample.verdict, sample.passed, sample.reviewed_by, sample.reviewed_at = (
        verdict, passed, actor, now)
    if not passed and audit.kind == AuditKind.PERIODIC:
        failed = [q.replace("_", " ") for q in SEARCH_QUESTIONS if not answers[q]]
        add_findings(session, audit, [checks.Found(
            "sample-review", "violation", f"search {sample.subject}",
            "auditor found: not " + ", not ".join(failed) + (f" — {note}" if note else ""),
            {"sample": sample.id, "actor": sample.details.get("actor")})])
    record(session, event=AuditEvent.AUDITS_REVIEW, actor=actor, now=now, details={
        "audit_id": audit_id, "sample_id": sample_id, "passed": passed})
    return sample


def approve(session: Session, *, audit_id: int, note: str | None, actor: str, now: datetime
            ) -> Audit:
    """The ALPR Administrator approves the results once every sample was reviewed (L4)."""
    audit = get_audit(session, audit_id)
    if audit.status != AuditStatus.OPEN:
        raise AuditError(f"audit {audit_id} is already {audit.status}")
    pending = sum(1 for s in samples(session, audit_id) if s.reviewed_at is None)
    if pending:
        raise AuditError(f"{pending} samples are not reviewed yet")
    audit.status, audit.approved_by, audit.approved_at, audit.approval_note = (
        AuditStatus.APPROVED.value, actor, now, note)
    audit.summary = {**audit.summary, **outcome(session, audit)}
    record(session, event=AuditEvent.AUDITS_APPROVE, actor=actor, now=now,
           details={"audit_id": audit_id, "note": note})
    return audit


def outcome(session: Session, audit: Audit) -> dict[str, Any]:
    """Aggregates safe to publish: sample results and findings by check, no names."""
    reviewed = [s for s in samples(session, audit.id) if s.reviewed_at is not None]
    passed = sum(1 for s in reviewed if s.passed)
    found = Counter(f.check for f in findings(session, audit.id))
    result: dict[str, Any] = {"reviewed": len(reviewed), "passed": passed,
                              "findings": dict(sorted(found.items()))}
    if audit.kind == AuditKind.OPERATOR and reviewed:
        result["read_accuracy"] = round(passed / len(reviewed), 4)
    return result


def publish(session: Session, *, audit_id: int, actor: str, now: datetime) -> Audit:
    """Put an approved audit's aggregates on the public transparency page (REQ L5, P2)."""
    audit = get_audit(session, audit_id)
    if audit.status != AuditStatus.APPROVED:
        raise AuditError(f"audit {audit_id} must be approved before it is published")
    audit.published, audit.published_by, audit.published_at = True, actor, now
    record(session, event=AuditEvent.AUDITS_PUBLISH, actor=actor, now=now,
           details={"audit_id": audit_id})
    return audit


def purge_expired(session: Session, *, policy: Policy, now: datetime) -> int:
    """Remove unpublished audit results older than `retention.audit_results_keep`, and never
    any younger than the three years REQ L2 (000/003 429.8) requires, whatever the policy."""
    keep = policy.retention.audit_results_keep
    if keep is None:
        return 0
    cutoff = min(keep.before(now), AUDIT_RESULTS_RECOMMENDED.before(now))
    expired = list(session.scalars(select(Audit.id).where(
        Audit.created_at < cutoff, Audit.published.is_(False))))
    if expired:
        session.execute(delete(AuditSample).where(AuditSample.audit_id.in_(expired)))
        session.execute(delete(AuditFinding).where(AuditFinding.audit_id.in_(expired)))
        session.execute(delete(Audit).where(Audit.id.in_(expired)))
        record(session, event=AuditEvent.AUDITS_RETENTION, actor="system:audits", now=now,
               details={"removed": expired, "older_than": cutoff.isoformat()})
    return len(expired)
