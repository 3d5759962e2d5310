"""What comes in and goes out of the sharing API and services."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alpr.sharing.models import AgencyKind, LegalProcess

_IN = ConfigDict(extra="forbid")
_OUT = ConfigDict(from_attributes=True)


class AgencyIn(BaseModel):
    model_config = _IN
    name: str = Field(min_length=2, max_length=200)
    kind: AgencyKind
    jurisdiction: str = Field(min_length=2, max_length=200)
    contacts: str | None = None


class AgencyOut(BaseModel):
    model_config = _OUT
    id: int
    name: str
    kind: str
    jurisdiction: str
    contacts: str | None


class AgreementIn(BaseModel):
    model_config = _IN
    starts_at: AwareDatetime
    ends_at: AwareDatetime  # required: an MOU without an end date is refused (REQ S7)
    scope: str = Field(min_length=3)
    standing_access: bool = False


class AgreementOut(BaseModel):
    model_config = _OUT
    id: int
    agency_id: int
    starts_at: datetime
    ends_at: datetime
    scope: str
    standing_access: bool


class ShareRequestIn(BaseModel):
    """A written request: who, by what right, why they need it, and what they attest."""

    model_config = _IN
    agency: str = Field(description="Registered agency name")
    requester_name: str = Field(min_length=2, max_length=200)
    received_via: Literal["letter", "email", "form", "verbal"] = "form"
    right_to_know: str = Field(min_length=3, description="Legal authority to receive the data")
    case_number: str = Field(min_length=1, max_length=40)
    involvement: str = Field(min_length=3, description="Need to know: their part in the case")
    purpose_category: str = Field(description="A permitted purpose code from the policy")
    purpose_text: str = Field(min_length=3, max_length=500)
    legal_process: LegalProcess = LegalProcess.NONE
    legal_process_ref: str | None = Field(default=None, max_length=100)
    on_behalf_of_name: str | None = Field(default=None, max_length=200)
    on_behalf_of_kind: AgencyKind | None = None
    standing_access: bool = False
    attests_no_immigration: bool = False
    attests_no_reproductive_health: bool = False
    attests_no_resharing: bool = False


class ShareRequestOut(BaseModel):
    model_config = _OUT
    id: int
    agency_id: int
    requester_name: str
    received_at: datetime
    case_number: str
    purpose_category: str
    legal_process: str
    status: str
    rule: str | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class DecisionIn(BaseModel):
    model_config = _IN
    honor: bool
    reason: str = Field(min_length=3)


class ExportIn(BaseModel):
    model_config = _IN
    read_ids: list[str] = Field(min_length=1)


class TransferIn(BaseModel):
    model_config = _IN
    channel: Literal["email", "in_person", "mail"] = "email"
    message: str = Field(min_length=1)
    reads: int = Field(ge=0)


class ShareOut(BaseModel):
    model_config = _OUT
    id: int
    request_id: int
    agency_id: int
    shared_at: datetime
    channel: str
    reads: int
    case_number: str
    officer: str
    download_id: int | None
    sha256: str | None


class ReportRow(BaseModel):
    """One line of the record of agencies shared with (REQ S5)."""

    share_id: int
    agency: str
    agency_kind: str
    shared_at: datetime
    reads: int
    case_number: str
    officer: str
    channel: str
    legal_process: str


class PublicRecordsIn(BaseModel):
    model_config = _IN
    requester: str = Field(min_length=2, max_length=200)
    description: str = Field(min_length=3)
    received_at: AwareDatetime | None = None


class PublicRecordsOut(BaseModel):
    model_config = _OUT
    id: int
    requester: str
    received_at: datetime
    description: str
    status: str
    fulfilled_at: datetime | None


class AggregateIn(BaseModel):
    model_config = _IN
    start: AwareDatetime
    end: AwareDatetime


class IncidentIn(BaseModel):
    model_config = _IN
    discovered_at: AwareDatetime
    description: str = Field(min_length=3)
    data_involved: str = Field(min_length=3)
    persons_affected: int = Field(ge=0)


class IncidentOut(BaseModel):
    model_config = _OUT
    id: int
    discovered_at: datetime
    description: str
    data_involved: str
    persons_affected: int


class TaskOut(BaseModel):
    model_config = _OUT
    id: int
    incident_id: int
    kind: str
    description: str
    due_at: datetime
    completed_at: datetime | None
    completed_by: str | None


class TaskDone(BaseModel):
    model_config = _IN
    note: str | None = None
