"""Staged imports (issue 18.7): a file is written in short committed batches that no reader
sees, then made the list's in one short flip. Ingest goes on meanwhile, even on SQLite
where every writer takes the one write lock; an alert sees the old list or the new one,
never a half (REQ H2)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from alpr.api.app import create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.cli import app as cli
from alpr.db.base import utcnow
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database
from alpr.hotlists import generations, importing, matching, service
from alpr.hotlists.importing import ImportBusy, ImportRefused
from alpr.hotlists.models import HotList, HotListEntry
from alpr.hotlists.profiles import Profile, ProfileError, iter_records
from alpr.hotlists.service import create_list, entry_counts
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.users.cli_session import save_token
from alpr.users.permissions import Role
from tests.hotlists.test_import_guard import (
    NOW,
    admin_api,
    alerts_for,
    clew,
    oakland,
    row,
    runner,
    svs,
    use_oakland_in_the_cli,
    user_token,
)

__all__ = ["admin_api", "oakland", "svs"]  # fixtures shared with the guard tests


def lines(plates: list[str], footer: int | None = None,
          pause: tuple[int, threading.Event, threading.Event] | None = None) -> Iterator[str]:
    """A CLEW file's lines; with `pause` (after, paused, resume), the stream stops after that
    many records until `resume` is set, as a slow upload would."""
    yield "DATE11/23/2026 09:00\n"
    for n, plate in enumerate(plates):
        if pause is not None and n == pause[0]:
            pause[1].set()
            assert pause[2].wait(60)
        yield row(plate) + "\n"
    yield f"TOTAL RECORD {len(plates) if footer is None else footer:07d}\n"


def staged(policy: Policy, plates: list[str], **kw: Any) -> importing.ImportResult:
    return importing.import_staged(
        list_name="svs", parsed=iter_records(lines(plates, kw.pop("footer", None),
                                                   kw.pop("pause", None)), Profile.CLEW_SVS, []),
        actor=kw.pop("actor", "job"), policy=policy, file_name="svs.tbl", now=NOW, **kw)


def rows_by_generation(database: Database) -> dict[int, int]:
    """Every row of the list, staged or not, counted by generation."""
    with database.unit_of_work() as session:
        rows = session.execute(select(HotListEntry.generation, func.count())
                               .group_by(HotListEntry.generation))
        return {generation: count for generation, count in rows}


def the_list(database: Database) -> tuple[int, int | None]:
    with database.unit_of_work() as session:
        hotlist = session.scalars(select(HotList)).one()
        return hotlist.generation, hotlist.staging_generation


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file where every transaction really commits and takes the write lock, as in
    production (the rolled-back `database` fixture cannot show who waits for whom)."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'alpr.db'}")
    upgrade(engine)
    database = Database(engine)
    set_database(database)
    try:
        yield database
    finally:
        set_database(None)
        engine.dispose()


def test_ingest_goes_on_during_a_staged_import_and_sees_the_old_list(
    sqlite_file: Database, oakland: Policy, images: ImageStore, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — half an import is invisible; REQ A1 — ingest and alerts go on meanwhile
    database = sqlite_file
    with database.unit_of_work() as session:
        register_camera(session, actor="t", camera=CameraIn(
            id="cam-1", name="c", kind="fixed", agency="PD", lat=37.8, lon=-122.2))
        create_list(session, name="svs", source="SVS", actor="admin", policy=oakland, now=NOW)
    old = [f"7OLD{n:03d}" for n in range(10)]
    staged(oakland, old)
    token = user_token(database, "listadmin", (Role.ALPR_ADMINISTRATOR,), oakland)
    monkeypatch.setattr(generations, "STAGED_BATCH_ROWS", 3)
    paused, resume = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def import_new() -> None:
        try:
            staged(oakland, [f"8NEW{n:03d}" for n in range(20)], pause=(10, paused, resume))
        except BaseException as error:  # surfaced in the main thread
            failures.append(error)

    worker = threading.Thread(target=import_new)
    worker.start()
    try:
        assert paused.wait(60)
        # Three batches of the new list are committed, and the import holds no transaction:
        # this ingest is not waiting for it (were it, SQLite's busy timeout would fail it).
        assert rows_by_generation(database) == {1: 10, 2: 9}
        assert alerts_for(database, oakland, images, "8NEW001") == 0
        assert alerts_for(database, oakland, images, old[1]) == 1
        with database.unit_of_work() as session:
            assert list(entry_counts(session).values()) == [{"active": 10}]
        with TestClient(create_app(policy=oakland)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            listed = client.get("/api/v1/hotlists/entries", params={"limit": 1000})
            assert sorted(e["plate"] for e in listed.json()) == old
            [svs_list] = client.get("/api/v1/hotlists").json()
            assert svs_list["counts"] == {"active": 10} and svs_list["generation"] == 1
    finally:
        resume.set()
        worker.join(60)
    assert not failures
    assert rows_by_generation(database) == {2: 20}
    assert alerts_for(database, oakland, images, "8NEW002") == 1
    assert alerts_for(database, oakland, images, old[2]) == 0


def test_a_bad_footer_after_committed_batches_leaves_no_staged_rows(
    database: Database, oakland: Policy, svs: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — the footer is read last: the batches already committed are deleted again
    monkeypatch.setattr(generations, "STAGED_BATCH_ROWS", 4)
    before = rows_by_generation(database)
    with pytest.raises(ProfileError, match="footer declares 31 records but the file has 30"):
        staged(oakland, [f"8NEW{n:03d}" for n in range(30)], footer=31)
    assert rows_by_generation(database) == before
    assert the_list(database) == (1, None)


def test_a_shrinking_import_refused_at_the_flip_leaves_no_staged_rows(
    database: Database, oakland: Policy, svs: list[str], images: ImageStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — the import_max_drop guard judges the staged rows, which then go
    monkeypatch.setattr(generations, "STAGED_BATCH_ROWS", 2)
    before = rows_by_generation(database)
    with pytest.raises(ImportRefused, match="import_max_drop"):
        staged(oakland, ["8NEW001", "8NEW002", "8NEW003"])
    assert rows_by_generation(database) == before
    assert the_list(database) == (1, None)
    assert alerts_for(database, oakland, images, svs[4]) == 1


def claim(database: Database, generation: int, age: timedelta) -> None:
    """An import of the list that is running (or died `age` ago), with a row written."""
    with database.unit_of_work() as session:
        hotlist = session.scalars(select(HotList)).one()
        hotlist.staging_generation, hotlist.staging_since = generation, utcnow() - age
        session.add(HotListEntry(list_id=hotlist.id, generation=generation, origin="import",
                                 status="active", plate="9DEAD00", exact_key="9DEAD00",
                                 reason="STOLEN", entered_at=NOW, expires_at=NOW + timedelta(
                                     days=30)))


def test_a_second_import_of_a_list_is_refused_while_one_runs(
    admin_api: TestClient, database: Database, oakland: Policy, svs: list[str],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — one import of a list at a time: the second is refused (409, CLI exit 1), audited
    claim(database, 2, timedelta(seconds=5))
    body = clew(*(row(p) for p in svs)).encode()
    refused = admin_api.post("/api/v1/hotlists/svs/import", data={"profile": "clew-svs"},
                             files={"file": ("svs.tbl", body)})
    assert refused.status_code == 409 and "is being imported" in refused.json()["detail"]
    with pytest.raises(ImportBusy):
        staged(oakland, svs)
    use_oakland_in_the_cli(monkeypatch)
    save_token(user_token(database, "cliadmin", (Role.ALPR_ADMINISTRATOR,), oakland))
    file = tmp_path / "svs.tbl"
    file.write_bytes(body)
    cli_refused = runner.invoke(cli, ["hotlists", "import", "svs", str(file)])
    assert cli_refused.exit_code == 1 and "is being imported" in cli_refused.output
    with database.unit_of_work() as session:
        reasons = session.scalars(select(AuditEntry.details).where(
            AuditEntry.event == AuditEvent.HOTLIST_IMPORT_REFUSED.value)).all()
    assert ["is being imported" in r["reason"] for r in reasons] == [True, True]
    assert rows_by_generation(database) == {1: 10, 2: 1}  # the running import's row stays


def test_a_stale_claim_is_taken_over_and_its_rows_deleted(
    database: Database, oakland: Policy, svs: list[str],
) -> None:
    # REQ H2 — an import that died does not block the list, nor leave rows behind
    claim(database, 2, generations.STALE_CLAIM + timedelta(minutes=1))
    result = staged(oakland, svs)
    assert result.generation == 3
    assert rows_by_generation(database) == {3: 10}
    assert the_list(database) == (3, None)


def test_the_purge_job_deletes_the_rows_of_a_dead_import(
    database: Database, oakland: Policy, svs: list[str],
) -> None:
    # REQ H2 — rows a dead import left are deleted; a running import's are kept
    claim(database, 2, timedelta(seconds=5))
    with database.unit_of_work() as session:
        service.purge_expired(session, actor="job", now=NOW)
    assert rows_by_generation(database) == {1: 10, 2: 1}
    claim(database, 3, generations.STALE_CLAIM + timedelta(minutes=1))
    with database.unit_of_work() as session:
        service.purge_expired(session, actor="job", now=NOW)
    assert rows_by_generation(database) == {1: 10}


def test_the_index_is_installed_with_the_flip_and_alerts_at_once(
    database: Database, oakland: Policy, svs: list[str], images: ImageStore,
) -> None:
    # REQ H2 — the importer builds the new index: no ingest waits for a rebuild; it alerts
    assert alerts_for(database, oakland, images, svs[0]) == 1  # the index of the old list
    staged(oakland, [*svs, "8NEW001"])
    built = matching.builds
    assert alerts_for(database, oakland, images, "8NEW001") == 1
    assert alerts_for(database, oakland, images, svs[1]) == 1
    assert matching.builds == built


def test_a_change_between_prebuild_and_flip_falls_back_to_a_rebuild(
    database: Database, oakland: Policy, svs: list[str], images: ImageStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — a prebuilt index that misses another change is never installed
    real_flip = importing._flip_staged

    def change_then_flip(*args: Any, **kw: Any) -> importing.ImportResult:
        with database.unit_of_work() as other:  # a flag commits after the prebuild
            entry = other.scalars(select(HotListEntry).where(
                HotListEntry.plate == svs[2], HotListEntry.generation == 1)).one()
            service.flag_in_error(other, entry_id=entry.id, actor="officer",
                                  reason="recovered yesterday")
        return real_flip(*args, **kw)

    monkeypatch.setattr(importing, "_flip_staged", change_then_flip)
    staged(oakland, [*svs, "8NEW001"])
    built = matching.builds
    assert alerts_for(database, oakland, images, svs[2]) == 0  # in error: no alert
    assert alerts_for(database, oakland, images, "8NEW001") == 1
    assert matching.builds == built + 1
    assert the_list(database) == (2, None)

