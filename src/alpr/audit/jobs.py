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


def publish_tree_head(session: Session, context: JobContext) -> str:
    from alpr.audit.heads import publish

    head = publish(session, now=context.now, data_dir=context.settings.data_dir)
    return f"signed tree head: {head.tree_size} entries, root {head.root_hash}"


# Hourly (issue 17.3): a rollback can hide at most the entries since the last head, and the
# tail witness covers those.
register(Job("publish-tree-head", "Sign and publish the audit log's Merkle tree head",
             lambda _policy: timedelta(hours=1), publish_tree_head))
