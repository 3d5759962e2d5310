"""Scale out: reads/s stored by 1, 2 and 4 `alpr worker` processes through NATS JetStream,
next to a raw COPY into the same table, and the ingest-to-alert time with the broker.

Run with `make bench-scale` (ARGS="--reads 4000"). It starts its own nats-server
(loopback, temporary folder) and uses its own PostgreSQL database `alpr_bench_scale`
(ALPR_BENCH_DATABASE_URL); it never touches the test or demo data. Each worker is a real
`alpr worker` process; the clock runs from the first read published to the last stored.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from alpr.broker.connection import connect
from alpr.broker.local import LocalCluster
from alpr.broker.publish import envelope
from alpr.broker.streams import init_streams, names
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import Settings, normalize_database_url
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import default_policy
from alpr.reads.models import READ_COLUMNS, Read
from alpr.reads.partitions import ensure_partitions
from alpr.reads.plates import confusion_key, exact_key
from bench.ingest import fresh_postgresql, prepare

console = Console()
CAMERAS = 20
SRC = str(Path(__file__).resolve().parents[1] / "src")


def make_reads(count: int) -> list[dict[str, Any]]:
    captured = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return [{"id": str(uuid.uuid4()), "plate": f"{n % 9 + 1}SC{n % 100000:05d}",
             "confidence": 0.9, "captured_at": captured, "camera_id": f"scale-{n % CAMERAS}"}
            for n in range(count)]


def stored(database: Database, ids: list[str]) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Read).where(
            Read.id.in_([uuid.UUID(i) for i in ids]))) or 0


async def publish_all(client: Client, settings: Settings, reads: list[dict[str, Any]]) -> None:
    js = client.jetstream()
    n = names(settings)
    for start in range(0, len(reads), 500):
        await asyncio.gather(*(js.publish(
            n.read_subject("Scale PD", r["camera_id"]),
            envelope(r, sender=None, actor="bench"), headers={"Nats-Msg-Id": r["id"]})
            for r in reads[start:start + 500]))


async def waiting_pulls(client: Client, settings: Settings) -> int:
    n = names(settings)
    info = await client.jetstream().consumer_info(n.reads_stream, n.consumer)
    return int(info.num_waiting or 0)


def run_workers(count: int, reads: list[dict[str, Any]], settings: Settings,
                database: Database, env: dict[str, str], folder: Path) -> float:
    """reads/s with `count` worker processes (started and ready before the clock runs)."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "alpr.cli", "worker"], env=env,
        stdout=(folder / f"w{count}-{i}.log").open("wb"), stderr=subprocess.STDOUT)
        for i in range(count)]
    try:
        async def go() -> float:
            client = await connect(settings, role="bench")
            try:
                deadline = time.monotonic() + 120
                while await waiting_pulls(client, settings) < count:  # every worker is pulling
                    if time.monotonic() > deadline:
                        raise TimeoutError("workers did not start")
                    await asyncio.sleep(0.2)
                started = time.perf_counter()
                await publish_all(client, settings, reads)
                ids = [r["id"] for r in reads]
                while await asyncio.to_thread(stored, database, ids) < len(reads):
                    await asyncio.sleep(0.05)
                return len(reads) / (time.perf_counter() - started)
            finally:
                await client.close()

        return asyncio.run(go())
    finally:
        for process in processes:
            process.kill()
            process.wait()


