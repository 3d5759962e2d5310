"""Sharing API: agencies, agreements, share requests, public records, breach incidents.

Every route needs `sharing:manage`: sharing decisions belong to the ALPR Administrator.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from alpr.api.deps import ImagesDep, PolicyDep, Principal, require, unprocessable
from alpr.api.paging import EVERYTHING, PageDep
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.retention.evidence import evidence_key
from alpr.sharing import agencies, incidents, public_records, requests
from alpr.sharing.agencies import SharingError
from alpr.sharing.models import RequestStatus
from alpr.sharing.schemas import (
    AgencyIn,
    AgencyOut,
    AggregateIn,
    AgreementIn,
    AgreementOut,
    DecisionIn,
    ExportIn,
    IncidentIn,
    IncidentOut,
    PublicRecordsIn,
    PublicRecordsOut,
    ReportRow,
    ShareOut,
    ShareRequestIn,
    ShareRequestOut,
    TaskDone,
    TaskOut,
    TransferIn,
)
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])
Manager = Annotated[Principal, Depends(require(Permission.SHARING_MANAGE))]



@router.get("/agencies")
def list_agencies(_: Manager, page: PageDep = EVERYTHING) -> list[AgencyOut]:
    with unit_of_work() as session:
        return [AgencyOut.model_validate(a) for a in page.of(agencies.all_agencies(session))]


@router.post("/agencies", status_code=status.HTTP_201_CREATED)
def add_agency(body: AgencyIn, principal: Manager) -> AgencyOut:
    try:
        with unit_of_work() as session:
            return AgencyOut.model_validate(agencies.register_agency(
                session, name=body.name, kind=body.kind, jurisdiction=body.jurisdiction,
                contacts=body.contacts, actor=principal.actor, now=utcnow()))
    except SharingError as error:
        raise unprocessable(error) from error


@router.get("/agencies/{agency_id}/agreements")
def list_agreements(agency_id: int, _: Manager, page: PageDep = EVERYTHING
                    ) -> list[AgreementOut]:
    with unit_of_work() as session:
        return [AgreementOut.model_validate(a)
                for a in page.of(agencies.agreements(session, agency_id))]


@router.post("/agencies/{agency_id}/agreements", status_code=status.HTTP_201_CREATED)
def add_agreement(agency_id: int, body: AgreementIn, principal: Manager) -> AgreementOut:
    try:
        with unit_of_work() as session:
            return AgreementOut.model_validate(agencies.record_agreement(
                session, agency_id=agency_id, starts_at=body.starts_at, ends_at=body.ends_at,
                scope=body.scope, standing_access=body.standing_access, actor=principal.actor,
                now=utcnow()))
    except SharingError as error:
        raise unprocessable(error) from error


@router.get("/requests")
def list_requests(_: Manager, state: RequestStatus | None = None, page: PageDep = EVERYTHING
                  ) -> list[ShareRequestOut]:
    with unit_of_work() as session:
        return [ShareRequestOut.model_validate(r)
                for r in page.of(requests.all_requests(session, state))]


@router.post("/requests", status_code=status.HTTP_201_CREATED)
def submit_request(body: ShareRequestIn, principal: Manager, policy: PolicyDep
                   ) -> ShareRequestOut:
    """Record a request; one a rule forbids comes back with status `refused` and the rule."""
    try:
        with unit_of_work() as session:
            return ShareRequestOut.model_validate(requests.submit(
                session, given=body, actor=principal.actor, policy=policy, now=utcnow()))
    except SharingError as error:
        raise unprocessable(error) from error


@router.post("/requests/{request_id}/decision")
def decide(request_id: int, body: DecisionIn, principal: Manager, policy: PolicyDep
           ) -> ShareRequestOut:
    try:
        with unit_of_work() as session:
            return ShareRequestOut.model_validate(requests.decide(
                session, request_id=request_id, honor=body.honor, reason=body.reason,
                officer=principal.actor, policy=policy, now=utcnow()))
    except SharingError as error:
        raise unprocessable(error) from error


@router.post("/requests/{request_id}/export")
def export(request_id: int, body: ExportIn, principal: Manager, policy: PolicyDep,
           images: ImagesDep, request: Request) -> Response:
    """The evidence package for an honoured request (a zip with a signed manifest)."""
    try:
        read_ids = [uuid.UUID(r) for r in body.read_ids]
        with unit_of_work() as session:
            done = requests.fulfil(
                session, request_id=request_id, read_ids=read_ids, actor=principal.actor,
                organization=principal.organization, images=images,
                key=evidence_key(request.app.state.settings.data_dir), policy=policy,
                now=utcnow())
            refused = done.request.reason if done.share is None else None
    except (SharingError, ValueError) as error:
        raise unprocessable(error) from error
    if refused is not None or done.package is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"refused: {refused}")
    return Response(done.package, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="share-{request_id}.zip"'})


@router.post("/requests/{request_id}/transfers", status_code=status.HTTP_201_CREATED)
def transfer(request_id: int, body: TransferIn, principal: Manager, policy: PolicyDep
             ) -> ShareOut:
    try:
        with unit_of_work() as session:
            done = requests.record_transfer(
                session, request_id=request_id, channel=body.channel, message=body.message,
                reads=body.reads, actor=principal.actor, policy=policy, now=utcnow())
            out = ShareOut.model_validate(done.share) if done.share else None
            refused = done.request.reason
    except SharingError as error:
        raise unprocessable(error) from error
    if out is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"refused: {refused}")
    return out


@router.get("/report")
def report(_: Manager, since: datetime | None = None,
           until: datetime | None = None, page: PageDep = EVERYTHING) -> list[ReportRow]:
    """The record of every agency shared with (REQ S5)."""
    with unit_of_work() as session:
        return page.of(requests.report(session, since=since, until=until))


@router.get("/public-records")
def list_public_records(_: Manager, page: PageDep = EVERYTHING) -> list[PublicRecordsOut]:
    with unit_of_work() as session:
        return [PublicRecordsOut.model_validate(r)
                for r in page.of(public_records.all_requests(session))]


@router.post("/public-records", status_code=status.HTTP_201_CREATED)
def add_public_records(body: PublicRecordsIn, principal: Manager) -> PublicRecordsOut:
    with unit_of_work() as session:
        return PublicRecordsOut.model_validate(public_records.record_request(
            session, requester=body.requester, description=body.description,
            received_at=body.received_at, actor=principal.actor, now=utcnow()))


@router.post("/public-records/{request_id}/export")
def public_records_export(request_id: int, body: AggregateIn, principal: Manager) -> Response:
    """Aggregate counts only: never reads, plates or images (REQ S9)."""
    try:
        with unit_of_work() as session:
            data = public_records.export(session, request_id=request_id, start=body.start,
                                         end=body.end, actor=principal.actor, now=utcnow())
    except SharingError as error:
        raise unprocessable(error) from error
    return Response(data, media_type="application/json")


@router.get("/incidents")
def list_incidents(_: Manager, page: PageDep = EVERYTHING) -> list[IncidentOut]:
    with unit_of_work() as session:
        return [IncidentOut.model_validate(i) for i in page.of(incidents.all_incidents(session))]


@router.post("/incidents", status_code=status.HTTP_201_CREATED)
def add_incident(body: IncidentIn, principal: Manager, policy: PolicyDep) -> list[TaskOut]:
    """Record a breach; returns the notification tasks it creates (REQ X2)."""
    with unit_of_work() as session:
        incident = incidents.record_incident(
            session, discovered_at=body.discovered_at, description=body.description,
            data_involved=body.data_involved, persons_affected=body.persons_affected,
            actor=principal.actor, now=utcnow(), policy=policy,
            notify_within=incidents.notice_window(policy, body.discovered_at))
        return [TaskOut.model_validate(t) for t in incidents.tasks(session, incident.id)]


@router.get("/incidents/tasks")
def list_tasks(_: Manager, open_only: bool = True, page: PageDep = EVERYTHING
               ) -> list[TaskOut]:
    with unit_of_work() as session:
        return [TaskOut.model_validate(t)
                for t in page.of(incidents.tasks(session, open_only=open_only))]


@router.post("/incidents/tasks/{task_id}/complete")
def complete_task(task_id: int, body: TaskDone, principal: Manager) -> TaskOut:
    try:
        with unit_of_work() as session:
            return TaskOut.model_validate(incidents.complete_task(
                session, task_id=task_id, actor=principal.actor, now=utcnow(), note=body.note))
    except SharingError as error:
        raise unprocessable(error) from error
