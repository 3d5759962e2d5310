"""Account rules enforced in code with the policy's numbers; the clock is injected (REQ U1–U12)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.policy import Policy, load_preset
from alpr.users import service
from alpr.users.auth import LoginResult, authenticate, login
from alpr.users.devices import register_device
from alpr.users.lifecycle import run_lifecycle
from alpr.users.models import AccountStatus, Notification, User
from alpr.users.permissions import Role
from alpr.users.security import PasswordRejected
from tests.helpers import registered_agency, workstation

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def policy() -> Policy:
    return load_preset("oakland")


Login = Callable[..., LoginResult]


def make_user(database: Database, policy: Policy, username: str = "diaz", *,
              classification: str = "Sworn personnel", train: bool = True,
              approve: bool = True, roles: tuple[Role, ...] = (Role.DATA_USER,)) -> str:
    """An account created pending by the administrator "admin", approved, with password, TOTP
    and training; its secret."""
    with database.unit_of_work() as session:
        registered_agency(session, "OPD")
        if session.scalar(select(User).where(User.username == "admin")) is None:
            service.create_user(session, username="admin", full_name="Admin", agency="OPD",
                                classification=policy.users.authorized_classifications[0],
                                roles=[Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR],
                                actor="console", policy=policy, now=T0, active=True)
        service.create_user(session, username=username, full_name="Ana Diaz", agency="OPD",
                            classification=classification, roles=roles, actor="user:admin",
                            policy=policy, now=T0)
        if approve:
            service.approve_user(session, username=username, actor="user:admin", now=T0)
        service.set_password(session, username=username, password=PASSWORD, actor="user:admin",
                             policy=policy, now=T0)
        secret = service.enroll_totp(session, username=username, actor="user:admin", now=T0)
        if train:
            service.record_training(session, username=username, kind="initial",
                                    actor="user:admin", now=T0)
    return secret


def attempt(database: Database, policy: Policy, secret: str, at: datetime, *,
            username: str = "diaz", password: str = PASSWORD, code: str | None = None,
            new_password: str | None = None) -> LoginResult:
    with database.unit_of_work() as session:
        return login(session, username=username, password=password, policy=policy, now=at,
                     code=code if code is not None else pyotp.TOTP(secret).at(at),
                     new_password=new_password, device_token=workstation(database))


def used_at(database: Database, at: datetime, username: str = "diaz") -> None:
    """The account was last used at `at` (as a login then would have recorded)."""
    with database.unit_of_work() as session:
        service.get_user(session, username).last_access_at = at


def status_of(database: Database, username: str = "diaz") -> str:
    with database.unit_of_work() as session:
        return service.get_user(session, username).status


def test_accounts_start_pending_and_only_authorized_classifications(
    database: Database, policy: Policy
) -> None:
    # REQ U1 REQ U3
    secret = make_user(database, policy, approve=False)
    assert status_of(database) == AccountStatus.PENDING
    assert attempt(database, policy, secret, T0).refused == "account is pending"
    with database.unit_of_work() as session, pytest.raises(service.AccountError,
                                                            match="cannot be authorized"):
        service.create_user(session, username="clerk", full_name="C", agency="OPD",
                            classification="Parking clerk", roles=[Role.DATA_USER],
                            actor="user:admin", policy=policy, now=T0)
    with database.unit_of_work() as session, pytest.raises(service.AccountError,
                                                            match="cannot approve itself"):
        service.approve_user(session, username="diaz", actor="user:diaz", now=T0)


def test_no_access_without_training_and_retraining_falls_due(
    database: Database, policy: Policy
) -> None:
    # REQ U4 — training before access; retraining every policy interval
    secret = make_user(database, policy, train=False)
    assert "no ALPR training recorded" in (attempt(database, policy, secret, T0).refused or "")
    with database.unit_of_work() as session:
        service.record_training(session, username="diaz", kind="initial", actor="a", now=T0)
    assert attempt(database, policy, secret, T0 + timedelta(minutes=1)).token
    expired = policy.users.training_interval.after(T0) + timedelta(hours=1)
    used_at(database, expired - timedelta(days=1))
    with database.unit_of_work() as session:
        service.review_user(session, username="diaz", actor="a", now=expired)
    assert "training expired" in (attempt(database, policy, secret, expired).refused or "")


def test_unused_accounts_are_suspended_and_reactivation_needs_retraining(
    database: Database, policy: Policy
) -> None:
    # REQ U6 REQ U4
    secret = make_user(database, policy)
    assert attempt(database, policy, secret, T0 + timedelta(minutes=1)).token
    later = policy.users.inactivity_suspension.after(T0) + timedelta(days=1)
    with database.unit_of_work() as session:
        report = run_lifecycle(session, policy=policy, now=later)
    assert "diaz" in report.suspended
    assert status_of(database) == AccountStatus.SUSPENDED
    with database.unit_of_work() as session:
        service.reactivate_user(session, username="diaz", actor="user:admin", now=later)
    assert "retraining required" in (attempt(database, policy, secret, later).refused or "")
    with database.unit_of_work() as session:
        service.record_training(session, username="diaz", kind="reorientation", actor="a",
                                now=later + timedelta(hours=1))
    # A year on, the password has expired too: the login itself changes it (IA-5(1)).
    assert attempt(database, policy, secret, later + timedelta(hours=2)).password_change_required
    assert attempt(database, policy, secret, later + timedelta(hours=3),
                   new_password="a brand new pass phrase").token


def test_the_annual_review_or_the_authorization_lapses(
    database: Database, policy: Policy
) -> None:
    # REQ U7
    secret = make_user(database, policy)
    lapsed = policy.users.authorization_review_every.after(T0) + timedelta(hours=1)
    with database.unit_of_work() as session:
        service.record_training(session, username="diaz", kind="refresher", actor="a",
                                now=lapsed - timedelta(days=2))
    used_at(database, lapsed - timedelta(days=1))
    assert "authorization review lapsed (U7)" in (
        attempt(database, policy, secret, lapsed).refused or "")


def test_moving_to_an_unauthorized_classification_ends_access(
    database: Database, policy: Policy
) -> None:
    # REQ U5
    secret = make_user(database, policy)
    token = attempt(database, policy, secret, T0 + timedelta(minutes=1)).token
    assert token
    with database.unit_of_work() as session:
        service.change_classification(session, username="diaz", classification="Records clerk",
                                      actor="user:admin", policy=policy, now=T0)
        assert authenticate(session, token=token, policy=policy,
                            now=T0 + timedelta(minutes=2)) == "session ended or unknown"
    assert status_of(database) == AccountStatus.DEACTIVATED


def test_separation_deactivates_at_once_and_deletes_per_policy(
    database: Database, policy: Policy
) -> None:
    # REQ U8 — LAPD: "promptly deactivated and deleted"
    policy = load_preset("lapd")
    make_user(database, policy, classification=policy.users.authorized_classifications[0])
    with database.unit_of_work() as session:
        service.separate_user(session, username="diaz", actor="user:admin", now=T0)
    assert status_of(database) == AccountStatus.DEACTIVATED
    assert policy.users.deleted_after_separation is not None
    later = policy.users.deleted_after_separation.after(T0) + timedelta(days=1)
    with database.unit_of_work() as session:
        assert run_lifecycle(session, policy=policy, now=later).deleted == ["diaz"]
        user = service.get_user(session, "diaz")
        assert (user.status, user.password_hash, user.totp_secret, user.full_name) == (
            "deleted", None, None, "(deleted)")


def test_login_by_a_suspended_account_is_audited_and_reported(
    database: Database, policy: Policy
) -> None:
    # REQ U9 REQ U10 — misuse suspension for the policy's period, then reinstated (retraining)
    secret = make_user(database, policy)
    with database.unit_of_work() as session:
        service.suspend_for_misuse(session, username="diaz", reason="personal lookup",
                                   actor="user:admin", policy=policy, now=T0)
    assert attempt(database, policy, secret, T0 + timedelta(days=1)).refused == (
        "account is suspended: misuse: personal lookup")
    with database.unit_of_work() as session:
        denied = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "account:login:denied")).one()
        notice = session.scalars(select(Notification)).one()
    assert denied.actor == "user:diaz"
    assert "suspended account diaz" in notice.subject
    over = policy.users.misuse_suspension.after(T0) + timedelta(hours=1)
    with database.unit_of_work() as session:
        assert run_lifecycle(session, policy=policy, now=over).reinstated == ["diaz"]
    assert "retraining required" in (attempt(database, policy, secret, over).refused or "")


def test_totp_is_required_and_never_replayed(database: Database, policy: Policy) -> None:
    # REQ U11 — individual credentials, two-factor
    secret = make_user(database, policy)
    at = T0 + timedelta(minutes=1)
    assert attempt(database, policy, secret, at, code="").refused == "one-time code missing"
    code = pyotp.TOTP(secret).at(at)
    assert attempt(database, policy, secret, at, code=code).token
    assert attempt(database, policy, secret, at + timedelta(seconds=5), code=code).refused == (
        "one-time code already used")


def test_five_failures_lock_the_account_until_released(
    database: Database, policy: Policy
) -> None:
    # REQ U11 — CJIS AC-7 lockout
    secret = make_user(database, policy)
    for n in range(policy.security.lockout_failures):
        at = T0 + timedelta(minutes=1 + n)
        assert attempt(database, policy, secret, at, password="wrong password!").refused
    sixth = T0 + timedelta(minutes=10)
    assert attempt(database, policy, secret, sixth).refused == (
        "account locked after repeated failures")
    with database.unit_of_work() as session:
        service.unlock_user(session, username="diaz", actor="user:admin", now=sixth)
    assert attempt(database, policy, secret, sixth + timedelta(minutes=1)).token


def test_sessions_lock_when_idle_and_expire(database: Database, policy: Policy) -> None:
    # REQ U11 — CJIS AC-11 idle lock, IA-11 re-authentication
    secret = make_user(database, policy)
    start = T0 + timedelta(minutes=1)
    token = attempt(database, policy, secret, start).token
    assert token
    idle = policy.security.idle_lock_after
    with database.unit_of_work() as session:
        assert not isinstance(authenticate(session, token=token, policy=policy,
                                           now=idle.after(start) - timedelta(seconds=1)), str)
        moment = idle.after(idle.after(start) - timedelta(seconds=1)) + timedelta(seconds=1)
        assert "idle" in str(authenticate(session, token=token, policy=policy, now=moment))


def test_passwords_are_hashed_and_common_ones_refused(database: Database, policy: Policy) -> None:
    # REQ U11 — stored safely (argon2id), checked against a common-password list
    make_user(database, policy)
    with database.unit_of_work() as session:
        user = service.get_user(session, "diaz")
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        details = " ".join(str(e.details) for e in session.scalars(select(AuditEntry)))
        assert PASSWORD not in details
        for weak, why in (("short", "at least 8"), ("password123", "too common")):
            with pytest.raises(PasswordRejected, match=why):
                service.set_password(session, username="diaz", password=weak, actor="a",
                                     policy=policy, now=T0)


def test_unregistered_devices_are_refused_when_policy_says_so(
    database: Database, policy: Policy
) -> None:
    # REQ U12
    strict = policy.model_copy(update={"security": policy.security.model_copy(
        update={"require_registered_devices": True})})
    secret = make_user(database, strict)
    at = T0 + timedelta(minutes=1)
    with database.unit_of_work() as session:
        refused = login(session, username="diaz", password=PASSWORD, policy=strict, now=at,
                        code=pyotp.TOTP(secret).at(at))
        device = register_device(session, name="MDC unit 12", actor="user:admin", now=at)[1]
        later = at + timedelta(minutes=1)
        allowed = login(session, username="diaz", password=PASSWORD, policy=strict, now=later,
                        code=pyotp.TOTP(secret).at(later), device_token=device)
    assert refused.refused == "this device is not registered (U12)"
    assert allowed.token
