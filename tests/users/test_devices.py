"""Sign-in only from agency-issued devices (issue 16.6; REQ U12; seeds 000 and 003, 429.9:
"can only be accessed by authorized users with ...-issued computers, mobile phones, or
smart devices"). The default preset requires it; the attacks below bring the right password
and a fresh one-time code, and everything but a registered, unrevoked device's token."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.models import AuditEntry
from alpr.cli import app as cli
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import Policy, default_policy
from alpr.users.auth import authenticate, login
from alpr.users.cli_session import device_file, installed_device_token
from alpr.users.devices import register_device, revoke_device
from alpr.users.models import User
from alpr.users.permissions import Role
from tests.helpers import PASSWORD, CameraFactory, active_user, cli_login, workstation

ADMINS = (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)

# Each: what an attacker presents instead of a registered device's token, built from the
# real token (t), a revoked device's token (r), a camera key (c) and a user session (s).
Forged = Callable[[str, str, str, str], str | None]
REFUSED: list[tuple[str, Forged]] = [
    ("no token at all", lambda t, r, c, s: None),
    ("an empty token", lambda t, r, c, s: ""),
    ("blanks", lambda t, r, c, s: "   "),
    ("a made-up token of the right shape", lambda t, r, c, s: "alpr_dev_" + "A" * 43),
    ("the token in upper case", lambda t, r, c, s: t.upper()),
    ("the token with one character changed",
     lambda t, r, c, s: t[:-1] + ("B" if t[-1] != "B" else "C")),
    ("the token cut short", lambda t, r, c, s: t[:-4]),
    ("the token with a character added", lambda t, r, c, s: t + "x"),
    ("the token with a zero-width space inside", lambda t, r, c, s: t[:10] + "\u200b" + t[10:]),
    ("the hash the store keeps (a stolen database row)",
     lambda t, r, c, s: hashlib.sha256(t.encode()).hexdigest()),
    ("a revoked device's token", lambda t, r, c, s: r),
    ("a camera's API key", lambda t, r, c, s: c),
    ("another user's session token", lambda t, r, c, s: s),
    ("the token's prefix alone", lambda t, r, c, s: "alpr_dev_"),
]


@pytest.fixture
def tokens(database: Database, make_camera: CameraFactory) -> dict[str, str]:
    """A registered device, a revoked one, a camera key and a live session of someone."""
    _, camera_key = make_camera("cam-1")
    other = active_user(database, "other", [Role.DATA_USER])
    now = utcnow()
    with database.unit_of_work() as session:
        _, token = register_device(session, name="MDC unit 12", actor="user:admin",
                                   now=now)
        revoked, revoked_token = register_device(session, name="lost laptop",
                                                 actor="user:admin", now=now)
        revoke_device(session, device_id=revoked.id, reason="reported lost",
                      actor="user:admin", now=now)
        other_session = login(session, username="other", password=PASSWORD,
                              code=pyotp.TOTP(other).at(now), policy=default_policy(),
                              now=now, device_token=token).token
    assert other_session
    return {"token": token, "revoked": revoked_token, "camera": camera_key,
            "session": other_session}


def _attempt(database: Database, secret: str, at: datetime, device_token: str | None,
             policy: Policy | None = None) -> tuple[str | None, str | None]:
    with database.unit_of_work() as session:
        result = login(session, username="diaz", password=PASSWORD,
                       code=pyotp.TOTP(secret).at(at), policy=policy or default_policy(),
                       now=at, device_token=device_token)
    return result.token, result.refused


def test_the_default_preset_signs_in_only_from_a_registered_device(
    database: Database, tokens: dict[str, str]
) -> None:
    # REQ U12 — every forgery is refused with the reason, the real token signs in
    secret = active_user(database, "diaz", [Role.DATA_USER])
    assert default_policy().security.require_registered_devices  # 003 429.9
    at = utcnow()
    for n, (label, forged) in enumerate(REFUSED):
        presented = forged(tokens["token"], tokens["revoked"], tokens["camera"],
                           tokens["session"])
        token, refused = _attempt(database, secret, at + timedelta(seconds=30 * n), presented)
        assert token is None, label
        assert refused == "this device is not registered (U12)", (label, refused)
    token, refused = _attempt(database, secret, at + timedelta(seconds=30 * len(REFUSED)),
                              tokens["token"])
    assert token, refused  # the same device serves every person of the agency
    with database.unit_of_work() as session:
        refusals = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "account:login:failed",
            AuditEntry.actor == "user:diaz")).all()
    assert len(refusals) == len(REFUSED)  # each attempt is on the record


def test_the_rule_off_lets_people_sign_in_without_a_device(database: Database) -> None:
    # REQ U12 — the near miss: a policy without the rule (e.g. oakland) needs no device
    policy = default_policy()
    relaxed = policy.model_copy(update={"security": policy.security.model_copy(
        update={"require_registered_devices": False})})
    secret = active_user(database, "diaz", [Role.DATA_USER], policy=relaxed)
    token, refused = _attempt(database, secret, utcnow(), None, relaxed)
    assert token, refused


@pytest.fixture
def api(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(policy=default_policy())) as client:
        yield client


def _sign_in(api: TestClient, database: Database, username: str, *roles: Role,
             device: str | None) -> dict[str, str]:
    secret = active_user(database, username, roles)
    answer = api.post("/api/v1/auth/login", json={
        "username": username, "password": PASSWORD, "code": pyotp.TOTP(secret).now(),
        "banner_acknowledged": True, "device_token": device})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_over_the_api_revoking_a_device_ends_its_sessions(
    api: TestClient, database: Database
) -> None:
    # REQ U12 — register (token shown once), list, revoke: the device's sessions end at once
    admin = _sign_in(api, database, "chief", *ADMINS, device=workstation(database))
    registered = api.post("/api/v1/devices", headers=admin, json={"name": "MDC unit 7"})
    assert registered.status_code == 201, registered.text
    device = registered.json()
    assert device["token"].startswith("alpr_dev_") and device["registered_by"] == "user:chief"
    patrol = _sign_in(api, database, "unit7", Role.PATROL, device=device["token"])
    assert api.get("/api/v1/alerts", headers=patrol).status_code == 200
    listed = api.get("/api/v1/devices", headers=admin).json()
    assert [d["name"] for d in listed] == ["test workstation", "MDC unit 7"]
    assert all("token" not in d for d in listed)  # shown once, never listed
    revoked = api.post(f"/api/v1/devices/{device['id']}/revoke", headers=admin,
                       json={"reason": "stolen from the car"})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api.get("/api/v1/alerts", headers=patrol).status_code == 401
    again = api.post(f"/api/v1/devices/{device['id']}/revoke", headers=admin,
                     json={"reason": "twice"})
    assert again.status_code == 422 and "device_id" in again.json()["detail"]
    assert api.get("/api/v1/alerts", headers=admin).status_code == 200  # other device
    with database.unit_of_work() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "device:revoke")).one()
    assert entry.actor == "user:chief" and entry.details["sessions_ended"] == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"name": "unit\x00 7"}, "name"),
    ({"name": "unit\n7\t"}, None), ({}, "name"), ({"name": "MDC", "token": "mine"}, "token"),
])
def test_bad_device_requests_get_a_4xx_naming_the_field(
    api: TestClient, database: Database, body: dict[str, str], field: str | None
) -> None:
    # REQ U12 — nobody picks a device's token; names are printable text
    admin = _sign_in(api, database, "chief", *ADMINS, device=workstation(database))
    answer = api.post("/api/v1/devices", headers=admin, json=body)
    if field is None:  # blanks fold to one space: a readable name, accepted
        assert answer.status_code == 201 and answer.json()["name"] == "unit 7"
        return
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text
    for path in ("/api/v1/devices/0/revoke", "/api/v1/devices/99999999999999/revoke",
                 "/api/v1/devices/abc/revoke"):
        assert api.post(path, headers=admin, json={"reason": "lost it"}).status_code == 422


@pytest.mark.parametrize("role", [Role.DATA_USER, Role.PATROL, Role.AUDITOR, Role.COMMANDER])
def test_only_account_managers_handle_devices(
    api: TestClient, database: Database, make_camera: CameraFactory, role: Role
) -> None:
    # REQ U12 REQ U2 — a user cannot register a device of their own choosing
    _, camera_key = make_camera("cam-1")
    user = _sign_in(api, database, "someone", role, device=workstation(database))
    for headers in (user, {"X-API-Key": camera_key}, {}):
        assert api.post("/api/v1/devices", headers=headers,
                        json={"name": "my own laptop"}).status_code in (401, 403)
        assert api.get("/api/v1/devices", headers=headers).status_code in (401, 403)


def test_a_session_without_a_device_ends_when_the_rule_is_switched_on(
    database: Database
) -> None:
    # REQ U12 — the rule holds at every request, not only at sign-in
    policy = default_policy()
    relaxed = policy.model_copy(update={"security": policy.security.model_copy(
        update={"require_registered_devices": False})})
    secret = active_user(database, "diaz", [Role.DATA_USER], policy=relaxed)
    token, _ = _attempt(database, secret, utcnow(), None, relaxed)
    assert token
    with database.unit_of_work() as session:
        assert not isinstance(authenticate(session, token=token, policy=relaxed,
                                           now=utcnow()), str)
        ended = authenticate(session, token=token, policy=policy, now=utcnow())
    assert isinstance(ended, str) and "registered device" in ended
    with database.unit_of_work() as session:  # ended for good, whatever the policy
        assert authenticate(session, token=token, policy=relaxed, now=utcnow()) == (
            "session ended or unknown")


def test_through_the_cli_a_device_is_installed_once_and_revoked(
    database: Database, tmp_path: Path
) -> None:
    # REQ U12 — `alpr login` presents this computer's token; without one it is refused
    runner = CliRunner()
    cli_login(database, "chief", ADMINS)  # from the test's installed workstation
    registered = runner.invoke(cli, ["devices", "register", "Records workstation 3"])
    assert registered.exit_code == 0, registered.output
    token = registered.output.split("(shown once): ")[1].split()[0]
    assert token.startswith("alpr_dev_")
    secret = active_user(database, "ana", [Role.DATA_USER])
    device_file().unlink()  # a computer nobody installed a token on
    password = tmp_path / "pw"
    password.write_text(PASSWORD + "\n")

    def sign_in(*extra: str) -> str:
        with database.unit_of_work() as session:  # as if the next 30 s step had come
            session.scalars(select(User).where(User.username == "ana")).one(
                ).totp_last_step = None
        result = runner.invoke(cli, ["login", "--username", "ana", "--password-file",
                                     str(password), "--code", pyotp.TOTP(secret).now(),
                                     *extra])
        return f"{result.exit_code} {result.output}"

    assert "this device is not registered (U12)" in sign_in()
    forged = tmp_path / "forged"
    forged.write_text(token.upper() + "\n")
    assert "this device is not registered (U12)" in sign_in("--device-token-file", str(forged))
    assert installed_device_token() is None  # a refused token is not installed
    given = tmp_path / "given"
    given.write_text(token + "\n")
    assert sign_in("--device-token-file", str(given)).startswith("0 ")
    assert installed_device_token() == token  # kept for the next sign-in
    assert device_file().stat().st_mode & 0o077 == 0  # a credential: owner only
    listed = runner.invoke(cli, ["devices", "list"])
    assert "Records workstation 3" not in listed.output  # ana lacks users:manage
    cli_login(database, "chief2", ADMINS)
    listed = runner.invoke(cli, ["devices", "list"])
    assert "Records workstation 3" in listed.output and token not in listed.output
    device_id = next(line.split()[1] for line in listed.output.splitlines()
                     if "Records" in line)
    revoked = runner.invoke(cli, ["devices", "revoke", device_id, "--reason", "retired"])
    assert revoked.exit_code == 0, revoked.output
    assert "this device is not registered (U12)" in sign_in()


def test_register_install_makes_this_computer_the_device(database: Database) -> None:
    # REQ U12 — `--install` keeps the new token here; the old one still works elsewhere
    runner = CliRunner()
    cli_login(database, "chief", ADMINS)
    before = installed_device_token()
    result = runner.invoke(cli, ["devices", "register", "Dispatch desk 2", "--install"])
    assert result.exit_code == 0, result.output
    after = installed_device_token()
    assert after and after != before and after in result.output
    for bad in ("", "   ", "\x00"):
        refused = runner.invoke(cli, ["devices", "register", bad])
        assert refused.exit_code == 1 and "name" in refused.output
    with database.unit_of_work() as session:
        names = [e.details["name"] for e in session.scalars(select(AuditEntry).where(
            AuditEntry.event == "device:register").order_by(AuditEntry.id))]
    assert names == ["test workstation", "Dispatch desk 2"]
