"""Deny by default, proven on every route of the app; login and account API end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from alpr.api.app import api_routes, create_app, route_guards
from alpr.api.deps import Principal, current_principal
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.integrations.auth import path_key_principal, token_principal
from alpr.policy import load_preset
from alpr.users import service
from alpr.users.permissions import Role
from tests.helpers import active_user

PASSWORD = "correct horse battery staple"






def concrete(path: str) -> str:
    values = {"alert_id": "00000000-0000-0000-0000-000000000001",
              "read_id": "00000000-0000-0000-0000-000000000001", "fmt": "csv"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "x1"), path)


@pytest.fixture
def app_routes() -> list[APIRoute]:
    return list(api_routes(create_app(policy=load_preset("oakland")).routes))


def test_every_route_refuses_the_unauthenticated_and_the_wrong_role(
    database: Database, app_routes: list[APIRoute]
) -> None:
    # REQ C7 REQ U2 — deny by default: unauthenticated → 401, a role without the permission → 403
    app = create_app(policy=load_preset("oakland"))
    nobody = Principal(kind="user", id="nobody", organization="PD", permissions=frozenset())
    checked = 0
    with TestClient(app) as anonymous:
        for route in app_routes:
            if "public" in route_guards(route):
                continue
            for method in route.methods or set():
                assert anonymous.request(method, concrete(route.path)).status_code == 401, (
                    method, route.path)
                checked += 1
    app.dependency_overrides[current_principal] = lambda: nobody
    # Integrations resolve their callers their own way (a key in the path, `Token` header).
    app.dependency_overrides[path_key_principal] = lambda: nobody
    app.dependency_overrides[token_principal] = lambda: nobody
    with TestClient(app) as roleless:
        for route in app_routes:
            if route_guards(route) & {"public", "authenticated"}:
                continue
            for method in route.methods or set():
                assert roleless.request(method, concrete(route.path)).status_code == 403, (
                    method, route.path)
    assert checked >= 30  # the walk really covered the app


def test_patrol_users_see_alerts_but_cannot_change_data(app_routes: list[APIRoute]) -> None:
    # REQ U2 — patrol: alerts only; cannot add, change or delete data
    from alpr.users.permissions import ROLE_PERMISSIONS

    patrol = {str(p) for p in ROLE_PERMISSIONS[Role.PATROL]}
    allowed = {(m, r.path) for r in app_routes for m in (r.methods or set())
               if route_guards(r) & patrol}
    assert ("GET", "/api/v1/alerts/stream") in allowed
    writes = {(m, path) for m, path in allowed if m != "GET"}
    # ... but they record their unit's start-of-shift inspection (REQ C6, 001 .25).
    assert writes <= {("POST", "/api/v1/alerts/{alert_id}/verify"),
                      ("POST", "/api/v1/alerts/{alert_id}/responses"),
                      ("POST", "/api/v1/cameras/{camera_id}/inspections")}


def trained_admin(database: Database) -> str:
    """An active, trained ALPR Administrator 'admin'; returns the TOTP secret."""
    return active_user(database, "admin", [Role.ALPR_ADMINISTRATOR],
                       policy=load_preset("oakland"), classification="Sworn personnel",
                       agency="OPD", password=PASSWORD)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(policy=load_preset("oakland"))) as test_client:
        yield test_client


def test_login_then_manage_accounts_then_logout(client: TestClient, database: Database) -> None:
    # REQ U1 REQ U11 — named users, MFA, every login audited
    secret = trained_admin(database)
    body = {"username": "admin", "password": PASSWORD, "code": pyotp.TOTP(secret).now(),
            "banner_acknowledged": False}
    assert client.post("/api/v1/auth/login", json=body).status_code == 400
    assert client.post("/api/v1/auth/login", json={**body, "banner_acknowledged": True,
                                                    "password": "nope nope nope"}
                       ).status_code == 401
    logged = client.post("/api/v1/auth/login", json={**body, "banner_acknowledged": True})
    assert logged.status_code == 200, logged.text
    auth = {"Authorization": f"Bearer {logged.json()['token']}"}
    created = client.post("/api/v1/users", headers=auth, json={
        "username": "lee", "full_name": "Sam Lee", "agency": "OPD",
        "classification": "Sworn personnel", "roles": ["data-user"]})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    assert client.post("/api/v1/users/lee/approve", headers=auth).json()["status"] == "active"
    report = client.get("/api/v1/users/report", headers=auth).json()
    assert "lee" in [d["username"] for d in report["training_due"]]
    assert client.post("/api/v1/auth/logout", headers=auth).json() == {"ended": True}
    assert client.get("/api/v1/users", headers=auth).status_code == 401


def test_cli_bootstrap_login_and_account_administration(database: Database) -> None:
    # REQ U1 — first administrator on the console; then named users act through `alpr login`
    from typer.testing import CliRunner

    from alpr.cli import app as cli

    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create-admin", "chief", "--full-name", "C. Chief",
                                  "--agency", "OPD", "--classification", "Sworn officer"],
                            input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    secret = re.search(r"secret=([A-Z2-7]+)", created.output)
    assert secret
    refused = runner.invoke(cli, ["users", "list"])
    assert refused.exit_code == 1 and "log in first" in refused.output
    assert runner.invoke(cli, ["users", "train", "chief"]).exit_code == 1  # not logged in
    with database.unit_of_work() as session:
        service.record_training(session, username="chief", kind="initial", actor="console",
                                now=utcnow() - timedelta(minutes=1))
    logged = runner.invoke(cli, ["login"], input=f"chief\n{PASSWORD}\n"
                           f"{pyotp.TOTP(secret.group(1)).now()}\n")
    assert logged.exit_code == 0, logged.output
    added = runner.invoke(cli, ["users", "add", "lee", "--full-name", "Sam Lee", "--agency",
                                "OPD", "--classification", "Sworn officer", "--role",
                                "data-user"], input=f"{PASSWORD}x\n{PASSWORD}x\n")
    assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["users", "approve", "lee"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"])
    assert "lee" in listed.output and "training due" in listed.output
    assert runner.invoke(cli, ["logout"]).exit_code == 0
    assert runner.invoke(cli, ["users", "list"]).exit_code == 1


def test_web_console_cookie_session_needs_the_csrf_token_to_write(database: Database) -> None:
    # REQ U11 — secure cookie sessions with CSRF protection for the web console
    policy = load_preset("oakland")
    secret = trained_admin(database)
    with TestClient(create_app(policy=policy), base_url="https://testserver") as browser:
        logged = browser.post("/api/v1/auth/login", json={
            "username": "admin", "password": PASSWORD, "code": pyotp.TOTP(secret).now(),
            "banner_acknowledged": True, "cookie": True})
        assert logged.status_code == 200 and logged.json()["token"] is None
        assert "httponly" in logged.headers["set-cookie"].lower()
        assert browser.get("/api/v1/users").status_code == 200  # reads need no CSRF header
        body = {"username": "lee", "full_name": "Sam Lee", "agency": "OPD",
                "classification": "Sworn personnel", "roles": ["patrol"]}
        assert browser.post("/api/v1/users", json=body).status_code == 403  # forged write
        csrf = browser.cookies["alpr_csrf"]
        made = browser.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201, made.text
