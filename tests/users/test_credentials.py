"""Credentials over HTTP: an administrator issues a first password and authenticator
secret; a user changes their own password."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient

from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import load_preset
from alpr.users import service
from alpr.users.permissions import Role
from alpr.users.security import verify_password
from tests.helpers import active_user
from tests.users.test_api import PASSWORD, client, trained_admin

__all__ = ["client"]  # the fixture


def sign_in(client: TestClient, username: str, password: str, secret: str) -> dict[str, str]:
    logged = client.post("/api/v1/auth/login", json={
        "username": username, "password": password, "code": pyotp.TOTP(secret).now(),
        "banner_acknowledged": True})
    assert logged.status_code == 200, logged.text
    return {"Authorization": f"Bearer {logged.json()['token']}"}


def test_administrator_issues_credentials_the_person_signs_in_and_changes_them(
    client: TestClient, database: Database
) -> None:
    # REQ U11 — individual credentials: a first password and a TOTP secret, issued by an
    # administrator, shown once; the person then sets a password only they know.
    admin = sign_in(client, "admin", PASSWORD, trained_admin(database))
    assert client.post("/api/v1/users", headers=admin, json={
        "username": "lee", "full_name": "Sam Lee", "agency": "OPD",
        "classification": "Sworn personnel", "roles": ["patrol"]}).status_code == 201
    assert client.post("/api/v1/users/lee/approve", headers=admin).status_code == 200
    with database.unit_of_work() as session:
        service.record_training(session, username="lee", kind="initial", actor="console",
                                now=utcnow() - timedelta(minutes=1))

    short = client.post("/api/v1/users/lee/credentials", headers=admin, json={"password": "x"})
    assert short.status_code == 422 and "at least" in short.json()["detail"]
    issued = client.post("/api/v1/users/lee/credentials", headers=admin,
                         json={"password": "first pass phrase"})
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    body = issued.json()
    assert body["totp_uri"].startswith("otpauth://totp/") and body["qr_svg"].startswith("<?xml")
    own = client.post("/api/v1/users/admin/credentials", headers=admin,
                      json={"password": "another pass phrase"})
    assert own.status_code == 403 and "another administrator" in own.json()["detail"]

    lee = sign_in(client, "lee", "first pass phrase", body["totp_secret"])
    wrong = client.post("/api/v1/auth/password", headers=lee, json={
        "current_password": "not it at all", "new_password": "only lee knows this"})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.json()["detail"]
    changed = client.post("/api/v1/auth/password", headers=lee, json={
        "current_password": "first pass phrase", "new_password": "only lee knows this"})
    assert changed.json() == {"changed": True}
    assert client.get("/api/v1/alerts", headers=lee).status_code == 401  # sessions ended
    with database.unit_of_work() as session:
        user = service.get_user(session, "lee")
        assert user.password_changed_at is not None
        assert verify_password(user.password_hash, "only lee knows this")
        assert not verify_password(user.password_hash, "first pass phrase")

def test_only_user_managers_issue_credentials(client: TestClient, database: Database) -> None:
    # REQ U2 REQ U11
    secret = active_user(database, "dana", [Role.DATA_USER], policy=load_preset("oakland"),
                         classification="Sworn personnel", agency="OPD", password=PASSWORD)
    dana = sign_in(client, "dana", PASSWORD, secret)
    assert client.post("/api/v1/users/admin/credentials", headers=dana,
                       json={"password": "a long pass phrase"}).status_code == 403
