"""Recorded approvals to see logically deleted reads (REQ Q7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class DeletedReadApproval(Base):
    __tablename__ = "deleted_read_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requested_by: Mapped[str] = mapped_column(String(128))  # requesting commander
    approved_by: Mapped[str] = mapped_column(String(128))  # approving commander
    offense: Mapped[str | None] = mapped_column(String(200))  # from the policy's list
    court_order: Mapped[str | None] = mapped_column(String(200))
    case_number: Mapped[str] = mapped_column(String(40))
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
