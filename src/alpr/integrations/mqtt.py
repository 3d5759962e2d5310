"""The MQTT service: Frigate's LPR events in, alerts and camera health out.

In: subscribes (QoS 1) to Frigate's `tracked_object_update` and `events`, maps each plate
to a read (integrations.frigate) and ingests it through the one path. The session is
persistent (fixed client id, clean_session=False) and a message is acknowledged only after
its read is committed, so while alpr is down the broker keeps what Frigate published.

Out: each hot-list alert on `<topic>/camera/<id>/alert` (QoS 1) as a Home Assistant event
(`event_type: hotlist_hit`), each camera's availability on `<topic>/camera/<id>/
availability` (retained, online/offline from the heartbeat health check), and alpr's own
on `<topic>/status` (retained; the broker's will says offline). Home Assistant discovery
configs make each camera a device with an alert event and a connectivity sensor. The
plate is never in a payload unless `ALPR_MQTT_PUBLISH_PLATES` is set by the agency.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.health import is_silent
from alpr.cameras.models import Camera
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists.models import Alert
from alpr.integrations import frigate
from alpr.integrations.links import CameraResolver
from alpr.integrations.mapping import MappingError, ingest_reads
from alpr.integrations.models import IntegrationCursor
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import IngestReport

log = logging.getLogger(__name__)
ACTOR = "system:mqtt"
CURSOR = "mqtt-alerts"
SEEN_EVENTS = 10_000  # recently stored Frigate objects: later messages skip the snapshot


def client_for(settings: Settings, client_id: str | None = None,
               clean: bool = False) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or
                         settings.mqtt_client_id, clean_session=clean, manual_ack=True)
    if settings.mqtt_username:
        client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
    if settings.mqtt_tls:
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=60)  # backoff while the broker is down
    return client


class MqttService:
    """One per deployment (its client id is fixed: the broker keeps one session for it)."""

    def __init__(self, settings: Settings, policy: Policy, images: ImageStore,
                 snapshot: frigate.Snapshot | None = None) -> None:
        self.settings, self.policy, self.images = settings, policy, images
        self.topic = settings.mqtt_topic.rstrip("/")
        self.snapshot = snapshot or frigate.snapshot_fetcher(settings.frigate_url,
                                                             settings.frigate_token)
        self.client = client_for(settings)
        self.client.will_set(f"{self.topic}/status", "offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.handled = threading.Condition()
        self.messages = 0  # handled (stored, duplicate, rejected or ignored)
        self.last_report: IngestReport | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._availability: dict[str, str] = {}
        self._stop = threading.Event()
        self._publisher: threading.Thread | None = None

    # --- connection ------------------------------------------------------------------
    def start(self, *, publisher: bool = True, poll_seconds: float = 1.0) -> None:
        with unit_of_work() as session:  # alerts from now on (history is not replayed)
            if session.get(IntegrationCursor, CURSOR) is None:
                session.add(IntegrationCursor(name=CURSOR, at=utcnow(),
                                              ref=str(uuid.UUID(int=0))))
        self.client.connect_async(self.settings.mqtt_host or "127.0.0.1",
                                  self.settings.mqtt_port, keepalive=30)
        self.client.loop_start()  # reconnects by itself, with the backoff above
        if publisher:
            self._publisher = threading.Thread(target=self._publish_loop, args=(poll_seconds,),
                                               name="alpr-mqtt-publisher", daemon=True)
            self._publisher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._publisher is not None:
            self._publisher.join(timeout=5)
        if self.client.is_connected():
            try:
                self.client.publish(f"{self.topic}/status", "offline", qos=1, retain=True
                                    ).wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):  # the broker went away meanwhile
                log.warning("MQTT: could not publish offline status")
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting with backoff", reason)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        log.info("MQTT connected to %s:%s", self.settings.mqtt_host, self.settings.mqtt_port)
        client.publish(f"{self.topic}/status", "online", qos=1, retain=True)
        self._availability.clear()  # a new session: publish every camera's state again
        if self.settings.frigate_topic:  # ready once the broker confirmed the subscription
            prefix = self.settings.frigate_topic.rstrip("/")
            client.subscribe([(f"{prefix}/{frigate.UPDATES}", 1),
                              (f"{prefix}/{frigate.EVENTS}", 1)])
        else:
            self.connected.set()

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any,
                      properties: Any) -> None:
        self.connected.set()

    # --- Frigate in ----------------------------------------------------------------------
    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        try:
            self.handle(message.topic, bytes(message.payload))
        except Exception:  # the read is not committed: leave it unacknowledged
            log.exception("MQTT message on %s not stored; left for redelivery", message.topic)
            return
        client.ack(message.mid, message.qos)
        with self.handled:
            self.messages += 1
            self.handled.notify_all()

    def handle(self, topic: str, payload: bytes) -> IngestReport | None:
        """Store the read in one message (None: nothing to store in it)."""
        try:
            body = json.loads(payload)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            log.warning("MQTT %s: not JSON (%s); ignored", topic, error)
            return None
        try:
            key = frigate.event_id(topic, body)
        except MappingError:
            key = None  # malformed: ingest rejects it with the reason, and audits it
        else:
            if key is None:
                return None  # no plate in it (another object type, a person, ...)
            if key in self._seen:
                return None  # this object's read is stored: an update or end of it
        configured = self.settings.frigate_cameras

        def build(session: Session) -> list[Any]:
            resolve = CameraResolver(session, frigate.SOURCE, configured=configured)
            found = frigate.item(topic, body, resolve, self.snapshot)
            return [found] if found is not None else []

        report = ingest_reads(build, actor=ACTOR, policy=self.policy, images=self.images,
                              settings=self.settings)
        if key is not None and report.accepted + report.duplicates:
            self._seen[key] = None
            if len(self._seen) > SEEN_EVENTS:
                self._seen.popitem(last=False)
        self.last_report = report
        return report

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` messages were handled (tests, the demo)."""
        with self.handled:
            return self.handled.wait_for(lambda: self.messages >= count, timeout=timeout)

    # --- alerts and health out ----------------------------------------------------------
    def _publish_loop(self, poll_seconds: float) -> None:
        while not self._stop.wait(poll_seconds):
            if not self.connected.is_set():
                continue
            try:
                self.publish_health()
                self.publish_alerts()
            except Exception:
                log.exception("MQTT publishing failed; retried next round")

    def _send(self, topic: str, payload: dict[str, Any] | str, *, retain: bool) -> bool:
        text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        info = self.client.publish(topic, text, qos=1, retain=retain)
        info.wait_for_publish(timeout=5)
        return info.is_published()

    def publish_alerts(self, limit: int = 100) -> int:
        """Publish the alerts raised since the last ones published; the cursor moves only
        past alerts the broker acknowledged. Audited: what went out, plate or not."""
        sent: list[str] = []
        with unit_of_work() as session:
            cursor = session.get(IntegrationCursor, CURSOR)
            if cursor is None:
                cursor = IntegrationCursor(name=CURSOR, at=utcnow(), ref=str(uuid.UUID(int=0)))
                session.add(cursor)
            after = (cursor.at or utcnow(), uuid.UUID(cursor.ref or str(uuid.UUID(int=0))))
            alerts = list(session.scalars(
                select(Alert).where(tuple_(Alert.created_at, Alert.id) > after)
                .order_by(Alert.created_at, Alert.id).limit(limit)))
            for alert in alerts:
                if not self._send(f"{self.topic}/camera/{alert.camera_id}/alert",
                                  self.alert_payload(alert), retain=False):
                    break
                cursor.at, cursor.ref = alert.created_at, str(alert.id)
                sent.append(str(alert.id))
            if sent:
                record(session, event=AuditEvent.INTEGRATION_MQTT_PUBLISH, actor=ACTOR,
                       details={"alerts": sent, "topic": f"{self.topic}/camera/+/alert",
                                "plates_included": self.plates_allowed})
        return len(sent)

    @property
    def plates_allowed(self) -> bool:
        """Both the agency's policy (sharing.plates_on_mqtt) and the server's setting."""
        return self.policy.sharing.plates_on_mqtt and self.settings.mqtt_publish_plates

    def alert_payload(self, alert: Alert) -> dict[str, Any]:
        """A Home Assistant event; the plate only where the agency allows it on MQTT."""
        payload: dict[str, Any] = {
            "event_type": "hotlist_hit", "alert_id": str(alert.id),
            "camera_id": alert.camera_id, "list": alert.list_name, "source": alert.source,
            "reason": alert.reason, "match": alert.match, "status": alert.status,
            "raised_at": alert.created_at.isoformat(),
        }
        if self.plates_allowed:
            payload |= {"plate_read": alert.plate_read, "plate_listed": alert.plate_listed,
                        "state_listed": alert.state_listed}
        return payload

    def publish_health(self, now: datetime | None = None) -> dict[str, str]:
        """Each camera's availability (retained), published when it changes; discovery
        configs with the first state of each camera."""
        now = now or utcnow()
        with unit_of_work() as session:
            cameras = list(session.scalars(select(Camera).order_by(Camera.id)))
            states = {c.id: "online" if c.active and not is_silent(c, now) else "offline"
                      for c in cameras}
            names = {c.id: c.name for c in cameras}
        changed = {k: v for k, v in states.items() if self._availability.get(k) != v}
        for camera_id, state in changed.items():
            if camera_id not in self._availability:
                self._discovery(camera_id, names[camera_id])
            if self._send(f"{self.topic}/camera/{camera_id}/availability", state, retain=True):
                self._availability[camera_id] = state
        if changed:
            with unit_of_work() as session:
                record(session, event=AuditEvent.INTEGRATION_MQTT_PUBLISH, actor=ACTOR,
                       details={"availability": changed})
        return changed

    def _discovery(self, camera_id: str, name: str) -> None:
        prefix = self.settings.mqtt_discovery_prefix
        if not prefix:
            return
        node = "alpr_" + "".join(c if c.isalnum() else "_" for c in camera_id)
        device = {"identifiers": [node], "name": f"alpr {name}", "manufacturer": "alpr",
                  "model": "ALPR camera"}
        base = f"{self.topic}/camera/{camera_id}"
        self._send(f"{prefix}/event/{node}/alert/config", {
            "name": "Hot-list alert", "unique_id": f"{node}_alert", "object_id": f"{node}_alert",
            "state_topic": f"{base}/alert", "event_types": ["hotlist_hit"],
            "availability_topic": f"{self.topic}/status", "device": device,
        }, retain=True)
        self._send(f"{prefix}/binary_sensor/{node}/online/config", {
            "name": "Camera online", "unique_id": f"{node}_online", "state_topic":
            f"{base}/availability", "payload_on": "online", "payload_off": "offline",
            "device_class": "connectivity", "device": device,
        }, retain=True)


def run_forever(service: MqttService, stop: Callable[[], bool] | None = None) -> None:
    """`alpr mqtt`: run until interrupted."""
    service.start()
    try:
        while not (stop and stop()):
            service._stop.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
