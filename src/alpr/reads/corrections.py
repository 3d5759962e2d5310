"""Correcting a misread (REQ A5): authorized staff fix the plate, the original is kept.

The stored characters as read (`reads.plate`) never change; the normalized plate that
search and matching use takes the correction, each correction is a row of its own, the
change is audited, and the corrected plate is compared with the hot lists at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.hotlists.alerts import raise_alerts
from alpr.hotlists.models import Alert
from alpr.reads.models import Read, ReadCorrection
from alpr.reads.plates import PlateError, confusion_key, exact_key, normalize_plate
from alpr.reads.storage import stored_capture_time


class CorrectionError(ValueError):
    """A correction that cannot be made; the message says why."""


@dataclass(frozen=True)
class Corrected:
    correction: ReadCorrection
    alerts: list[Alert]


def correct_read(
    session: Session, *, read_id: uuid.UUID, plate: str, reason: str, actor: str,
    now: datetime | None = None,
) -> Corrected:
    now = now or utcnow()
    if len(reason.strip()) < 5:
        raise CorrectionError("say why the plate is corrected (at least 5 characters)")
    try:
        corrected = normalize_plate(plate)
    except PlateError as error:
        raise CorrectionError(f"plate: {error}") from error
    read = session.execute(
        select(Read.id, Read.captured_at, Read.plate_normalized, Read.camera_id)
        .where(Read.id == read_id, Read.captured_at == stored_capture_time(session, read_id))
    ).one_or_none()
    if read is None:
        raise CorrectionError(f"no read {read_id}")
    if read.plate_normalized == corrected:
        raise CorrectionError(f"the read already says {corrected}")
    session.execute(
        update(Read).where(Read.id == read_id, Read.captured_at == read.captured_at)
        .values(plate_normalized=corrected, plate_confusion=confusion_key(exact_key(corrected)))
    )
    correction = ReadCorrection(
        read_id=read_id, read_captured_at=read.captured_at, original_plate=read.plate_normalized,
        corrected_plate=corrected, reason=reason.strip(), corrected_by=actor, corrected_at=now)
    session.add(correction)
    session.flush()
    record(session, event=AuditEvent.READ_CORRECT, actor=actor, now=now, details={
        "read_id": str(read_id), "from": read.plate_normalized, "to": corrected,
        "reason": correction.reason})
    row = {"id": read_id, "captured_at": read.captured_at, "camera_id": read.camera_id,
           "plate_normalized": corrected}
    return Corrected(correction, raise_alerts(session, [row], now=now))
