"""Demo step: one read arriving by each foreign route — an OpenALPR agent, a Plate
Recognizer client (Snapshot reader), a Plate Recognizer Stream webhook, Frigate over MQTT —
each through the one ingest path, matched against the hot list the demo loaded."""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
import warnings
from datetime import timedelta
from typing import Any

import cv2
from rich.table import Table

from alpr.api.app import create_app
from alpr.cameras import keys
from alpr.cameras import service as cameras
from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.config import get_settings
from alpr.console import console
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.demo.sample import DEMO_CENTER, render_plate

GATE = CameraIn(id="demo-gate", name="City yard gate (foreign cameras)", kind=CameraKind.FIXED,
                agency="Demo Police Department", lat=DEMO_CENTER[0] + 0.004,
                lon=DEMO_CENTER[1] - 0.003, heading=90.0)
ACTOR = "demo"


def demo_integrations(hot_plate: str) -> None:
    """`hot_plate` is on the demo's hot list: the OpenALPR read of it raises an alert."""
    console.rule("[bold]Foreign cameras: one read by each route")
    key = _gate_key()
    rows: list[tuple[str, str, str, str]] = []
    now = utcnow() - timedelta(seconds=2)
    stamp = int(now.timestamp() * 1000)
    with warnings.catch_warnings():  # Starlette's note on its test client, not for the demo
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    with TestClient(create_app()) as client:
        group = {"data_type": "alpr_group", "agent_uid": "DEMO-AGENT", "camera_id": 1,
                 "epoch_start": stamp, "epoch_end": stamp + 900, "best_uuid": f"demo-{stamp}",
                 "best_plate_number": hot_plate, "best_confidence": 93.5,
                 "best_region": "us-ca", "travel_direction": 90.0,
                 "vehicle": {"color": [{"name": "silver", "confidence": 80}],
                             "body_type": [{"name": "sedan", "confidence": 70}]},
                 "best_plate": {"plate": hot_plate, "plate_crop_jpeg":
                                base64.b64encode(render_plate(hot_plate)).decode()}}
        rows.append(_row("OpenALPR agent webhook", hot_plate, client.post(
            f"/api/v1/integrations/openalpr/{key}", json=group)))
        frame = _frame("4ABC001")
        answer = client.post("/v1/plate-reader/", headers={"Authorization": f"Token {key}"},
                             data={"camera_id": GATE.id, "regions": "us-ca"},
                             files={"upload": ("gate.jpg", frame, "image/jpeg")})
        plates = [r["plate"].upper() for r in answer.json().get("results", [])]
        rows.append(_row("Plate Recognizer /v1/plate-reader/", ", ".join(plates) or "none",
                         answer, nested="alpr"))
        hook = {"hook": {"event": "recognition", "id": "demo"},
                "data": {"camera_id": GATE.id, "timestamp": now.isoformat(),
                         "filename": f"demo-{stamp}.jpg",
                         "results": [{"plate": "8dem042", "score": 0.9, "direction": 85,
                                      "region": {"code": "us-ca", "score": 0.8},
                                      "vehicle": {"type": "Sedan", "score": 0.7}}]}}
        rows.append(_row("Plate Recognizer Stream webhook", "8DEM042", client.post(
            f"/api/v1/integrations/platerecognizer/{key}", json=hook)))
    rows.append(_frigate(stamp))
    table = Table("route", "plate", "result", "alert", title="Reads from foreign cameras")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print("how to point each product at alpr: docs/integrations.md")


def _gate_key() -> str:
    """The gate camera's key, rotated each run (the old one is refused at once)."""
    with unit_of_work() as session:
        if session.get(Camera, GATE.id) is None:
            return cameras.register_camera(session, camera=GATE, actor=ACTOR)[1]
        return keys.rotate_key(session, camera_id=GATE.id, actor=ACTOR,
                               grace=timedelta(0)).key


def _frame(plate: str) -> bytes:
    from alpr.capture.sample_video import render_frame

    ok, data = cv2.imencode(".jpg", render_frame(plate))
    return bytes(data) if ok else b""


def _row(route: str, plate: str, response: Any, nested: str | None = None
         ) -> tuple[str, str, str, str]:
    body = response.json()
    report = body.get(nested, {}) if nested else body
    if response.status_code != 200 or not isinstance(report, dict) or "results" not in report:
        return route, plate, f"[red]HTTP {response.status_code}[/] {json.dumps(body)[:80]}", ""
    statuses = ", ".join(r["status"] + (f" ({r['reason']})" if r.get("reason") else "")
                         for r in report["results"]) or "no plate"
    hits = ", ".join(a["list_name"] for a in report.get("alerts", []))
    return route, plate, statuses, f"[bold red]{hits}[/]" if hits else "—"


def _frigate(stamp: int) -> tuple[str, str, str, str]:
    route = "Frigate over MQTT"
    settings = get_settings()
    host, port = settings.mqtt_host or "127.0.0.1", settings.mqtt_port
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError as error:
        return route, "—", f"[yellow]skipped[/]: no MQTT broker at {host}:{port} ({error})", ""
    from alpr.integrations.mqtt import MqttService, client_for
    from alpr.policy import load_checked_policy
    from alpr.reads.images import image_store

    run = uuid.uuid4().hex[:8]
    demo = settings.model_copy(update={
        "mqtt_host": host, "mqtt_client_id": f"alpr-demo-{run}", "mqtt_topic": f"alpr-demo-{run}",
        "frigate_topic": f"frigate-demo-{run}", "frigate_cameras": {"driveway": GATE.id},
        "mqtt_discovery_prefix": None})
    service = MqttService(demo, load_checked_policy(settings.policy), image_store(settings))
    service.start(publisher=False)
    try:
        if not service.connected.wait(5):
            return route, "—", f"[yellow]skipped[/]: broker at {host}:{port} did not answer", ""
        sender = client_for(demo, client_id=f"frigate-demo-{run}", clean=True)
        sender.connect(host, port)
        sender.loop_start()
        update = {"type": "lpr", "id": f"{stamp / 1000:.2f}-demo{run[:4]}", "name": None,
                  "plate": "6FRG123", "score": 0.92, "camera": "driveway",
                  "timestamp": time.time(), "plate_box": [800, 440, 930, 482]}
        sender.publish(f"{demo.frigate_topic}/tracked_object_update", json.dumps(update),
                       qos=1).wait_for_publish(5)
        sender.disconnect()
        sender.loop_stop()
        if not service.wait_for(1, timeout=10) or service.last_report is None:
            return route, "6FRG123", "[red]not received in 10 s[/]", ""
        report = service.last_report
        statuses = ", ".join(r.status.value for r in report.results)
        return route, "6FRG123", statuses, "—"
    finally:
        service.stop()
        # The demo's session is not kept on the broker.
        cleaner = client_for(demo, clean=True)
        cleaner.connect(host, port)
        cleaner.disconnect()
