"""The daily account lifecycle job (REQ U6, U7, U8, U10)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.jobs.registry import Job, JobContext, register
from alpr.users.lifecycle import run_lifecycle


def lifecycle(session: Session, context: JobContext) -> str:
    return str(run_lifecycle(session, policy=context.policy, now=context.now))


register(Job("users-lifecycle", "Suspend unused accounts, lapse unreviewed ones, end misuse"
             " suspensions, delete separated accounts", lambda _policy: timedelta(days=1),
             lifecycle))
