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
from alpr.sharing.floor import not_california_public
from alpr.sharing.models import Agency
from alpr.users.models import AccountStatus, ApiSession, TrainingRecord, User

SYSTEM_ACTOR = "system:lifecycle"


def last_training(session: Session, user: User) -> datetime | None:
    latest: datetime | None = session.scalar(
        select(func.max(TrainingRecord.completed_at)).where(TrainingRecord.user_id == user.id))
    return latest


def unused_since(user: User) -> datetime | None:
    """Since when the account has not been used: its last access, or its approval or
    reactivation if it has not been used since."""
    moments = [m for m in (user.last_access_at, user.approved_at, user.training_required_after)
               if m is not None]
    return max(moments) if moments else None


def password_expires_at(user: User, policy: Policy) -> datetime:
    """When the password must be changed (IA-5(1): the policy's password_max_age)."""
    return policy.security.password_max_age.after(user.password_changed_at or user.created_at)


def agency_problem(session: Session, user: User) -> str | None:
    """Why the account's agency may not hold accounts (16.2), or None."""
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    if agency is None:
        return f"the agency {user.agency!r} is not in the agency registry (U1)"
    return not_california_public(agency.name, agency.kind, agency.jurisdiction)


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


def due_change(session: Session, user: User, policy: Policy, now: datetime
               ) -> tuple[AccountStatus, str] | None:
    """The status change the account rules call for now, if any: the same rules for the
    daily job and for every login and request (16.3)."""
    rules = policy.users
    if user.status == AccountStatus.SUSPENDED:
        if user.suspended_until and user.suspended_until <= now:
            return AccountStatus.ACTIVE, "misuse suspension ended"
        return None
    if user.status != AccountStatus.ACTIVE:
        return None
    if problem := agency_problem(session, user):
        return AccountStatus.DEACTIVATED, problem
    if user.classification not in rules.authorized_classifications:
        return AccountStatus.DEACTIVATED, f"classification {user.classification!r} not authorized"
    used = unused_since(user)
    if used and rules.inactivity_suspension.after(used) <= now:
        return AccountStatus.SUSPENDED, f"unused since {used:%Y-%m-%d} (U6)"
    disable = policy.security.account_inactivity_disable
    if used and disable.after(used) <= now:
        return AccountStatus.SUSPENDED, f"unused since {used:%Y-%m-%d}: disabled (CJIS AC-2)"
    reviewed = user.reviewed_at or user.approved_at
    if reviewed and rules.authorization_review_every.after(reviewed) <= now:
        return AccountStatus.SUSPENDED, "authorization review lapsed (U7)"
    return None


def apply_due_change(session: Session, user: User, policy: Policy, now: datetime,
                     actor: str = SYSTEM_ACTOR) -> AccountStatus | None:
    change = due_change(session, user, policy, now)
    if change is None:
        return None
    status, reason = change
    if status == AccountStatus.ACTIVE:
        # A misuse suspension ends; access needs retraining first (U4, U10).
        user.suspended_until, user.training_required_after = None, now
    set_status(session, user, status, reason, actor=actor, now=now)
    return status


def enforce_access(session: Session, user: User, *, policy: Policy, now: datetime
                   ) -> list[str]:
    """Apply the account rules at the moment of access, then say what stands in the way
    (empty: the account may be used now)."""
    if due_change(session, user, policy, now) is not None:
        session.refresh(user, with_for_update=True)  # one change, however many requests race
        apply_due_change(session, user, policy, now, actor="system:access-check")
    return access_problems(user, trained_at=last_training(session, user), policy=policy,
                           now=now)


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
        if (user.status == AccountStatus.DEACTIVATED and user.separated_at
                and rules.deleted_after_separation
                and rules.deleted_after_separation.after(user.separated_at) <= now):
            erase(session, user, now)
            report.deleted.append(user.username)
            continue
        changed = apply_due_change(session, user, policy, now)
        if changed is not None:
            {AccountStatus.ACTIVE: report.reinstated, AccountStatus.SUSPENDED: report.suspended,
             AccountStatus.DEACTIVATED: report.deactivated}[changed].append(user.username)
    return report


def erase(session: Session, user: User, now: datetime) -> None:
    """Delete an account: credentials and personal fields go; the username stays so the
    audit trail still names who did what."""
    user.full_name, user.supervisor = "(deleted)", None
    user.password_hash = user.totp_secret = None
    set_status(session, user, AccountStatus.DELETED, "deleted after separation (U8)",
               actor=SYSTEM_ACTOR, now=now)
