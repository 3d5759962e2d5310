"""Holds: request, supervisor approval, periodic re-verification, release (REQ R3–R5)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.reads.models import Read
from alpr.retention.models import Hold, HoldRead, HoldReason, HoldStatus
from alpr.search.deleted_access import LIVE_ONLY, DeletedAccess


class HoldError(ValueError):
    """A hold request that cannot be honoured; the message says why."""


class HoldAction(Protocol):
    """approve_hold, review_hold: one step on one hold by one person."""

    def __call__(self, session: Session, *, hold_id: int, actor: str, now: datetime
                 ) -> Hold: ...


def request_hold(
    session: Session, *, read_ids: Sequence[uuid.UUID], case_number: str, reason: HoldReason,
    details: str, investigator_contact: str, actor: str, now: datetime,
    access: DeletedAccess = LIVE_ONLY,
) -> Hold:
    """A hold on the reads the caller may see (`access`: logically deleted reads only with a
    command approval for their plate, search.deleted_access); others are not held."""
    for label, value in (("case number", case_number), ("reason details", details),
                         ("investigator contact", investigator_contact)):
        if not value.strip():
            raise HoldError(f"a hold needs the {label}")
    reads = session.execute(select(Read.id, Read.captured_at).where(
        Read.id.in_(read_ids), access.condition())).all()
    if not reads:
        raise HoldError("none of these reads exist")
    hold = Hold(case_number=case_number.strip(), reason=reason.value, details=details.strip(),
                investigator_contact=investigator_contact.strip(), requested_by=actor,
                requested_at=now, status=HoldStatus.PENDING.value)
    session.add(hold)
    session.flush()
    session.add_all(HoldRead(hold_id=hold.id, read_id=r.id, read_captured_at=r.captured_at)
                    for r in reads)
    record(session, event=AuditEvent.HOLD_REQUEST, actor=actor, now=now, details={
        "hold_id": hold.id, "case_number": hold.case_number, "reason": hold.reason,
        "reads": len(reads)})
    return hold


def reads_of_plate(session: Session, *, plate: str, since: datetime, until: datetime,
                   access: DeletedAccess = LIVE_ONLY) -> list[uuid.UUID]:
    """The reads of one plate in a time window that the caller may see, for a hold by
    plate and time (REQ R3): never a logically deleted read without an approval."""
    return list(session.scalars(select(Read.id).where(
        Read.plate_normalized == plate, Read.captured_at >= since, Read.captured_at < until,
        access.condition())))


def all_holds(session: Session) -> list[tuple[Hold, int]]:
    """Every hold with the number of reads it covers, oldest first."""
    rows = session.execute(select(Hold, func.count(HoldRead.read_id)).outerjoin(HoldRead)
                           .group_by(Hold.id).order_by(Hold.id)).all()
    return [(hold, count) for hold, count in rows]


def read_count(session: Session, hold_id: int) -> int:
    return session.scalar(select(func.count()).where(HoldRead.hold_id == hold_id)) or 0


def review_due(hold: Hold, policy: Policy) -> datetime | None:
    """When an active hold is released unless re-verified (REQ R5); None if never."""
    every = policy.retention.hold_reverify_every
    if every is None or hold.status != HoldStatus.ACTIVE or hold.last_verified_at is None:
        return None
    return every.after(hold.last_verified_at)


def _hold(session: Session, hold_id: int) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise HoldError(f"no hold {hold_id}")
    return hold


def approve_hold(session: Session, *, hold_id: int, actor: str, now: datetime) -> Hold:
    """A supervisor approves; from now on the reads survive every purge (REQ R4)."""
    hold = _hold(session, hold_id)
    if hold.status != HoldStatus.PENDING:
        raise HoldError(f"hold {hold_id} is {hold.status}")
    if hold.requested_by == actor:
        raise HoldError("a supervisor other than the requester must approve the hold")
    hold.status, hold.approved_by, hold.approved_at = HoldStatus.ACTIVE.value, actor, now
    hold.last_verified_at = now
    record(session, event=AuditEvent.HOLD_APPROVE, actor=actor, now=now,
           details={"hold_id": hold_id, "case_number": hold.case_number})
    return hold


def review_hold(session: Session, *, hold_id: int, actor: str, now: datetime) -> Hold:
    """The investigator re-verifies the hold is still needed (REQ R5)."""
    hold = _hold(session, hold_id)
    if hold.status != HoldStatus.ACTIVE:
        raise HoldError(f"hold {hold_id} is {hold.status}")
    hold.last_verified_at = now
    record(session, event=AuditEvent.HOLD_REVIEW, actor=actor, now=now,
           details={"hold_id": hold_id, "case_number": hold.case_number})
    return hold


def release_hold(session: Session, *, hold_id: int, actor: str, reason: str, now: datetime
                 ) -> Hold:
    hold = _hold(session, hold_id)
    if hold.status == HoldStatus.RELEASED:
        raise HoldError(f"hold {hold_id} is already released")
    hold.status, hold.released_at, hold.release_reason = HoldStatus.RELEASED.value, now, reason
    record(session, event=AuditEvent.HOLD_RELEASE, actor=actor, now=now,
           details={"hold_id": hold_id, "case_number": hold.case_number, "reason": reason})
    return hold


def release_unverified(session: Session, *, policy: Policy, now: datetime) -> list[int]:
    """Release active holds whose re-verification is overdue (REQ R5)."""
    every = policy.retention.hold_reverify_every
    if every is None:
        return []
    released = []
    for hold in session.scalars(select(Hold).where(Hold.status == HoldStatus.ACTIVE)):
        if hold.last_verified_at and every.after(hold.last_verified_at) <= now:
            release_hold(session, hold_id=hold.id, actor="system:retention", now=now,
                         reason=f"not re-verified within {every}")
            released.append(hold.id)
    return released


def held_condition() -> ColumnElement[bool]:
    """SQL condition: this read is under an active hold."""
    return exists().where(HoldRead.read_id == Read.id,
                          HoldRead.read_captured_at == Read.captured_at,
                          HoldRead.hold_id == Hold.id, Hold.status == HoldStatus.ACTIVE.value)
