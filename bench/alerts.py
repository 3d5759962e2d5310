"""Ingest-to-alert latency: from POSTing a read that is on a hot list to the operator's
Server-Sent Events stream delivering the alert, through a real uvicorn server.

Run with `make bench-alerts`. Uses a temporary SQLite store (the embedded default).
User logins arrive with the users issue, so the bench stands in one principal that may
both send reads and receive alerts.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.table import Table

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.broker.local import free_port
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.db.base import utcnow
from alpr.db.migrate import upgrade
from alpr.db.session import Database, set_database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import load_preset
from alpr.users.permissions import Permission

READS = 40
console = Console()


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="alpr-bench-alerts-"))
    os.environ["ALPR_DATA_DIR"] = str(folder)
    database = Database.from_url(f"sqlite:///{folder / 'alpr.db'}")
    upgrade(database.bind)
    set_database(database)
    policy = load_preset("oakland")
    plates = [f"HIT{n:04d}" for n in range(READS)]
    with database.unit_of_work() as session:
        register_camera(session, actor="bench", camera=CameraIn(
            id="cam-1", name="bench", kind="fixed", agency="PD", lat=37.8, lon=-122.27))
        create_list(session, name="svs", source="SVS", actor="bench", policy=policy)
        rows = "".join(f"{p:<8}CA0120260101\n" for p in plates)
        import_entries(session, list_name="svs", actor="bench", policy=policy, file_name="b",
                       parsed=parse_clew(f"DATE\n{rows}TOTAL RECORD {READS:07d}\n", table="svs"))

    app = create_app(policy=policy)
    app.dependency_overrides[current_principal] = lambda: Principal(
        kind="camera", id="cam-1", organization="PD",
        permissions=frozenset({Permission.READS_INGEST, Permission.ALERTS_RECEIVE}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    arrived: dict[str, float] = {}

    def listen() -> None:
        with httpx.stream("GET", f"{base}/api/v1/alerts/stream", params={"limit": READS},
                          timeout=60) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    arrived[json.loads(line[5:])["plate_read"]] = time.perf_counter()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)
    sent: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for plate in plates:
            body = {"reads": [{"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9,
                               "captured_at": (utcnow() - timedelta(seconds=1)).isoformat()}]}
            sent[plate] = time.perf_counter()
            client.post("/api/v1/reads", json=body).raise_for_status()
            time.sleep(0.05)
    listener.join(30)
    server.should_exit = True
    latencies = sorted((arrived[p] - sent[p]) * 1000 for p in plates if p in arrived)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    table = Table("reads", "delivered", "mean ms", "p95 ms", "max ms",
                  title="POST /api/v1/reads → SSE alert (SQLite, one API process)")
    table.add_row(str(READS), str(len(latencies)), f"{statistics.mean(latencies):.1f}",
                  f"{p95:.1f}", f"{latencies[-1]:.1f}")
    console.print(table)
    print(f"\n| reads | delivered | mean ms | p95 ms | max ms |\n|---:|---:|---:|---:|---:|\n"
          f"| {READS} | {len(latencies)} | {statistics.mean(latencies):.1f} | {p95:.1f} |"
          f" {latencies[-1]:.1f} |")


if __name__ == "__main__":
    main()
