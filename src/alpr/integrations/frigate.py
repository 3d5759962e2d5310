"""Frigate (≥ 0.16) LPR over MQTT → ingest items: one read per tracked object.

Frigate publishes a recognized plate on `<prefix>/tracked_object_update` (`type: "lpr"`)
and again, with every change of the object, on `<prefix>/events` (`after.
recognized_license_plate`). Both name the object by its event id, so the read id and the
capture time both come from it: whichever message arrives first is stored, the others are
duplicates — never a second read of the same car. Field meanings: INTEGRATIONS.md §3.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from alpr.integrations.mapping import Fields, ForeignRead, MappingError, raw_record, unmappable
from alpr.reads.service import IngestItem

SOURCE = "frigate"
UPDATES = "tracked_object_update"
EVENTS = "events"
log = logging.getLogger(__name__)
Resolve = Callable[[str | None], str]
Snapshot = Callable[[str], bytes | None]


def event_id(topic: str, payload: Any) -> str | None:
    """The tracked object a message is about, or None when it carries no plate."""
    fields = Fields(payload)
    if topic.endswith("/" + UPDATES):
        return fields.text("id") if fields.text("type") == "lpr" else None
    after = fields.obj("after")
    if after is None or not after.text("recognized_license_plate"):
        return None
    return after.text("id")


def item(topic: str, payload: Any, resolve: Resolve, snapshot: Snapshot) -> IngestItem | None:
    """The read in one message; None for a message without a plate (most of them)."""
    try:
        fields = Fields(payload)
        key = event_id(topic, payload)
    except MappingError as error:
        return unmappable(SOURCE, None, str(error), {"source": SOURCE, "topic": topic})
    if key is None:
        return None
    raw = raw_record(fields.data, SOURCE) | {"topic": topic}
    try:
        if topic.endswith("/" + UPDATES):
            read = _from_update(fields, key, resolve, raw)
        else:
            after = fields.obj("after", required=True)
            assert after is not None
            read = _from_event(after, key, resolve, raw)
    except MappingError as error:
        return unmappable(SOURCE, key, str(error), raw)
    read.vehicle_jpeg = snapshot(key)
    return read.item()


def _captured_at(key: str, fallback: datetime | None) -> datetime:
    """Frigate's event id starts with the object's start time ("1767261600.12-ab12cd"):
    the same on every message about it, unlike each message's own timestamp."""
    head = key.partition("-")[0]
    try:
        return datetime.fromtimestamp(float(head), UTC)
    except (ValueError, OverflowError, OSError):
        if fallback is None:
            raise MappingError("id: no start time in it, and no timestamp given") from None
        return fallback


def _from_update(fields: Fields, key: str, resolve: Resolve, raw: dict[str, Any]
                 ) -> ForeignRead:
    plate = fields.text("plate", required=True, max_length=32)
    score = fields.number("score", low=0, high=1, required=True)
    camera = fields.text("camera", required=True)
    assert plate is not None and score is not None
    box = fields.data.get("plate_box")
    plate_box = None
    if box is not None:
        if (not isinstance(box, list) or len(box) != 4
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)):
            raise MappingError("plate_box: expected [x1, y1, x2, y2]")
        plate_box = [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]
    return ForeignRead(source=SOURCE, key=key, plate=plate, confidence=score,
                       captured_at=_captured_at(key, fields.epoch("timestamp", unit=1)),
                       camera_id=resolve(camera), plate_box=plate_box, raw=raw)


def _from_event(after: Fields, key: str, resolve: Resolve, raw: dict[str, Any]
                ) -> ForeignRead:
    plate = after.text("recognized_license_plate", required=True, max_length=32)
    score = after.number("recognized_license_plate_score", low=0, high=1)
    camera = after.text("camera", required=True)
    assert plate is not None
    return ForeignRead(source=SOURCE, key=key, plate=plate,
                       confidence=score if score is not None else 0.5,
                       captured_at=_captured_at(key, after.epoch("start_time", unit=1)),
                       camera_id=resolve(camera), raw=raw)


def snapshot_fetcher(base_url: str | None, token: str | None, timeout: float = 5.0) -> Snapshot:
    """GET <frigate>/api/events/<id>/snapshot.jpg; None (the read is kept without an image)
    when Frigate is not configured or does not answer."""

    def fetch(key: str) -> bytes | None:
        if not base_url:
            return None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = httpx.get(f"{base_url.rstrip('/')}/api/events/{key}/snapshot.jpg",
                                 headers=headers, timeout=timeout)
        except httpx.HTTPError as error:
            log.warning("frigate snapshot %s: %s", key, error)
            return None
        if response.status_code != 200 or not response.content:
            log.warning("frigate snapshot %s: HTTP %s", key, response.status_code)
            return None
        return response.content

    return fetch
