"""Accounts: creation (pending), approval, training, review, classification, suspension,
separation (REQ U1–U10). Every change is audited in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.users.lifecycle import end_sessions, set_status
from alpr.users.models import AccountStatus, Device, TrainingRecord, User
from alpr.users.permissions import Role
from alpr.users.security import (
    DEVICE_PREFIX,
    check_new_password,
    hash_password,
    new_token,
    new_totp_secret,
    token_hash,
)

TRAINING_KINDS = ("initial", "refresher", "reorientation")


class AccountError(ValueError):
    """An account request that cannot be honoured; the message says why."""


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def create_user(
    session: Session, *, username: str, full_name: str, agency: str, classification: str,
    roles: Sequence[Role], actor: str, policy: Policy, now: datetime,
    supervisor: str | None = None, active: bool = False,
) -> User:
    """A new account, pending until an ALPR Administrator approves it (REQ U1, U3)."""
    if classification not in policy.users.authorized_classifications:
        raise AccountError(
            f"classification {classification!r} cannot be authorized; the policy allows: "
            + "; ".join(policy.users.authorized_classifications))
    if not roles:
        raise AccountError("an account needs at least one role")
    if Role.CAMERA in roles:
        raise AccountError("the camera role is for devices, not people")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    user = User(username=username, full_name=full_name, agency=agency,
                classification=classification, roles=[r.value for r in roles],
                status=(AccountStatus.ACTIVE if active else AccountStatus.PENDING).value,
                supervisor=supervisor, created_at=now, created_by=actor, failed_logins=[])
    if active:  # only the very first System Administrator, created on the server console
        user.approved_by, user.approved_at, user.reviewed_at = actor, now, now
    session.add(user)
    session.flush()
    record(session, event=AuditEvent.ACCOUNT_CREATE, actor=actor, now=now, details={
        "username": username, "classification": classification, "roles": user.roles,
        "status": user.status})
    return user


def approve_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    user = get_user(session, username)
    if user.status != AccountStatus.PENDING:
        raise AccountError(f"{username} is {user.status}, not pending")
    if actor.removeprefix("user:") == username:
        raise AccountError("an account cannot approve itself")
    user.approved_by, user.approved_at, user.reviewed_at = actor, now, now
    user.status = AccountStatus.ACTIVE.value
    record(session, event=AuditEvent.ACCOUNT_APPROVE, actor=actor, now=now,
           details={"username": username})
    return user


def set_password(session: Session, *, username: str, password: str, actor: str,
                 policy: Policy, now: datetime) -> None:
    user = get_user(session, username)
    check_new_password(password, min_length=policy.security.password_min_length,
                       username=username)
    user.password_hash, user.password_changed_at = hash_password(password), now
    end_sessions(session, user, now)  # re-authenticate after a credential change (IA-11)
    record(session, event=AuditEvent.ACCOUNT_PASSWORD, actor=actor, now=now,
           details={"username": username})


def enroll_totp(session: Session, *, username: str, actor: str, now: datetime) -> str:
    """A new TOTP secret for the account (returned once, for the authenticator app)."""
    user = get_user(session, username)
    user.totp_secret, user.totp_last_step = new_totp_secret(), None
    end_sessions(session, user, now)
    record(session, event=AuditEvent.ACCOUNT_MFA_ENROLL, actor=actor, now=now,
           details={"username": username})
    return user.totp_secret


def record_training(session: Session, *, username: str, kind: str, actor: str,
                    now: datetime) -> TrainingRecord:
    if kind not in TRAINING_KINDS:
        raise AccountError(f"training kind must be one of {', '.join(TRAINING_KINDS)}")
    user = get_user(session, username)
    row = TrainingRecord(user_id=user.id, kind=kind, completed_at=now, recorded_by=actor,
                         details={})
    session.add(row)
    session.flush()
    record(session, event=AuditEvent.ACCOUNT_TRAINING, actor=actor, now=now,
           details={"username": username, "kind": kind})
    return row


def review_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    """The periodic review of an authorization (REQ U7)."""
    user = get_user(session, username)
    user.reviewed_at = now
    record(session, event=AuditEvent.ACCOUNT_REVIEW, actor=actor, now=now,
           details={"username": username})
    return user


def change_classification(session: Session, *, username: str, classification: str,
                          actor: str, policy: Policy, now: datetime) -> User:
    """A new job classification; an unauthorized one ends access at once (REQ U5)."""
    user = get_user(session, username)
    previous, user.classification = user.classification, classification
    record(session, event=AuditEvent.ACCOUNT_CLASSIFICATION, actor=actor, now=now,
           details={"username": username, "from": previous, "to": classification})
    if classification not in policy.users.authorized_classifications:
        set_status(session, user, AccountStatus.DEACTIVATED,
                   f"moved to unauthorized classification {classification!r}", actor=actor,
                   now=now)
    return user


def suspend_for_misuse(session: Session, *, username: str, reason: str, actor: str,
                       policy: Policy, now: datetime) -> User:
    """Suspend for the policy's misuse period (REQ U10); the daily job reinstates it."""
    user = get_user(session, username)
    user.suspended_until = policy.users.misuse_suspension.after(now)
    set_status(session, user, AccountStatus.SUSPENDED, f"misuse: {reason}", actor=actor, now=now)
    return user


def separate_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    """Separation from the agency: deactivated at once, deleted per policy (REQ U8)."""
    user = get_user(session, username)
    user.separated_at = now
    set_status(session, user, AccountStatus.DEACTIVATED, "separated from the agency",
               actor=actor, now=now)
    return user


def reactivate_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    """Back to active; access waits for new training (REQ U4)."""
    user = get_user(session, username)
    if user.status not in (AccountStatus.SUSPENDED, AccountStatus.DEACTIVATED):
        raise AccountError(f"{username} is {user.status}")
    user.training_required_after, user.suspended_until, user.reviewed_at = now, None, now
    user.last_access_at = None
    set_status(session, user, AccountStatus.ACTIVE, f"reactivated by {actor}", actor=actor,
               now=now)
    return user


def unlock_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    user = get_user(session, username)
    user.locked_at, user.failed_logins = None, []
    record(session, event=AuditEvent.ACCOUNT_UNLOCK, actor=actor, now=now,
           details={"username": username})
    return user


def register_device(session: Session, *, name: str, actor: str, now: datetime) -> str:
    """An agency-issued device; the returned token is installed on it once (REQ U12)."""
    token = new_token(DEVICE_PREFIX)
    device = Device(name=name, token_hash=token_hash(token), registered_by=actor,
                    registered_at=now)
    session.add(device)
    session.flush()
    record(session, event=AuditEvent.DEVICE_REGISTER, actor=actor, now=now,
           details={"device_id": device.id, "name": name})
    return token
