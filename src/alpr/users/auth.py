"""Logging in and using a session token (CJIS IA-2, IA-5, IA-11, AC-2, AC-7, AC-11, SC-10).

`login` never raises for a refused attempt: it returns the refusal, so the caller's
transaction still commits the audit entry and the failure count. Refusals name no detail
to the caller beyond "refused" (no hints to an attacker); the audit log has the reason.

Concurrency: the account row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite
transactions start with BEGIN IMMEDIATE) before the password is checked, so parallel
attempts are checked one at a time: the lockout counts every failure and a one-time code
is accepted once, however many requests race. Unknown accounts cost the same password
hash as known ones, so the answer time does not tell whether a name exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.config import Settings, get_settings
from alpr.policy import Policy
from alpr.users.devices import find_device
from alpr.users.lifecycle import (
    apply_due_change,
    due_change,
    enforce_access,
    password_expires_at,
)
from alpr.users.models import AccountStatus, ApiSession, Device, LoginFailure, User
from alpr.users.notify import report_denied_login
from alpr.users.security import (
    PasswordRejected,
    check_new_password,
    hash_password,
    new_token,
    token_hash,
    totp_step,
    verify_password,
)


@dataclass(frozen=True)
class LoginResult:
    token: str | None = None
    user: User | None = None
    refused: str | None = None  # why, for the audit log and the server console
    # The password was right, so the user may be told why (suspended, training due...);
    # before that, only "login refused", which says nothing about the account.
    shown: bool = False
    throttled: bool = False  # too many failures from this client: answer 429
    password_change_required: bool = False  # log in again giving a new password (IA-5(1))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not a password of anyone: equal time for unknown accounts")


def login(
    session: Session, *, username: str, password: str, code: str | None, policy: Policy,
    now: datetime, source: str | None = None, device_token: str | None = None,
    report_to: str = "professional-standards", new_password: str | None = None,
    settings: Settings | None = None,
) -> LoginResult:
    settings = settings or get_settings()
    if _throttled(session, source, now, settings):
        result = _refuse(session, username, "too many failed logins from this client (AC-7)",
                         now, source)
        return LoginResult(refused=result.refused, throttled=True)
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None or user.status == AccountStatus.DELETED:
        verify_password(_dummy_hash(), password)
        if user is not None:  # REQ U9: a deleted account's name is reported too
            report_denied_login(session, user, password_ok=False, source=source, now=now,
                                report_to=report_to, settings=settings)
        return _failure_from(session, None, username, "unknown account", policy, now, source)
    if user.locked_at:
        # No hash here: the row is locked, and a locked account says nothing new by speed.
        return _failure_from(session, None, username,
                             "account locked after repeated failures", policy, now, source)
    password_ok = verify_password(user.password_hash, password)
    if user.status == AccountStatus.SUSPENDED and due_change(session, user, policy, now):
        apply_due_change(session, user, policy, now, actor="system:access-check")  # U10 over
    if user.status in (AccountStatus.SUSPENDED, AccountStatus.DEACTIVATED):
        # REQ U9: recorded and reported to Professional Standards, right password or not.
        record(session, event=AuditEvent.ACCOUNT_LOGIN_DENIED, actor=f"user:{username}",
               outcome=Outcome.DENIED, source=source, now=now,
               details={"status": user.status, "reason": user.status_reason,
                        "password_ok": password_ok})
        report_denied_login(session, user, password_ok=password_ok, source=source, now=now,
                            report_to=report_to, settings=settings)
        if not password_ok:
            return _failure_from(session, user, username, "wrong password", policy, now, source)
        return LoginResult(refused=f"account is {user.status}: {user.status_reason}",
                           shown=True)
    if not password_ok:
        return _failure_from(session, user, username, "wrong password", policy, now, source)
    if policy.security.mfa_required or user.totp_secret:
        problem = _check_code(user, code, now)
        if problem:
            return _failure_from(session, user, username, problem, policy, now, source)
    device = find_device(session, device_token)
    if policy.security.require_registered_devices and device is None:
        if source:  # guessing device tokens counts towards the client's throttle
            session.add(LoginFailure(source=source, username=username[:200], at=now))
        return _refuse(session, username, "this device is not registered (U12)", now, source,
                       shown=True)
    problems = enforce_access(session, user, policy=policy, now=now)
    if problems:
        return _refuse(session, username, "; ".join(problems), now, source, shown=True)
    expires = password_expires_at(user, policy)
    if expires <= now:
        refused = _new_password(session, user, password, new_password, policy, now, source,
                                expires)
        if refused is not None:
            return refused
    token = new_token()
    session.add(ApiSession(user_id=user.id, token_hash=token_hash(token), source=source,
                           device_id=device.id if device else None, created_at=now,
                           last_used_at=now))
    user.failed_logins, user.last_access_at = [], now
    record(session, event=AuditEvent.ACCOUNT_LOGIN, actor=f"user:{username}", source=source,
           organization=user.agency, now=now, details={"device_id": device.id if device else None})
    return LoginResult(token=token, user=user)


def _new_password(session: Session, user: User, password: str, new_password: str | None,
                  policy: Policy, now: datetime, source: str | None, expired: datetime
                  ) -> LoginResult | None:
    """An expired password is changed in the login itself (IA-5(1)); None: changed."""
    why = f"password expired on {expired:%Y-%m-%d} (IA-5(1)): give a new password"
    if not new_password:
        result = _refuse(session, user.username, why, now, source, shown=True)
        return LoginResult(refused=result.refused, shown=True, password_change_required=True)
    try:
        if new_password == password:
            raise PasswordRejected("the new password must differ from the expired one")
        check_new_password(new_password, min_length=policy.security.password_min_length,
                           username=user.username)
    except PasswordRejected as error:
        result = _refuse(session, user.username, f"{why}; {error}", now, source, shown=True)
        return LoginResult(refused=result.refused, shown=True, password_change_required=True)
    user.password_hash, user.password_changed_at = hash_password(new_password), now
    record(session, event=AuditEvent.ACCOUNT_PASSWORD, actor=f"user:{user.username}", now=now,
           source=source, details={"username": user.username, "reason": "expired"})
    return None


def _check_code(user: User, code: str | None, now: datetime) -> str | None:
    if not user.totp_secret:
        return "two-factor authentication is required and not enrolled"
    if not code:
        return "one-time code missing"
    step = totp_step(user.totp_secret, code, now=now)
    if step is None:
        return "wrong one-time code"
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return "one-time code already used"  # no replay (IA-2(8)); the row is locked
    user.totp_last_step = step
    return None


def _on_registered_device(session: Session, api_session: ApiSession) -> bool:
    if api_session.device_id is None:
        return False
    device = session.get(Device, api_session.device_id)
    return device is not None and device.revoked_at is None


def _throttle_window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_throttle_seconds)


def _throttled(session: Session, source: str | None, now: datetime, settings: Settings
               ) -> bool:
    if not source:
        return False
    failures = session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.source == source, LoginFailure.at > now - _throttle_window(settings)))
    return (failures or 0) >= settings.login_failures_per_client


def forget_old_failures(session: Session, *, now: datetime) -> int:
    """Drop per-client failures older than a day (the daily lifecycle job calls this)."""
    result = session.execute(delete(LoginFailure).where(
        LoginFailure.at < now - timedelta(days=1)))
    return int(getattr(result, "rowcount", 0) or 0)


def _refuse(session: Session, username: str, reason: str, now: datetime, source: str | None,
            *, shown: bool = False) -> LoginResult:
    record(session, event=AuditEvent.ACCOUNT_LOGIN_FAILED, actor=f"user:{username}",
           outcome=Outcome.DENIED, source=source, now=now, details={"reason": reason})
    return LoginResult(refused=reason, shown=shown)


def _failure_from(session: Session, user: User | None, username: str, reason: str,
                  policy: Policy, now: datetime, source: str | None) -> LoginResult:
    """A failed attempt: counted for the client (throttling) and, for a known account,
    towards its lockout: the policy's number within its window locks it (AC-7)."""
    if source:
        session.add(LoginFailure(source=source, username=username[:200], at=now))
    result = _refuse(session, username, reason, now, source)
    if user is None:
        return result
    window_start = policy.security.lockout_window.before(now)
    recent = [at for at in user.failed_logins if datetime.fromisoformat(at) > window_start]
    user.failed_logins = [*recent, now.isoformat()]
    if len(user.failed_logins) >= policy.security.lockout_failures:
        user.locked_at = now
        record(session, event=AuditEvent.ACCOUNT_LOCKED, actor="system:auth", now=now,
               outcome=Outcome.DENIED, source=source, details={
                   "username": user.username, "failures": len(user.failed_logins)})
    return result


