"""Plate Recognizer: webhook payloads (Snapshot `image.done`, Stream `recognition`) →
ingest items, and our recognition answered in the Snapshot response shape.

Webhook bodies hold `hook` ({target, id, event, filename}) and `data`; `data.results[]`
come in two shapes — flat (`plate` text, `region.code`, `model_make`, `color`) and the
newer one with `props` (`plate.props.plate[0].value`, `vehicle.props.make_model`). Both
are read here. Field meanings: ../shared/INTEGRATIONS.md §2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from alpr.integrations.mapping import (
    Fields,
    ForeignRead,
    MappingError,
    raw_record,
    unmappable,
)
from alpr.reads.service import IngestItem
from alpr.recognition.interfaces import PlateResult

SOURCE = "platerecognizer"
EVENTS = ("image.done", "recognition")
Resolve = Callable[[str | None], str]


def _time(fields: Fields, name: str) -> datetime | None:
    """Their times: ISO 8601, or Snapshot's "YYYY-MM-DD HH:MM:SS.ffffff" (UTC)."""
    return fields.iso_time(name)


def webhook_items(body: Any, resolve: Resolve, upload: bytes | None = None,
                  received: datetime | None = None) -> list[IngestItem]:
    """The reads in one webhook call; `upload` is the JPEG of a multipart call."""
    fields = Fields(body)
    hook = fields.obj("hook")
    event = hook.text("event") if hook else None
    if event is not None and event not in EVENTS:
        raise MappingError(f"hook.event: {event!r} is not one of {', '.join(EVENTS)}")
    data = fields.obj("data", required=True)
    assert data is not None
    camera = data.text("camera_id", max_length=200)
    when = _time(data, "timestamp") or _time(data, "timestamp_camera") or received
    if when is None:
        raise MappingError("data.timestamp: required")
    name = data.text("filename") or (hook.text("filename") if hook else None) or ""
    results = list(data.objects("results", required=True))
    found: list[IngestItem] = []
    for index, result in enumerate(results):
        key = f"{camera or '-'}/{name or when.isoformat()}/{index}"
        raw = raw_record({k: v for k, v in data.data.items() if k != "results"}, SOURCE)
        raw |= {"hook": dict(hook.data) if hook else None, "result": dict(result.data)}
        try:
            found.append(_result_read(result, key, camera, when, resolve, upload, raw).item())
        except MappingError as error:
            found.append(unmappable(SOURCE, key, str(error), raw))
    return found


def _best(fields: Fields | None, name: str, value: str = "value") -> tuple[str | None, float]:
    """The best-scored {value, score} of a list (props) — ("", 0) when absent."""
    if fields is None:
        return None, 0.0
    options = [(o.number("score", low=0, high=1) or 0.0, o.text(value, max_length=80))
               for o in fields.objects(name)]
    named = [option for option in options if option[1]]
    if not named:
        return None, 0.0
    score, text = max(named)
    return text, score


def _result_read(result: Fields, key: str, camera: str | None, when: datetime,
                 resolve: Resolve, upload: bytes | None, raw: dict[str, Any]) -> ForeignRead:
    vehicle = result.obj("vehicle")
    make = model = color = None
    if isinstance(result.data.get("plate"), Mapping):  # the newer shape, with props
        plate_obj = result.obj("plate")
        assert plate_obj is not None
        props = plate_obj.obj("props", required=True)
        plate, score = _best(props, "plate")
        region, _ = _best(props, "region")
        box = _box(plate_obj.obj("box"))
        candidates = [o.text("value", max_length=32) or "" for o in
                      (props.objects("plate") if props else iter(()))]
        vehicle_props = vehicle.obj("props") if vehicle else None
        if vehicle_props is not None:
            pair = next(iter(vehicle_props.objects("make_model")), None)
            if pair is not None:
                make, model = pair.text("make", max_length=80), pair.text("model", max_length=80)
            color, _ = _best(vehicle_props, "color")
        if plate is None:
            raise MappingError(f"{result.where}.plate.props.plate: required")
        confidence = plate_obj.number("score", low=0, high=1) or score
    else:
        plate = result.text("plate", required=True, max_length=32)
        confidence = result.number("score", low=0, high=1, required=True) or 0.0
        region_obj = result.obj("region")
        region = region_obj.text("code") if region_obj else None
        box = _box(result.obj("box"))
        candidates = [c.text("plate", max_length=32) or "" for c in result.objects("candidates")]
        pair = next(iter(result.objects("model_make")), None)
        if pair is not None:
            make, model = pair.text("make", max_length=80), pair.text("model", max_length=80)
        color, _ = _best(result, "color", value="color")
    assert plate is not None
    return ForeignRead(
        source=SOURCE, key=key, plate=plate.upper(), confidence=confidence, captured_at=when,
        camera_id=resolve(camera), region=region,
        heading=result.number("direction", low=0, high=360),
        candidates=[c.upper() for c in candidates if c], plate_box=box,
        vehicle_jpeg=upload, vehicle_color=color, vehicle_make=make, vehicle_model=model,
        raw=raw)


def _box(box: Fields | None) -> list[float] | None:
    if box is None:
        return None
    left, top = box.number("xmin", required=True), box.number("ymin", required=True)
    right, bottom = box.number("xmax", required=True), box.number("ymax", required=True)
    assert left is not None and top is not None and right is not None and bottom is not None
    if right < left or bottom < top:
        raise MappingError(f"{box.where}: xmax/ymax must not be less than xmin/ymin")
    return [left, top, right - left, bottom - top]


# --- the Snapshot emulation: our recognition, their response shape -----------------------

def snapshot_result(plate: PlateResult, *, regions: list[str], width: int, height: int,
                    mmc: bool) -> dict[str, Any]:
    """One plate in the Snapshot `results[]` shape (HASS, frigate_plate_recognizer, Node-RED
    read `plate`, `score`, `box`, `region.code`, `candidates`, `vehicle.type`)."""
    box = plate.box
    region = (f"us-{plate.region}" if plate.region and len(plate.region) == 2
              else plate.region) or (regions[0] if regions else "us")
    result: dict[str, Any] = {
        "plate": plate.plate.lower(),
        "score": round(plate.confidence, 3),
        "dscore": round(plate.confidence, 3),
        "box": {"xmin": box.x, "ymin": box.y, "xmax": box.x + box.w, "ymax": box.y + box.h},
        "region": {"code": region.lower(), "score": 0.5 if plate.region else 0.0},
        "candidates": [{"plate": text.lower(), "score": round(score, 3)}
                       for text, score in plate.candidates] or
                      [{"plate": plate.plate.lower(), "score": round(plate.confidence, 3)}],
        # alpr does not classify vehicles: the whole frame, type Unknown, score 0.
        "vehicle": {"type": "Unknown", "score": 0.0,
                    "box": {"xmin": 0, "ymin": 0, "xmax": width, "ymax": height}},
    }
    if mmc:  # asked for, not known: empty lists rather than invented makes
        result |= {"model_make": [], "color": [], "orientation": []}
    return result


def snapshot_response(results: list[dict[str, Any]], *, camera_id: str | None, filename: str,
                      started: float, finished: float, when: datetime) -> dict[str, Any]:
    return {
        "processing_time": round((finished - started) * 1000, 3),
        "timestamp": when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "camera_id": camera_id,
        "filename": filename,
        "version": 1,
        "results": results,
    }


def snapshot_key(camera_id: str, image: bytes, index: int) -> str:
    """The same image posted twice is the same read (clients retry on 429 and timeouts)."""
    return f"snapshot/{camera_id}/{hashlib.sha256(image).hexdigest()[:32]}/{index}"
