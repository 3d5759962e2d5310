"""Who may use the system right now, from the account and the agency policy (REQ U3–U10).

`access_problems` is checked at every login and every request; `run_lifecycle` is the
daily job that suspends, lapses, reinstates and deletes accounts. Both take `now` so the
rules are tested by moving the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.users.models import AccountStatus, ApiSession, TrainingRecord, User

SYSTEM_ACTOR = "system:lifecycle"


def last_training(session: Session, user: User) -> datetime | None:
    latest: datetime | None = session.scalar(
        select(func.max(TrainingRecord.completed_at)).where(TrainingRecord.user_id == user.id))
    return latest


def access_problems(user: User, *, trained_at: datetime | None, policy: Policy, now: datetime
                    ) -> list[str]:
    """Every reason this account may not use the system now (empty: it may)."""
    rules = policy.users
    if user.status != AccountStatus.ACTIVE:
        return [f"account is {user.status}" + (f": {user.status_reason}" if user.status_reason
                                                 else "")]
    problems = []
    if user.classification not in rules.authorized_classifications:
        problems.append(f"classification {user.classification!r} is not authorized (U3, U5)")
    if trained_at is None:
        problems.append("no ALPR training recorded (U4)")
    elif user.training_required_after and trained_at < user.training_required_after:
        problems.append("retraining required after reactivation (U4)")
    elif rules.training_interval.after(trained_at) <= now:
        problems.append(f"training expired on {rules.training_interval.after(trained_at):%Y-%m-%d}"
                        " (U4)")
    if (user.last_access_at and rules.reorientation_after_unused.after(user.last_access_at) <= now
            and (trained_at is None or trained_at <= user.last_access_at)):
        problems.append("reorientation training required after a long time unused (U4)")
    reviewed = user.reviewed_at or user.approved_at
    if reviewed and rules.authorization_review_every.after(reviewed) <= now:
        problems.append("the periodic authorization review has lapsed (U7)")
    return problems


@dataclass
class LifecycleReport:
    suspended: list[str] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{len(self.suspended)} suspended, {len(self.reinstated)} reinstated,"
                f" {len(self.deactivated)} deactivated, {len(self.deleted)} deleted")


def set_status(session: Session, user: User, status: AccountStatus, reason: str, *,
               actor: str, now: datetime) -> None:
    previous = user.status
    user.status, user.status_reason = status.value, reason
    if status != AccountStatus.ACTIVE:
        end_sessions(session, user, now)
    record(session, event=AuditEvent.ACCOUNT_STATUS, actor=actor, now=now, details={
        "username": user.username, "from": previous, "to": status.value, "reason": reason})


def end_sessions(session: Session, user: User, now: datetime) -> None:
    for api_session in session.scalars(select(ApiSession).where(
            ApiSession.user_id == user.id, ApiSession.ended_at.is_(None))):
        api_session.ended_at = now


def run_lifecycle(session: Session, *, policy: Policy, now: datetime) -> LifecycleReport:
    rules, report = policy.users, LifecycleReport()
    for user in session.scalars(select(User).where(User.status != AccountStatus.DELETED)):
        if user.status == AccountStatus.ACTIVE:
            _check_active(session, user, policy, now, report)
        elif (user.status == AccountStatus.SUSPENDED and user.suspended_until
              and user.suspended_until <= now):
            # A misuse suspension ends; access needs retraining first (U4, U10).
            user.suspended_until, user.training_required_after = None, now
            set_status(session, user, AccountStatus.ACTIVE, "misuse suspension ended",
                       actor=SYSTEM_ACTOR, now=now)
            report.reinstated.append(user.username)
        elif (user.status == AccountStatus.DEACTIVATED and user.separated_at
              and rules.deleted_after_separation
              and rules.deleted_after_separation.after(user.separated_at) <= now):
            erase(session, user, now)
            report.deleted.append(user.username)
    return report


def _check_active(session: Session, user: User, policy: Policy, now: datetime,
                  report: LifecycleReport) -> None:
    rules = policy.users
    if user.classification not in rules.authorized_classifications:
        set_status(session, user, AccountStatus.DEACTIVATED,
                   f"classification {user.classification!r} not authorized", actor=SYSTEM_ACTOR,
                   now=now)
        report.deactivated.append(user.username)
        return
    used = user.last_access_at or user.approved_at
    if used and rules.inactivity_suspension.after(used) <= now:
        set_status(session, user, AccountStatus.SUSPENDED,
                   f"unused since {used:%Y-%m-%d} (U6)", actor=SYSTEM_ACTOR, now=now)
        report.suspended.append(user.username)
        return
    reviewed = user.reviewed_at or user.approved_at
    if reviewed and rules.authorization_review_every.after(reviewed) <= now:
        set_status(session, user, AccountStatus.SUSPENDED, "authorization review lapsed (U7)",
                   actor=SYSTEM_ACTOR, now=now)
        report.suspended.append(user.username)


def erase(session: Session, user: User, now: datetime) -> None:
    """Delete an account: credentials and personal fields go; the username stays so the
    audit trail still names who did what."""
    user.full_name, user.supervisor = "(deleted)", None
    user.password_hash = user.totp_secret = None
    set_status(session, user, AccountStatus.DELETED, "deleted after separation (U8)",
               actor=SYSTEM_ACTOR, now=now)
