"""The daily audit retention job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.audit.keys import chain_key
from alpr.audit.retention import purge_expired_audit
from alpr.jobs.registry import Job, JobContext, register


def retention(session: Session, context: JobContext) -> str:
    removed = purge_expired_audit(session, policy=context.policy,
                                  key=chain_key(context.settings.data_dir), now=context.now)
    return f"{removed} audit entries past retention removed (checkpointed)"


register(Job("audit-retention", "Remove audit entries past the policy's retention, signed"
             " checkpoint kept", lambda _policy: timedelta(days=1), retention))