def authenticate(session: Session, *, token: str, policy: Policy, now: datetime,
                 touch: bool = True) -> tuple[User, ApiSession] | str:
    """The user behind a session token, or why it no longer works.

    Every account rule is applied here too, at each request: a rule that became due since
    login (inactivity, review, training, agency, password age) ends the session at once.
    `touch=False` checks without counting as activity (a live stream re-checking itself).
    """
    api_session = session.scalar(select(ApiSession).where(
        ApiSession.token_hash == token_hash(token)))
    if api_session is None or api_session.ended_at is not None:
        return "session ended or unknown"
    rules = policy.security
    if rules.idle_disconnect_after.after(api_session.last_used_at) <= now:
        api_session.ended_at = now
        return f"session ended after {rules.idle_disconnect_after} idle (SC-10): log in again"
    if rules.idle_lock_after.after(api_session.last_used_at) <= now:
        # Locked, not ended: unlocking needs the password again (AC-11).
        return (f"session locked after {rules.idle_lock_after} idle (AC-11): unlock it with"
                " your password, or log in again")
    if rules.reauthenticate_every.after(api_session.created_at) <= now:
        api_session.ended_at = now
        return "session too old: log in again (IA-11)"
    if rules.require_registered_devices and not _on_registered_device(session, api_session):
        # The rule was switched on, or the device revoked, after this session began.
        api_session.ended_at = now
        return "this session is not on a registered device (U12): log in from one"
    user = session.get(User, api_session.user_id)
    assert user is not None
    problems = enforce_access(session, user, policy=policy, now=now)
    if not problems and password_expires_at(user, policy) <= now:
        problems = ["password expired (IA-5(1)): log in again to change it"]
    if problems:
        api_session.ended_at = now
        return "; ".join(problems)
    if touch:
        api_session.last_used_at = user.last_access_at = now
    return user, api_session


