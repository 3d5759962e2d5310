"""Audit export as JSON Lines or CSV; the CSV `details` column is JSON, never Python repr."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.models import AuditEntry

FORMATS = ("jsonl", "csv")
COLUMNS = ("id", "at", "event", "actor", "organization", "outcome", "source", "user_agent",
           "device", "purpose", "details", "prev_hash", "hash")


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "event": entry.event,
            "actor": entry.actor, "organization": entry.organization,
            "outcome": entry.outcome, "source": entry.source, "user_agent": entry.user_agent,
            "device": entry.device, "purpose": entry.purpose, "details": entry.details,
            "prev_hash": entry.prev_hash, "hash": entry.hash}


def write_rows(entries: Iterable[AuditEntry], out: TextIO, fmt: str) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for entry in entries:
            row = entry_row(entry)
            row["details"] = json.dumps(row["details"], sort_keys=True, ensure_ascii=False)
            writer.writerow([row[c] for c in COLUMNS])
            count += 1
    else:
        for entry in entries:
            out.write(json.dumps(entry_row(entry), sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_export(session: Session, out: TextIO, fmt: str) -> int:
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    return write_rows(session.scalars(query), out, fmt)
