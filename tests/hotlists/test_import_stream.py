"""A state-wide import streams (issue 18.7): the file is read line by line and written in
batches, so memory holds a batch, not the file; and a file refused after batches were
written still leaves the active list as it was (REQ H2)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.hotlists import importing
from alpr.hotlists.importing import ImportRefused, import_entries
from alpr.hotlists.models import HotList, HotListEntry
from alpr.hotlists.profiles import (
    Profile,
    ProfileError,
    file_lines,
    iter_records,
    open_list_file,
)
from alpr.hotlists.service import create_list
from alpr.policy import Policy
from tests.hotlists.test_import_guard import NOW, admin_api, clew, oakland, row, svs

__all__ = ["admin_api", "oakland", "svs"]  # fixtures shared with the guard tests

# A streamed import holds one 5,000-row batch: about 13 MiB traced at its peak, whatever the
# file's size. Holding these 50,000 records' entries instead peaks near 28 MiB, their row
# dicts for one INSERT near 120 MiB (both tried by hand): the bound sits between.
RECORDS = 50_000
PEAK_BOUND = 20 * 2**20


def write_clew(path: Path, count: int, footer: int | None = None) -> Path:
    with path.open("w") as out:  # written a line at a time: the test holds no file either
        out.write("DATE\n")
        for n in range(count):
            out.write(f"{n:07d} CA0120260101\n")
        out.write(f"TOTAL RECORD {count if footer is None else footer:07d}\n")
    return path


def import_file(database: Database, policy: Policy, path: Path, **kw: Any) -> Any:
    with open_list_file(path) as handle, database.unit_of_work() as session:
        return import_entries(session, list_name="svs", actor=kw.pop("actor", "job"),
                              parsed=iter_records(file_lines(handle), Profile.CLEW_SVS, []),
                              policy=policy, file_name=path.name, now=NOW, **kw)


def state(database: Database) -> tuple[int, list[str]]:
    """The list's generation and its plates."""
    with database.unit_of_work() as session:
        generation = session.scalars(select(HotList.generation)).one()
        return generation, sorted(session.scalars(select(HotListEntry.plate)))


@pytest.fixture
def inserts(database: Database) -> Iterator[list[int]]:
    """Rows in each INSERT into hotlist_entries, as the database is asked (no stand-in)."""
    sizes: list[int] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO HOTLIST_ENTRIES"):
            sizes.append(len(parameters) if executemany else 1)

    bind = database.bind
    engine = bind if isinstance(bind, Engine) else bind.engine
    event.listen(engine, "before_cursor_execute", seen)
    yield sizes
    event.remove(engine, "before_cursor_execute", seen)


def test_a_large_import_holds_a_batch_in_memory_not_the_file(
    database: Database, oakland: Policy, tmp_path: Path
) -> None:
    # REQ H2 — a state-wide list loads whole, in bounded memory (issue 18.7)
    path = write_clew(tmp_path / "svs.tbl", RECORDS)
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="admin", policy=oakland, now=NOW)
    tracemalloc.start()
    try:
        result = import_file(database, oakland, path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.loaded == RECORDS and result.problem_count == 0
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB while importing {RECORDS} records"
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(HotListEntry)) == RECORDS


def test_a_bad_footer_after_written_batches_leaves_the_list_untouched(
    database: Database, oakland: Policy, svs: list[str], tmp_path: Path,
    inserts: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — the footer is read last: the rows already written are rolled back with it
    monkeypatch.setattr(importing, "IMPORT_BATCH_ROWS", 4)
    before = state(database)
    path = write_clew(tmp_path / "svs.tbl", 30, footer=31)
    with pytest.raises(ProfileError, match="footer declares 31 records but the file has 30"):
        import_file(database, oakland, path)
    assert inserts == [4] * 7  # seven batches went in before the footer was read
    assert state(database) == before


def test_a_shrinking_import_refused_after_its_batches_leaves_the_list_untouched(
    database: Database, oakland: Policy, svs: list[str], tmp_path: Path,
    inserts: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — the import_max_drop guard runs after the rows are written, and rolls them back
    monkeypatch.setattr(importing, "IMPORT_BATCH_ROWS", 2)
    before = state(database)
    with pytest.raises(ImportRefused, match="import_max_drop"):
        import_file(database, oakland, write_clew(tmp_path / "svs.tbl", 4))
    assert inserts == [2, 2]
    assert state(database) == before


def test_a_refused_upload_is_audited_and_the_list_kept(
    admin_api: TestClient, database: Database, svs: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # REQ H2 — through the API: streamed from the spooled upload, refused whole, audited
    monkeypatch.setattr(importing, "IMPORT_BATCH_ROWS", 3)
    before = state(database)
    body = clew(*(row(f"8NEW{n:03d}") for n in range(20))).replace(
        "TOTAL RECORD 0000020", "TOTAL RECORD 0000019")
    refused = admin_api.post("/api/v1/hotlists/svs/import", data={"profile": "clew-svs"},
                             files={"file": ("svs.tbl", body.encode())})
    assert refused.status_code == 422 and "footer declares 19" in refused.json()["detail"]
    assert state(database) == before
    with database.unit_of_work() as session:
        reasons = session.scalars(select(AuditEntry.details).where(
            AuditEntry.event == AuditEvent.HOTLIST_IMPORT_REFUSED.value)).all()
    assert ["footer declares 19" in r["reason"] for r in reasons] == [True]


def test_problems_are_counted_all_and_kept_first(
    admin_api: TestClient, database: Database, svs: list[str]
) -> None:
    # REQ H2 — every bad line is counted; the first 1000, by line, are returned
    bad = [row(f"8BAD{n:03d}", "ZZ") for n in range(1_200)]
    body = clew(*(row(p) for p in svs), *bad)
    loaded = admin_api.post("/api/v1/hotlists/svs/import", data={"profile": "clew-svs"},
                            files={"file": ("svs.tbl", body.encode())})
    assert loaded.status_code == 200, loaded.text
    answer = loaded.json()
    assert (answer["loaded"], answer["problem_count"]) == (10, 1_200)
    assert [line for line, _ in answer["problems"]] == list(range(12, 1_012))
    with database.unit_of_work() as session:
        details = session.scalars(select(AuditEntry.details).where(
            AuditEntry.event == AuditEvent.HOTLIST_IMPORT.value)
            .order_by(AuditEntry.id.desc())).first()
    assert details is not None and details["problems"] == 1_200
    assert len(details["first_problems"]) == 20
