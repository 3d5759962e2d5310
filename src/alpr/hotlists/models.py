"""Hot lists, their entries, and the alerts raised when a read matches an entry.

Entries hold only what the source says about the vehicle: plate, state, reason, record id
and vehicle description. There is deliberately no column for names, birth dates or charges.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class EntryStatus(StrEnum):
    PENDING = "pending"  # manual entry waiting for an ALPR Administrator (REQ H3)
    ACTIVE = "active"
    REJECTED = "rejected"
    IN_ERROR = "in_error"  # flagged "record in error": never alerts again (REQ A4)


class EntryOrigin(StrEnum):
    IMPORT = "import"
    MANUAL = "manual"


class AlertStatus(StrEnum):
    UNVERIFIED = "unverified"
    CONFIRMED = "confirmed"  # plate, state, vehicle and CLETS/NCIC all check out
    NOT_CONFIRMED = "not_confirmed"


class MatchKind(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"


class HotList(Base):
    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    # Readers see only the entries of this generation. An import writes the next one (in
    # short batches, claimed by staging_generation/staging_since), then moves this to it.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    staging_generation: Mapped[int | None] = mapped_column(Integer)
    staging_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    imported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HotListEntry(Base):
    __tablename__ = "hotlist_entries"
    __table_args__ = (
        Index("ix_hotlist_entries_list_generation", "list_id", "generation"),
        Index("ix_hotlist_entries_exact_key", "exact_key"),
        CheckConstraint(
            "status IN ('pending', 'active', 'rejected', 'in_error')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hotlists.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))
    plate: Mapped[str] = mapped_column(String(16))
    exact_key: Mapped[str] = mapped_column(String(16))  # normalized, O written as 0
    state: Mapped[str | None] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(60))
    source_record_id: Mapped[str | None] = mapped_column(String(40))
    vehicle_year: Mapped[str | None] = mapped_column(String(4))
    vehicle_make: Mapped[str | None] = mapped_column(String(20))
    vehicle_model: Mapped[str | None] = mapped_column(String(20))
    vehicle_color: Mapped[str | None] = mapped_column(String(20))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # Manual entries (REQ H3): who, for which case, why; and who approved it.
    entered_by: Mapped[str | None] = mapped_column(String(128))
    case_number: Mapped[str | None] = mapped_column(String(40))
    justification: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    flagged_by: Mapped[str | None] = mapped_column(String(128))
    flagged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    flag_reason: Mapped[str | None] = mapped_column(Text)


class HotListRevision(Base):
    """One row whose token changes with everything that can alert; matchers rebuild then.

    A random token rather than a counter: a rolled-back change must never leave behind a
    number that a later, different change reuses.
    """

    __tablename__ = "hotlist_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_read", "read_id", "read_captured_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    read_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    read_captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    camera_id: Mapped[str] = mapped_column(String(64))
    plate_read: Mapped[str] = mapped_column(String(16))
    # Copied from the entry: the alert stays meaningful after the list is replaced.
    entry_id: Mapped[int] = mapped_column(Integer)
    list_id: Mapped[int] = mapped_column(Integer)
    list_name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16))
    plate_listed: Mapped[str] = mapped_column(String(16))
    state_listed: Mapped[str | None] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(60))
    match: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.UNVERIFIED.value)
    # The operator's verification (REQ A2): an alert is only informational until then.
    verified_by: Mapped[str | None] = mapped_column(String(128))
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    plate_matches: Mapped[bool | None] = mapped_column()
    state_matches: Mapped[bool | None] = mapped_column()
    vehicle_matches: Mapped[bool | None] = mapped_column()
    clets_confirmed: Mapped[bool | None] = mapped_column()
    clets_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AlertResponse(Base):
    """What was done about a verified alert (REQ A3)."""

    __tablename__ = "alert_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alerts.id"), index=True)
    member: Mapped[str] = mapped_column(String(128))
    justification: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(40))
    disposition: Mapped[str] = mapped_column(String(60))
    responded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_steps: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Webhook(Base):
    """An outgoing subscriber: alerts are POSTed to it, signed with HMAC-SHA256."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One alert to one webhook, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ErrorFlag(Base):
    """A "record in error" (REQ A4), kept by list and plate across imports.

    Entries are replaced by every import, so the flag lives beside them: each import loads a
    flagged plate as in_error again, until the source list stops carrying the record
    (then the flag is cleared: the want was cancelled at the source).
    """

    __tablename__ = "hotlist_error_flags"
    __table_args__ = (Index("ix_hotlist_error_flags_key", "list_id", "exact_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hotlists.id", ondelete="CASCADE"))
    exact_key: Mapped[str] = mapped_column(String(16))
    plate: Mapped[str] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(4))
    source_record_id: Mapped[str | None] = mapped_column(String(40))
    entry_id: Mapped[int] = mapped_column(Integer)  # the entry flagged (gone after an import)
    flagged_by: Mapped[str] = mapped_column(String(128))
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CancellationNotice(Base):
    """The notice that a record is in error, to one webhook or e-mail address; an outbox
    row retried with backoff, so the flag is stored whether or not anyone is reachable."""

    __tablename__ = "hotlist_cancellation_notices"
    __table_args__ = (
        CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
        Index("ix_hotlist_cancellation_notices_due", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("hotlist_error_flags.id",
                                                    ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(500))  # webhook id or e-mail address
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
