"""Search requests and results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from alpr.search.purpose import PurposeIn


class Near(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=50_000)


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str | None = Field(default=None, description="Full plate, or * and ? wildcards")
    confusion: bool = Field(default=False, description="Also O/0/D/Q, I/1/L/T, B/8 ... look-alikes")
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    cameras: list[str] = Field(default_factory=list)
    near: Near | None = None
    polygon: list[tuple[float, float]] | None = Field(
        default=None, min_length=3, description="[[lat, lon], ...] canvass area")
    vehicle_color: str | None = None
    vehicle_make: str | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=100, ge=1, le=500)
    sort: Literal["newest", "oldest", "plate", "camera"] = Field(
        default="newest", description="Order of the results (time, plate or camera)")

    @model_validator(mode="after")
    def _narrow(self) -> SearchQuery:
        # No dragnet: a search names a plate, a place or a camera. The messages are the
        # person's to read, in the console and the CLI alike (no "Value error," prefix).
        if not (self.plate or self.near or self.polygon or self.cameras):
            vehicle = " (a vehicle colour or make alone is too broad)" if (
                self.vehicle_color or self.vehicle_make) else ""
            raise PydanticCustomError(
                "search_too_broad",
                "give a plate, a place (circle or polygon) or cameras{vehicle}",
                {"vehicle": vehicle})
        if self.near and self.polygon:
            raise PydanticCustomError("search_two_areas",
                                      "give a circle or a polygon, not both")
        return self


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: SearchQuery
    purpose: PurposeIn
    deleted_approval_id: int | None = Field(
        default=None, description="Recorded approval to include logically deleted reads (Q7)")


class ReadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    plate: str
    plate_normalized: str
    confidence: float
    region: str | None
    captured_at: datetime
    camera_id: str
    lat: float | None  # None: a mobile unit's read without a GPS fix
    lon: float | None
    heading: float | None
    vehicle_color: str | None
    vehicle_make: str | None
    vehicle_model: str | None
    has_plate_image: bool = False
    has_vehicle_image: bool = False
    logically_deleted: bool = False


class SearchOut(BaseModel):
    results: list[ReadOut]
    page: int
    has_more: bool
    total: int = Field(description="Reads matching the query, on every page")
    audit_id: int


class ApprovalIn(BaseModel):
    """A System Administrator's request to see one plate's logically deleted reads (Q7).

    Who asks is the caller; who approves is the commander who decides it later (never a
    name typed here)."""

    model_config = ConfigDict(extra="forbid")
    plate: str = Field(min_length=1, max_length=16, description="The one plate to open")
    case_number: str = Field(min_length=1, max_length=40)
    offense: str | None = Field(default=None, description="One of the policy's offenses")
    court_order: str | None = Field(default=None, max_length=200,
                                    description="Or the court order's reference")


class ApprovalDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    plate: str | None
    status: str
    requested_by: str
    approved_by: str | None
    offense: str | None
    court_order: str | None
    case_number: str
    recorded_at: datetime
    approved_at: datetime | None
    expires_at: datetime
