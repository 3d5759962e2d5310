"""Capture ids past the retention period are dropped (nothing of a read outlives it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from alpr.capture.models import CaptureId


def prune_capture_ids(session: Session, *, before: datetime) -> int:
    """Delete the ids of reads captured before `before`; return how many went.

    Safe at the retention cutoff: ingest refuses reads that old, so a capture id there can
    no longer stop a duplicate (the purge and every capture call this)."""
    result = session.execute(delete(CaptureId).where(CaptureId.captured_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
