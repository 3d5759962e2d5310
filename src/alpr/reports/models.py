"""Audits with their samples and findings, and the stored annual reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, JsonDict, UtcDateTime


class AuditKind(StrEnum):
    PERIODIC = "periodic"  # a sample of searches plus the automatic checks (REQ L3)
    OPERATOR = "operator"  # read accuracy, retention, who accessed (REQ L6)


class AuditStatus(StrEnum):
    OPEN = "open"  # samples waiting for the auditor
    APPROVED = "approved"  # approved by the ALPR Administrator (REQ L4)


class Audit(Base):
    __tablename__ = "audits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)
    period_start: Mapped[datetime] = mapped_column(UtcDateTime)
    period_end: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    population: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    margin: Mapped[float | None] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    approval_note: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_by: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditSample(Base):
    """One sampled search (or read) and the auditor's review of it."""

    __tablename__ = "audit_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(64))  # audit entry id, or read id
    subject_at: Mapped[datetime] = mapped_column(UtcDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JsonDict)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditFinding(Base):
    __tablename__ = "audit_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"),
                                          index=True)
    check: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))  # violation, review
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)


class AnnualReport(Base):
    """The latest generated annual report of a year (REQ P1); aggregates only."""

    __tablename__ = "annual_reports"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    generated_by: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JsonDict)


class PublishedChainHead(Base):
    """The audit chain's head as published on the transparency page, once a day (REQ P2).

    Anyone who copied a day's hash can later check that the entry `last_id` still has it,
    i.e. that the log up to that day was not rewritten. `figures` holds the 30-day counts
    published with it (computed once a day, so the public page never scans the reads).
    """

    __tablename__ = "published_chain_heads"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)


class YearlyCount(Base):
    """Durable yearly figures (REQ P1, H6): one counter per (year, metric, key), added to in
    the transaction of the event it counts, and never touched by retention or expiry, so a
    year's report gives the same numbers after its reads, entries and alerts are gone."""

    __tablename__ = "yearly_counts"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
