"""OpenALPR / Rekor Scout agent webhooks → ingest items and heartbeats.

The agent POSTs JSON with a top-level `data_type`: `alpr_group` (one per vehicle: the
read), `alpr_results` (one per frame: each plate a read), `alpr_alert` (a wrapper around
a group; alpr matches its own hot lists, the agent's alert is kept in the raw record) and
`heartbeat` (agent and per-camera health). The web server's Test button sends
`{"openalpr_webhook": "test"}`. Field meanings: ../shared/INTEGRATIONS.md §1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alpr.integrations.mapping import (
    Fields,
    ForeignRead,
    MappingError,
    corners_to_box,
    raw_record,
    unmappable,
)
from alpr.reads.service import IngestItem

SOURCE = "openalpr"
DATA_TYPES = ("alpr_group", "alpr_results", "alpr_alert", "heartbeat")
Resolve = Callable[[str | None], str]


def is_test(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("openalpr_webhook") == "test"


def data_type(body: Any) -> str:
    fields = Fields(body)
    kind = fields.text("data_type", required=True)
    if kind not in DATA_TYPES:
        raise MappingError(f"data_type: {kind!r} is not one of {', '.join(DATA_TYPES)}")
    return kind


def external_camera(fields: Fields) -> str:
    """An agent's camera as alpr links it: "<agent_uid>/<camera_id>"."""
    agent = fields.text("agent_uid") or fields.text("site_id") or "agent"
    number = fields.number("camera_id")
    return f"{agent}/{int(number)}" if number is not None else agent


def items(body: Mapping[str, Any], resolve: Resolve) -> list[IngestItem]:
    """The reads in an alpr_group, alpr_results or alpr_alert payload."""
    kind = data_type(body)
    if kind == "alpr_results":
        return _frame_items(Fields(body), resolve)
    if kind == "alpr_alert":
        wrapper = Fields(body)
        group = wrapper.obj("group", required=True)
        assert group is not None
        alert = {k: v for k, v in body.items() if k != "group"}
        return [_group_item(group, resolve, also={"alert": alert})]
    return [_group_item(Fields(body), resolve)]


def _key(fields: Fields, *parts: str) -> str:
    return "/".join([fields.text("agent_uid") or fields.text("site_id") or "agent", *parts])


def _group_item(group: Fields, resolve: Resolve, also: dict[str, Any] | None = None
                ) -> IngestItem:
    raw = raw_record(group.data, SOURCE) | (also or {})
    best = group.data.get("best_plate")
    if isinstance(best, Mapping):  # its crop is stored as the plate image, not in the record
        raw["best_plate"] = {k: v for k, v in best.items() if k != "plate_crop_jpeg"}
    key = None
    try:
        start = group.epoch("epoch_start", unit=1000, required=True)
        assert start is not None
        millis = int(start.timestamp() * 1000)
        key = _key(group, group.text("best_uuid") or f"{group.text('camera_id')}-{millis}")
        return _group_read(group, start, key, resolve, raw).item()
    except MappingError as error:
        return unmappable(SOURCE, key, str(error), raw)


def _group_read(group: Fields, start: datetime, key: str, resolve: Resolve,
                raw: dict[str, Any]) -> ForeignRead:
    plate = group.text("best_plate_number", required=True, max_length=32)
    confidence = group.number("best_confidence", low=0, high=100, required=True)
    assert plate is not None and confidence is not None
    best = group.obj("best_plate")
    box = corners_to_box(list(best.objects("coordinates"))) if best else None
    lat, lon = _position(group)
    color, make, model = _vehicle(group.obj("vehicle"))
    return ForeignRead(
        source=SOURCE, key=key, plate=plate, confidence=confidence / 100, captured_at=start,
        camera_id=resolve(external_camera(group)), region=group.text("best_region"),
        lat=lat, lon=lon, heading=group.number("travel_direction", low=0, high=360),
        candidates=[c.text("plate", required=True, max_length=32) or ""
                    for c in group.objects("candidates")],
        plate_box=box, plate_jpeg=best.image("plate_crop_jpeg") if best else None,
        vehicle_jpeg=group.image("vehicle_crop_jpeg"), vehicle_color=color,
        vehicle_make=make, vehicle_model=model, raw=raw)


