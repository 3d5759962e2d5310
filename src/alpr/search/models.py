"""Command approvals to see logically deleted reads (REQ Q7, R2).

A System Administrator asks (for one plate, naming a listed offense or a court order); a
different person holding the commander role approves; the approval then opens that plate's
deleted reads to that administrator alone until it expires (policy, default 24 h).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, UtcDateTime


class ApprovalStatus(StrEnum):
    PENDING = "pending"  # asked, waiting for a commander
    APPROVED = "approved"
    REFUSED = "refused"
    VOID = "void"  # recorded before approvals were bound to a plate: never usable


class DeletedReadApproval(Base):
    __tablename__ = "deleted_read_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requested_by: Mapped[str] = mapped_column(String(128))  # the System Administrator
    approved_by: Mapped[str | None] = mapped_column(String(128))  # the commander
    offense: Mapped[str | None] = mapped_column(String(200))  # from the policy's list
    court_order: Mapped[str | None] = mapped_column(String(200))
    case_number: Mapped[str] = mapped_column(String(40))
    plate: Mapped[str | None] = mapped_column(String(16))  # normalized; the only plate opened
    status: Mapped[str] = mapped_column(String(10), default=ApprovalStatus.PENDING.value)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
