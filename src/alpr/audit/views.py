"""Audit log access for Auditors: filter, page, export (JSON Lines, CSV), verify, prove.
Reading it is audited too. The signed tree heads and consistency proofs are public
(`/transparency/audit-heads.json`): they hold hashes only, no entry content."""

from __future__ import annotations

import io
import json
from datetime import datetime
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import HTMLResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alpr.api.deps import Principal, public, require
from alpr.api.inputs import DB_INT_MAX
from alpr.audit import heads
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.export import write_rows
from alpr.audit.keys import public_key_pem
from alpr.audit.merkle import ProofError
from alpr.audit.models import AuditEntry
from alpr.audit.service import record, verify_chain
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
transparency_router = APIRouter(prefix="/transparency", tags=["transparency"])
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
        rows = [e for e in rows if plate in json.dumps(e.details).upper()]
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


def _export(principal: Principal, filters: Filters, fmt: str) -> str:
    with unit_of_work() as session:
        rows = entries(session, filters, limit=1_000_000)
        buffer = io.StringIO(newline="")
        write_rows(rows, buffer, fmt)
        _record_access(session, principal, filters, len(rows), fmt)
    return buffer.getvalue()


@router.get("/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export(principal: Auditor, filters: Annotated[Filters, Query()]) -> Response:
    """The filtered log as CSV; the details column holds JSON."""
    return Response(_export(principal, filters, "csv"), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@router.get("/export.jsonl", response_class=Response,
            responses={200: {"content": {"application/jsonl": {}}}})
def export_jsonl(principal: Auditor, filters: Annotated[Filters, Query()]) -> Response:
    """The filtered log as JSON Lines, one entry per line."""
    return Response(_export(principal, filters, "jsonl"), media_type="application/jsonl",
                    headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})


@router.get("/verify")
def verify(principal: Auditor) -> dict[str, Any]:
    """Walk the keyed chain and check the log against every published and witnessed head."""
    with unit_of_work() as session:
        report = verify_chain(session)
        problems = heads.full_verify(session)
    with unit_of_work() as session:
        record(session, event=AuditEvent.AUDIT_VERIFY, actor=principal.actor,
               outcome=Outcome.FAILURE if problems else Outcome.SUCCESS,
               details={"checked": report.checked, "broken_id": report.broken_id,
                        "problems": problems[:20]})
    return {"ok": not problems, "checked": report.checked, "broken_id": report.broken_id,
            "reason": report.reason, "problems": problems}


@router.get("/proof/{entry_id}")
def proof(principal: Auditor, entry_id: Annotated[int, Path(ge=1, le=2**62)]
          ) -> dict[str, Any]:
    """An inclusion proof of one entry in the newest published tree head."""
    try:
        with unit_of_work() as session:
            found = heads.inclusion(session, entry_id)
            record(session, event=AuditEvent.AUDIT_QUERY, actor=principal.actor,
                   details={"proof_of": entry_id, "tree_size": found["head"]["tree_size"]})
    except ProofError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return found


def _heads_document() -> dict[str, Any]:
    with unit_of_work() as session:
        published = [heads.head_document(h) for h in heads.published(session)]
    return {"log": heads.LOG_NAME, "public_key": public_key_pem(), "heads": published,
            "leaf_hash": "SHA-256(0x00 || entry)", "node_hash": "SHA-256(0x01 || left || right)",
            "signed_message": "canonical JSON of {log, log_id, root_hash, timestamp,"
            " tree_size} (sorted keys, no spaces), Ed25519"}


@transparency_router.get("/audit-heads.json", dependencies=[Depends(public)])
def heads_json() -> dict[str, Any]:
    """Every signed tree head of the audit log and the key that signs them (public)."""
    return _heads_document()


@transparency_router.get("/audit-key.pem", dependencies=[Depends(public)],
                         response_class=Response,
                         responses={200: {"content": {"application/x-pem-file": {}}}})
def heads_key() -> Response:
    return Response(public_key_pem(), media_type="application/x-pem-file")


@transparency_router.get("/audit-consistency", dependencies=[Depends(public)])
def consistency(first: Annotated[int, Query(ge=0, le=2**62)],
                second: Annotated[int, Query(ge=0, le=2**62)]) -> dict[str, Any]:
    """A consistency proof between two published heads (hashes only: public)."""
    try:
        with unit_of_work() as session:
            return heads.consistency(session, first, second)
    except ProofError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@transparency_router.get("/audit-heads", dependencies=[Depends(public)],
                         response_class=HTMLResponse)
def heads_page() -> HTMLResponse:
    """The signed tree heads as a page, with how to check them."""
    document = _heads_document()
    rows = "".join(f"<tr><td>{h['timestamp']}</td><td>{h['tree_size']}</td>"
                   f"<td><code>{h['root_hash']}</code></td></tr>"
                   for h in reversed(document["heads"]))
    body = (f"<h1>Audit log: signed tree heads</h1><p>Published at least hourly. Check them"
            f" with the public key below and the steps in docs/audit.md; the same data as"
            f" <a href='/transparency/audit-heads.json'>JSON</a>.</p>"
            f"<pre>{escape(document['public_key'])}</pre><table><tr><th>Signed at</th>"
            f"<th>Entries</th><th>Root</th></tr>{rows}</table>")
    return HTMLResponse(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                        f"<title>Audit tree heads</title></head><body>{body}</body></html>")
