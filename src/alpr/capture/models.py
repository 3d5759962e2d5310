"""Stable ids of captured reads: a file or stream moment is stored once, whatever its time.

`reads` is keyed by (id, captured_at) because PostgreSQL partitions it by day, so the same
read id with another capture time (the same video ingested again with another --start, or
a copy with a new file time) would be stored twice. This table holds each captured read's
id alone: claiming it first makes a second capture of the same source a duplicate.
It holds no plate, image or place: only the id and when the read was made.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class CaptureId(Base):
    __tablename__ = "capture_ids"
    __table_args__ = (Index("ix_capture_ids_captured_at", "captured_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # the read's id
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
