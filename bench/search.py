"""Search latency on generated reads: exact plate, partial plate, 1 km / 24 h canvass —
through `search.service.search` (purpose, audit write included) next to the same SQL raw.

Run with `make bench-search` (ARGS="--reads 10000000" for the full PostgreSQL size; the
default keeps a run short on a laptop). PostgreSQL uses its own database `alpr_bench`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, insert, text

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import normalize_database_url
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine
from alpr.policy import load_preset
from alpr.reads.models import READ_COLUMNS, Read
from alpr.reads.partitions import ensure_partitions
from alpr.reads.plates import confusion_key
from alpr.search import service
from alpr.search.purpose import PurposeIn, validate_purpose
from alpr.search.schemas import Near, SearchQuery
from bench.ingest import fresh_postgresql

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
DAYS = 30
CENTER = (34.05, -118.25)
POLICY = load_preset("lapd")
PURPOSE = validate_purpose(PurposeIn(
    category=POLICY.search.permitted_purposes[0].code, case_number="26-004512",
    on_behalf_of="bench", attests_standard=True, attests_prohibited_uses=True), policy=POLICY)
console = Console()


def rows(count: int, rng: random.Random) -> list[dict[str, object]]:
    out = []
    for _ in range(count):
        plate = f"{rng.randint(1, 9)}{''.join(rng.choices('ABCDEFGHJKLMNPRSTUVWXYZ', k=3))}" \
                f"{rng.randint(0, 999):03d}"
        at = NOW - timedelta(seconds=rng.randint(0, DAYS * 86_400))
        out.append({"id": uuid.UUID(int=rng.getrandbits(128), version=4), "captured_at": at,
                    "received_at": at, "plate": plate, "plate_normalized": plate,
                    "plate_confusion": confusion_key(plate), "confidence": 0.9, "region": "CA",
                    "camera_id": "bench-1", "lat": CENTER[0] + rng.uniform(-0.5, 0.5),
                    "lon": CENTER[1] + rng.uniform(-0.5, 0.5), "heading": None,
                    "plate_image": None, "vehicle_image": None, "vehicle_color": None,
                    "vehicle_make": None, "vehicle_model": None, "logically_deleted_at": None})
    return out


def load(database: Database, count: int) -> str:
    """Generate the reads in chunks; return one plate that is stored."""
    rng = random.Random(5)
    with database.unit_of_work() as session:
        register_camera(session, actor="bench", camera=CameraIn(
            id="bench-1", name="b", kind="mobile", agency="Bench PD"))
        ensure_partitions(session, [(NOW - timedelta(days=d)).date() for d in range(DAYS + 1)])
    sample = ""
    for start in range(0, count, 100_000):
        chunk = rows(min(100_000, count - start), rng)
        sample = str(chunk[0]["plate"])
        with database.unit_of_work() as session:
            if database.dialect == "postgresql":
                driver = session.connection().connection.driver_connection
                assert driver is not None
                with driver.cursor() as cursor, cursor.copy(
                        f"COPY reads ({', '.join(READ_COLUMNS)}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row([row[c] for c in READ_COLUMNS])
            else:
                session.execute(insert(Read), chunk)
        console.print(f"  {start + len(chunk):,} reads", end="\r")
    with database.unit_of_work() as session:
        session.execute(text("ANALYZE reads"))
    return sample


def timed(run: Callable[[], object], repeat: int = 15) -> tuple[float, float]:
    run()  # warm the cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def measure(database: Database, plate: str) -> list[tuple[str, float, float, float]]:
    caller = service.Caller("user:bench", "Bench PD")
    since = NOW - timedelta(hours=24)
    cases: dict[str, tuple[SearchQuery, str, dict[str, object]]] = {
        "exact plate": (SearchQuery(plate=plate),
                        "SELECT * FROM reads WHERE plate_normalized = :p "
                        "ORDER BY captured_at DESC LIMIT 101", {"p": plate}),
        "partial plate *XYZ1*": (SearchQuery(plate=f"*{plate[1:4]}*"),
                                 "SELECT * FROM reads WHERE plate_normalized LIKE :p "
                                 "ORDER BY captured_at DESC LIMIT 101",
                                 {"p": f"%{plate[1:4]}%"}),
        "1 km / 24 h canvass": (
            SearchQuery(near=Near(lat=CENTER[0], lon=CENTER[1], radius_m=1000), since=since),
            "SELECT * FROM reads WHERE captured_at >= :s AND lat BETWEEN :a AND :b "
            "AND lon BETWEEN :c AND :d ORDER BY captured_at DESC",
            {"s": since, "a": CENTER[0] - 0.009, "b": CENTER[0] + 0.009,
             "c": CENTER[1] - 0.0113, "d": CENTER[1] + 0.0113}),
    }
    out = [audit_floor(database)]
    for name, (query, sql, params) in cases.items():
        def audited(query: SearchQuery = query) -> int:
            with database.unit_of_work() as session:
                return len(service.search(session, query=query, purpose=PURPOSE, caller=caller,
                                          policy=POLICY, now=NOW).reads)

        def raw(sql: str = sql, params: dict[str, object] = params) -> int:
            with database.unit_of_work() as session:
                return len(session.execute(text(sql), params).all())

        found = audited()
        median, p95 = timed(audited)
        raw_median, _ = timed(raw)
        out.append((f"{name} ({found} found)", median, p95, raw_median))
    return out


def audit_floor(database: Database) -> tuple[str, float, float, float]:
    """What every audited access pays whatever it reads: the chain lock, the entry and a
    durable commit (next to an empty transaction)."""

    def audit_only() -> None:
        with database.unit_of_work() as session:
            record(session, event=AuditEvent.SEARCH_QUERY, actor="user:bench",
                   details={"query": {"plate": "7ABC123"}, "results": 1})

    def empty() -> None:
        with database.unit_of_work() as session:
            session.execute(text("SELECT 1"))

    median, p95 = timed(audit_only)
    return ("audit entry alone, no search (raw: empty transaction)", median, p95,
            timed(empty)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=1_000_000, help="PostgreSQL reads")
    parser.add_argument("--sqlite-reads", type=int, default=200_000)
    args = parser.parse_args()
    url = normalize_database_url(
        os.environ.get("ALPR_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/alpr_bench"))
    results = []
    engines: list[tuple[str, Engine, int]] = []
    with tempfile.TemporaryDirectory() as folder:
        engines.append(("PostgreSQL", fresh_postgresql(url), args.reads))
        engines.append(("SQLite", create_db_engine(f"sqlite:///{folder}/bench.db"),
                        args.sqlite_reads))
        for name, engine, count in engines:
            upgrade(engine)
            database = Database(engine)
            console.print(f"{name}: generating {count:,} reads")
            plate = load(database, count)
            for case, median, p95, raw in measure(database, plate):
                results.append((name, count, case, median, p95, raw))
            engine.dispose()
    table = Table("database", "reads", "search", "median ms", "p95 ms", "raw SQL ms",
                  title="Search latency (purpose check and audit write included)")
    lines = ["| database | reads | search | median ms | p95 ms | raw SQL ms |",
             "|---|---:|---|---:|---:|---:|"]
    for name, count, case, median, p95, raw in results:
        cells = [name, f"{count:,}", case, f"{median:.1f}", f"{p95:.1f}", f"{raw:.1f}"]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
