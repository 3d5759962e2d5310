"""/api/v1/audits: auditors run and review audits; the ALPR Administrator approves and
publishes them (REQ L3–L6, P1). Every call is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alpr.api.deps import PolicyDep, Principal, require, unprocessable
from alpr.api.inputs import MAX_YEAR, MIN_YEAR
from alpr.api.paging import EVERYTHING, PageDep
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.reports import annual, audits, operator
from alpr.reports.audits import AuditError
from alpr.reports.models import Audit, AuditKind
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/audits", tags=["audits"])
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))]
Administrator = Annotated[Principal, Depends(require(Permission.AUDITS_APPROVE))]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AuditKind = AuditKind.PERIODIC
    since: AwareDatetime
    until: AwareDatetime
    confidence: float | None = Field(default=None, gt=0, lt=1)
    margin: float | None = Field(default=None, gt=0, lt=1)
    seed: int | None = Field(default=None, ge=0, lt=2**62)
    size: int | None = Field(default=None, ge=0, description="reads to sample (operator)")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose_specific: bool | None = None
    case_number_real: bool | None = None
    on_behalf_of_plausible: bool | None = None
    confirmed: bool | None = None
    corrected_plate: str | None = None
    note: str | None = None


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    status: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    created_by: str
    population: int
    sample_size: int
    confidence: float | None
    margin: float | None
    seed: int
    summary: dict[str, Any]
    approved_by: str | None
    approved_at: datetime | None
    published: bool


def _refused(error: AuditError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


def _detail(audit: Audit, session: Any) -> dict[str, Any]:
    return {**AuditOut.model_validate(audit).model_dump(mode="json"),
            "samples": [{"id": s.id, "position": s.position, "subject": s.subject,
                         "subject_at": s.subject_at.isoformat(), "details": s.details,
                         "verdict": s.verdict, "passed": s.passed,
                         "reviewed_by": s.reviewed_by}
                        for s in audits.samples(session, audit.id)],
            "findings": [{"id": f.id, "check": f.check, "severity": f.severity,
                          "subject": f.subject, "message": f.message, "details": f.details}
                         for f in audits.findings(session, audit.id)]}


@router.get("")
def list_audits(principal: Auditor, page: PageDep = EVERYTHING) -> list[AuditOut]:
    with unit_of_work() as session:
        return [AuditOut.model_validate(a) for a in page.of(audits.all_audits(session))]


@router.post("", status_code=status.HTTP_201_CREATED)
def run(given: RunIn, principal: Auditor, policy: PolicyDep) -> AuditOut:
    try:
        with unit_of_work() as session:
            if given.kind is AuditKind.OPERATOR:
                audit = operator.run_operator(session, since=given.since, until=given.until,
                                              policy=policy, actor=principal.actor,
                                              now=utcnow(), size=given.size, seed=given.seed)
            else:
                audit = audits.run_periodic(session, since=given.since, until=given.until,
                                            policy=policy, actor=principal.actor, now=utcnow(),
                                            confidence=given.confidence, margin=given.margin,
                                            seed=given.seed)
            return AuditOut.model_validate(audit)
    except (AuditError, ValueError) as error:
        raise unprocessable(error) from error


@router.get("/annual/{year}")
def annual_report(year: Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR)], principal: Auditor
                  ) -> dict[str, Any]:
    """Compute (and store) the year's annual report (REQ P1)."""
    with unit_of_work() as session:
        return annual.generate(session, year=year, actor=principal.actor, now=utcnow()).data


@router.get("/{audit_id}")
def show(audit_id: int, principal: Auditor) -> dict[str, Any]:
    try:
        with unit_of_work() as session:
            audit = audits.view(session, audit_id, actor=principal.actor, now=utcnow())
            return _detail(audit, session)
    except AuditError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post("/{audit_id}/samples/{sample_id}/review")
def review(audit_id: int, sample_id: int, given: ReviewIn, principal: Auditor
           ) -> dict[str, Any]:
    try:
        with unit_of_work() as session:
            sample = audits.review_sample(
                session, audit_id=audit_id, sample_id=sample_id,
                answers=given.model_dump(exclude={"note"}), note=given.note,
                actor=principal.actor, now=utcnow())
            return {"id": sample.id, "passed": sample.passed, "verdict": sample.verdict}
    except AuditError as error:
        raise _refused(error) from error


@router.post("/{audit_id}/approve")
def approve(audit_id: int, given: ApproveIn, principal: Administrator) -> AuditOut:
    """Only the ALPR Administrator approves audit results (REQ L4)."""
    try:
        with unit_of_work() as session:
            return AuditOut.model_validate(audits.approve(
                session, audit_id=audit_id, note=given.note, actor=principal.actor,
                now=utcnow()))
    except AuditError as error:
        raise _refused(error) from error


@router.post("/{audit_id}/publish")
def publish(audit_id: int, principal: Administrator) -> AuditOut:
    """Show an approved audit's aggregates on the public transparency page (REQ L5)."""
    try:
        with unit_of_work() as session:
            return AuditOut.model_validate(audits.publish(
                session, audit_id=audit_id, actor=principal.actor, now=utcnow()))
    except AuditError as error:
        raise _refused(error) from error
