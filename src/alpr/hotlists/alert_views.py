"""Alerts API: list, live stream (Server-Sent Events), verify, respond, export."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Collection
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response, StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from alpr.api.deps import (
    ImagesDep,
    PolicyDep,
    Principal,
    require,
    session_token,
    unprocessable,
)
from alpr.api.inputs import DB_INT_MAX
from alpr.api.paging import MAX_PAGE
from alpr.audit.events import AuditEvent
from alpr.audit.listing import listed
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists import alert_reads, responses
from alpr.hotlists.alert_reads import AlertRead
from alpr.hotlists.models import Alert
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.search.deleted_access import LIVE_ONLY
from alpr.users.auth import authenticate
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
Receiver = Annotated[Principal, Depends(require(Permission.ALERTS_RECEIVE))]
Exporter = Annotated[Principal, Depends(require(Permission.ALERTS_EXPORT))]
# Every API process polls the database, so an alert raised by any process reaches every
# subscriber within POLL_SECONDS; alerts raised by this process's own ingest are noticed
# within WAKE_SECONDS (a counter in memory, checked between polls).
POLL_SECONDS = 0.5
WAKE_SECONDS = 0.02
# A stream re-checks its session this often: it ends within that time of a logout, an
# expiry, a suspension or the idle limits (AC-11, AC-12, SC-10).
RECHECK_SECONDS = 2.0
_raised_here = 0
# Longest an ingest transaction may take and its alerts still reach a stream already open.
LOOKBACK = timedelta(seconds=60)


def announce_alerts() -> None:
    """Called after an ingest in this process committed alerts: wake the streams."""
    global _raised_here
    _raised_here += 1


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plate_matches: bool
    state_matches: bool
    vehicle_matches: bool
    clets_confirmed: bool
    clets_checked_at: AwareDatetime


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    member: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    disposition: str
    responded_at: AwareDatetime
    case_number: str | None = None
    next_steps: str | None = None


class ResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    alert_id: uuid.UUID
    member: str
    disposition: str
    case_number: str | None
    responded_at: datetime



@router.get("")
def list_alerts(principal: Receiver, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
                offset: Annotated[int, Query(ge=0, le=DB_INT_MAX)] = 0) -> list[AlertOut]:
    with unit_of_work() as session:
        # An alert shows its read's plate, place and time: hidden once the read is
        # logically deleted, like the read itself (REQ R2).
        rows = session.scalars(select(Alert).where(LIVE_ONLY.alert_condition())
                               .order_by(Alert.created_at.desc(), Alert.id.desc())
                               .offset(offset).limit(limit))
        alerts = [AlertOut.model_validate(a) for a in rows]
        record(session, event=AuditEvent.ALERT_LIST, actor=principal.actor,
               organization=principal.organization,
               details={"limit": limit, "shown": len(alerts), **listed(alerts)})
    return alerts


def _session_ended(token: str | None, policy: Policy) -> str | None:
    """Why the stream's session no longer holds (None: it does). Not counted as activity,
    so an open stream never keeps an idle session alive."""
    if token is None:
        return "no session"
    with unit_of_work() as session:
        found = authenticate(session, token=token, policy=policy, now=utcnow(), touch=False)
    return found if isinstance(found, str) else None


def _after(since: datetime, skip: Collection[uuid.UUID]) -> list[AlertOut]:
    with unit_of_work() as session:
        query = select(Alert).where(Alert.created_at > since, LIVE_ONLY.alert_condition())
        if skip:
            query = query.where(Alert.id.not_in(list(skip)))
        rows = session.scalars(query.order_by(Alert.created_at, Alert.id).limit(100))
        return [AlertOut.model_validate(a) for a in rows]


@router.get("/stream")
async def stream(
    request: Request, principal: Receiver, policy: PolicyDep,
    since: Annotated[AwareDatetime | None, Query(description="Also send alerts from then")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="Close after this many")
                     ] = None,
) -> StreamingResponse:
    """Alerts as they are raised, as Server-Sent Events (`event: alert`, JSON data); the
    stream ends (`event: end`) when its session does (logout, suspension, idle limit)."""
    with unit_of_work() as session:
        record(session, event=AuditEvent.ALERT_STREAM, actor=principal.actor,
               organization=principal.organization,
               details={"since": since.isoformat() if since else None})
    start = since or utcnow()
    token = session_token(request)
    loop = asyncio.get_running_loop()
    if request.app.state.settings.broker_url:
        # Workers raise alerts in other processes: their notices wake this stream at once.
        from alpr.broker.alerts import listen_for_alerts

        await listen_for_alerts(request.app.state.settings)

    async def events() -> AsyncIterator[str]:
        # Transactions commit out of order (several workers or API processes): an alert
        # created earlier may appear after a later one. So the stream looks back
        # LOOKBACK behind the newest alert it sent and skips those it already sent.
        sent: dict[uuid.UUID, datetime] = {}
        newest, count, checked = start, 0, loop.time()
        yield ": connected\n\n"
        while not await request.is_disconnected():
            if loop.time() - checked >= RECHECK_SECONDS:
                checked = loop.time()
                ended = await run_in_threadpool(_session_ended, token, policy)
                if ended is not None:
                    yield f"event: end\ndata: {json.dumps({'reason': ended})}\n\n"
                    return
            floor = max(start, newest - LOOKBACK)
            for alert_id in [key for key, created in sent.items() if created <= floor]:
                del sent[alert_id]
            for alert in await run_in_threadpool(_after, floor, sent.keys()):
                yield f"id: {alert.id}\nevent: alert\ndata: {alert.model_dump_json()}\n\n"
                sent[alert.id] = alert.created_at
                newest, count = max(newest, alert.created_at), count + 1
                if limit and count >= limit:
                    return
            seen, waited = _raised_here, 0.0
            while _raised_here == seen and waited < POLL_SECONDS:
                await asyncio.sleep(WAKE_SECONDS)
                waited += WAKE_SECONDS

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


@router.post("/{alert_id}/verify")
def verify(alert_id: uuid.UUID, body: VerificationIn, principal: Receiver) -> AlertOut:
    check = responses.Verification(**body.model_dump())
    try:
        with unit_of_work() as session:
            alert = responses.verify_alert(session, alert_id=alert_id, check=check,
                                           actor=principal.actor)
            return AlertOut.model_validate(alert)
    except responses.AlertError as error:
        raise unprocessable(error) from error


@router.post("/{alert_id}/responses", status_code=status.HTTP_201_CREATED)
def respond(alert_id: uuid.UUID, body: ResponseIn, principal: Receiver, policy: PolicyDep
            ) -> ResponseOut:
    try:
        with unit_of_work() as session:
            row = responses.respond(session, alert_id=alert_id, actor=principal.actor,
                                    policy=policy, response=responses.Response(**body.model_dump()))
            return ResponseOut.model_validate(row)
    except responses.AlertError as error:
        raise unprocessable(error) from error


@router.get("/{alert_id}/read")
def alert_read(alert_id: uuid.UUID, principal: Receiver) -> AlertRead:
    """The alert's own read as the operator must compare it (no purpose: see alert_reads)."""
    try:
        with unit_of_work() as session:
            found = alert_reads.alert_read(session, alert_id=alert_id, actor=principal.actor,
                                           organization=principal.organization)
    except responses.AlertError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return found


@router.get("/{alert_id}/images/{kind}")
def alert_image(alert_id: uuid.UUID, kind: str, principal: Receiver, images: ImagesDep
                ) -> Response:
    """The plate crop or vehicle image of the alert's read, and of no other read."""
    try:
        with unit_of_work() as session:
            data = alert_reads.alert_image(session, alert_id=alert_id, kind=kind, images=images,
                                           actor=principal.actor,
                                           organization=principal.organization)
    except responses.AlertError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    media = ("image/png" if data.startswith(b"\x89PNG") else
             "image/webp" if data[8:12] == b"WEBP" else "image/jpeg")
    return Response(data, media_type=media, headers={"Cache-Control": "private, no-store"})


@router.get("/responses.{fmt}")
def export(fmt: str, principal: Exporter) -> Response:
    """Documented responses as a spreadsheet (csv or xlsx)."""
    media = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet"}
    if fmt not in media:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "use responses.csv or responses.xlsx")
    with unit_of_work() as session:
        data = responses.export_responses(session, fmt=fmt, actor=principal.actor)
    return Response(data, media_type=media[fmt], headers={
        "Content-Disposition": f'attachment; filename="alert-responses.{fmt}"'})
