"""Frigate over MQTT, through the machine's real Mosquitto broker; alerts and camera
health published back, with Home Assistant discovery. Frigate's snapshot comes from a
small local HTTP server standing in for Frigate's API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.models import Alert
from alpr.integrations.mqtt import MqttService
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from tests.helpers import CameraFactory, jpeg
from tests.integrations.conftest import StoredReads

BROKER = ("127.0.0.1", 1883)
SNAPSHOT = jpeg((20, 160, 60), (640, 360))


class FrigateApi:
    """Serves /api/events/<id>/snapshot.jpg like Frigate's port 5000; counts requests."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests.append(self.path)
                if self.path.startswith("/api/events/") and self.path.endswith("/snapshot.jpg"):
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.end_headers()
                    self.wfile.write(SNAPSHOT)
                else:
                    self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def frigate_api() -> Iterator[FrigateApi]:
    api = FrigateApi()
    yield api
    api.server.shutdown()


@pytest.fixture
def settings(frigate_api: FrigateApi) -> Iterator[Settings]:
    run = uuid.uuid4().hex[:10]  # the broker is shared: topics and client id of our own
    yield Settings(mqtt_host=BROKER[0], mqtt_port=BROKER[1], mqtt_client_id=f"alpr-t-{run}",
                   mqtt_topic=f"alpr-test-{run}", frigate_topic=f"frigate-test-{run}",
                   frigate_cameras={"driveway": "cam-1"}, frigate_url=frigate_api.url,
                   mqtt_discovery_prefix=f"ha-test-{run}")
    # End the persistent session this test left on the broker, and its retained messages.
    cleaner = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"alpr-t-{run}",
                          clean_session=True)
    retained: list[str] = []
    cleaner.on_message = lambda c, u, m: retained.append(m.topic)
    cleaner.connect(*BROKER)
    cleaner.subscribe([(f"alpr-test-{run}/#", 0), (f"ha-test-{run}/#", 0)])
    cleaner.loop_start()
    time.sleep(0.3)
    for topic in list(retained):
        cleaner.publish(topic, b"", qos=1, retain=True).wait_for_publish(2)
    cleaner.disconnect()
    cleaner.loop_stop()


Make = Callable[..., MqttService]


@pytest.fixture
def make_service(settings: Settings, policy: Policy, images: ImageStore
                 ) -> Iterator[Make]:
    started: list[MqttService] = []

    def make(*, with_policy: Policy | None = None, **changes: Any) -> MqttService:
        service = MqttService(settings.model_copy(update=changes), with_policy or policy,
                              images)
        service.start(publisher=False)  # the tests publish alerts and health themselves
        assert service.connected.wait(10), "MQTT broker not reachable at 127.0.0.1:1883"
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


