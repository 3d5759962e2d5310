"""The cameras table, and what hangs off it: masks, masked counts, tickets, inspections,
GPS tracks, heartbeat history, held hits and ticket notices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class CameraKind(StrEnum):
    FIXED = "fixed"
    MOBILE = "mobile"


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (
        CheckConstraint("kind IN ('fixed', 'mobile')", name="kind"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon"),
        CheckConstraint(
            "field_of_view IS NULL OR (field_of_view > 0 AND field_of_view <= 360)",
            name="field_of_view",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Only a SHA-256 of the key is kept; the key itself is shown once, when issued.
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    field_of_view: Mapped[float | None] = mapped_column(Float)  # degrees
    vehicle: Mapped[str | None] = mapped_column(String(64))  # a mobile unit's patrol car
    # JSON list of usernames who may administer this camera; NULL: any System Administrator.
    administrators: Mapped[str | None] = mapped_column(Text)
    # Silent (REQ C6) after this long without a heartbeat or a read; NULL: the default.
    silent_after_s: Mapped[int | None] = mapped_column(Integer)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_heartbeat: Mapped[str | None] = mapped_column(Text)  # JSON: the metrics it sent
    last_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MaskKind(StrEnum):
    IMAGE = "image"  # a polygon in image coordinates (pixels) of one camera
    GEO = "geo"  # a polygon of [lat, lon] points: an exclusion zone for mobile units


class TicketStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PrivacyMask(Base):
    """One version of a privacy mask or exclusion zone (REQ C4).

    A change never edits a row: it supersedes the current version (`superseded_at`) and
    adds the next one, so every version that was ever in force is kept. `camera_id` is
    NULL for an agency-wide exclusion zone.
    """

    __tablename__ = "camera_masks"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'geo')", name="kind"),
        UniqueConstraint("name", "version", name="name_version"),
        Index("ix_camera_masks_current", "camera_id", "superseded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    camera_id: Mapped[str | None] = mapped_column(ForeignKey("cameras.id"))
    agency: Mapped[str] = mapped_column(String(200))
    polygon: Mapped[str | None] = mapped_column(Text)  # JSON; NULL: the mask was removed
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MaskedReadCount(Base):
    """How many reads a camera's masks dropped on a day: counted, never stored (REQ C4)."""

    __tablename__ = "camera_masked_counts"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class TroubleTicket(Base):
    """An inoperable or silent unit, open until someone records the repair (REQ C6)."""

    __tablename__ = "camera_tickets"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_camera_tickets_camera_status", "camera_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8))
    opened_by: Mapped[str] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)


class Inspection(Base):
    """A start-of-shift inspection of a unit (REQ C6, 001 §2.455.25)."""

    __tablename__ = "camera_inspections"
    __table_args__ = (Index("ix_camera_inspections_camera_time", "camera_id", "inspected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    inspected_by: Mapped[str] = mapped_column(String(128))
    inspected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checklist: Mapped[str] = mapped_column(Text)  # JSON: {item: true/false}
    ok: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("camera_tickets.id"))


class GpsPoint(Base):
    """One fix of a mobile unit's GPS track (REQ C2): reads without a location of their own
    are placed on the track by interpolation. A replayed fix is stored once."""

    __tablename__ = "camera_gps_points"
    __table_args__ = (
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon"),
    )

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"), primary_key=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(8))  # nmea, gpx, device
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Heartbeat(Base):
    """A camera's heartbeat history (REQ C6), kept for a bounded time: the trailing read
    rate and hot-list currency are judged from it."""

    __tablename__ = "camera_heartbeats"
    __table_args__ = (Index("ix_camera_heartbeats_camera_time", "camera_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    frames_per_second: Mapped[float | None] = mapped_column(Float)
    reads_per_hour: Mapped[float | None] = mapped_column(Float)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    disk_free_percent: Mapped[float | None] = mapped_column(Float)
    hotlist_version: Mapped[str | None] = mapped_column(String(64))
    # Whether that version was the current hot-list revision when the heartbeat arrived.
    hotlist_current: Mapped[bool | None] = mapped_column(Boolean)


class HeldHit(Base):
    """A hot-list hit of a mobile unit not yet inspected this shift (REQ C6): no alert goes
    to patrol; the inspection releases the shift's held hits as alerts."""

    __tablename__ = "camera_held_hits"
    __table_args__ = (Index("ix_camera_held_hits_camera", "camera_id", "released_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    read_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    read_captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    plate: Mapped[str] = mapped_column(String(16))
    alternatives: Mapped[str | None] = mapped_column(Text)  # JSON list of other readings
    entry_ids: Mapped[str] = mapped_column(Text)  # JSON: the entries it hit when held
    held_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("camera_inspections.id"))


class TicketNotice(Base):
    """One notification of a ticket opened or closed, to one webhook or e-mail address;
    an outbox row, retried with backoff, so a failed delivery never loses the ticket."""

    __tablename__ = "camera_ticket_notices"
    __table_args__ = (
        CheckConstraint("channel IN ('webhook', 'email')", name="channel"),
        Index("ix_camera_ticket_notices_due", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("camera_tickets.id"))
    event: Mapped[str] = mapped_column(String(16))  # opened, closed
    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(500))  # webhook id or e-mail address
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class CameraKey(Base):
    """A key issued to a camera (REQ C7): the current one (`valid_until` NULL) and the
    rotated ones, each valid until its grace period ends. Only the SHA-256 is kept."""

    __tablename__ = "camera_keys"
    __table_args__ = (Index("ix_camera_keys_camera", "camera_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(128))
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # set by a rotation
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CameraLink(Base):
    """A foreign source's name for a camera, mapped to the alpr camera it is: an OpenALPR
    agent's camera ("AGENT01/4711"), a Plate Recognizer camera_id, a Frigate camera."""

    __tablename__ = "camera_links"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
