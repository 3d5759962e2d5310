"""Hot-list import of a 1,000,000-record CLEW extract: seconds, records/s and peak memory
growth, next to just reading (and just parsing) the same file; then /health and ingest
latency while the same import runs through a real uvicorn server.

Run with `make bench-hotlist-import` (`ARGS="--records 200000"` for a shorter run). SQLite
in a temporary file; PostgreSQL too when ALPR_BENCH_DATABASE_URL is set, in a schema of its
own (bench_hotlist_import, dropped afterwards). Each import runs in a child process, so its
peak RSS (getrusage) is that import's alone. The server part runs on each store: the import
is staged in short transactions (importing.import_staged), so on SQLite too ingest waits at
most for one batch's write lock (docs/hotlists.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.broker.local import free_port
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import normalize_database_url
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database
from alpr.hotlists.importing import import_staged
from alpr.hotlists.profiles import Profile, file_lines, iter_records, open_list_file
from alpr.hotlists.service import create_list
from alpr.policy import load_preset
from alpr.reads.partitions import ensure_partitions
from alpr.users.permissions import Permission

SCHEMA = "bench_hotlist_import"
ROOT = Path(__file__).resolve().parent.parent
console = Console()


def write_clew(path: Path, records: int) -> None:
    """A CLEW svs.tbl of `records` distinct plates, written a line at a time."""
    with path.open("w") as out:
        out.write(f"DATE{datetime.now(UTC):%m/%d/%Y %H:%M}\n")
        for n in range(records):
            out.write(f"{n:07d} CA0120260101\n")
        out.write(f"TOTAL RECORD {records:07d}\n")


def prepare(url: str) -> str:
    """A migrated, empty store with the list `svs` and camera `cam-1`; its URL."""
    if url.startswith("postgresql"):
        admin = create_db_engine(url)
        with admin.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        admin.dispose()
        url = make_url(url).update_query_dict(
            {"options": f"-csearch_path={SCHEMA},public"}).render_as_string(False)
    engine = create_db_engine(url)
    upgrade(engine)
    database = Database(engine)
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="bench",
                    policy=load_preset("oakland"))
        register_camera(session, actor="bench", camera=CameraIn(
            id="cam-1", name="bench", kind="fixed", agency="PD", lat=37.8, lon=-122.27))
        ensure_partitions(session, [datetime.now(UTC).date()])
    engine.dispose()
    return url


def drop(url: str) -> None:
    if url.startswith("postgresql"):
        admin = create_db_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def child(url: str, path: Path) -> None:
    """One import, as `alpr hotlists import` does it; prints seconds and RSS growth (MiB)."""
    database = Database(create_db_engine(url))
    set_database(database)
    with database.unit_of_work() as session:  # connect before the baseline
        session.execute(text("SELECT 1"))
    policy = load_preset("oakland")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()
    with open_list_file(path) as handle:
        result = import_staged(list_name="svs", actor="bench", policy=policy,
                               parsed=iter_records(file_lines(handle), Profile.CLEW_SVS, []),
                               file_name=path.name, prebuild=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"loaded": result.loaded, "seconds": seconds,
                      "rss_mib": (after - before) / 1024}))


def run_child(url: str, path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.hotlist_import", "--child", url,
                           str(path)], cwd=ROOT, capture_output=True, text=True, check=True)
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def reference(path: Path) -> tuple[float, float]:
    """Seconds to read the file's lines, and to parse its records, with no database."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        for _ in file_lines(handle):
            pass
    read = time.perf_counter() - started
    started = time.perf_counter()
    with path.open("rb") as handle:
        for _ in iter_records(file_lines(handle), Profile.CLEW_SVS, []):
            pass
    return read, time.perf_counter() - started


