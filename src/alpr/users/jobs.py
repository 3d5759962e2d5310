"""The daily account lifecycle job (REQ U6, U7, U8, U10)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.jobs.registry import Job, JobContext, register
from alpr.users.auth import forget_old_failures
from alpr.users.lifecycle import run_lifecycle
from alpr.users.notify import deliver_reports


def lifecycle(session: Session, context: JobContext) -> str:
    report = run_lifecycle(session, policy=context.policy, now=context.now)
    forget_old_failures(session, now=context.now)
    return str(report)


def notify(session: Session, context: JobContext) -> str:
    return deliver_reports(session, now=context.now, settings=context.settings)


register(Job("users-lifecycle", "Suspend unused accounts, lapse unreviewed ones, end misuse"
             " suspensions, delete separated accounts", lambda _policy: timedelta(days=1),
             lifecycle))
register(Job("users-notify", "Deliver Professional Standards reports (e-mail, webhook)",
             lambda _policy: timedelta(minutes=1), notify))
