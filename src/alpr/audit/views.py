"""Audit log access for Auditors: filter, page, export as CSV. Reading it is audited too."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alpr.api.deps import Principal, require
from alpr.api.inputs import DB_INT_MAX
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.audit.service import record, verify_chain
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))]


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    event: str
    actor: str
    organization: str | None
    outcome: str
    source: str | None
    purpose: str | None
    details: dict[str, Any]
    hash: str


class Filters(BaseModel):
    actor: str | None = None
    event: str | None = None
    plate: str | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


def _query(filters: Filters) -> Select[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if filters.actor:
        statement = statement.where(AuditEntry.actor == filters.actor)
    if filters.event:
        statement = statement.where(AuditEntry.event == filters.event)
    if filters.since:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until:
        statement = statement.where(AuditEntry.at < filters.until)
    return statement


def entries(session: Session, filters: Filters, *, limit: int, offset: int = 0
            ) -> list[AuditEntry]:
    rows = list(session.scalars(_query(filters)))
    if filters.plate:  # plates sit in the JSON details; filtered here, the same on both DBs
        plate = filters.plate.upper()
        rows = [e for e in rows if plate in str(e.details).upper()]
    return rows[offset : offset + limit]


def _record_access(session: Session, principal: Principal, filters: Filters, shown: int,
                   fmt: str) -> None:
    record(session, event=AuditEvent.AUDIT_QUERY, actor=principal.actor,
           organization=principal.organization, details={
               **filters.model_dump(mode="json", exclude_none=True), "shown": shown,
               "format": fmt})


@router.get("")
def list_entries(principal: Auditor, filters: Annotated[Filters, Query()],
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                 offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0) -> list[EntryOut]:
    with unit_of_work() as session:
        rows = [EntryOut.model_validate(e) for e in entries(session, filters, limit=limit,
                                                            offset=offset)]
        _record_access(session, principal, filters, len(rows), "json")
    return rows


@router.get("/export.csv")
def export(principal: Auditor, filters: Annotated[Filters, Query()]) -> Response:
    with unit_of_work() as session:
        rows = entries(session, filters, limit=1_000_000)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "at", "event", "actor", "organization", "outcome", "source",
                         "purpose", "details", "hash"])
        for e in rows:
            writer.writerow([e.id, e.at.isoformat(), e.event, e.actor, e.organization,
                             e.outcome, e.source, e.purpose, e.details, e.hash])
        _record_access(session, principal, filters, len(rows), "csv")
    return Response(buffer.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@router.get("/verify")
def verify(principal: Auditor) -> dict[str, Any]:
    """Walk the hash chain; name the first broken entry."""
    with unit_of_work() as session:
        report = verify_chain(session)
        record(session, event=AuditEvent.AUDIT_VERIFY, actor=principal.actor,
               details={"checked": report.checked, "broken_id": report.broken_id})
    return {"ok": report.ok, "checked": report.checked, "broken_id": report.broken_id,
            "reason": report.reason}
