"""Breach incidents and the notifications they owe (REQ X2).

Civ. Code §1798.29 (agencies) and §1798.82: residents are told in plain language, in the
most expedient time possible and without unreasonable delay; when many residents are
affected the Attorney General gets a sample copy of the notice through the AG's online
form. The law sets no day count, so the due date is the agency's own target, the policy's
`sharing.breach_notice_within` (NOTIFY_WITHIN when a caller gives none).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.sharing.agencies import SharingError
from alpr.sharing.models import Incident, IncidentTask

# §1798.29(e) says "more than 500"; the requirement (X2) reads ≥ 500: the stricter wins.
AG_FORM_THRESHOLD = 500
NOTIFY_WITHIN = timedelta(days=30)
TASKS: tuple[tuple[str, str, bool], ...] = (  # kind, what to do, only at the threshold?
    ("notify_residents", "Notify affected residents in plain language: what happened, what"
     " data, what the agency is doing, what they can do, whom to contact"
     " (Civ. Code §1798.29(d))", False),
    ("notify_attorney_general", "Inform the California Attorney General of the breach", False),
    ("ag_sample_notice_form", "Submit a sample copy of the resident notice to the Attorney"
     " General through the online form (500 or more persons; Civ. Code §1798.29(e))", True),
)


def notice_window(policy: Policy, discovered_at: datetime) -> timedelta:
    """The policy's `sharing.breach_notice_within`, from the moment of discovery."""
    return policy.sharing.breach_notice_within.after(discovered_at) - discovered_at


def record_incident(session: Session, *, discovered_at: datetime, description: str,
                    data_involved: str, persons_affected: int, actor: str, now: datetime,
                    notify_within: timedelta = NOTIFY_WITHIN,
                    policy: Policy | None = None) -> Incident:
    """Record a breach and its tasks; with the policy, also the security incident report
    due within `security.incident_report_within` of discovery (CJIS IR-6)."""
    if persons_affected < 0:
        raise SharingError("persons affected cannot be negative")
    incident = Incident(discovered_at=discovered_at, description=description,
                        data_involved=data_involved, persons_affected=persons_affected,
                        recorded_by=actor, recorded_at=now)
    session.add(incident)
    session.flush()
    for kind, what, threshold in TASKS:
        if threshold and persons_affected < AG_FORM_THRESHOLD:
            continue
        session.add(IncidentTask(incident_id=incident.id, kind=kind, description=what,
                                 due_at=discovered_at + notify_within))
    if policy is not None:
        session.add(IncidentTask(
            incident_id=incident.id, kind="report_security_incident", description=(
                "Report the incident to the agency's information security officer and the"
                " CJIS Systems Agency (CJIS IR-6)"),
            due_at=policy.security.incident_report_within.after(discovered_at)))
    session.flush()
    record(session, event=AuditEvent.INCIDENT_RECORD, actor=actor, now=now, details={
        "incident_id": incident.id, "discovered_at": discovered_at.isoformat(),
        "data_involved": data_involved, "persons_affected": persons_affected,
        "tasks": [t.kind for t in tasks(session, incident.id)]})
    return incident


def all_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).order_by(Incident.id)))


def tasks(session: Session, incident_id: int | None = None, *, open_only: bool = False
          ) -> list[IncidentTask]:
    statement = select(IncidentTask).order_by(IncidentTask.due_at, IncidentTask.id)
    if incident_id is not None:
        statement = statement.where(IncidentTask.incident_id == incident_id)
    if open_only:
        statement = statement.where(IncidentTask.completed_at.is_(None))
    return list(session.scalars(statement))


def complete_task(session: Session, *, task_id: int, actor: str, now: datetime,
                  note: str | None = None) -> IncidentTask:
    task = session.get(IncidentTask, task_id)
    if task is None:
        raise SharingError(f"no incident task {task_id}")
    if task.completed_at is not None:
        raise SharingError(f"task {task_id} was completed on {task.completed_at:%Y-%m-%d}")
    task.completed_at, task.completed_by, task.note = now, actor, note
    session.flush()
    record(session, event=AuditEvent.INCIDENT_NOTIFY, actor=actor, now=now, details={
        "incident_id": task.incident_id, "task_id": task.id, "kind": task.kind,
        "late": now > task.due_at, "note": note})
    return task
