"""The one mapping helper every adapter shares: a foreign record becomes an ingest item.

Adapters read the foreign payload through `Fields`, which names the foreign field in every
error ("best_confidence: expected a number from 0 to 100"), and describe each read as a
`ForeignRead`. `to_item` turns that into the `IngestItem` that `reads.service.ingest` (the
only way in) validates and stores; `ingest_reads` runs one batch in one transaction. A read
that cannot be mapped is still handed to ingest, as a rejected item with its reason, so it
is answered and audited like any other; the rest of the batch is kept.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from alpr.config import Settings
from alpr.db.session import unit_of_work
from alpr.hotlists.alert_views import announce_alerts
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import IngestReport, ItemStatus
from alpr.reads.service import IngestItem, ingest

# Stable read ids: the same foreign record (resent, or seen on two topics) is one read.
READ_NAMESPACE = uuid.UUID("6f1d2b7e-3c4a-5e8f-9a0b-1c2d3e4f5a6b")
# Payload fields that hold images: never copied into the raw source record.
IMAGE_KEYS = frozenset({"vehicle_crop_jpeg", "plate_crop_jpeg", "upload", "image", "Image",
                        "snapshot", "thumbnail"})


class MappingError(ValueError):
    """A foreign field present but wrong (or a required one missing); names the field."""


def read_id(source: str, key: str) -> uuid.UUID:
    return uuid.uuid5(READ_NAMESPACE, f"{source}:{key}")


class Fields:
    """Typed access to a foreign JSON object; errors name the field by its path."""

    def __init__(self, data: Any, where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise MappingError(f"{where or 'body'}: expected a JSON object")
        self.data: Mapping[str, Any] = data
        self.where = where

    def _name(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MappingError(f"{self._name(name)}: required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise MappingError(f"{self._name(name)}: expected text, got {_kind(value)}")
        value = str(value).strip()
        if required and not value:
            raise MappingError(f"{self._name(name)}: must not be empty")
        if len(value) > max_length:
            raise MappingError(f"{self._name(name)}: longer than {max_length} characters")
        return value or None

    def number(self, name: str, *, low: float | None = None, high: float | None = None,
               required: bool = False) -> float | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MappingError(f"{self._name(name)}: required")
            return None
        if isinstance(value, str):  # form fields and some agents send numbers as text
            text = value
            try:
                value = float(text)
            except ValueError:
                raise MappingError(f"{self._name(name)}: expected a number, got "
                                   f"{text[:20]!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise MappingError(f"{self._name(name)}: expected a number, got {_kind(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise MappingError(f"{self._name(name)}: {value} is outside {low} to {high}")
        return float(value)

    def flag(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise MappingError(f"{self._name(name)}: expected true or false, got {_kind(value)}")

    def obj(self, name: str, *, required: bool = False) -> Fields | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MappingError(f"{self._name(name)}: required")
            return None
        return Fields(value, self._name(name))

    def objects(self, name: str, *, required: bool = False) -> Iterator[Fields]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise MappingError(f"{self._name(name)}: required")
            return
        if not isinstance(value, list):
            raise MappingError(f"{self._name(name)}: expected a list, got {_kind(value)}")
        for index, entry in enumerate(value):
            yield Fields(entry, f"{self._name(name)}[{index}]")

    def epoch(self, name: str, *, unit: float, required: bool = False) -> datetime | None:
        """Seconds (unit 1) or milliseconds (unit 1000) since 1970, as an aware datetime."""
        value = self.number(name, low=0, required=required)
        if value is None:
            return None
        try:
            return datetime.fromtimestamp(value / unit, UTC)
        except (OverflowError, OSError, ValueError):
            raise MappingError(f"{self._name(name)}: not a time") from None

    def iso_time(self, name: str, *, required: bool = False) -> datetime | None:
        value = self.text(name, required=required, max_length=64)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise MappingError(f"{self._name(name)}: not an ISO 8601 time: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def image(self, name: str) -> bytes | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return decode_base64(value, self._name(name))


def decode_base64(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise MappingError(f"{name}: expected base64 text, got {_kind(value)}")
    if value.startswith("data:"):  # data URI: data:image/jpeg;base64,....
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise MappingError(f"{name}: not valid base64") from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


def corners_to_box(points: Sequence[Fields]) -> list[float] | None:
    """[x, y, w, h] around polygon corners ({x, y} each)."""
    xs = [p.number("x", required=True) for p in points]
    ys = [p.number("y", required=True) for p in points]
    if not xs:
        return None
    left, top = min(x for x in xs if x is not None), min(y for y in ys if y is not None)
    right, bottom = max(x for x in xs if x is not None), max(y for y in ys if y is not None)
    return [left, top, right - left, bottom - top]


def raw_record(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The foreign record as kept with the read: every field but the images."""
    return {"source": source, **{k: v for k, v in data.items() if k not in IMAGE_KEYS}}


