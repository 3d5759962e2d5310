"""Holds keep reads past their retention period for a case (REQ R3–R5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class HoldReason(StrEnum):
    EVIDENCE = "evidence"
    INVESTIGATION = "investigation"
    MISSING_PERSON = "missing_person"
    LEGAL_OBLIGATION = "legal_obligation"


class HoldStatus(StrEnum):
    PENDING = "pending"  # waiting for supervisor approval; protects nothing yet
    ACTIVE = "active"
    RELEASED = "released"


class Hold(Base):
    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)
    investigator_contact: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)


class HoldRead(Base):
    __tablename__ = "hold_reads"
    __table_args__ = (Index("ix_hold_reads_read", "read_id", "read_captured_at"),)

    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    read_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    read_captured_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Download(Base):
    """Data that left the system (evidence package, export) and when it must be destroyed."""

    __tablename__ = "downloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    case_number: Mapped[str] = mapped_column(String(40))
    reads: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    exported_by: Mapped[str] = mapped_column(String(128))
    exported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    destroy_by: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    destroyed_by: Mapped[str | None] = mapped_column(String(128))
