"""Scheduled audits: a periodic audit every `audits.every` (default monthly) covering the
time since the previous one, the daily expiry of audit results (REQ L3, L4), and the daily
publication of the audit chain's head for the transparency page (REQ P2)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.retention import audit_key
from alpr.jobs.registry import Job, JobContext, register
from alpr.reports import publication
from alpr.reports.audits import purge_expired, run_periodic
from alpr.reports.models import Audit, AuditKind

ACTOR = "system:audits"


def periodic(session: Session, context: JobContext) -> str:
    last = session.scalar(select(func.max(Audit.period_end)).where(
        Audit.kind == AuditKind.PERIODIC.value))
    since = last or context.policy.audits.every.before(context.now)
    if since >= context.now:
        return "nothing to audit since the last periodic audit"
    audit = run_periodic(session, since=since, until=context.now, policy=context.policy,
                         actor=ACTOR, now=context.now)
    return (f"audit {audit.id}: {audit.sample_size} of {audit.population} searches sampled"
            f" (seed {audit.seed}), {sum(audit.summary['findings'].values())} findings")


def results_retention(session: Session, context: JobContext) -> str:
    removed = purge_expired(session, policy=context.policy, now=context.now)
    return f"{removed} unpublished audits past audit_results_keep removed"


def publish_chain_head(session: Session, context: JobContext) -> str:
    row = publication.publish_day(session, now=context.now,
                                  key=audit_key(context.settings.data_dir))
    if row is None:
        return f"already published for {context.now.date()}"
    return f"published {row.day}: audit entry {row.last_id}, hash {row.hash}"


register(Job("periodic-audit", "Sample the searches since the last audit and run the"
             " automatic checks", lambda policy: policy.audits.every, periodic))
register(Job("audit-results-retention", "Remove unpublished audit results past their"
             " retention", lambda _policy: timedelta(days=1), results_retention))
register(Job("publish-chain-head", "Publish the verified audit-chain head and the 30-day"
             " counts on the transparency page", lambda _policy: timedelta(days=1),
             publish_chain_head))
