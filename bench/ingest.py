"""Ingest throughput (reads/s) on PostgreSQL and SQLite, next to a raw PostgreSQL COPY.

Run with `make bench`. It builds its own database `alpr_bench` (PostgreSQL, from
ALPR_BENCH_DATABASE_URL) and a temporary SQLite file; it never touches the test or demo data.
Each batch is one transaction, as one HTTP request from a camera is.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import normalize_database_url
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine
from alpr.policy import default_policy
from alpr.reads.images import ImageStore
from alpr.reads.keys import KeyRing
from alpr.reads.models import READ_COLUMNS
from alpr.reads.partitions import ensure_partitions
from alpr.reads.plates import confusion_key, exact_key
from alpr.reads.service import IngestItem, ingest

BATCH_SIZES = (1, 100, 1000)
NOW = datetime.now(UTC)
console = Console()


def fresh_postgresql(url: str) -> Engine:
    target = make_url(url)
    admin = create_db_engine(target.set(database="postgres").render_as_string(False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return create_db_engine(url)


def prepare(engine: Engine) -> Database:
    upgrade(engine)
    database = Database(engine)
    with database.unit_of_work() as session:
        register_camera(
            session,
            camera=CameraIn(id="bench-1", name="bench", kind="fixed", agency="Bench PD",
                            lat=37.8, lon=-122.27),
            actor="bench",
        )
        ensure_partitions(session, [(NOW - timedelta(days=d)).date() for d in range(3)])
    return database


def sample_reads(count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "plate": f"{rng.randint(1, 9)}{''.join(rng.choices('ABCDEFGHJKLMNPRSTVWXYZ', k=3))}"
            f"{rng.randint(0, 999):03d}",
            "confidence": round(rng.uniform(0.6, 0.99), 3),
            "region": "CA",
            "captured_at": (NOW - timedelta(seconds=rng.randint(60, 86_400))).isoformat(),
            "camera_id": "bench-1",
            "lat": 37.8 + rng.uniform(-0.05, 0.05),
            "lon": -122.27 + rng.uniform(-0.05, 0.05),
        }
        for _ in range(count)
    ]


def batches(reads: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [reads[i : i + size] for i in range(0, len(reads), size)]


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def ingest_rate(database: Database, reads: list[dict[str, Any]], size: int) -> float:
    policy = default_policy()
    folder = Path(tempfile.mkdtemp(prefix="alpr-bench-images-"))
    images = ImageStore(folder / "images", KeyRing(folder / "keys"))

    def run() -> None:
        for batch in batches(reads, size):
            with database.unit_of_work() as session:
                report = ingest(session, [IngestItem(r) for r in batch], actor="bench",
                                policy=policy, images=images)
                assert report.accepted == len(batch), report.results[:3]

    return len(reads) / timed(run)


def copy_rate(engine: Engine, reads: list[dict[str, Any]], size: int) -> float:
    """The same rows, already validated, COPYed straight into the same table."""
    rows = [
        {**r, "id": uuid.UUID(r["id"]), "captured_at": datetime.fromisoformat(r["captured_at"]),
         "received_at": NOW, "plate_normalized": r["plate"],
         "plate_confusion": confusion_key(exact_key(r["plate"])), "heading": None,
         "plate_image": None, "vehicle_image": None, "vehicle_color": None,
         "vehicle_make": None, "vehicle_model": None, "logically_deleted_at": None}
        for r in reads
    ]
    columns = ", ".join(READ_COLUMNS)

    def run() -> None:
        for batch in batches(rows, size):
            with engine.begin() as connection:
                driver = connection.connection.driver_connection
                assert driver is not None
                with driver.cursor() as cursor, cursor.copy(
                    f"COPY reads ({columns}) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row([row[c] for c in READ_COLUMNS])

    return len(rows) / timed(run)


def counts(size: int, scale: float) -> int:
    return max(size, int({1: 300, 100: 5_000, 1000: 20_000}[size] * scale))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the read counts")
    args = parser.parse_args()
    url = normalize_database_url(
        os.environ.get("ALPR_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/alpr_bench")
    )
    rng = random.Random(7)
    results: list[tuple[int, int, float, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite = prepare(create_db_engine(f"sqlite:///{folder}/bench.db"))
        pg_engine = fresh_postgresql(url)
        postgres = prepare(pg_engine)
        for size in BATCH_SIZES:
            n = counts(size, args.scale)
            pg = ingest_rate(postgres, sample_reads(n, rng), size)
            raw = copy_rate(pg_engine, sample_reads(n, rng), size)
            lite = ingest_rate(sqlite, sample_reads(n, rng), size)
            results.append((size, n, pg, raw, lite))
        pg_engine.dispose()

    table = Table("batch", "reads", "PostgreSQL ingest", "raw COPY", "ingest / COPY",
                  "SQLite ingest", title="Ingest throughput (reads/s)")
    markdown = ["| batch | reads | PostgreSQL ingest | raw COPY | ingest / COPY | SQLite ingest |",
                "|---:|---:|---:|---:|---:|---:|"]
    for size, n, pg, raw, lite in results:
        cells = [str(size), str(n), f"{pg:,.0f}", f"{raw:,.0f}", f"{pg / raw:.0%}", f"{lite:,.0f}"]
        table.add_row(*cells)
        markdown.append("| " + " | ".join(cells) + " |")
    console.print(table)
    console.print("\n".join(markdown), markup=False, highlight=False)


if __name__ == "__main__":
    main()
