"""What operators do with an alert: verify it (REQ A2), then document the response (A3).

An alert is only informational until the operator confirms the plate characters, the
state and the vehicle, and records the CLETS/NCIC check. Only a verified alert can carry
a response; responses export as CSV or XLSX for the agency's records.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.hotlists.models import Alert, AlertResponse, AlertStatus
from alpr.policy import Policy
from alpr.search.deleted_access import LIVE_ONLY


class AlertError(ValueError):
    """An alert action that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Verification:
    plate_matches: bool
    state_matches: bool
    vehicle_matches: bool
    clets_confirmed: bool
    clets_checked_at: datetime


@dataclass(frozen=True)
class Response:
    member: str
    justification: str
    disposition: str
    responded_at: datetime
    case_number: str | None = None
    next_steps: str | None = None


def get_alert(session: Session, alert_id: uuid.UUID) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"no alert {alert_id}")
    return alert


def verify_alert(
    session: Session, *, alert_id: uuid.UUID, check: Verification, actor: str,
    now: datetime | None = None,
) -> Alert:
    now = now or utcnow()
    alert = get_alert(session, alert_id)
    if alert.status != AlertStatus.UNVERIFIED:
        raise AlertError(f"alert {alert_id} was already verified ({alert.status})")
    if check.clets_checked_at > now:
        raise AlertError("the CLETS/NCIC check time is in the future")
    confirmed = all((check.plate_matches, check.state_matches, check.vehicle_matches,
                     check.clets_confirmed))
    alert.status = (AlertStatus.CONFIRMED if confirmed else AlertStatus.NOT_CONFIRMED).value
    alert.verified_by, alert.verified_at = actor, now
    alert.plate_matches, alert.state_matches = check.plate_matches, check.state_matches
    alert.vehicle_matches, alert.clets_confirmed = check.vehicle_matches, check.clets_confirmed
    alert.clets_checked_at = check.clets_checked_at
    record(session, event=AuditEvent.ALERT_VERIFY, actor=actor, now=now, details={
        "alert_id": str(alert_id), "plate": alert.plate_read, "status": alert.status,
        "plate_matches": check.plate_matches, "state_matches": check.state_matches,
        "vehicle_matches": check.vehicle_matches, "clets_confirmed": check.clets_confirmed})
    return alert


def respond(
    session: Session, *, alert_id: uuid.UUID, response: Response, actor: str, policy: Policy,
    now: datetime | None = None,
) -> AlertResponse:
    now = now or utcnow()
    alert = get_alert(session, alert_id)
    if alert.status == AlertStatus.UNVERIFIED:
        raise AlertError("verify the alert first: plate, state, vehicle and the CLETS/NCIC"
                         " check must be recorded before a response")
    codes = policy.hotlists.disposition_codes
    if response.disposition not in codes:
        raise AlertError(f"disposition {response.disposition!r} is not one of: {', '.join(codes)}")
    for label, value in (("member", response.member), ("justification", response.justification)):
        if not value.strip():
            raise AlertError(f"a response needs the {label}")
    row = AlertResponse(
        alert_id=alert_id, member=response.member.strip(),
        justification=response.justification.strip(), case_number=response.case_number,
        disposition=response.disposition, responded_at=response.responded_at,
        next_steps=response.next_steps, recorded_by=actor, recorded_at=now,
    )
    session.add(row)
    session.flush()
    record(session, event=AuditEvent.ALERT_RESPOND, actor=actor, now=now, details={
        "alert_id": str(alert_id), "plate": alert.plate_read, "disposition": row.disposition,
        "case_number": row.case_number, "member": row.member})
    return row


EXPORT_COLUMNS = ("alert time", "plate read", "plate listed", "list", "reason", "match",
                  "camera", "verified by", "verified at", "clets confirmed", "member",
                  "justification", "case number", "disposition", "responded at", "next steps")


def response_rows(
    session: Session, *, since: datetime | None = None, until: datetime | None = None,
) -> list[tuple[object, ...]]:
    # The export shows each alert's plate and time: not for reads logically deleted since.
    query = select(Alert, AlertResponse).join(AlertResponse, AlertResponse.alert_id == Alert.id
                                              ).where(LIVE_ONLY.alert_condition())
    if since:
        query = query.where(AlertResponse.responded_at >= since)
    if until:
        query = query.where(AlertResponse.responded_at < until)
    rows: list[tuple[object, ...]] = []
    for alert, response in session.execute(query.order_by(AlertResponse.responded_at)):
        rows.append((alert.created_at.isoformat(), alert.plate_read, alert.plate_listed,
                     alert.list_name, alert.reason, alert.match, alert.camera_id,
                     alert.verified_by, alert.verified_at.isoformat() if alert.verified_at
                     else None, alert.clets_confirmed, response.member, response.justification,
                     response.case_number, response.disposition,
                     response.responded_at.isoformat(), response.next_steps))
    return rows


def export_responses(
    session: Session, *, fmt: str, actor: str, since: datetime | None = None,
    until: datetime | None = None,
) -> bytes:
    """The documented responses as CSV or XLSX bytes; exporting is itself audited."""
    rows = response_rows(session, since=since, until=until)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(rows)
        data = buffer.getvalue().encode()
    elif fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Alert responses"
        sheet.append(EXPORT_COLUMNS)
        for row in rows:
            sheet.append(list(row))
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    else:
        raise AlertError(f"unknown export format {fmt!r}; use csv or xlsx")
    record(session, event=AuditEvent.ALERT_EXPORT, actor=actor,
           details={"format": fmt, "rows": len(rows)})
    return data
