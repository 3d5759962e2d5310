"""Logging in and using a session token (CJIS IA-2, IA-11, AC-7, AC-11, AC-12).

`login` never raises for a refused attempt: it returns the refusal, so the caller's
transaction still commits the audit entry and the failure count. Refusals name no detail
to the caller beyond "refused" (no hints to an attacker); the audit log has the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.users.lifecycle import access_problems, last_training
from alpr.users.models import AccountStatus, ApiSession, Device, Notification, User
from alpr.users.security import new_token, token_hash, totp_step, verify_password


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    user: User | None = None
    refused: str | None = None  # why, for the audit log and the server console
    # The password was right, so the user may be told why (suspended, training due...);
    # before that, only "login refused", which says nothing about the account.
    shown: bool = False


def login(
    session: Session, *, username: str, password: str, code: str | None, policy: Policy,
    now: datetime, source: str | None = None, device_token: str | None = None,
    report_to: str = "professional-standards",
) -> LoginResult:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.status == AccountStatus.DELETED:
        return _refuse(session, username, "unknown account", now, source)
    if user.locked_at:
        return _refuse(session, username, "account locked after repeated failures", now, source)
    if not verify_password(user.password_hash, password):
        return _failed(session, user, "wrong password", policy, now, source)
    if user.status in (AccountStatus.SUSPENDED, AccountStatus.DEACTIVATED):
        # REQ U9: recorded and reported to Professional Standards.
        record(session, event=AuditEvent.ACCOUNT_LOGIN_DENIED, actor=f"user:{username}",
               outcome=Outcome.DENIED, source=source, now=now,
               details={"status": user.status, "reason": user.status_reason})
        session.add(Notification(
            recipient=report_to, created_at=now,
            subject=f"ALPR login attempt by {user.status} account {username}",
            body=f"{now.isoformat()}: {user.full_name} ({username}), {user.status}"
                 f" ({user.status_reason}), tried to log in from {source or 'unknown'}."))
        return LoginResult(refused=f"account is {user.status}", shown=True)
    if policy.security.mfa_required or user.totp_secret:
        problem = _check_code(user, code, now)
        if problem:
            return _failed(session, user, problem, policy, now, source)
    device = _device(session, device_token)
    if policy.security.require_registered_devices and device is None:
        return _refuse(session, username, "this device is not registered (U12)", now, source,
                       shown=True)
    problems = access_problems(user, trained_at=last_training(session, user), policy=policy,
                               now=now)
    if problems:
        return _refuse(session, username, "; ".join(problems), now, source, shown=True)
    token = new_token()
    session.add(ApiSession(user_id=user.id, token_hash=token_hash(token), source=source,
                           device_id=device.id if device else None, created_at=now,
                           last_used_at=now))
    user.failed_logins, user.last_access_at = [], now
    record(session, event=AuditEvent.ACCOUNT_LOGIN, actor=f"user:{username}", source=source,
           organization=user.agency, now=now, details={"device_id": device.id if device else None})
    return LoginResult(token=token, user=user)


def _check_code(user: User, code: str | None, now: datetime) -> str | None:
    if not user.totp_secret:
        return "two-factor authentication is required and not enrolled"
    if not code:
        return "one-time code missing"
    step = totp_step(user.totp_secret, code, now=now)
    if step is None:
        return "wrong one-time code"
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return "one-time code already used"  # no replay (IA-2(8))
    user.totp_last_step = step
    return None


def _device(session: Session, device_token: str | None) -> Device | None:
    if not device_token:
        return None
    return session.scalar(select(Device).where(Device.token_hash == token_hash(device_token),
                                               Device.revoked_at.is_(None)))


def _refuse(session: Session, username: str, reason: str, now: datetime, source: str | None,
            *, shown: bool = False) -> LoginResult:
    record(session, event=AuditEvent.ACCOUNT_LOGIN_FAILED, actor=f"user:{username}",
           outcome=Outcome.DENIED, source=source, now=now, details={"reason": reason})
    return LoginResult(refused=reason, shown=shown)


def _failed(session: Session, user: User, reason: str, policy: Policy, now: datetime,
            source: str | None) -> LoginResult:
    """Count the failure; the policy's number within its window locks the account (AC-7)."""
    window_start = policy.security.lockout_window.before(now)
    recent = [at for at in user.failed_logins if datetime.fromisoformat(at) > window_start]
    user.failed_logins = [*recent, now.isoformat()]
    result = _refuse(session, user.username, reason, now, source)
    if len(user.failed_logins) >= policy.security.lockout_failures:
        user.locked_at = now
        record(session, event=AuditEvent.ACCOUNT_LOCKED, actor="system:auth", now=now,
               outcome=Outcome.DENIED, source=source, details={
                   "username": user.username, "failures": len(user.failed_logins)})
    return result


def authenticate(session: Session, *, token: str, policy: Policy, now: datetime
                 ) -> tuple[User, ApiSession] | str:
    """The user behind a session token, or why it no longer works."""
    api_session = session.scalar(select(ApiSession).where(
        ApiSession.token_hash == token_hash(token)))
    if api_session is None or api_session.ended_at is not None:
        return "session ended or unknown"
    rules = policy.security
    if rules.idle_lock_after.after(api_session.last_used_at) <= now:
        api_session.ended_at = now
        return "session idle too long: log in again (AC-11)"
    if rules.reauthenticate_every.after(api_session.created_at) <= now:
        api_session.ended_at = now
        return "session too old: log in again (IA-11)"
    user = session.get(User, api_session.user_id)
    assert user is not None
    problems = access_problems(user, trained_at=last_training(session, user), policy=policy,
                               now=now)
    if problems:
        api_session.ended_at = now
        return "; ".join(problems)
    api_session.last_used_at = user.last_access_at = now
    return user, api_session


def logout(session: Session, *, token: str, now: datetime) -> bool:
    api_session = session.scalar(select(ApiSession).where(
        ApiSession.token_hash == token_hash(token)))
    if api_session is None or api_session.ended_at is not None:
        return False
    api_session.ended_at = now
    user = session.get(User, api_session.user_id)
    record(session, event=AuditEvent.ACCOUNT_LOGOUT, now=now,
           actor=f"user:{user.username if user else api_session.user_id}")
    return True
