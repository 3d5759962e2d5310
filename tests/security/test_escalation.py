"""Separation of duties (issue 18.2): nobody acts on their own account, nobody grants or
takes over more than they hold; every refusal is audited. Through the HTTP API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.audit.models import AuditEntry
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import Policy, default_policy
from alpr.users.permissions import Role
from tests.helpers import PASSWORD, active_user, cli_login, workstation

ADMINS = (Role.SYSTEM_ADMINISTRATOR, Role.ALPR_ADMINISTRATOR)
CLASSIFICATION = default_policy().users.authorized_classifications[0]


@pytest.fixture
def api(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(policy=default_policy())) as client:
        yield client


def headers(api: TestClient, database: Database, username: str, *roles: Role) -> dict[str, str]:
    secret = active_user(database, username, roles)
    token = api.post("/api/v1/auth/login", json={
        "username": username, "password": PASSWORD, "code": pyotp.TOTP(secret).now(),
        "banner_acknowledged": True, "device_token": workstation(database)}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def create(api: TestClient, auth: dict[str, str], username: str, *roles: Role) -> None:
    made = api.post("/api/v1/users", headers=auth, json={
        "username": username, "full_name": username.title(), "agency": "Test PD",
        "classification": CLASSIFICATION, "roles": [r.value for r in roles]})
    assert made.status_code == 201, made.text


def refusals(database: Database) -> list[dict[str, str]]:
    with database.unit_of_work() as session:
        return [e.details for e in session.scalars(select(AuditEntry).where(
            AuditEntry.event == "account:duty:refused"))]


# An administrator acting on their own account: every one refused (403), audited.
SELF_SERVICE: list[tuple[str, str, dict[str, object] | None]] = [
    ("approve", "/api/v1/users/{me}/approve", None),
    ("training", "/api/v1/users/{me}/training", {"kind": "refresher"}),
    ("review", "/api/v1/users/{me}/review", None),
    ("classification", "/api/v1/users/{me}/classification", {"classification": CLASSIFICATION}),
    ("suspend", "/api/v1/users/{me}/suspend", {"reason": "to reset my own clock"}),
    ("separate", "/api/v1/users/{me}/separate", None),
    ("reactivate", "/api/v1/users/{me}/reactivate", None),
    ("unlock", "/api/v1/users/{me}/unlock", None),
    ("agency", "/api/v1/users/{me}/agency", {"agency": "Test PD"}),
    ("credentials", "/api/v1/users/{me}/credentials", {"password": "my very own secret"}),
]


@pytest.mark.parametrize(("action", "path", "body"), SELF_SERVICE,
                         ids=[case[0] for case in SELF_SERVICE])
def test_nobody_acts_on_their_own_account(
    api: TestClient, database: Database, action: str, path: str, body: dict[str, object] | None,
) -> None:
    # REQ U1 REQ U4 REQ U5 REQ U7 REQ U8 REQ U10 — separation of duties, CJIS AC-5
    auth = headers(api, database, "chief", *ADMINS)
    answer = api.post(path.format(me="chief"), headers=auth, json=body)
    assert answer.status_code == 403, (action, answer.text)
    assert "own account" in answer.json()["detail"]
    assert [r["username"] for r in refusals(database)] == ["chief"]


# Who creates, who approves, the roles granted, whether it must be refused.
GRANTS: list[tuple[str, tuple[Role, ...], str, tuple[Role, ...], tuple[Role, ...], bool]] = [
    # An ALPR Administrator alone cannot make a System Administrator ...
    ("alpr-admin-alone-makes-sysadmin", (Role.ALPR_ADMINISTRATOR,), "same",
     (Role.ALPR_ADMINISTRATOR,), (Role.SYSTEM_ADMINISTRATOR,), True),
    # ... nor a System Administrator an ALPR Administrator ...
    ("sysadmin-alone-makes-alpr-admin", (Role.SYSTEM_ADMINISTRATOR,), "same",
     (Role.SYSTEM_ADMINISTRATOR,), (Role.ALPR_ADMINISTRATOR,), True),
    # ... nor anyone both roles at once unless holding both.
    ("alpr-admin-alone-makes-both", (Role.ALPR_ADMINISTRATOR,), "same",
     (Role.ALPR_ADMINISTRATOR,), ADMINS, True),
    # Two administrators: one creates, another approves.
    ("two-admins-make-sysadmin", (Role.ALPR_ADMINISTRATOR,), "other",
     (Role.ALPR_ADMINISTRATOR,), (Role.SYSTEM_ADMINISTRATOR,), False),
    # A holder of the role grants it alone.
    ("holder-grants-own-role", ADMINS, "same", ADMINS, (Role.SYSTEM_ADMINISTRATOR,), False),
    ("alpr-admin-makes-alpr-admin", (Role.ALPR_ADMINISTRATOR,), "same",
     (Role.ALPR_ADMINISTRATOR,), (Role.ALPR_ADMINISTRATOR,), False),
    ("alpr-admin-makes-data-user", (Role.ALPR_ADMINISTRATOR,), "same",
     (Role.ALPR_ADMINISTRATOR,), (Role.DATA_USER,), False),
    ("alpr-admin-makes-patrol", (Role.ALPR_ADMINISTRATOR,), "same",
     (Role.ALPR_ADMINISTRATOR,), (Role.PATROL,), False),
    ("sysadmin-makes-auditor", (Role.SYSTEM_ADMINISTRATOR,), "same",
     (Role.SYSTEM_ADMINISTRATOR,), (Role.AUDITOR,), True),
]


@pytest.mark.parametrize(("case", "creator_roles", "approver", "approver_roles", "granted",
                          "refused"), GRANTS, ids=[g[0] for g in GRANTS])
def test_granting_a_role_needs_a_holder_or_two_administrators(
    api: TestClient, database: Database, case: str, creator_roles: tuple[Role, ...],
    approver: str, approver_roles: tuple[Role, ...], granted: tuple[Role, ...], refused: bool,
) -> None:
    # REQ U1 REQ U2 — CJIS AC-5, AC-6: no escalation through account approval
    creator = headers(api, database, "maker", *creator_roles)
    create(api, creator, "newbie", *granted)
    approving = creator if approver == "same" else headers(api, database, "second",
                                                           *approver_roles)
    answer = api.post("/api/v1/users/newbie/approve", headers=approving)
    assert answer.status_code == (403 if refused else 200), (case, answer.text)
    assert len(refusals(database)) == (1 if refused else 0)


def test_issuing_credentials_cannot_take_over_a_stronger_account(
    api: TestClient, database: Database
) -> None:
    # REQ U11 — credentials of an account are issued only by someone holding all it holds
    active_user(database, "sysop", [Role.SYSTEM_ADMINISTRATOR])
    alpr_admin = headers(api, database, "listadmin", Role.ALPR_ADMINISTRATOR)
    taken = api.post("/api/v1/users/sysop/credentials", headers=alpr_admin,
                     json={"password": "i am sysop now"})
    assert taken.status_code == 403, taken.text
    both = headers(api, database, "chief", *ADMINS)
    assert api.post("/api/v1/users/sysop/credentials", headers=both,
                    json={"password": "a fresh pass phrase"}).status_code == 200


def test_the_escalation_path_of_the_report_is_closed_end_to_end(
    api: TestClient, database: Database
) -> None:
    # REQ U1 — ALPR Administrator alone: create + approve + train + issue credentials for a
    # System Administrator, then sign in as it. The approval is refused, and so the rest.
    admin = headers(api, database, "alone", Role.ALPR_ADMINISTRATOR)
    create(api, admin, "shadow", Role.SYSTEM_ADMINISTRATOR)
    assert api.post("/api/v1/users/shadow/approve", headers=admin).status_code == 403
    assert api.post("/api/v1/users/shadow/credentials", headers=admin,
                    json={"password": "shadow pass phrase"}).status_code == 403
    assert api.post("/api/v1/auth/login", json={
        "username": "shadow", "password": "shadow pass phrase", "code": "000000",
        "banner_acknowledged": True}).status_code == 401


def test_the_cli_refuses_self_service_too(database: Database, policy: Policy) -> None:
    # REQ U4 — the same rule through `alpr users ...`
    from alpr.cli import app as cli

    cli_login(database, "clichief")
    runner = CliRunner()
    for args in (["users", "train", "clichief"], ["users", "review", "clichief"],
                 ["users", "unlock", "clichief"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1 and "own account" in result.output, (args, result.output)
    assert len(refusals(database)) == 3


def test_the_cli_lets_a_lone_alpr_administrator_make_no_system_administrator(
    database: Database, tmp_path: Path
) -> None:
    # REQ U1 — the same escalation path through `alpr users add` / `approve`
    from alpr.cli import app as cli

    cli_login(database, "lonely", roles=(Role.ALPR_ADMINISTRATOR,))
    password = tmp_path / "pw"
    password.write_text("shadow pass phrase\n")
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "shadow", "--full-name", "S", "--agency",
                                "Test PD", "--classification", CLASSIFICATION, "--role",
                                "system-administrator", "--password-file", str(password)])
    assert added.exit_code == 1 and "created, pending approval" in added.output
    approved = runner.invoke(cli, ["users", "approve", "shadow"])
    assert approved.exit_code == 1, approved.output
    assert [r["action"] for r in refusals(database)] == ["credentials", "approve"]


def test_people_pick_agencies_from_the_registry_and_only_california_public_ones(
    api: TestClient, database: Database
) -> None:
    # REQ S1 REQ U1 — Civ. Code §1798.90.5(f): an account's agency is a registry agency
    from alpr.sharing.models import Agency

    with database.unit_of_work() as session:
        session.add_all([
            Agency(name="DHS Task Force", kind="federal", jurisdiction="United States",
                   created_by="t", created_at=utcnow()),
            Agency(name="U.S. Immigration and Customs Enforcement", kind="ca_law_enforcement",
                   jurisdiction="California", created_by="t", created_at=utcnow())])
    auth = headers(api, database, "chief", *ADMINS)
    for agency, says in (("Nowhere PD", "not in the agency registry"),
                         ("DHS Task Force", "not a California public agency"),
                         ("u.s. immigration and customs enforcement", "federal body")):
        made = api.post("/api/v1/users", headers=auth, json={
            "username": "newbie", "full_name": "N", "agency": agency,
            "classification": CLASSIFICATION, "roles": ["data-user"]})
        assert made.status_code == 422 and says in made.json()["detail"], (agency, made.text)
    create(api, auth, "mover", Role.DATA_USER)
    moved = api.post("/api/v1/users/mover/agency", headers=auth, json={"agency": "DHS Task Force"})
    assert moved.status_code == 422 and "not a California public agency" in moved.text
