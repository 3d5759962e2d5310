"""Purging one day of reads on PostgreSQL: the retention purge (drops the day's partition)
next to a plain DELETE of the same number of reads for another day.

Run with `make bench-retention` (ARGS="--reads 1000000" per day by default).
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import normalize_database_url
from alpr.db.migrate import upgrade
from alpr.db.session import Database
from alpr.policy import Duration, load_preset
from alpr.reads.models import READ_COLUMNS
from alpr.reads.partitions import ensure_partitions
from alpr.retention.purge import drop_detached, purge
from bench.ingest import fresh_postgresql

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
console = Console()


def load_day(database: Database, day: date, count: int, rng: random.Random) -> None:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    with database.unit_of_work() as session:
        ensure_partitions(session, [day])
        driver = session.connection().connection.driver_connection
        assert driver is not None
        ids: list[tuple[uuid.UUID, datetime]] = []
        with driver.cursor() as cursor, cursor.copy(
                f"COPY reads ({', '.join(READ_COLUMNS)}) FROM STDIN") as copy:
            for _ in range(count):
                at = start + timedelta(seconds=rng.randint(0, 86_399))
                plate = f"{rng.randint(1, 9)}ABC{rng.randint(0, 999):03d}"
                read_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                row = {"id": read_id, "captured_at": at,
                       "received_at": at, "plate": plate, "plate_normalized": plate,
                       "plate_confusion": plate, "confidence": 0.9, "region": "CA",
                       "camera_id": "bench-1", "lat": 34.05, "lon": -118.25}
                copy.write_row([row.get(c) for c in READ_COLUMNS])
                ids.append((read_id, at))
        # Ingest claims every id in read_ids: the purge removes them with their day.
        with driver.cursor() as cursor, cursor.copy(
                "COPY read_ids (id, captured_at) FROM STDIN") as copy:
            for pair in ids:
                copy.write_row(pair)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=1_000_000, help="reads per day")
    args = parser.parse_args()
    url = normalize_database_url(
        os.environ.get("ALPR_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/alpr_bench"))
    engine = fresh_postgresql(url)
    upgrade(engine)
    database = Database(engine)
    with database.unit_of_work() as session:
        register_camera(session, actor="bench", camera=CameraIn(
            id="bench-1", name="b", kind="mobile", agency="Bench PD"))
    rng = random.Random(9)
    # The DELETE day is inside the period, so the purge only drops the purged day.
    purged_day, deleted_day = (NOW - timedelta(days=100)).date(), (NOW - timedelta(days=5)).date()
    for day in (purged_day, deleted_day):
        console.print(f"loading {args.reads:,} reads for {day}")
        load_day(database, day, args.reads, rng)
    # Days past their period are old: autovacuum has long visited them.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE reads"))

    start = datetime.combine(deleted_day, datetime.min.time(), tzinfo=UTC)
    began = time.perf_counter()
    with database.unit_of_work() as session:
        deleted = session.scalar(text(
            "WITH gone AS (DELETE FROM reads WHERE captured_at >= :a AND captured_at < :b"
            " RETURNING 1) SELECT count(*) FROM gone"),
            {"a": start, "b": start + timedelta(days=1)}) or 0
    delete_ms = (time.perf_counter() - began) * 1000

    base = load_preset("lapd")
    policy = base.model_copy(update={"retention": base.retention.model_copy(update={
        "delete_after": Duration(days=30), "logical_delete_after": None})})
    began = time.perf_counter()
    with database.unit_of_work() as session:
        result = purge(session, policy=policy, now=NOW)
    purge_ms = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    with database.unit_of_work() as session:
        dropped = sum(drop_detached(session, NOW).values())
    drop_ms = (time.perf_counter() - began) * 1000
    engine.dispose()

    table = Table("method", "reads removed", "ms", title="Purging one day (PostgreSQL)")
    table.add_row("retention purge (detach the day, keep held/hits)",
                  f"{len(result.partitions_dropped)} day", f"{purge_ms:.0f}")
    table.add_row("then counting and dropping the detached day (after commit)",
                  f"{dropped:,}", f"{drop_ms:.0f}")
    table.add_row("plain DELETE of a day", f"{deleted:,}", f"{delete_ms:.0f}")
    console.print(table)
    rows = [("retention purge (detach the day's partition)",
             f"{len(result.partitions_dropped)} day", purge_ms),
            ("then counting and dropping the detached table (after commit)", f"{dropped:,}",
             drop_ms),
            ("plain DELETE of a day", f"{deleted:,}", delete_ms)]
    print("\n| method | reads removed | ms |\n|---|---:|---:|")
    for method, count, ms in rows:
        print(f"| {method} | {count} | {ms:.0f} |")


if __name__ == "__main__":
    main()
