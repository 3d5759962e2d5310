"""Wire shapes of a read: what cameras send, and what ingest answers per item."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alpr.api.inputs import Instant, SafeText
from alpr.hotlists.schemas import AlertOut


class ReadIn(BaseModel):
    """One read as a camera, edge unit or import file sends it.

    `plate_image` / `vehicle_image` name the image: base64 data in a JSON batch, the name
    of a file part in a multipart upload, a path relative to the file in a JSONL import.
    Fields alpr does not know are kept with the read (its raw source record, bounded),
    never a reason to refuse it; a known field with a wrong value is.
    """

    # Unknown fields are kept in the read's raw source record (issue 20), never a reason to
    # refuse it; NaN and infinities are never numbers.
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    id: uuid.UUID = Field(description="The source's id for this read; resends are ignored")
    plate: SafeText = Field(min_length=1, max_length=32)
    confidence: float = Field(ge=0, le=1)
    region: SafeText | None = Field(default=None, max_length=8, description="State or country")
    captured_at: Instant
    camera_id: SafeText | None = Field(
        default=None, max_length=64, description="Defaults to the authenticated camera"
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    candidates: list[SafeText] = Field(
        default_factory=list,
        max_length=10,
        description="Other readings the recognizer found plausible, best first;"
        " hot lists are also matched against them (confusion-aware)",
    )
    plate_box: list[float] | None = Field(
        default=None, min_length=4, max_length=4,
        description="The plate's [x, y, w, h] in image pixels; checked against image masks",
    )
    plate_image: SafeText | None = None
    vehicle_image: SafeText | None = None
    vehicle_color: SafeText | None = Field(default=None, max_length=40)
    vehicle_make: SafeText | None = Field(default=None, max_length=40)
    vehicle_model: SafeText | None = Field(default=None, max_length=40)


class ItemStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    # Inside a privacy mask or exclusion zone (REQ C4): dropped before storage, only counted.
    MASKED = "masked"
    # Published to the broker (ALPR_BROKER_URL): a worker stores it (docs/scale-out.md).
    QUEUED = "queued"


class ItemResult(BaseModel):
    index: int
    id: str | None
    status: ItemStatus
    reason: str | None = None


class IngestReport(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    masked: int = Field(default=0, description="Dropped by privacy masks: counted, not stored")
    queued: int = Field(default=0, description="Handed to the broker; a worker stores them")
    results: list[ItemResult]
    alerts: list[AlertOut] = Field(default_factory=list, description="Hot-list hits raised")
