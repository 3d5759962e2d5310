"""Accounts, their training records, API sessions and registered devices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, JsonDict, UtcDateTime


class AccountStatus(StrEnum):
    PENDING = "pending"  # created, waiting for an ALPR Administrator (REQ U1)
    ACTIVE = "active"
    SUSPENDED = "suspended"  # unused too long, lapsed review, misuse (REQ U6, U7, U10)
    DEACTIVATED = "deactivated"  # separated from the agency, or an unauthorized classification
    DELETED = "deleted"  # personal fields erased; the row stays for the audit trail


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))  # the registry agency's name, shown
    # The agency in the sharing registry: only California public agencies hold accounts
    # (Civ. Code §1798.90.5(f); checked by sharing/floor.py at creation and every access).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_agencies.id"),
                                                  index=True)
    classification: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JsonDict)
    status: Mapped[str] = mapped_column(String(12))
    status_reason: Mapped[str | None] = mapped_column(Text)
    supervisor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_access_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Training must be newer than this before access (set on reactivation: REQ U4).
    training_required_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    separated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # no code used twice
    failed_logins: Mapped[list[str]] = mapped_column(JsonDict, default=list)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # initial, refresher, reorientation
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDict, default=dict)


class ApiSession(Base):
    """A short-lived bearer token; only its hash is stored."""

    __tablename__ = "api_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    source: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Device(Base):
    """An agency-issued device registered by an administrator (REQ U12)."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_by: Mapped[str] = mapped_column(String(128))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notification(Base):
    """A report to people outside the system (e.g. Professional Standards, REQ U9), one row
    per recipient; the `users-notify` job delivers it by e-mail or signed webhook, retrying
    with backoff. `channel` "unrouted": no recipient was configured when it was queued."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(200))  # who it is for, e.g. the unit's name
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)  # delivered
    event: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(12), default="unrouted")  # email, webhook
    target: Mapped[str | None] = mapped_column(String(500))  # address or URL
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # given up, audited
    last_error: Mapped[str | None] = mapped_column(Text)


class LoginFailure(Base):
    """A failed login from a client address: per-client throttling (AC-7)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_source_at", "source", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