def raw_copy(engine: Engine, reads: list[dict[str, Any]]) -> float:
    """The same rows by one COPY, no checks: the table's own ceiling."""
    now = datetime.now(UTC)
    rows = [{"id": uuid.UUID(r["id"]), "captured_at": datetime.fromisoformat(r["captured_at"]),
             "received_at": now, "plate": r["plate"], "plate_normalized": r["plate"],
             "plate_confusion": confusion_key(exact_key(r["plate"])), "confidence": 0.9,
             "camera_id": r["camera_id"], "lat": 37.8, "lon": -122.27,
             "location_source": "camera"} for r in reads]
    database = Database(engine)
    with database.unit_of_work() as session:
        ensure_partitions(session, {row["captured_at"].date() for row in rows})
    started = time.perf_counter()
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(
                f"COPY reads ({', '.join(READ_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name) for name in READ_COLUMNS])
    return len(rows) / (time.perf_counter() - started)


def alert_latency(settings: Settings, env: dict[str, str], folder: Path, samples: int
                  ) -> list[float]:
    """Publish a read whose plate is listed; time until its alert notice arrives (what
    wakes every API's alert stream), with one worker running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "alpr.cli", "worker"], env=env,
        stdout=(folder / "alert-worker.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        async def go() -> list[float]:
            client = await connect(settings, role="bench")
            try:
                while await waiting_pulls(client, settings) < 1:
                    await asyncio.sleep(0.2)
                notices = await client.subscribe(names(settings).alert_subjects)
                times = []
                for n in range(samples):
                    read = {**make_reads(1)[0], "plate": f"7HIT{n:03d}"}
                    started = time.perf_counter()
                    await client.jetstream().publish(
                        names(settings).read_subject("Scale PD", read["camera_id"]),
                        envelope(read, sender=None, actor="bench"),
                        headers={"Nats-Msg-Id": read["id"]})
                    await notices.next_msg(timeout=30)
                    times.append((time.perf_counter() - started) * 1000)
                return times
            finally:
                await client.close()

        return asyncio.run(go())
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=4000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--alerts", type=int, default=20, help="ingest-to-alert samples")
    args = parser.parse_args()
    url = normalize_database_url(os.environ.get(
        "ALPR_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/alpr_bench_scale"))
    engine = fresh_postgresql(url)
    database = prepare(engine)
    policy = default_policy()
    with database.unit_of_work() as session:
        for n in range(CAMERAS):
            register_camera(session, actor="bench", camera=CameraIn(
                id=f"scale-{n}", name=f"scale {n}", kind="fixed", agency="Scale PD",
                lat=37.8, lon=-122.27))
        create_list(session, name="svs", source="SVS", actor="bench", policy=policy)
        rows = "".join(f"7HIT{n:03d} CA0120260101\n" for n in range(args.alerts))
        import_entries(session, list_name="svs", actor="bench", policy=policy, file_name="b",
                       parsed=parse_clew(f"DATE\n{rows}TOTAL RECORD {args.alerts:07d}\n",
                                         table="svs"))
    counts = [int(k) for k in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="alpr-scale-") as temporary:
        folder = Path(temporary)
        node = LocalCluster(folder / "nats", size=1)
        try:
            node.start()
            settings = Settings(broker_url=node.url)

            async def init() -> None:
                client = await connect(settings)
                try:
                    await init_streams(client.jetstream(), settings, policy)
                finally:
                    await client.close()

            asyncio.run(init())
            env = {**os.environ, "PYTHONPATH": SRC, "ALPR_BROKER_URL": node.url,
                   "ALPR_DATABASE_URL": url, "ALPR_DATA_DIR": str(folder / "data")}
            rates = {}
            for count in counts:
                console.print(f"{count} worker(s): {args.reads} reads …")
                rates[count] = run_workers(count, make_reads(args.reads), settings, database,
                                           env, folder)
            copy_rate = raw_copy(engine, make_reads(args.reads))
            latencies = alert_latency(settings, env, folder, args.alerts) if args.alerts else []
        finally:
            node.stop()
    report(rates, copy_rate, latencies, args.reads)
    engine.dispose()


def report(rates: dict[int, float], copy_rate: float, latencies: list[float], reads: int
           ) -> None:
    table = Table(title=f"Scale out: {reads} reads through NATS JetStream into PostgreSQL"
                        f" ({os.cpu_count()} cores here)")
    for column in ("path", "reads/s", "vs 1 worker", "vs raw COPY"):
        table.add_column(column, justify="right" if column != "path" else "left")
    one = rates[min(rates)]
    for count, rate in rates.items():
        table.add_row(f"{count} worker(s)", f"{rate:,.0f}", f"{rate / one:.2f}×",
                      f"{rate / copy_rate:.1%}")
    table.add_row("raw COPY (no checks)", f"{copy_rate:,.0f}", "", "100%")
    console.print(table)
    load = os.getloadavg()[0]
    console.print(f"load average {load:.1f} on {os.cpu_count()} cores while measuring"
                  + (" (shared machine: numbers are noisy)" if load > (os.cpu_count() or 1)
                     else ""))
    ordered = sorted(rates)
    flat = next((b for a, b in itertools.pairwise(ordered)
                 if rates[b] < rates[a] * 1.3), None)
    if flat is None:
        console.print("the curve has not flattened up to"
                      f" {ordered[-1]} workers: add workers until it does")
    else:
        console.print(f"the curve flattens at {flat} workers ({rates[flat]:,.0f} reads/s):"
                      f" on {os.cpu_count()} cores the workers, PostgreSQL and NATS share the"
                      " same CPUs, so more workers only queue for them")
    if latencies:
        latencies.sort()
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        console.print(f"ingest-to-alert with the broker (publish → worker commit → alert"
                      f" notice), {len(latencies)} hits: median"
                      f" {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