def unlock(session: Session, *, token: str, password: str, code: str | None, policy: Policy,
           now: datetime, source: str | None = None) -> str | None:
    """Resume a session locked after idle time (AC-11); None when unlocked, else why not.
    A wrong password or code counts towards the account's lockout like a login."""
    api_session = session.scalar(select(ApiSession).where(
        ApiSession.token_hash == token_hash(token)))
    if api_session is None or api_session.ended_at is not None:
        return "session ended or unknown"
    user = session.scalar(select(User).where(User.id == api_session.user_id).with_for_update())
    assert user is not None
    if user.locked_at:
        return "account locked after repeated failures"
    if not verify_password(user.password_hash, password):
        return _failure_from(session, user, user.username, "wrong password (unlock)", policy,
                             now, source).refused
    if policy.security.mfa_required or user.totp_secret:
        problem = _check_code(user, code, now)
        if problem:
            return _failure_from(session, user, user.username, problem, policy, now,
                                 source).refused
    if policy.security.idle_disconnect_after.after(api_session.last_used_at) <= now:
        api_session.ended_at = now
        return "session ended after the idle limit (SC-10): log in again"
    api_session.last_used_at = now
    record(session, event=AuditEvent.ACCOUNT_LOGIN, actor=f"user:{user.username}", now=now,
           source=source, organization=user.agency, details={"unlock": True})
    return None


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
