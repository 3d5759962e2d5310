"""Login state holds under parallel attack against a real server (issue 18.1; CJIS AC-7,
IA-2(8)): the account row is locked while a password or a one-time code is checked."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pyotp
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import default_policy
from alpr.users import service
from alpr.users.auth import login
from alpr.users.permissions import Role
from tests.helpers import PASSWORD, active_user, workstation
from tests.security.conftest import Server


def _post_all(server: Server, bodies: list[dict[str, object]]) -> list[int]:
    def post(body: dict[str, object]) -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(f"{server.url}/api/v1/auth/login", json=body).status_code
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _password_checks(database: Database, username: str) -> list[str]:
    with database.unit_of_work() as session:
        return [str(entry.details.get("reason")) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.event == "account:login:failed",
                                     AuditEntry.actor == f"user:{username}"))]


def test_forty_parallel_wrong_passwords_lock_after_the_threshold(server: Server) -> None:
    # REQ U11 — CJIS AC-7: never more password checks than the policy's threshold allows
    secret = server.account("racer")
    bodies: list[dict[str, object]] = [
        {"username": "racer", "password": f"wrong guess {n}", "banner_acknowledged": True,
         "code": "000000"} for n in range(40)]
    statuses = _post_all(server, bodies)
    assert set(statuses) <= {401, 429}, statuses
    reasons = _password_checks(server.database, "racer")
    threshold = server.policy.security.lockout_failures
    assert reasons.count("wrong password") == threshold, (server.backend, reasons)
    assert len(reasons) == 40  # every attempt audited; the rest met the lock, unchecked
    with server.database.unit_of_work() as session:
        locks = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "account:locked")).all()
        locked_at = service.get_user(session, "racer").locked_at
    assert len(locks) == 1 and locked_at is not None
    # Even the right password and code are refused now (locked, and this client throttled).
    assert server.login("racer", secret).status_code in (401, 429)


def test_the_same_one_time_code_in_ten_parallel_logins_succeeds_once(server: Server) -> None:
    # REQ U11 — CJIS IA-2(8): a one-time code is accepted once, however many requests race
    secret = server.account("twin")
    code = pyotp.TOTP(secret).now()
    body = {"username": "twin", "password": PASSWORD, "banner_acknowledged": True,
            "code": code, "device_token": workstation(server.database)}
    statuses = _post_all(server, [dict(body) for _ in range(10)])
    assert sorted(statuses) == [200] + [401] * 9, (server.backend, statuses)


def test_unknown_accounts_take_as_long_as_known_ones(database: Database) -> None:
    # REQ U11 — no timing oracle: an unknown name costs the same password hash
    policy = default_policy()
    active_user(database, "known", [Role.DATA_USER], policy=policy)
    settings = Settings(login_failures_per_client=10_000)

    def timed(username: str) -> float:
        start = time.perf_counter()
        with database.unit_of_work() as session:
            result = login(session, username=username, password="not the password",
                           code=None, policy=policy, now=utcnow(), source="10.1.2.3",
                           settings=settings)
        assert result.token is None and not result.shown
        return time.perf_counter() - start

    known = statistics.median(timed("known") for _ in range(3))
    unknown = statistics.median(timed(f"nobody{n}") for n in range(3))
    assert unknown > known * 0.5, (known, unknown)


def test_one_client_is_throttled_after_the_configured_failures(database: Database) -> None:
    # REQ U11 — per-client throttling (ALPR_LOGIN_FAILURES_PER_CLIENT within
    # ALPR_LOGIN_THROTTLE_SECONDS), whichever names it tries; other clients still log in
    policy = default_policy()
    secret = active_user(database, "victim", [Role.DATA_USER], policy=policy)
    settings = Settings(login_failures_per_client=6, login_throttle_seconds=60)
    now = utcnow()
    with database.unit_of_work() as session:
        for n in range(6):
            result = login(session, username=f"spray{n}", password="Winter2026!", code=None,
                           policy=policy, now=now, source="203.0.113.7", settings=settings)
            assert not result.throttled
        blocked = login(session, username="victim", password=PASSWORD,
                        code=pyotp.TOTP(secret).at(now), policy=policy, now=now,
                        source="203.0.113.7", settings=settings)
        elsewhere = login(session, username="victim", password=PASSWORD,
                          code=pyotp.TOTP(secret).at(now), policy=policy, now=now,
                          source="198.51.100.2", settings=settings,
                          device_token=workstation(database))
        later = now + timedelta(seconds=61)
        again = login(session, username="spray0", password="x", code=None, policy=policy,
                      now=later, source="203.0.113.7", settings=settings)
    assert blocked.throttled and blocked.token is None
    assert elsewhere.token
    assert not again.throttled


def test_the_api_answers_429_with_retry_after_when_throttled(server: Server) -> None:
    # REQ U11 — the throttle as a client sees it
    limit = 20  # Settings default: ALPR_LOGIN_FAILURES_PER_CLIENT
    bodies: list[dict[str, object]] = [
        {"username": f"nobody{n}", "password": "guess guess", "banner_acknowledged": True}
        for n in range(limit)]
    with httpx.Client(timeout=60) as client:
        for body in bodies:
            assert client.post(f"{server.url}/api/v1/auth/login", json=body).status_code == 401
        blocked = client.post(f"{server.url}/api/v1/auth/login", json=bodies[0])
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
