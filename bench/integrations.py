"""Reads/s through each integration adapter, next to the native batch API, in one run.

Every route runs in-process through the whole app (TestClient: routing, auth, parsing,
mapping, the one ingest, commit) on a fresh SQLite store (or --database-url), except Frigate,
which goes through the real MQTT broker (127.0.0.1:1883; skipped, with the reason, when
none answers). The Plate Recognizer reader includes our recognition of a 720p frame.
Run with `make bench-integrations` (ARGS="--count 500").
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

console = Console()
Row = tuple[str, str, int, float]


def plate(rng: random.Random) -> str:
    return (f"{rng.randint(1, 9)}{''.join(rng.choices('ABCDEFGHJKLMNPRSTVWXYZ', k=3))}"
            f"{rng.randint(0, 999):03d}")


def timed(name: str, unit: str, reads: int, send: Callable[[], None]) -> Row:
    start = time.perf_counter()
    send()
    return name, unit, reads, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=300, help="reads per route")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite")
    parser.add_argument("--snapshots", type=int, default=20, help="frames through recognition")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="alpr-bench-integrations-"))
    os.environ["ALPR_DATA_DIR"] = str(folder)
    if args.database_url:
        os.environ["ALPR_DATABASE_URL"] = args.database_url

    from alpr.api.app import create_app
    from alpr.cameras.schemas import CameraIn
    from alpr.cameras.service import register_camera
    from alpr.capture.sample_video import render_frame
    from alpr.db.base import utcnow
    from alpr.db.cli import upgrade_database
    from alpr.db.session import unit_of_work
    from alpr.demo.sample import render_plate

    upgrade_database()
    with unit_of_work() as session:
        _, key = register_camera(session, actor="bench", camera=CameraIn(
            id="bench-gate", name="bench", kind="fixed", agency="Bench PD", lat=37.8,
            lon=-122.27))
    rng = random.Random(20)
    crop = base64.b64encode(render_plate("7ABC123")).decode()
    count = args.count

    def when() -> str:
        return (utcnow() - timedelta(seconds=rng.randint(1, 3000))).isoformat()

    def millis() -> int:
        return int((utcnow() - timedelta(seconds=rng.randint(1, 3000))).timestamp() * 1000)

    def native(read_id: str) -> dict[str, Any]:
        return {"id": read_id, "plate": plate(rng), "confidence": 0.9, "captured_at": when(),
                "plate_image": crop}

    rows: list[Row] = []
    bearer = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app()) as client:
        def post(path: str, expect: int = 200, **kwargs: Any) -> None:
            response = client.post(path, **kwargs)
            if response.status_code != expect:
                raise SystemExit(f"{path}: HTTP {response.status_code} {response.text[:300]}")

        def native_batches() -> None:
            for start in range(0, count, 100):
                reads = [native(str(uuid.uuid4())) for _ in range(min(100, count - start))]
                post("/api/v1/reads", json={"reads": reads}, headers=bearer)

        def native_single() -> None:
            for _ in range(count):
                post("/api/v1/reads", json={"reads": [native(str(uuid.uuid4()))]},
                     headers=bearer)

        def openalpr_groups() -> None:
            for n in range(count):
                post(f"/api/v1/integrations/openalpr/{key}", json={
                    "data_type": "alpr_group", "agent_uid": "BENCH", "camera_id": 1,
                    "epoch_start": millis(), "best_uuid": f"g-{n}-{uuid.uuid4()}",
                    "best_plate_number": plate(rng), "best_confidence": 90.0,
                    "best_region": "us-ca", "vehicle": {"color": [{"name": "red",
                                                                   "confidence": 80}]},
                    "best_plate": {"plate_crop_jpeg": crop}})

        def openalpr_frames() -> None:
            for n in range(0, count, 10):
                post(f"/api/v1/integrations/openalpr/{key}", json={
                    "data_type": "alpr_results", "agent_uid": "BENCH", "camera_id": 1,
                    "epoch_time": millis(), "uuid": f"f-{n}-{uuid.uuid4()}",
                    "results": [{"plate": plate(rng), "confidence": 88.0,
                                 "plate_crop_jpeg": crop} for _ in range(10)]})

        def pr_hook(encoding: str) -> Callable[[], None]:
            def send() -> None:
                for n in range(count):
                    body = {"hook": {"event": "recognition"}, "data": {
                        "camera_id": "bench-gate", "timestamp": when(),
                        "filename": f"{n}-{uuid.uuid4()}.jpg", "results": [{
                            "plate": plate(rng).lower(), "score": 0.9,
                            "region": {"code": "us-ca"}}]}}
                    path = f"/api/v1/integrations/platerecognizer/{key}"
                    if encoding == "json":
                        post(path, json=body)
                    else:
                        post(path, data={"json": json.dumps(body)},
                             files={"upload": ("car.jpg", render_plate("8XYZ789"),
                                               "image/jpeg")})
            return send

        frames = [bytes(cv2.imencode(".jpg", render_frame(plate(rng)))[1])
                  for _ in range(args.snapshots)]
        post("/v1/plate-reader/", headers={"Authorization": f"Token {key}"},
             files={"upload": ("warm.jpg", frames[0], "image/jpeg")})  # loads the models

        def snapshots() -> None:
            for n, frame in enumerate(frames):
                post("/v1/plate-reader/", headers={"Authorization": f"Token {key}"},
                     data={"camera_id": "bench-gate"},
                     files={"upload": (f"{n}.jpg", frame, "image/jpeg")})

        rows.append(timed("native batch API (100 per request)", "JSON", count, native_batches))
        rows.append(timed("native API, 1 read per request", "JSON", count, native_single))
        rows.append(timed("OpenALPR alpr_group (1 vehicle)", "JSON", count, openalpr_groups))
        rows.append(timed("OpenALPR alpr_results (10 plates)", "JSON", count // 10 * 10,
                          openalpr_frames))
        rows.append(timed("Plate Recognizer webhook", "JSON", count, pr_hook("json")))
        rows.append(timed("Plate Recognizer webhook", "multipart+JPEG", count,
                          pr_hook("multipart")))
        rows.append(timed("Plate Recognizer /v1/plate-reader/", "recognition, 720p",
                          len(frames), snapshots))
    rows.append(_frigate(count, plate, rng))

    store = os.environ.get("ALPR_DATABASE_URL") or "SQLite"
    table = Table("route", "payload", "reads", "seconds", "reads/s",
                  title=f"Integration adapters vs the native API ({store})")
    for name, unit, reads, seconds in rows:
        rate = f"{reads / seconds:,.0f}" if seconds > 0 and reads else "—"
        table.add_row(name, unit, str(reads), f"{seconds:.2f}" if reads else "—", rate)
    console.print(table)


def _frigate(count: int, make_plate: Callable[[random.Random], str],
             rng: random.Random) -> Row:
    name = "Frigate tracked_object_update (MQTT)"
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError as error:
        console.print(f"[yellow]Frigate skipped: no MQTT broker at 127.0.0.1:1883 ({error})")
        return name, "skipped: no broker", 0, 0.0
    from alpr.cameras.schemas import CameraIn
    from alpr.cameras.service import register_camera
    from alpr.config import get_settings
    from alpr.db.session import unit_of_work
    from alpr.integrations.mqtt import MqttService, client_for
    from alpr.policy import load_checked_policy
    from alpr.reads.images import image_store

    with unit_of_work() as session:
        register_camera(session, actor="bench", camera=CameraIn(
            id="bench-driveway", name="bench", kind="fixed", agency="Bench PD", lat=37.8,
            lon=-122.27))
    run = uuid.uuid4().hex[:8]
    settings = get_settings().model_copy(update={
        "mqtt_host": "127.0.0.1", "mqtt_client_id": f"alpr-bench-{run}",
        "mqtt_topic": f"alpr-bench-{run}", "frigate_topic": f"frigate-bench-{run}",
        "frigate_cameras": {"driveway": "bench-driveway"}, "mqtt_discovery_prefix": None})
    service = MqttService(settings, load_checked_policy(settings.policy), image_store(settings))
    service.start(publisher=False)
    service.connected.wait(5)
    sender = client_for(settings, client_id=f"frigate-bench-{run}", clean=True)
    sender.connect("127.0.0.1", 1883)
    sender.loop_start()
    start = time.perf_counter()
    now = time.time()
    for n in range(count):
        update = {"type": "lpr", "id": f"{now - 60 + n * 0.01:.2f}-b{n:05d}", "name": None,
                  "plate": make_plate(rng), "score": 0.9, "camera": "driveway",
                  "timestamp": now}
        sender.publish(f"{settings.frigate_topic}/tracked_object_update", json.dumps(update),
                       qos=1)
    done = service.wait_for(count, timeout=300)
    seconds = time.perf_counter() - start
    sender.disconnect()
    sender.loop_stop()
    service.stop()
    cleaner = client_for(settings, clean=True)
    cleaner.connect("127.0.0.1", 1883)
    cleaner.disconnect()
    return name, "JSON" if done else f"only {service.messages} arrived", service.messages, seconds


if __name__ == "__main__":
    main()
