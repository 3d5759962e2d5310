"""The reads table. On PostgreSQL it is range-partitioned by day on captured_at."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class Read(Base):
    __tablename__ = "reads"
    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat"),
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon"),
        Index("ix_reads_plate_time", "plate_normalized", "captured_at"),
        Index("ix_reads_confusion_time", "plate_confusion", "captured_at"),
        Index("ix_reads_captured_at", "captured_at"),
        Index("ix_reads_location", "lat", "lon"),
        Index("ix_reads_camera_time", "camera_id", "captured_at"),
        {"postgresql_partition_by": "RANGE (captured_at)"},
    )

    # The source's UUID. The partition key must be part of the primary key on PostgreSQL,
    # so the table's key is (id, captured_at); `read_ids` keeps the id itself unique.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    plate: Mapped[str] = mapped_column(String(32))
    plate_normalized: Mapped[str] = mapped_column(String(16))
    # Confusion-class key (O/0/D/Q, I/1/L/T, B/8 ...): confusion-aware search is equality.
    plate_confusion: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(8))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    # NULL only for a mobile unit's read with no GPS fix (location_source "none", REQ C2).
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # Where the location came from: camera (a fixed camera's position), device (sent with
    # the read), gps (interpolated on the unit's track), none (no fix); NULL: before 0013.
    location_source: Mapped[str | None] = mapped_column(String(8))
    heading: Mapped[float | None] = mapped_column(Float)
    plate_image: Mapped[str | None] = mapped_column(String(64))
    vehicle_image: Mapped[str | None] = mapped_column(String(64))
    vehicle_color: Mapped[str | None] = mapped_column(String(40))
    vehicle_make: Mapped[str | None] = mapped_column(String(40))
    vehicle_model: Mapped[str | None] = mapped_column(String(40))
    logically_deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # JSON: what the source sent that has no column here (unknown fields, a foreign
    # product's own record), size-limited; never a reason to refuse the read.
    source_extra: Mapped[str | None] = mapped_column(Text)


class ReadId(Base):
    """Every stored read's id, once: idempotency by the read id alone (REQ A1).

    `reads` is partitioned by day on PostgreSQL, so its primary key must include
    captured_at and cannot stop the same id arriving again with another time. This small
    unpartitioned table can: ingest claims the id here first (INSERT .. ON CONFLICT DO
    NOTHING) and stores the read only if the claim is new. Retention deletes a read's id
    together with the read.
    """

    __tablename__ = "read_ids"
    __table_args__ = (Index("ix_read_ids_captured_at", "captured_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Column order used by the bulk paths (COPY on PostgreSQL, executemany on SQLite).
READ_COLUMNS: tuple[str, ...] = tuple(column.name for column in Read.__table__.columns)


class ReadCorrection(Base):
    """A misread corrected by authorized staff (REQ A5): the original stays in `reads.plate`."""

    __tablename__ = "read_corrections"
    __table_args__ = (Index("ix_read_corrections_read", "read_id", "read_captured_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    read_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    read_captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    original_plate: Mapped[str] = mapped_column(String(16))
    corrected_plate: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(128))
    corrected_at: Mapped[datetime] = mapped_column(UtcDateTime)
