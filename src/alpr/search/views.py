"""Search API: purpose required on every search and every read or image view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.api.deps import ImagesDep, PolicyDep, Principal, require, unprocessable
from alpr.api.paging import EVERYTHING, PageDep
from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.models import Camera
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.reads.images import ImageStore
from alpr.search import deleted_access, report, service
from alpr.search.purpose import Purpose, PurposeIn, PurposeRefused, validate_purpose
from alpr.search.schemas import (
    ApprovalDecisionIn,
    ApprovalIn,
    ApprovalOut,
    ReadOut,
    SearchIn,
    SearchOut,
)
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1", tags=["search"])
Searcher = Annotated[Principal, Depends(require(Permission.READS_SEARCH))]
DeletedViewer = Annotated[Principal, Depends(require(Permission.READS_VIEW_LOGICALLY_DELETED))]
Commander = Annotated[Principal, Depends(require(Permission.READS_APPROVE_DELETED_ACCESS))]


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: PurposeIn
    deleted_approval_id: int | None = Field(
        default=None, description="Command approval opening this plate's deleted reads (Q7)")


def caller(principal: Principal) -> service.Caller:
    return service.Caller(principal.actor, principal.organization,
                          Permission.READS_VIEW_LOGICALLY_DELETED in principal.permissions)


def record_refusal(*, actor: str, organization: str | None, path: str, error: Exception,
                   attempted: Any) -> None:
    """Audit a refused search, view or export with what was attempted (the purpose text,
    the plate, the query) and the rule that refused it, in its own transaction: the
    refusal is kept although the access never happened."""
    rule = error.details() if isinstance(error, PurposeRefused) else {
        "rule": getattr(error, "rule", None)}
    with unit_of_work() as session:
        record(session, event=AuditEvent.SEARCH_REFUSED, actor=actor,
               outcome=Outcome.DENIED, organization=organization,
               details={"path": path, "reason": str(error), "request": attempted} | rule)


def refuse(request: Request, principal: Principal, error: Exception, given: Any) -> HTTPException:
    """Refused searches are audited too: an auditor sees who tried what."""
    record_refusal(actor=principal.actor, organization=principal.organization,
                   path=request.url.path, error=error, attempted=given)
    return unprocessable(error)


@router.post("/searches", response_model=None, responses={
    200: {"content": {"text/csv": {}, "application/pdf": {}},
          "description": "JSON, GeoJSON, CSV, or a PDF case report with the images"}})
def search(
    body: SearchIn, request: Request, principal: Searcher, policy: PolicyDep,
    images: ImagesDep,
    fmt: Annotated[str, Query(alias="format", pattern="^(json|geojson|csv|pdf)$")] = "json",
) -> SearchOut | dict[str, Any] | Response:
    """Reads matching the query, for a stated and validated purpose; as a CSV or a PDF case
    report (the images in it are each audited as an image view)."""
    try:
        purpose = validate_purpose(body.purpose, policy=policy)
        with unit_of_work() as session:
            found = service.search(session, query=body.query, purpose=purpose,
                                   caller=caller(principal), policy=policy, now=utcnow(),
                                   deleted_approval_id=body.deleted_approval_id)
            if fmt in ("csv", "pdf"):
                return case_file(session, fmt, found, purpose, principal, images,
                                 page=body.query.page,
                                 deleted_approval_id=body.deleted_approval_id)
    except (PurposeRefused, service.SearchError) as error:
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error
    if fmt == "geojson":
        return geojson(found.reads)
    return SearchOut(results=found.reads, page=body.query.page, has_more=found.has_more,
                     total=found.total, audit_id=found.audit_id)


def case_file(session: Session, fmt: str, found: service.SearchResult, purpose: Purpose,
              principal: Principal, images: ImageStore, *, page: int,
              deleted_approval_id: int | None = None) -> Response:
    """The search's results as a CSV, or a PDF case report a prosecutor can read."""
    cameras = {row.id: row.name for row in session.execute(select(Camera.id, Camera.name))}
    name = f"alpr-search-{found.audit_id}"
    if fmt == "csv":
        return Response(report.to_csv(found.reads, cameras), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    def image(read: ReadOut, kind: str) -> bytes | None:
        _, data = service.view_read(session, read_id=read.id, purpose=purpose,
                                    caller=caller(principal), now=utcnow(), image=kind,
                                    images=images, deleted_approval_id=deleted_approval_id)
        return data

    header = report.CaseHeader(
        title=f"ALPR search report — {purpose.case_number or purpose.label}",
        facts=[("Purpose", purpose.summary()), ("Case number", purpose.case_number or "—"),
               ("Done for", purpose.on_behalf_of or "—"),
               ("Run by", f"{principal.actor} ({principal.organization or 'no agency'})"),
               ("Audit entry", f"{found.audit_id} (the search, with its query and purpose)"),
               ("Results", f"{len(found.reads)} of {found.total} on page {page}")])
    body = report.to_pdf(header, found.reads, cameras, images=image, generated_at=utcnow())
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


def geojson(reads: list[ReadOut]) -> dict[str, Any]:
    """Map-ready results: one Point feature per read ([lon, lat], as GeoJSON wants)."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None if r.lat is None or r.lon is None
         else {"type": "Point", "coordinates": [r.lon, r.lat]},
         "properties": r.model_dump(mode="json", exclude={"lat", "lon"})} for r in reads]}


@router.post("/reads/{read_id}/view")
def view(read_id: uuid.UUID, body: ViewIn, request: Request, principal: Searcher,
         policy: PolicyDep) -> ReadOut:
    try:
        purpose = validate_purpose(body.purpose, policy=policy)
        with unit_of_work() as session:
            read, _ = service.view_read(session, read_id=read_id, purpose=purpose,
                                        caller=caller(principal), now=utcnow(),
                                        deleted_approval_id=body.deleted_approval_id)
    except (PurposeRefused, service.SearchError) as error:
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error
    return read


@router.post("/reads/{read_id}/images/{kind}")
def image(read_id: uuid.UUID, kind: str, body: ViewIn, request: Request, principal: Searcher,
          policy: PolicyDep, images: ImagesDep) -> Response:
    """The plate or vehicle image of a read (JPEG/PNG/WebP as stored)."""
    if kind not in ("plate", "vehicle"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "image kind is plate or vehicle")
    try:
        purpose = validate_purpose(body.purpose, policy=policy)
        with unit_of_work() as session:
            _, data = service.view_read(session, read_id=read_id, purpose=purpose,
                                        caller=caller(principal), now=utcnow(), image=kind,
                                        images=images,
                                        deleted_approval_id=body.deleted_approval_id)
    except (PurposeRefused, service.SearchError) as error:
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error
    assert data is not None
    return Response(data, media_type=_media_type(data),
                    headers={"Cache-Control": "no-store"})


def _media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


@router.post("/searches/deleted-approvals", status_code=status.HTTP_201_CREATED)
def request_deleted_access(body: ApprovalIn, request: Request, principal: DeletedViewer,
                           policy: PolicyDep) -> ApprovalOut:
    """A System Administrator asks to see one plate's logically deleted reads; a commander
    decides (REQ Q7, R2)."""
    try:
        with unit_of_work() as session:
            row = deleted_access.request_approval(
                session, actor=principal.actor, organization=principal.organization,
                may_see_deleted=caller(principal).may_see_deleted, plate=body.plate,
                case_number=body.case_number, offense=body.offense,
                court_order=body.court_order, policy=policy, now=utcnow())
            return ApprovalOut.model_validate(row)
    except deleted_access.DeletedAccessRefused as error:
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error


@router.post("/searches/deleted-approvals/{approval_id}/decision")
def decide_deleted_access(approval_id: int, body: ApprovalDecisionIn, request: Request,
                          principal: Commander, policy: PolicyDep) -> ApprovalOut:
    """A commander who is not the requester approves or refuses; approved, it lasts the
    policy's `deleted_access_approval_lifetime` (default 24 h) for that plate only."""
    try:
        with unit_of_work() as session:
            row = deleted_access.decide_approval(
                session, approval_id=approval_id, approve=body.approve, actor=principal.actor,
                organization=principal.organization, policy=policy, now=utcnow())
            return ApprovalOut.model_validate(row)
    except deleted_access.DeletedAccessRefused as error:
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error


@router.get("/searches/deleted-approvals")
def list_deleted_access(principal: Commander, page: PageDep = EVERYTHING
                        ) -> list[ApprovalOut]:
    """Every request and decision, newest first: the commanders' queue."""
    return page.of(_approvals(principal, None))


@router.get("/searches/deleted-approvals/mine")
def my_deleted_access(principal: DeletedViewer, page: PageDep = EVERYTHING
                      ) -> list[ApprovalOut]:
    """The System Administrator's own requests and their decisions."""
    return page.of(_approvals(principal, principal.actor))


def _approvals(principal: Principal, requested_by: str | None) -> list[ApprovalOut]:
    with unit_of_work() as session:
        rows = [ApprovalOut.model_validate(r) for r in
                deleted_access.approvals(session, requested_by=requested_by)]
        record(session, event=AuditEvent.SEARCH_DELETED_APPROVAL, actor=principal.actor,
               organization=principal.organization, details={"step": "list",
                                                             "shown": len(rows)})
        return rows
