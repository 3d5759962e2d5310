"""Every account rule holds at the moment of access, not only in the daily job (issue 16.3).

The clock is injected: each case moves it past a rule's deadline and logs in (or uses a
session token) WITHOUT running the daily lifecycle job in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from alpr.db.session import Database
from alpr.policy import Policy, load_preset
from alpr.policy.duration import Duration
from alpr.policy.model import SecuritySection, UserSection
from alpr.sharing.models import Agency
from alpr.users import service
from alpr.users.auth import authenticate, unlock
from alpr.users.models import AccountStatus, TrainingRecord
from tests.users.test_accounts import PASSWORD, T0, attempt, make_user, status_of, used_at

Setup = Callable[[Database, Policy], datetime]  # arranges the case; returns when to log in


def relaxed(policy: Policy, **security: Duration) -> Policy:
    return policy.model_copy(update={"security": policy.security.model_copy(update=security)})


def _cjis_disable(database: Database, policy: Policy) -> datetime:
    used_at(database, T0 + timedelta(minutes=1))
    return policy.security.account_inactivity_disable.after(T0) + timedelta(hours=1)


def _twelve_months(database: Database, policy: Policy) -> datetime:
    used_at(database, T0 + timedelta(minutes=1))
    return policy.users.inactivity_suspension.after(T0) + timedelta(days=1)


def _review_lapsed(database: Database, policy: Policy) -> datetime:
    lapsed = policy.users.authorization_review_every.after(T0) + timedelta(hours=1)
    with database.unit_of_work() as session:
        service.record_training(session, username="diaz", kind="refresher", actor="system:t",
                                now=lapsed - timedelta(days=2))
    used_at(database, lapsed - timedelta(days=1))
    return lapsed


def _training_expired(database: Database, policy: Policy) -> datetime:
    expired = policy.users.training_interval.after(T0) + timedelta(hours=1)
    with database.unit_of_work() as session:
        service.review_user(session, username="diaz", actor="system:t", now=expired)
    used_at(database, expired - timedelta(days=1))
    return expired


def _agency_kind(kind: str, name: str | None = None) -> Setup:
    def setup(database: Database, policy: Policy) -> datetime:
        with database.unit_of_work() as session:
            agency = session.scalars(select(Agency).where(Agency.name == "OPD")).one()
            agency.kind = kind
            agency.name = name or agency.name
        return T0 + timedelta(minutes=5)
    return setup


def _misuse_over(database: Database, policy: Policy) -> datetime:
    with database.unit_of_work() as session:
        service.suspend_for_misuse(session, username="diaz", reason="personal lookup",
                                   actor="user:admin", policy=policy, now=T0)
    return policy.users.misuse_suspension.after(T0) + timedelta(hours=1)


def _unused_but_not_suspended(database: Database, policy: Policy) -> datetime:
    # Reviewed and approved lately (so not suspended for inactivity), last used long ago.
    moment = policy.users.reorientation_after_unused.after(T0) + timedelta(days=2)
    used_at(database, T0 + timedelta(minutes=1))
    with database.unit_of_work() as session:
        user = service.get_user(session, "diaz")
        user.approved_at = user.reviewed_at = moment - timedelta(days=1)
    return moment


# case, policy change, setup, what the refusal says, the account's status afterwards
LOGIN_CASES: list[tuple[str, dict[str, Duration], Setup, str, str]] = [
    ("cjis-ac2-90-days", {}, _cjis_disable, "CJIS AC-2", AccountStatus.SUSPENDED),
    ("u6-12-months", {"account_inactivity_disable": Duration(years=2)}, _twelve_months,
     "(U6)", AccountStatus.SUSPENDED),
    ("u7-review-lapsed", {}, _review_lapsed, "review lapsed (U7)", AccountStatus.SUSPENDED),
    ("u4-training-expired", {}, _training_expired, "training expired", AccountStatus.ACTIVE),
    ("agency-federal-kind", {}, _agency_kind("federal"), "not a California public agency",
     AccountStatus.DEACTIVATED),
    ("agency-ice-with-ca-kind", {},
     _agency_kind("ca_law_enforcement", "U.S. Immigration and Customs Enforcement"),
     "federal body", AccountStatus.DEACTIVATED),
    ("agency-out-of-state", {}, _agency_kind("ca_local_agency", "Oregon State Police"),
     "another state", AccountStatus.DEACTIVATED),
    ("agency-private", {}, _agency_kind("ca_local_agency", "Acme Recovery Agents LLC"),
     "private organization", AccountStatus.DEACTIVATED),
    ("u10-misuse-over-needs-retraining", {}, _misuse_over, "retraining required",
     AccountStatus.ACTIVE),
    ("u4-reorientation-after-unused", {"account_inactivity_disable": Duration(years=3)},
     _unused_but_not_suspended, "reorientation training required", AccountStatus.ACTIVE),
]


@pytest.mark.parametrize(("case", "change", "setup", "says", "status"), LOGIN_CASES,
                         ids=[c[0] for c in LOGIN_CASES])
def test_login_applies_each_rule_without_the_daily_job(
    database: Database, case: str, change: dict[str, Duration], setup: Setup, says: str,
    status: str,
) -> None:
    # REQ U4 REQ U6 REQ U7 REQ U10 REQ S1 — checked at login, the reason shown; the account's
    # status changes there and then, audited, as the daily job would have changed it.
    policy = relaxed(load_preset("oakland"), **change)
    secret = make_user(database, policy)
    moment = setup(database, policy)
    result = attempt(database, policy, secret, moment)
    assert result.token is None and result.shown, case
    assert says in (result.refused or ""), (case, result.refused)
    assert status_of(database) == status


def _expire_training(database: Database, policy: Policy, at: datetime) -> None:
    with database.unit_of_work() as session:
        for row in session.scalars(select(TrainingRecord)):
            row.completed_at = policy.users.training_interval.before(at)


def _lapse_review(database: Database, policy: Policy, at: datetime) -> None:
    with database.unit_of_work() as session:
        service.get_user(session, "diaz").reviewed_at = (
            policy.users.authorization_review_every.before(at))


def _expire_password(database: Database, policy: Policy, at: datetime) -> None:
    with database.unit_of_work() as session:
        service.get_user(session, "diaz").password_changed_at = (
            policy.security.password_max_age.before(at))


def _federal_agency(database: Database, policy: Policy, at: datetime) -> None:
    with database.unit_of_work() as session:
        session.scalars(select(Agency).where(Agency.name == "OPD")).one().kind = "federal"


def _suspend(database: Database, policy: Policy, at: datetime) -> None:
    with database.unit_of_work() as session:
        service.suspend_for_misuse(session, username="diaz", reason="misuse", actor="user:admin",
                                   policy=policy, now=at)


REQUEST_CASES: list[tuple[str, Callable[[Database, Policy, datetime], None], str]] = [
    ("training-expires-mid-session", _expire_training, "training expired"),
    ("review-lapses-mid-session", _lapse_review, "review lapsed (U7)"),
    ("password-expires-mid-session", _expire_password, "password expired"),
    ("agency-becomes-federal", _federal_agency, "not a California public agency"),
    ("suspended-mid-session", _suspend, "session ended"),
]


@pytest.mark.parametrize(("case", "change", "says"), REQUEST_CASES,
                         ids=[c[0] for c in REQUEST_CASES])
def test_each_request_applies_the_rules_and_ends_the_session(
    database: Database, case: str, change: Callable[[Database, Policy, datetime], None],
    says: str,
) -> None:
    # REQ U4 REQ U7 REQ U10 — a rule that falls due during a session ends it at the next
    # request (API token, console cookie and CLI session all go through authenticate).
    policy = load_preset("oakland")
    secret = make_user(database, policy)
    start = T0 + timedelta(minutes=1)
    token = attempt(database, policy, secret, start).token
    assert token
    deadline = start + timedelta(minutes=5)
    change(database, policy, deadline)
    with database.unit_of_work() as session:
        before = authenticate(session, token=token, policy=policy,
                              now=deadline - timedelta(minutes=1))
        after = authenticate(session, token=token, policy=policy,
                             now=deadline + timedelta(minutes=1))
        again = authenticate(session, token=token, policy=policy,
                             now=deadline + timedelta(minutes=2))
    # A status change (suspension, agency) ends the session at once; a deadline at its time.
    at_once = case in ("suspended-mid-session", "agency-becomes-federal")
    first = before if at_once else after
    if not at_once:
        assert not isinstance(before, str), (case, before)
    assert isinstance(first, str) and says in first, (case, first)
    assert again == "session ended or unknown"  # ended, not only refused once


def test_an_expired_password_is_changed_in_the_login(database: Database) -> None:
    # REQ U11 — CJIS IA-5(1): the policy's password_max_age forces a change
    policy = load_preset("oakland")
    secret = make_user(database, policy)
    used_at(database, T0)
    late = policy.security.password_max_age.after(T0) + timedelta(minutes=1)
    with database.unit_of_work() as session:  # used and reviewed lately: only the password
        user = service.get_user(session, "diaz")
        user.reviewed_at = user.last_access_at = late - timedelta(days=1)
        service.record_training(session, username="diaz", kind="refresher", actor="system:t",
                                now=late - timedelta(days=1))
    expired = attempt(database, policy, secret, late)
    assert expired.password_change_required and "password expired" in (expired.refused or "")
    for n, bad in enumerate((PASSWORD, "short", "password123")):
        moment = late + timedelta(minutes=1 + n)
        refused = attempt(database, policy, secret, moment, new_password=bad)
        assert refused.token is None and refused.password_change_required, bad
    changed = attempt(database, policy, secret, late + timedelta(minutes=30),
                      new_password="a fresh pass phrase")
    assert changed.token
    old = attempt(database, policy, secret, late + timedelta(minutes=31))
    assert old.token is None and not old.shown  # the old password is gone


def test_idle_sessions_lock_then_disconnect(database: Database) -> None:
    # REQ U11 — CJIS AC-11 (lock after idle_lock_after, unlocked with the password) and
    # SC-10 (ended after idle_disconnect_after: only a new login helps)
    policy = load_preset("oakland")
    secret = make_user(database, policy)
    start = T0 + timedelta(minutes=1)
    token = attempt(database, policy, secret, start).token
    assert token
    rules = policy.security
    locked_at = rules.idle_lock_after.after(start) + timedelta(seconds=1)
    with database.unit_of_work() as session:
        locked = authenticate(session, token=token, policy=policy, now=locked_at)
        assert isinstance(locked, str) and "locked" in locked
        assert unlock(session, token=token, password="wrong wrong wrong", code=None,
                      policy=policy, now=locked_at) == "wrong password (unlock)"
        code = pyotp.TOTP(secret).at(locked_at + timedelta(seconds=31))
        assert unlock(session, token=token, password=PASSWORD, code=code, policy=policy,
                      now=locked_at + timedelta(seconds=31)) is None
        assert not isinstance(authenticate(session, token=token, policy=policy,
                                           now=locked_at + timedelta(minutes=1)), str)
        gone = rules.idle_disconnect_after.after(locked_at + timedelta(minutes=1))
        ended = authenticate(session, token=token, policy=policy, now=gone)
        assert isinstance(ended, str) and "SC-10" in ended
        assert unlock(session, token=token, password=PASSWORD, code=code, policy=policy,
                      now=gone) == "session ended or unknown"


# Keys of these sections must each be read by code outside the policy package (16.3).
ENFORCED_ELSEWHERE: set[str] = set()


@pytest.mark.parametrize("key", sorted(
    (set(SecuritySection.model_fields) | set(UserSection.model_fields)) - ENFORCED_ELSEWHERE))
def test_every_account_and_security_key_is_read_by_code(key: str) -> None:
    # REQ U3 REQ U4 REQ U6 REQ U7 REQ U10 REQ U11 — no policy key validated and then ignored
    source = Path(__file__).resolve().parents[2] / "src" / "alpr"
    readers = [path for path in source.rglob("*.py") if "policy" not in path.parts
               and re.search(rf"\.{key}\b", path.read_text())]
    assert readers, f"policy key {key} is read by nothing"