def _position(fields: Fields) -> tuple[float | None, float | None]:
    lat = fields.number("gps_latitude", low=-90, high=90)
    lon = fields.number("gps_longitude", low=-180, high=180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0, 0: the agent has no GPS
        return None, None
    return lat, lon


def _vehicle(vehicle: Fields | None) -> tuple[str | None, str | None, str | None]:
    """The best-scored colour, make and model ("toyota_camry" → make toyota, model camry)."""
    if vehicle is None:
        return None, None, None

    def best(name: str) -> str | None:
        options = [(o.number("confidence") or 0, o.text("name", max_length=80))
                   for o in vehicle.objects(name)]
        named = [option for option in options if option[1]]
        return max(named)[1] if named else None

    make, make_model = best("make"), best("make_model")
    model = make_model
    if make_model and "_" in make_model:
        prefix, _, model = make_model.partition("_")
        make = make or prefix
    return best("color"), make, model


def _frame_items(frame: Fields, resolve: Resolve) -> list[IngestItem]:
    found: list[IngestItem] = []
    try:
        when = frame.epoch("epoch_time", unit=1000, required=True)
        frame_id = frame.text("uuid", required=True)
        plates = list(frame.objects("results"))
    except MappingError as error:
        return [unmappable(SOURCE, None, str(error), raw_record(frame.data, SOURCE))]
    assert when is not None and frame_id is not None
    for index, result in enumerate(plates):
        raw = raw_record({k: v for k, v in frame.data.items() if k != "results"}, SOURCE)
        raw["result"] = {k: v for k, v in result.data.items() if k != "plate_crop_jpeg"}
        key = _key(frame, frame_id, str(index))
        try:
            plate = result.text("plate", required=True, max_length=32)
            confidence = result.number("confidence", low=0, high=100, required=True)
            assert plate is not None and confidence is not None
            lat, lon = _position(frame)
            read = ForeignRead(
                source=SOURCE, key=key, plate=plate, confidence=confidence / 100,
                captured_at=when, camera_id=resolve(external_camera(frame)),
                region=result.text("region"), lat=lat, lon=lon,
                candidates=[c.text("plate", required=True, max_length=32) or ""
                            for c in result.objects("candidates")],
                plate_box=corners_to_box(list(result.objects("coordinates"))),
                plate_jpeg=result.image("plate_crop_jpeg"), raw=raw)
            found.append(read.item())
        except MappingError as error:
            found.append(unmappable(SOURCE, key, str(error), raw))
    return found


@dataclass
class StreamHealth:
    """One camera's part of an agent heartbeat, as the heartbeat service takes it."""

    external_id: str
    streaming: bool
    metrics: dict[str, Any] = field(default_factory=dict)


def heartbeat(body: Mapping[str, Any]) -> list[StreamHealth]:
    """Each video stream's health; an agent without streams reports as itself."""
    fields = Fields(body)
    reported = fields.epoch("timestamp", unit=1000)
    agent = {k: v for k, v in body.items()
             if k not in {"video_streams", "data_type", "timestamp"}
             and isinstance(v, str | int | float | bool)}
    common: dict[str, Any] = {"time": reported.isoformat() if reported else None,
                              "extra": {"agent": agent}}
    streams = list(fields.objects("video_streams"))
    if not streams:
        return [StreamHealth(external_camera(fields), True, common)]
    health = []
    agent_id = fields.text("agent_uid") or fields.text("site_id") or "agent"
    for stream in streams:
        number = stream.number("camera_id", required=True)
        fps = stream.number("fps", low=0)
        streaming = stream.flag("is_streaming")
        # The stream URL is left out: it often carries the camera's password.
        health.append(StreamHealth(
            f"{agent_id}/{int(number or 0)}", streaming is not False,
            {**common, "frames_per_second": fps,
             "extra": {**common["extra"], "is_streaming": streaming}}))
    return health