def under_load(url: str, path: Path) -> tuple[float, list[float], list[float], int]:
    """The import POSTed to a real server while /health and a one-read ingest are asked
    every 50 ms: the import's seconds, each answer's latency, and how many ingests failed."""
    os.environ["ALPR_DATA_DIR"] = str(path.parent / "data")  # removed with the folder
    set_database(Database(create_db_engine(url)))
    app = create_app(policy=load_preset("oakland"))
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="camera", id="cam-1", organization="PD",
        permissions=frozenset({Permission.READS_INGEST, Permission.HOTLIST_IMPORT}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    outcome: dict[str, Any] = {}

    def upload() -> None:
        started = time.perf_counter()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as client, \
                path.open("rb") as handle:
            outcome["response"] = client.post("/api/v1/hotlists/svs/import",
                                              files={"file": ("svs.tbl", handle)})
        outcome["seconds"] = time.perf_counter() - started

    importer = threading.Thread(target=upload)
    health: list[float] = []
    ingest: list[float] = []
    failed = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        # A fresh server builds the match index of the list already loaded at its first
        # read: a cold start, not the import's doing, so done before the import begins.
        client.post("/api/v1/reads", json={"reads": [{
            "id": str(uuid.uuid4()), "plate": "7WARM00", "confidence": 0.9,
            "captured_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}]}
                    ).raise_for_status()
        importer.start()
        time.sleep(1.0)  # the upload is in; parsing and writing have begun
        while importer.is_alive():
            started = time.perf_counter()
            client.get("/api/v1/health").raise_for_status()
            health.append(time.perf_counter() - started)
            read = {"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                    "captured_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}
            started = time.perf_counter()
            failed += client.post("/api/v1/reads", json={"reads": [read]}).status_code != 200
            ingest.append(time.perf_counter() - started)
            time.sleep(0.05)
    importer.join()
    server.should_exit = True
    outcome["response"].raise_for_status()
    return outcome["seconds"], health, ingest, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-server", action="store_true", help="skip the latency part")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    postgres = os.environ.get("ALPR_BENCH_DATABASE_URL")
    folder = Path(tempfile.mkdtemp(prefix="alpr-bench-import-"))
    path = folder / "svs.tbl"
    write_clew(path, args.records)
    read, parse = reference(path)
    stores = [("SQLite", f"sqlite:///{folder / 'alpr.db'}")]
    if postgres:
        stores.append(("PostgreSQL", normalize_database_url(postgres)))
    table = Table("run", "records", "seconds", "records/s", "peak RSS growth MiB",
                  title=f"Hot-list import, CLEW {path.stat().st_size / 2**20:.0f} MiB")
    markdown = ["| run | records | seconds | records/s | peak RSS growth MiB |",
                "|---|---:|---:|---:|---:|"]

    def add(*cells: str) -> None:
        table.add_row(*cells)
        markdown.append("| " + " | ".join(cells) + " |")

    n = args.records
    add("read lines only (reference)", f"{n:,}", f"{read:.1f}", f"{n / read:,.0f}", "")
    add("parse only, no database", f"{n:,}", f"{parse:.1f}", f"{n / parse:,.0f}", "")
    latency: list[str] = []
    for name, url in stores:
        url = prepare(url)
        try:
            for step in ("into an empty list", "replacing it"):
                done = run_child(url, path)
                assert done["loaded"] == n, done
                add(f"{name} import {step}", f"{n:,}", f"{done['seconds']:.1f}",
                    f"{n / done['seconds']:,.0f}", f"{done['rss_mib']:.0f}")
            if not args.no_server:
                seconds, health, ingest, failed = under_load(url, path)
                for what, times, bad in (("GET /api/v1/health", health, 0),
                                         ("POST /api/v1/reads (1 read)", ingest, failed)):
                    p95 = statistics.quantiles(times, n=20)[-1]
                    latency.append(f"| {name} | {what} | {len(times)} | {bad} |"
                                   f" {statistics.median(times) * 1000:.0f} |"
                                   f" {p95 * 1000:.0f} | {max(times) * 1000:.0f} |"
                                   f" {seconds:.1f} |")
        finally:
            drop(url)
    shutil.rmtree(folder)
    console.print(table)
    console.print("\n".join(markdown), markup=False, highlight=False)
    if latency:
        console.print("\n".join([
            "\nLatency while the same file is imported through the API:",
            "| store | request | tries | failed | median ms | p95 ms | max ms | import s |",
            "|---|---|---:|---:|---:|---:|---:|---:|", *latency]), markup=False, highlight=False)


if __name__ == "__main__":
    main()
