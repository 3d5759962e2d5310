"""What comes in and goes out of the retention API (holds, downloads, evidence exports)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alpr.retention.models import HoldReason
from alpr.search.purpose import PurposeIn

_IN = ConfigDict(extra="forbid")
_OUT = ConfigDict(from_attributes=True)


class HoldIn(BaseModel):
    """A hold on reads by id, or on every read of a plate in a time window (REQ R3, R4)."""

    model_config = _IN
    case_number: str = Field(min_length=1, max_length=40, description="Case or DR number")
    reason: HoldReason
    details: str = Field(min_length=1, description="What the reads are needed for")
    investigator_contact: str = Field(min_length=1, max_length=200)
    read_ids: list[uuid.UUID] = Field(default_factory=list)
    plate: str | None = Field(default=None, max_length=16)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    deleted_approval_id: int | None = Field(
        default=None, description="Command approval opening the plate's deleted reads (Q7)")


class ReleaseIn(BaseModel):
    model_config = _IN
    reason: str = Field(min_length=3, max_length=500)


class HoldOut(BaseModel):
    model_config = _OUT
    id: int
    case_number: str
    reason: str
    details: str
    investigator_contact: str
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    last_verified_at: datetime | None
    status: str
    released_at: datetime | None
    release_reason: str | None
    reads: int = 0
    review_due: datetime | None = Field(
        default=None, description="Released unless re-verified by then (REQ R5)")


class DownloadOut(BaseModel):
    model_config = _OUT
    id: int
    kind: str
    case_number: str
    reads: int
    sha256: str
    exported_by: str
    exported_at: datetime
    destroy_by: datetime | None
    destroyed_at: datetime | None
    destroyed_by: str | None
    overdue: bool = False


class ExportIn(BaseModel):
    """An evidence package is an audited read access: it needs a valid purpose (REQ R6)."""

    model_config = _IN
    read_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    purpose: PurposeIn
    deleted_approval_id: int | None = Field(
        default=None, description="Command approval opening the plate's deleted reads (Q7)")
