"""Integration state kept in the database (no process holds it: several may run)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class IntegrationCursor(Base):
    """How far a publisher got: the (time, id) of the last alert it sent."""

    __tablename__ = "integration_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ref: Mapped[str | None] = mapped_column(String(64))
