"""Logically deleted reads behind a real command approval (REQ Q7, R2).

One rule for every route that returns a read or an image: search, view by id, image,
evidence export, holds (by id and by plate) and alerts. The retention job logically
deletes the reads, and runs again between the approval and its use.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from alpr.api.app import create_app
from alpr.cli import app as cli
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.jobs.registry import JobContext, load_all, run_job
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.service import IngestItem, ingest
from alpr.retention.models import HoldRead
from alpr.search import deleted_access
from alpr.search.models import DeletedReadApproval
from alpr.users.cli_session import save_token
from alpr.users.permissions import Role
from tests.helpers import CameraFactory, jpeg, session_token

LAPD = load_preset("lapd")
OFFENSE = LAPD.search.logically_deleted_access_offenses[0]
TARGET, OTHER = "7ABC123", "8OTH456"
PURPOSE: dict[str, Any] = {
    "category": LAPD.search.permitted_purposes[0].code, "case_number": "26-004512",
    "on_behalf_of": "Det. Ortiz", "attests_standard": True, "attests_prohibited_uses": True}
runner = CliRunner(env={"COLUMNS": "200"})


@dataclass
class World:
    api: dict[str, TestClient]
    tokens: dict[str, str]
    old: dict[str, uuid.UUID]  # plate -> a read old enough to be logically deleted
    live: uuid.UUID  # a recent read of TARGET


def token(database: Database, username: str, roles: tuple[Role, ...], policy: Policy) -> str:
    """An active, trained account under `policy`, signed in; its bearer token."""
    return session_token(database, username, roles, policy=policy)


def retention_job(now: datetime | None = None) -> None:
    result = run_job(load_all()["retention"], JobContext(settings=get_settings(), policy=LAPD,
                                                          now=now or utcnow()))
    assert result.outcome == "success", result.detail


@pytest.fixture
def world(database: Database, images: ImageStore, make_camera: CameraFactory
          ) -> Iterator[World]:
    make_camera()
    now = utcnow()
    old_time = now - timedelta(days=3 * 365)  # past LAPD's 2-year logical deletion
    old = {TARGET: uuid.uuid4(), OTHER: uuid.uuid4()}
    live = uuid.uuid4()
    rows = [(old[TARGET], TARGET, old_time), (old[OTHER], OTHER, old_time),
            (live, TARGET, now - timedelta(minutes=5))]
    items = [IngestItem({"id": str(i), "plate": p, "confidence": 0.9, "camera_id": "cam-1",
                         "captured_at": t.isoformat(), "plate_image": "p"},
                        images={"plate_image": jpeg()}) for i, p, t in rows]
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=LAPD)
        import_entries(session, list_name="svs", actor="job", policy=LAPD, file_name="svs.tbl",
                       parsed=parse_clew(f"DATE\n{TARGET:<8}CA0120200101\n{OTHER:<8}CA0120200101"
                                         "\nTOTAL RECORD 0000002\n", table="svs"))
        assert ingest(session, items, actor="t", policy=LAPD, images=images,
                      now=now).accepted == 3
    retention_job()  # the routine job logically deletes the two old reads
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).where(
            Read.logically_deleted_at.is_not(None))) == 2
    people = {"root": (Role.SYSTEM_ADMINISTRATOR,), "root2": (Role.SYSTEM_ADMINISTRATOR,),
              "cmdr": (Role.COMMANDER,),
              "boss": (Role.SYSTEM_ADMINISTRATOR, Role.COMMANDER),
              "ortiz": (Role.DATA_USER,), "patrol": (Role.PATROL,)}
    tokens = {name: token(database, name, roles, LAPD) for name, roles in people.items()}
    clients: dict[str, TestClient] = {}
    app = create_app(policy=LAPD)
    with TestClient(app) as base:
        for name, value in tokens.items():
            client = TestClient(app)
            client.headers["Authorization"] = f"Bearer {value}"
            clients[name] = client
        assert base.get("/api/v1/health").status_code in (200, 404)
        yield World(clients, tokens, old, live)


def ask(world: World, who: str = "root", **overrides: Any) -> Any:
    body = {"plate": TARGET, "case_number": "DR 26-004512", "offense": OFFENSE} | overrides
    return world.api[who].post("/api/v1/searches/deleted-approvals", json=body)


def approved(world: World, who: str = "root", plate: str = TARGET) -> int:
    asked = ask(world, who, plate=plate)
    assert asked.status_code == 201, asked.text
    decided = world.api["cmdr"].post(
        f"/api/v1/searches/deleted-approvals/{asked.json()['id']}/decision",
        json={"approve": True})
    assert decided.status_code == 200, decided.text
    return int(asked.json()["id"])


def search_ids(world: World, who: str, plate: str, approval: int | None = None) -> Any:
    return world.api[who].post("/api/v1/searches", json={
        "query": {"plate": plate}, "purpose": PURPOSE, "deleted_approval_id": approval})


def view(world: World, who: str, read_id: uuid.UUID, approval: int | None = None,
         image: bool = False) -> Any:
    path = f"/api/v1/reads/{read_id}/" + ("images/plate" if image else "view")
    return world.api[who].post(path, json={"purpose": PURPOSE,
                                           "deleted_approval_id": approval})


def export(world: World, who: str, ids: list[uuid.UUID], approval: int | None = None) -> Any:
    return world.api[who].post("/api/v1/retention/exports", json={
        "read_ids": [str(i) for i in ids], "purpose": PURPOSE,
        "deleted_approval_id": approval})


def test_an_approved_request_opens_that_plate_and_nothing_else(
    world: World, database: Database
) -> None:
    # REQ Q7 REQ R2 — sysadmin asks, a different commander approves, one plate opens
    approval = approved(world)
    retention_job()  # the routine job runs between approval and use: still the same rule
    found = search_ids(world, "root", TARGET, approval)
    assert found.status_code == 200, found.text
    assert {r["id"] for r in found.json()["results"]} == {str(world.old[TARGET]),
                                                        str(world.live)}
    assert view(world, "root", world.old[TARGET], approval).json()["logically_deleted"]
    assert view(world, "root", world.old[TARGET], approval, image=True).status_code == 200
    package = export(world, "root", [world.old[TARGET], world.old[OTHER]], approval)
    assert package.status_code == 200, package.text
    names = zipfile.ZipFile(io.BytesIO(package.content)).read("reads.json").decode()
    assert str(world.old[TARGET]) in names and str(world.old[OTHER]) not in names
    # The other plate's deleted read stays closed under this approval.
    assert view(world, "root", world.old[OTHER], approval).status_code == 422


@dataclass(frozen=True)
class Attack:
    name: str
    who: str
    read: str  # TARGET or OTHER: whose deleted read is asked for
    approval: str  # none, own, pending, refused, root's


ATTACKS = [
    Attack("sysadmin without approval", "root", TARGET, "none"),
    Attack("approval still pending", "root", TARGET, "pending"),
    Attack("approval refused by the commander", "root", TARGET, "refused"),
    Attack("reuse for another plate", "root", OTHER, "own"),
    Attack("another sysadmin reusing it", "root2", TARGET, "root's"),
    Attack("data user naming the approval", "ortiz", TARGET, "root's"),
    Attack("data user without approval", "ortiz", TARGET, "none"),
]


def approval_for(world: World, kind: str) -> int | None:
    if kind == "none":
        return None
    if kind in ("own", "root's"):
        return approved(world)
    asked = ask(world).json()["id"]
    if kind == "refused":
        assert world.api["cmdr"].post(f"/api/v1/searches/deleted-approvals/{asked}/decision",
                                      json={"approve": False}).status_code == 200
    return int(asked)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_no_route_shows_a_deleted_read_without_a_valid_approval(
    world: World, database: Database, attack: Attack
) -> None:
    # REQ Q7 REQ R2 — the attack table, against every route that returns a read
    approval = approval_for(world, attack.approval)
    retention_job()
    read_id = world.old[attack.read]
    found = search_ids(world, attack.who, attack.read, approval)
    assert found.status_code == 422 if approval else found.status_code == 200
    if found.status_code == 200:
        assert str(read_id) not in {r["id"] for r in found.json()["results"]}
    assert view(world, attack.who, read_id, approval).status_code == 422
    assert view(world, attack.who, read_id, approval, image=True).status_code == 422
    assert export(world, attack.who, [read_id], approval).status_code == 422
    hold = world.api[attack.who].post("/api/v1/retention/holds", json={
        "case_number": "26-004512", "reason": "investigation", "details": "case",
        "investigator_contact": "Det. Ortiz x1234", "read_ids": [str(read_id)],
        "deleted_approval_id": approval})
    assert hold.status_code == 422
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(HoldRead)) == 0


def test_approval_requests_refuse_free_text_and_self_approval(world: World) -> None:
    # REQ Q7 — who approves is an account with the commander role, never a typed name
    free_text = ask(world, requested_by="Cmdr. Reyes", approved_by="Dep. Chief Wu")
    assert free_text.status_code == 422
    for overrides, field in (({"offense": "littering"}, "offense"),
                             ({"offense": None}, "offense"),
                             ({"offense": None, "court_order": "n/a"}, "court order"),
                             ({"case_number": "1"}, "case number"),
                             ({"plate": "7ABC*"}, "plate")):
        refused = ask(world, **overrides)
        assert refused.status_code == 422 and field in refused.json()["detail"], overrides
    assert ask(world, offense=OFFENSE.upper()).json()["offense"] == OFFENSE
    assert ask(world, offense=None, court_order="SW 2026-00417").status_code == 201
    assert ask(world, "ortiz").status_code == 403  # a Data User cannot even ask
    assert ask(world, "cmdr").status_code == 403  # nor a commander
    own = ask(world, "boss").json()["id"]  # a sysadmin who is also a commander
    self_approved = world.api["boss"].post(
        f"/api/v1/searches/deleted-approvals/{own}/decision", json={"approve": True})
    assert self_approved.status_code == 422 and "not be the requester" in self_approved.text
    by_sysadmin = world.api["root2"].post(
        f"/api/v1/searches/deleted-approvals/{own}/decision", json={"approve": True})
    assert by_sysadmin.status_code == 403  # deciding needs the commander role
    queue = world.api["cmdr"].get("/api/v1/searches/deleted-approvals").json()
    assert {row["status"] for row in queue} == {"pending"}


def test_an_approval_expires_with_the_policy_lifetime(world: World, database: Database) -> None:
    # REQ Q7 — default 24 h; the retention job runs in between
    approval = approved(world)
    with database.unit_of_work() as session:
        row = session.get(DeletedReadApproval, approval)
        assert row is not None and row.approved_at is not None
        assert row.expires_at - row.approved_at == timedelta(hours=24)
        later = row.expires_at + timedelta(seconds=1)
    retention_job(later)
    with database.unit_of_work() as session, pytest.raises(
            deleted_access.DeletedAccessRefused, match="expired"):
        deleted_access.resolve(session, approval_id=approval, actor="user:root",
                               may_see_deleted=True, now=later, plate=TARGET)
    with database.unit_of_work() as session:
        access = deleted_access.resolve(session, approval_id=approval, actor="user:root",
                                        may_see_deleted=True, now=later - timedelta(minutes=1),
                                        plate="7abc 123")
    assert access.plate == TARGET


def test_a_data_users_hold_by_plate_neither_counts_nor_holds_deleted_reads(
    world: World, database: Database
) -> None:
    # REQ R2 — counts never reveal what the caller may not see
    now = utcnow()
    created = world.api["ortiz"].post("/api/v1/retention/holds", json={
        "case_number": "26-004512", "reason": "investigation", "details": "case",
        "investigator_contact": "Det. Ortiz x1234", "plate": TARGET,
        "since": (now - timedelta(days=4 * 365)).isoformat(), "until": now.isoformat()})
    assert created.status_code == 201, created.text
    assert created.json()["reads"] == 1
    with database.unit_of_work() as session:
        held = set(session.scalars(select(HoldRead.read_id)))
    assert held == {world.live}
    # The same request with an approval, by the System Administrator, holds both.
    approval = approved(world)
    both = world.api["root"].post("/api/v1/retention/holds", json={
        "case_number": "26-004512", "reason": "investigation", "details": "case",
        "investigator_contact": "Det. Ortiz x1234", "plate": TARGET,
        "since": (now - timedelta(days=4 * 365)).isoformat(), "until": now.isoformat(),
        "deleted_approval_id": approval})
    assert both.status_code == 201 and both.json()["reads"] == 2


def test_alerts_of_deleted_reads_are_hidden(world: World, database: Database) -> None:
    # REQ R2 — an alert shows the read's plate, place and time
    with database.unit_of_work() as session:
        alerts = {a.read_id: a.id for a in session.scalars(select(Alert))}
    assert set(alerts) == {world.old[TARGET], world.old[OTHER], world.live}
    listed = world.api["patrol"].get("/api/v1/alerts").json()
    assert {a["id"] for a in listed} == {str(alerts[world.live])}
    old_alert = alerts[world.old[TARGET]]
    assert world.api["patrol"].get(f"/api/v1/alerts/{old_alert}/read").status_code in (404,
                                                                                      422)


def test_the_cli_follows_the_same_rule(world: World, database: Database,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # REQ Q7 — request, decide and search from the command line
    from pathlib import Path

    import alpr.policy
    monkeypatch.setenv("ALPR_POLICY", str(Path(alpr.policy.__file__).parent / "presets"
                                          / "lapd.toml"))
    get_settings.cache_clear()
    search: list[str] = ["search", "--purpose", str(PURPOSE["category"]), "--on-behalf-of",
                         "Det. Ortiz", "--case", "26-004512", "--attest", "--plate", TARGET]
    save_token(world.tokens["root"])
    asked = runner.invoke(cli, ["deleted-access", "request", "--plate", TARGET, "--case",
                                "DR 26-004512", "--offense", OFFENSE])
    assert asked.exit_code == 0, asked.output
    with database.unit_of_work() as session:
        approval = session.scalar(select(func.max(DeletedReadApproval.id)))
    refused = runner.invoke(cli, [*search, "--deleted-approval", str(approval)])
    assert refused.exit_code == 1 and "pending" in refused.output
    assert runner.invoke(cli, ["deleted-access", "decide", str(approval)]).exit_code == 1
    save_token(world.tokens["cmdr"])
    decided = runner.invoke(cli, ["deleted-access", "decide", str(approval)])
    assert decided.exit_code == 0 and "approved" in decided.output
    save_token(world.tokens["root"])
    retention_job()
    shown = runner.invoke(cli, [*search, "--deleted-approval", str(approval)])
    assert shown.exit_code == 0, shown.output
    assert "2 reads" in shown.output
    assert "1 reads" in runner.invoke(cli, search).output
