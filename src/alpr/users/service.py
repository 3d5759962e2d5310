"""Accounts: creation (pending), approval, training, review, classification, suspension,
separation (REQ U1–U10). Every change is audited in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.sharing.agencies import SharingError, register_agency
from alpr.sharing.floor import normalize_name, not_california_public
from alpr.sharing.models import Agency, AgencyKind
from alpr.users.lifecycle import end_sessions, set_status
from alpr.users.models import AccountStatus, TrainingRecord, User
from alpr.users.permissions import ORDINARY_USE, Permission, Role, permissions_for
from alpr.users.security import (
    check_new_password,
    hash_password,
    new_totp_secret,
)

TRAINING_KINDS = ("initial", "refresher", "reorientation")


class AccountError(ValueError):
    """An account request that cannot be honoured; the message says why."""


class DutyRefused(AccountError):  # noqa: N818 (a refusal, not a program error)
    """Separation of duties (issue 18.2): this person may not do this to this account."""


def _acting_user(session: Session, actor: str) -> User | None:
    """The account behind an actor "user:NAME"; None for the server console and jobs."""
    if not actor.startswith("user:"):
        return None
    acting = session.scalar(select(User).where(User.username == actor.removeprefix("user:")))
    if acting is None:
        raise DutyRefused(f"{actor} is not an account")
    return acting


def _held(user: User) -> frozenset[Permission]:
    return permissions_for(Role(r) for r in user.roles)


def check_duty(session: Session, *, actor: str, user: User, action: str,
               grants: bool = False) -> None:
    """Nobody acts on their own account; nobody grants (or takes over, by issuing its
    credentials) more than they hold. Granting needs a holder of every permission granted,
    or two administrators: the one who created the account and another who approves it.
    The server console (bootstrap on an empty store) and system jobs are not people."""
    acting = _acting_user(session, actor)
    if acting is None:
        return
    if acting.username == user.username:
        raise DutyRefused(f"nobody may {action} their own account (separation of duties):"
                          " ask another administrator")
    if not grants:
        return
    missing = permissions_for(Role(r) for r in user.roles) - _held(acting) - ORDINARY_USE
    if not missing:
        return
    if action == "approve":
        creator = _acting_user(session, user.created_by) if user.created_by.startswith(
            "user:") else None
        if (creator is not None and creator.username != acting.username
                and Permission.USERS_MANAGE in _held(creator)):
            return  # two administrators: one created the account, another approves it
    raise DutyRefused(
        f"{acting.username} does not hold {', '.join(sorted(missing))} and so cannot {action}"
        f" an account with the roles {', '.join(user.roles)} alone: "
        + ("another administrator must approve it, or one who holds those roles"
           if action == "approve" else "an administrator who holds those roles must"))


def audit_refusal(session: Session, *, actor: str, action: str, username: str,
                  reason: str, source: str | None = None) -> None:
    """Record a refused account action (its own transaction: the action was rolled back)."""
    record(session, event=AuditEvent.ACCOUNT_DUTY_REFUSED, actor=actor, source=source,
           outcome=Outcome.DENIED, details={"action": action, "username": username,
                                            "reason": reason})


def resolve_agency(session: Session, agency: str | int, *, policy: Policy, actor: str,
                   now: datetime) -> Agency:
    """The registry agency an account belongs to, refused unless a California public
    agency (Civ. Code §1798.90.5(f))."""
    found: Agency | None
    if isinstance(agency, int):
        found = session.get(Agency, agency)
    else:
        wanted = normalize_name(agency)
        found = next((a for a in session.scalars(select(Agency))
                      if normalize_name(a.name) == wanted), None) if wanted else None
        # The policy's own agency is registered on first use; so is any name an internal
        # caller (the server console, the demo, tests: never "user:" actors) names. People
        # pick from the registry. Registration screens the name either way (floor.py).
        internal = not actor.startswith("user:")
        if found is None and wanted and (internal or wanted == normalize_name(policy.agency.name)):
            name = policy.agency.name if wanted == normalize_name(policy.agency.name) else agency
            try:
                found = register_agency(session, name=name, kind=AgencyKind.CA_LAW_ENFORCEMENT,
                                        jurisdiction="California", contacts=None, actor=actor,
                                        now=now)
            except SharingError as error:
                raise AccountError(f"{error}; only California public agencies hold accounts"
                                   ) from error
    if found is None:
        raise AccountError(f"agency {agency!r} is not in the agency registry: an administrator"
                           " registers it first (alpr agencies add)")
    if problem := not_california_public(found.name, found.kind, found.jurisdiction):
        raise AccountError(f"{problem}; only California public agencies hold accounts")
    return found


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def create_user(
    session: Session, *, username: str, full_name: str, agency: str | int, classification: str,
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
    registered = resolve_agency(session, agency, policy=policy, actor=actor, now=now)
    user = User(username=username, full_name=full_name, agency=registered.name,
                agency_id=registered.id,
                classification=classification, roles=[r.value for r in roles],
                status=(AccountStatus.ACTIVE if active else AccountStatus.PENDING).value,
                supervisor=supervisor, created_at=now, created_by=actor, failed_logins=[])
    if active:  # only the very first System Administrator, created on the server console
        user.approved_by, user.approved_at, user.reviewed_at = actor, now, now
    session.add(user)
    session.flush()
    record(session, event=AuditEvent.ACCOUNT_CREATE, actor=actor, now=now, details={
        "username": username, "classification": classification, "roles": user.roles,
        "status": user.status, "agency": registered.name, "agency_id": registered.id})
    return user


def approve_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    user = get_user(session, username)
    if actor.removeprefix("user:") == username:
        raise DutyRefused("an account cannot approve itself: nobody may approve their own"
                          " account (separation of duties)")
    if user.status != AccountStatus.PENDING:
        raise AccountError(f"{username} is {user.status}, not pending")
    check_duty(session, actor=actor, user=user, action="approve", grants=True)
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
    check_duty(session, actor=actor, user=user, action="train")
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
    check_duty(session, actor=actor, user=user, action="review")
    user.reviewed_at = now
    record(session, event=AuditEvent.ACCOUNT_REVIEW, actor=actor, now=now,
           details={"username": username})
    return user


def change_classification(session: Session, *, username: str, classification: str,
                          actor: str, policy: Policy, now: datetime) -> User:
    """A new job classification; an unauthorized one ends access at once (REQ U5)."""
    user = get_user(session, username)
    check_duty(session, actor=actor, user=user, action="reclassify")
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
    check_duty(session, actor=actor, user=user, action="suspend")
    user.suspended_until = policy.users.misuse_suspension.after(now)
    set_status(session, user, AccountStatus.SUSPENDED, f"misuse: {reason}", actor=actor, now=now)
    return user


def separate_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    """Separation from the agency: deactivated at once, deleted per policy (REQ U8)."""
    user = get_user(session, username)
    check_duty(session, actor=actor, user=user, action="separate")
    user.separated_at = now
    set_status(session, user, AccountStatus.DEACTIVATED, "separated from the agency",
               actor=actor, now=now)
    return user


def reactivate_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    """Back to active; access waits for new training (REQ U4)."""
    user = get_user(session, username)
    check_duty(session, actor=actor, user=user, action="reactivate")
    if user.status not in (AccountStatus.SUSPENDED, AccountStatus.DEACTIVATED):
        raise AccountError(f"{username} is {user.status}")
    user.training_required_after, user.suspended_until, user.reviewed_at = now, None, now
    user.last_access_at = None
    set_status(session, user, AccountStatus.ACTIVE, f"reactivated by {actor}", actor=actor,
               now=now)
    return user


def unlock_user(session: Session, *, username: str, actor: str, now: datetime) -> User:
    user = get_user(session, username)
    check_duty(session, actor=actor, user=user, action="unlock")
    user.locked_at, user.failed_logins = None, []
    record(session, event=AuditEvent.ACCOUNT_UNLOCK, actor=actor, now=now,
           details={"username": username})
    return user


def issue_credentials(session: Session, *, username: str, password: str, actor: str,
                      policy: Policy, now: datetime) -> str:
    """A person's first (or reset) password and a new authenticator secret, returned once.
    Issuing credentials is taking the account over, so the issuer must hold every
    permission the account has, and may never issue their own (18.2)."""
    check_duty(session, actor=actor, user=get_user(session, username),
               action="issue credentials for", grants=True)
    set_password(session, username=username, password=password, actor=actor, policy=policy,
                 now=now)
    return enroll_totp(session, username=username, actor=actor, now=now)


def change_agency(session: Session, *, username: str, agency: str | int, actor: str,
                  policy: Policy, now: datetime) -> User:
    """Move an account to another agency of the registry (California public only, 16.2)."""
    user = get_user(session, username)
    check_duty(session, actor=actor, user=user, action="move")
    registered = resolve_agency(session, agency, policy=policy, actor=actor, now=now)
    previous = user.agency
    user.agency, user.agency_id = registered.name, registered.id
    end_sessions(session, user, now)  # access rights changed: log in again (IA-11)
    record(session, event=AuditEvent.ACCOUNT_AGENCY, actor=actor, now=now, details={
        "username": username, "from": previous, "to": registered.name,
        "agency_id": registered.id})
    return user
