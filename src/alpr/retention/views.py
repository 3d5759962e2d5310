"""Holds and evidence exports over HTTP: the same services and permissions as the CLI.

Anyone who may search may ask for a hold or package evidence (an audited access with a
purpose); approving, re-verifying and releasing holds, and the record of downloads, need
retention:manage (REQ R3–R7).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response

from alpr.api.deps import PolicyDep, Principal, require, unprocessable
from alpr.api.paging import EVERYTHING, PageDep
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.policy import Policy
from alpr.reads.plates import normalize_plate
from alpr.retention import evidence, holds
from alpr.retention.models import Download, Hold
from alpr.retention.schemas import DownloadOut, ExportIn, HoldIn, HoldOut, ReleaseIn
from alpr.search import service as search_service
from alpr.search.purpose import PurposeRefused, validate_purpose
from alpr.search.views import caller, refuse
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/retention", tags=["retention"])
Manager = Annotated[Principal, Depends(require(Permission.RETENTION_MANAGE))]
Searcher = Annotated[Principal, Depends(require(Permission.READS_SEARCH))]


def hold_out(hold: Hold, reads: int, policy: Policy) -> HoldOut:
    out = HoldOut.model_validate(hold)
    out.reads, out.review_due = reads, holds.review_due(hold, policy)
    return out


def list_holds(policy: Policy) -> list[HoldOut]:
    with unit_of_work() as session:
        return [hold_out(hold, count, policy) for hold, count in holds.all_holds(session)]


def list_downloads(*, overdue_only: bool = False) -> list[DownloadOut]:
    now = utcnow()
    with unit_of_work() as session:
        rows = evidence.overdue_downloads(session, now=now) if overdue_only else \
            evidence.all_downloads(session)
        return [_download_out(d, now) for d in rows]


def _download_out(download: Download, now: datetime) -> DownloadOut:
    out = DownloadOut.model_validate(download)
    out.overdue = evidence.is_overdue(download, now)
    return out


@router.get("/holds")
def get_holds(_: Manager, policy: PolicyDep, page: PageDep = EVERYTHING) -> list[HoldOut]:
    """Every hold with its status, reads and re-verification deadline."""
    return page.of(list_holds(policy))


@router.post("/holds", status_code=status.HTTP_201_CREATED)
def request_hold(body: HoldIn, principal: Searcher, policy: PolicyDep) -> HoldOut:
    """Ask for a hold on reads by id, or by plate and time window; a supervisor approves."""
    now = utcnow()
    try:
        with unit_of_work() as session:
            access = search_service.access_for(session, caller(principal),
                                               body.deleted_approval_id, now)
            ids = list(body.read_ids)
            if body.plate:
                if body.since is None or body.until is None:
                    raise holds.HoldError("a hold by plate needs since and until")
                ids += holds.reads_of_plate(session, plate=normalize_plate(body.plate),
                                            since=body.since, until=body.until, access=access)
            elif body.since or body.until:
                raise holds.HoldError("a time window needs the plate")
            hold = holds.request_hold(
                session, read_ids=ids, case_number=body.case_number, reason=body.reason,
                details=body.details, investigator_contact=body.investigator_contact,
                actor=principal.actor, now=now, access=access)
            # The reads actually held: never a count of reads the caller may not see.
            return hold_out(hold, holds.read_count(session, hold.id), policy)
    except (holds.HoldError, search_service.SearchError) as error:
        raise unprocessable(error) from error


@router.post("/holds/{hold_id}/approve")
def approve_hold(hold_id: int, principal: Manager, policy: PolicyDep) -> HoldOut:
    """Supervisor approval (not the requester): the reads now survive every purge (REQ R4)."""
    return _act(hold_id, principal, policy, holds.approve_hold)


@router.post("/holds/{hold_id}/review")
def review_hold(hold_id: int, principal: Manager, policy: PolicyDep) -> HoldOut:
    """Re-verify that the hold is still needed (REQ R5)."""
    return _act(hold_id, principal, policy, holds.review_hold)


@router.post("/holds/{hold_id}/release")
def release_hold(hold_id: int, body: ReleaseIn, principal: Manager, policy: PolicyDep
                 ) -> HoldOut:
    """Release a hold: its reads follow the normal retention again."""
    try:
        with unit_of_work() as session:
            hold = holds.release_hold(session, hold_id=hold_id, actor=principal.actor,
                                      reason=body.reason, now=utcnow())
            return hold_out(hold, holds.read_count(session, hold.id), policy)
    except holds.HoldError as error:
        raise unprocessable(error) from error


def _act(hold_id: int, principal: Principal, policy: Policy, action: holds.HoldAction
         ) -> HoldOut:
    try:
        with unit_of_work() as session:
            hold = action(session, hold_id=hold_id, actor=principal.actor, now=utcnow())
            return hold_out(hold, holds.read_count(session, hold.id), policy)
    except holds.HoldError as error:
        raise unprocessable(error) from error


@router.get("/downloads")
def get_downloads(_: Manager, overdue: bool = False, page: PageDep = EVERYTHING
                  ) -> list[DownloadOut]:
    """Data that left the system and its destruction deadline; `overdue` for late ones (R7)."""
    return page.of(list_downloads(overdue_only=overdue))


@router.post("/downloads/{download_id}/destroyed")
def record_destroyed(download_id: int, principal: Manager) -> DownloadOut:
    """Record that an exported copy was destroyed."""
    try:
        with unit_of_work() as session:
            download = evidence.record_destroyed(session, download_id=download_id,
                                                 actor=principal.actor, now=utcnow())
            return _download_out(download, utcnow())
    except evidence.EvidenceError as error:
        raise unprocessable(error) from error


@router.post("/exports")
def export(body: ExportIn, request: Request, principal: Searcher, policy: PolicyDep
           ) -> Response:
    """An evidence package (zip: reads, images, signed manifest), recorded as a download."""
    try:
        purpose = validate_purpose(body.purpose, policy=policy)
    except PurposeRefused as error:  # audited like a refused search
        raise refuse(request, principal, error, body.model_dump(mode="json")) from error
    settings = request.app.state.settings
    try:
        with unit_of_work() as session:
            now = utcnow()
            access = search_service.access_for(session, caller(principal),
                                               body.deleted_approval_id, now)
            data, download = evidence.export_package(
                session, read_ids=body.read_ids, purpose=purpose, actor=principal.actor,
                organization=principal.organization, images=request.app.state.images,
                key=evidence.evidence_key(settings.data_dir), policy=policy, now=now,
                access=access)
            headers = {"Content-Disposition":
                       f'attachment; filename="evidence-{download.id}.zip"',
                       "X-Download-Id": str(download.id), "X-SHA256": download.sha256}
            if download.destroy_by is not None:
                headers["X-Destroy-By"] = download.destroy_by.isoformat()
    except (evidence.EvidenceError, search_service.SearchError) as error:
        raise unprocessable(error) from error
    return Response(data, media_type="application/zip", headers=headers)