@dataclass
class ForeignRead:
    """One read as a foreign product described it, already in alpr's units."""

    source: str  # openalpr, platerecognizer, frigate
    key: str  # the source's own stable identity for this read
    plate: str
    confidence: float  # 0–1
    captured_at: datetime
    camera_id: str
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    heading: float | None = None
    candidates: list[str] = field(default_factory=list)
    plate_box: list[float] | None = None
    plate_jpeg: bytes | None = None
    vehicle_jpeg: bytes | None = None
    vehicle_color: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def item(self) -> IngestItem:
        data: dict[str, Any] = {
            "id": str(read_id(self.source, self.key)),
            "plate": self.plate,
            "confidence": self.confidence,
            "captured_at": self.captured_at.isoformat(),
            "camera_id": self.camera_id,
            "region": _region(self.region),
            "lat": self.lat,
            "lon": self.lon,
            "heading": self.heading % 360 if self.heading is not None else None,
            "candidates": [c for c in dict.fromkeys(self.candidates) if c != self.plate][:10],
            "plate_box": self.plate_box,
            "vehicle_color": _short(self.vehicle_color),
            "vehicle_make": _short(self.vehicle_make),
            "vehicle_model": _short(self.vehicle_model),
        }
        images: dict[str, bytes] = {}
        if self.plate_jpeg:
            data["plate_image"], images["plate_image"] = "plate", self.plate_jpeg
        if self.vehicle_jpeg:
            data["vehicle_image"], images["vehicle_image"] = "vehicle", self.vehicle_jpeg
        return IngestItem(data={k: v for k, v in data.items() if v is not None},
                          images=images, extra=self.raw)


def _region(code: str | None) -> str | None:
    """`us-ca` → `CA` (state), `gb` → `GB`: the region as alpr stores it (8 characters)."""
    if not code:
        return None
    code = code.strip().lower()
    if code.startswith("us-") and len(code) > 3:
        code = code[3:]
    return code.upper()[:8] or None


def _short(value: str | None) -> str | None:
    return value[:40] if value else None


def unmappable(source: str, key: str | None, problem: str,
               raw: Mapping[str, Any] | None = None) -> IngestItem:
    """A read that could not be mapped: ingest rejects it with the reason (and audits it)."""
    data = {"id": str(read_id(source, key))} if key else {}
    return IngestItem(data=data, problem=problem, extra=raw or {})


def ingest_reads(build: Callable[[Session], Sequence[IngestItem]], *, actor: str,
                 policy: Policy, images: ImageStore, settings: Settings,
                 after: Callable[[Session, IngestReport], None] | None = None
                 ) -> IngestReport:
    """One batch through the one ingest path, in one transaction (`build` maps the foreign
    records in it: camera links are read there; `after` adds to it, e.g. an audit entry,
    after ingest, so locks are always taken in ingest's order); alert streams are woken."""
    with unit_of_work() as session:
        items = build(session)
        report = ingest(session, items, actor=actor, policy=policy, images=images,
                        max_clock_skew=settings.max_clock_skew)
        if after is not None:
            after(session, report)
    if report.alerts:
        announce_alerts()
    return report


def all_rejected(report: IngestReport) -> bool:
    return bool(report.results) and all(r.status is ItemStatus.REJECTED
                                        for r in report.results)