def publish(*messages: tuple[str, dict[str, Any] | bytes]) -> None:
    """What Frigate does: QoS 1 publishes to the broker."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"frigate-{uuid.uuid4().hex[:8]}")
    client.connect(*BROKER)
    client.loop_start()
    for topic, body in messages:
        payload = body if isinstance(body, bytes) else json.dumps(body)
        client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def lpr_update(event_id: str, plate: str, **changes: Any) -> dict[str, Any]:
    return {"type": "lpr", "id": event_id, "name": None, "plate": plate, "score": 0.93,
            "camera": "driveway", "timestamp": time.time(), "plate_box": [812, 440, 930, 482],
            **changes}


def event(kind: str, event_id: str, plate: str | None) -> dict[str, Any]:
    after = {"id": event_id, "camera": "driveway", "label": "car", "start_time": time.time(),
             "end_time": time.time() if kind == "end" else None, "box": [100, 100, 900, 700],
             "current_zones": ["street"], "recognized_license_plate": plate,
             "recognized_license_plate_score": 0.9 if plate else None,
             "sub_label": ["Neighbour", 0.9] if plate else None}
    return {"type": kind, "before": after, "after": after}


def new_event_id() -> str:
    return f"{time.time() - 5:.2f}-{uuid.uuid4().hex[:6]}"


def test_one_read_per_tracked_object_with_snapshot_matched_and_alerted(
    make_service: Make, settings: Settings, make_camera: CameraFactory, hot_list: str,
    stored: StoredReads, alerts: Callable[[], list[Alert]], frigate_api: FrigateApi,
    images: ImageStore,
) -> None:
    # REQ C2, A1 — Frigate's LPR events are stored once per car, matched and alerted
    make_camera("cam-1")
    service = make_service()
    first = new_event_id()
    prefix = settings.frigate_topic
    publish((f"{prefix}/events", event("new", first, None)),  # no plate yet: nothing
            (f"{prefix}/tracked_object_update", lpr_update(first, hot_list)),
            (f"{prefix}/events", event("update", first, hot_list)),
            (f"{prefix}/events", event("end", first, hot_list)),
            (f"{prefix}/tracked_object_update", {"type": "face", "id": first, "name": "x"}))
    assert service.wait_for(5), f"handled {service.messages} of 5"
    [read] = stored()
    assert (read.plate_normalized, read.camera_id, read.location_source) == (
        hot_list, "cam-1", "camera")
    assert read.vehicle_image is not None
    assert images.get(read.vehicle_image, read.captured_at.date()) == SNAPSHOT
    assert abs(read.captured_at.timestamp() - float(first.split("-")[0])) < 0.01
    assert json.loads(read.source_extra or "{}")["source"] == "frigate"
    assert [a.plate_read for a in alerts()] == [hot_list]
    assert len(frigate_api.requests) == 1  # later messages of the same car fetch nothing


def test_messages_published_while_alpr_is_down_are_delivered_on_restart(
    make_service: Make, settings: Settings, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    # The broker keeps a persistent session's QoS 1 messages: nothing Frigate sent is lost.
    make_camera("cam-1")
    make_service().stop()  # subscribed once, then down
    ids = [new_event_id() for _ in range(3)]
    publish(*[(f"{settings.frigate_topic}/tracked_object_update",
               lpr_update(event_id, plate))
              for event_id, plate in zip(ids, ["8XYZ789", "5DEF456", "6TRW512"], strict=True)])
    service = make_service()
    assert service.wait_for(3), f"handled {service.messages} of 3"
    assert sorted(r.plate for r in stored()) == ["5DEF456", "6TRW512", "8XYZ789"]


def test_a_wrong_field_is_rejected_with_its_reason_and_audited(
    make_service: Make, settings: Settings, make_camera: CameraFactory, stored: StoredReads,
    database: Database,
) -> None:
    make_camera("cam-1")
    service = make_service()
    topic = f"{settings.frigate_topic}/tracked_object_update"
    publish((topic, lpr_update(new_event_id(), "8XYZ789", score="high")),
            (topic, lpr_update(new_event_id(), "5DEF456", camera="backyard")),
            (topic, b"not json"),
            (topic, lpr_update(new_event_id(), "6TRW512")))
    assert service.wait_for(4)
    assert [r.plate for r in stored()] == ["6TRW512"]
    with database.unit_of_work() as session:
        reasons = [item["reason"] for entry in session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.READ_INGEST_REJECTED)) for item in
            entry.details["items"]]
    assert any(r.startswith("score: expected a number") for r in reasons)
    assert any("no alpr camera for frigate camera 'backyard'" in r for r in reasons)


class Listener:
    """A Home Assistant stand-in: everything under a topic, retained messages included."""

    def __init__(self, *topics: str) -> None:
        self.messages: dict[str, list[tuple[bytes, bool]]] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"ha-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._on_message
        self.client.connect(*BROKER)
        for topic in topics:
            self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        self.messages.setdefault(message.topic, []).append((bytes(message.payload),
                                                            message.retain))

    def wait(self, topic: str, timeout: float = 5.0) -> list[tuple[bytes, bool]]:
        deadline = time.monotonic() + timeout
        while topic not in self.messages and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages.get(topic, [])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.parametrize(("setting", "policy_allows"),
                         [(False, False), (True, False), (False, True), (True, True)])
def test_alerts_and_camera_health_go_out_with_discovery_and_no_plate_unless_allowed(
    make_service: Make, settings: Settings, make_camera: CameraFactory, hot_list: str,
    database: Database, policy: Policy, setting: bool, policy_allows: bool,
) -> None:
    # A plate goes on a topic only when the written policy and the server both allow it.
    plates_allowed = setting and policy_allows
    make_camera("cam-1")
    agency_policy = policy.model_copy(update={"sharing": policy.sharing.model_copy(
        update={"plates_on_mqtt": policy_allows})})
    service = make_service(mqtt_publish_plates=setting, with_policy=agency_policy)
    discovery = settings.mqtt_discovery_prefix
    listener = Listener(f"{settings.mqtt_topic}/#", f"{discovery}/+/alpr_cam_1/#")
    try:
        assert service.publish_health() == {"cam-1": "online"}
        assert service.publish_health() == {}  # published on change only
        base = f"{settings.mqtt_topic}/camera/cam-1"
        assert listener.wait(f"{base}/availability") == [(b"online", False)]
        config = json.loads(listener.wait(f"{discovery}/event/alpr_cam_1/alert/config")[0][0])
        assert config["state_topic"] == f"{base}/alert"
        assert config["event_types"] == ["hotlist_hit"]
        # A car on the hot list, from Frigate: the alert reaches the event entity.
        publish((f"{settings.frigate_topic}/tracked_object_update",
                 lpr_update(new_event_id(), hot_list)))
        assert service.wait_for(1)
        assert service.publish_alerts() == 1
        assert service.publish_alerts() == 0  # the cursor moved: sent once
        [(payload, retained)] = listener.wait(f"{base}/alert")
        alert = json.loads(payload)
        assert not retained  # an event, not a state
        assert alert["event_type"] == "hotlist_hit" and alert["list"] == "svs"
        everything = b" ".join(p for sent in listener.messages.values() for p, _ in sent)
        assert (hot_list.encode() in everything) is plates_allowed
        # Silent past its threshold: the camera goes offline (retained for late joiners).
        later = utcnow() + timedelta(hours=2)
        assert service.publish_health(now=later) == {"cam-1": "offline"}
        late = Listener(f"{base}/availability")
        assert late.wait(f"{base}/availability") == [(b"offline", True)]
        late.close()
        with database.unit_of_work() as session:
            published = session.scalars(select(AuditEntry).where(
                AuditEntry.event == AuditEvent.INTEGRATION_MQTT_PUBLISH)).all()
        assert any(e.details.get("plates_included") is plates_allowed for e in published)
    finally:
        listener.close()


def _private_broker(port: int) -> subprocess.Popen[bytes]:
    """A Mosquitto of this test's own, so it can be stopped (the shared one never is)."""
    config = Path(tempfile.mkdtemp()) / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    broker = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c",
                               str(config)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return broker
        except OSError:
            time.sleep(0.05)
    broker.kill()
    raise AssertionError(f"mosquitto did not start on port {port}")


def test_the_service_reconnects_by_itself_when_the_broker_comes_back(
    make_service: Make, settings: Settings, make_camera: CameraFactory, stored: StoredReads,
) -> None:
    make_camera("cam-1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = _private_broker(port)
    try:
        service = make_service(mqtt_port=port)
        broker.terminate()
        broker.wait(5)
        time.sleep(0.5)
        assert not service.client.is_connected() and not service.connected.is_set()
        broker = _private_broker(port)  # back, empty: the service must subscribe again
        assert service.connected.wait(15), "no reconnection within 15 s"
        topic = f"{settings.frigate_topic}/tracked_object_update"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="frigate-private")
        client.connect("127.0.0.1", port)
        client.loop_start()
        client.publish(topic, json.dumps(lpr_update(new_event_id(), "8XYZ789")),
                       qos=1).wait_for_publish(5)
        client.disconnect()
        client.loop_stop()
        assert service.wait_for(1), "nothing received after reconnecting"
        assert [r.plate for r in stored()] == ["8XYZ789"]
    finally:
        broker.terminate()
        broker.wait(5)
