"""Sharing tables: agencies, agreements (MOU), share requests, shares, public records
requests, breach incidents and their notification tasks.

Refused requests are rows too, with the rule that refused them: the refusal is itself a
record the agency must be able to show (REQ S6).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class AgencyKind(StrEnum):
    CA_STATE_AGENCY = "ca_state_agency"
    CA_LOCAL_AGENCY = "ca_local_agency"
    CA_LAW_ENFORCEMENT = "ca_law_enforcement"
    CA_PROSECUTOR = "ca_prosecutor"
    CA_PUBLIC_DEFENDER = "ca_public_defender"
    FEDERAL = "federal"
    OUT_OF_STATE = "out_of_state"
    PRIVATE = "private"


class LegalProcess(StrEnum):
    NONE = "none"
    SUBPOENA = "subpoena"
    WARRANT = "warrant"
    COURT_ORDER = "court_order"
    DA_DISCOVERY = "da_discovery"


class RequestStatus(StrEnum):
    PENDING = "pending"
    REFUSED = "refused"  # by a rule, automatically
    HONORED = "honored"
    DENIED = "denied"  # by the processing officer


class Agency(Base):
    __tablename__ = "sharing_agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    jurisdiction: Mapped[str] = mapped_column(String(200))
    contacts: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Agreement(Base):
    """An interagency agreement (MOU); always with an end date (REQ S7)."""

    __tablename__ = "sharing_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("sharing_agencies.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    scope: Mapped[str] = mapped_column(Text)
    standing_access: Mapped[bool] = mapped_column(default=False)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ShareRequest(Base):
    """A written request (REQ S4, S6, S8) and its decision."""

    __tablename__ = "share_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("sharing_agencies.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_via: Mapped[str] = mapped_column(String(16))
    right_to_know: Mapped[str] = mapped_column(Text)  # the legal authority
    case_number: Mapped[str] = mapped_column(String(40))
    involvement: Mapped[str] = mapped_column(Text)  # need to know
    purpose_category: Mapped[str] = mapped_column(String(60))
    purpose_text: Mapped[str] = mapped_column(Text)
    legal_process: Mapped[str] = mapped_column(String(16))
    legal_process_ref: Mapped[str | None] = mapped_column(String(100))
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of_kind: Mapped[str | None] = mapped_column(String(24))
    standing_access: Mapped[bool] = mapped_column(default=False)
    attests_no_immigration: Mapped[bool] = mapped_column(default=False)
    attests_no_reproductive_health: Mapped[bool] = mapped_column(default=False)
    attests_no_resharing: Mapped[bool] = mapped_column(default=False)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_agreements.id"))
    status: Mapped[str] = mapped_column(String(10), index=True)
    rule: Mapped[str | None] = mapped_column(String(40))  # the rule that refused it
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    decided_by: Mapped[str | None] = mapped_column(String(128))  # the processing officer
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Share(Base):
    """Data that went to an agency: the record of agencies shared with (REQ S5)."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("share_requests.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("sharing_agencies.id"), index=True)
    shared_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # export, email, ...
    reads: Mapped[int] = mapped_column(Integer)
    case_number: Mapped[str] = mapped_column(String(40))
    officer: Mapped[str] = mapped_column(String(128))
    download_id: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)  # an emailed transfer, kept (REQ S8)


class PublicRecordsRequest(Base):
    __tablename__ = "public_records_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # open, fulfilled
    recorded_by: Mapped[str] = mapped_column(String(128))
    fulfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fulfilled_by: Mapped[str | None] = mapped_column(String(128))


class Incident(Base):
    """A breach of ALPR data (REQ X2)."""

    __tablename__ = "breach_incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    description: Mapped[str] = mapped_column(Text)
    data_involved: Mapped[str] = mapped_column(Text)
    persons_affected: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentTask(Base):
    __tablename__ = "incident_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("breach_incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
