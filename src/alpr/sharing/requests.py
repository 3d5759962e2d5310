"""Share requests: recorded in writing, refused by rule, decided, fulfilled, reported.

Every request is stored, refused ones included, with the rule that refused it (REQ S6).
The rules run again when the request is honoured and when data leaves: an agreement that
ended in between stops the share (REQ S7). Data leaves only as an evidence package, built
through the purpose-bound, audited export path, and each share is a row of the record of
agencies shared with (REQ S5).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.retention.evidence import EvidenceError, export_package
from alpr.search.purpose import FORBIDDEN_RULES, PurposeIn, PurposeRefused, validate_purpose
from alpr.sharing.agencies import (
    SharingError,
    current_agreement,
    get_agency,
    is_ca_public,
    policy_allows,
)
from alpr.sharing.models import Agency, Agreement, RequestStatus, Share, ShareRequest
from alpr.sharing.schemas import ReportRow, ShareRequestIn

RULES_ACTOR = "system:sharing-rules"


@dataclass(frozen=True)
class Refusal:
    rule: str
    reason: str


@dataclass(frozen=True)
class Fulfilment:
    request: ShareRequest
    share: Share | None  # None: a rule refused it; request.rule and .reason say which
    package: bytes | None = None


def check(session: Session, request: ShareRequest, agency: Agency, *, policy: Policy,
          now: datetime) -> Refusal | None:
    """The first rule that forbids this share, or None."""
    if not is_ca_public(agency.kind):
        return Refusal("ca-public-agency", f"{agency.name} is {agency.kind.replace('_', ' ')},"
                       " not a California public agency: Civ. Code §1798.90.55(b) forbids"
                       " sharing with it (REQ S1)")
    if request.on_behalf_of_kind and not is_ca_public(request.on_behalf_of_kind):
        who = request.on_behalf_of_name or "an entity"
        return Refusal("on-behalf-of", f"the request is made on behalf of {who}"
                       f" ({request.on_behalf_of_kind.replace('_', ' ')}): data may not reach a"
                       " federal, out-of-state or private entity through another agency (REQ S1)")
    texts = {"purpose": request.purpose_text, "involvement": request.involvement,
             "right to know": request.right_to_know, "case number": request.case_number,
             "on behalf of": request.on_behalf_of_name,
             "legal process reference": request.legal_process_ref}
    # Always refused, whatever the policy says: the floor already forbids the opposite.
    for rule, pattern in FORBIDDEN_RULES:
        for field, value in texts.items():
            if value and pattern.search(value):
                return Refusal(rule, f"the {field} names a purpose the law forbids"
                               f" ({rule.replace('-', ' ')}): Gov. Code §7284.6 and 004 C.3(6)"
                               " (REQ S2, S3)")
    sharing = policy.sharing
    if sharing.require_written_request and request.received_via == "verbal":
        return Refusal("written-request", "the policy requires a written request (REQ S6)")
    if not request.attests_no_immigration:
        return Refusal("attestation-immigration", "the requester must attest in writing that"
                       " the data will not be used for immigration enforcement (REQ S2)")
    if sharing.require_reproductive_health_attestation and \
            not request.attests_no_reproductive_health:
        return Refusal("attestation-reproductive-health", "the requester must attest in writing"
                       " that the data will not be used to investigate or prosecute"
                       " reproductive health care (REQ S3)")
    if not request.attests_no_resharing:
        return Refusal("attestation-no-resharing", "the requester must attest that the data"
                       " will not be shared further (REQ S1)")
    if not policy_allows(agency.kind, policy):
        return Refusal("policy-recipient-kind", f"the agency policy shares only with"
                       f" {', '.join(sharing.allowed_recipient_kinds)}; {agency.name} is"
                       f" {agency.kind}")
    if policy.purpose(request.purpose_category) is None:
        codes = ", ".join(p.code for p in policy.search.permitted_purposes)
        return Refusal("category", f"{request.purpose_category!r} is not a permitted purpose"
                       f" (permitted: {codes})")
    standing = request.standing_access and sharing.require_agreement_for_standing_access
    if standing or sharing.require_agreement_for_any_sharing:
        agreement = current_agreement(session, agency.id, now=now, standing=standing)
        if agreement is None:
            return Refusal("agreement", _no_agreement(session, agency, standing, now))
        request.agreement_id = agreement.id
    return None


def _no_agreement(session: Session, agency: Agency, standing: bool, now: datetime) -> str:
    what = "standing access needs" if standing else "the policy requires"
    last = session.scalars(select(Agreement).where(Agreement.agency_id == agency.id)
                           .order_by(Agreement.ends_at.desc())).first()
    if last is not None and last.ends_at <= now:
        return (f"{what} a current interagency agreement; the agreement with {agency.name}"
                f" ended {last.ends_at:%Y-%m-%d} (REQ S7)")
    return f"{what} a current interagency agreement with {agency.name} (REQ S7)"


def submit(session: Session, *, given: ShareRequestIn, actor: str, policy: Policy,
           now: datetime) -> ShareRequest:
    """Record a request; a rule that forbids it refuses it now, stored and audited."""
    agency = get_agency(session, given.agency)
    fields = given.model_dump(exclude={"agency"})
    fields["legal_process"] = given.legal_process.value
    fields["on_behalf_of_kind"] = given.on_behalf_of_kind.value if given.on_behalf_of_kind \
        else None
    request = ShareRequest(**fields, agency_id=agency.id, received_at=now, recorded_by=actor,
                           status=RequestStatus.PENDING.value)
    session.add(request)
    session.flush()
    refusal = check(session, request, agency, policy=policy, now=now)
    if refusal is not None:
        _refuse(session, request, agency, refusal, now)
    else:
        record(session, event=AuditEvent.SHARE_REQUEST, actor=actor, now=now,
               details=_details(request, agency))
    return request


def _refuse(session: Session, request: ShareRequest, agency: Agency, refusal: Refusal,
            now: datetime) -> None:
    request.status = RequestStatus.REFUSED.value
    request.rule, request.reason = refusal.rule, refusal.reason
    request.decided_by, request.decided_at = RULES_ACTOR, now
    session.flush()
    record(session, event=AuditEvent.SHARE_REFUSED, actor=RULES_ACTOR, outcome=Outcome.DENIED,
           now=now, details=_details(request, agency))


def _details(request: ShareRequest, agency: Agency) -> dict[str, object]:
    return {"request_id": request.id, "agency": agency.name, "agency_kind": agency.kind,
            "requester": request.requester_name, "case_number": request.case_number,
            "purpose_category": request.purpose_category, "legal_process": request.legal_process,
            "on_behalf_of": request.on_behalf_of_name, "status": request.status,
            "rule": request.rule, "reason": request.reason}


def get_request(session: Session, request_id: int) -> ShareRequest:
    request = session.get(ShareRequest, request_id)
    if request is None:
        raise SharingError(f"no share request {request_id}")
    return request


def all_requests(session: Session, status: RequestStatus | None = None) -> list[ShareRequest]:
    statement = select(ShareRequest).order_by(ShareRequest.id)
    if status is not None:
        statement = statement.where(ShareRequest.status == status.value)
    return list(session.scalars(statement))


def decide(session: Session, *, request_id: int, honor: bool, reason: str, officer: str,
           policy: Policy, now: datetime) -> ShareRequest:
    """The processing officer's decision (REQ S6); the rules still have the last word."""
    request = get_request(session, request_id)
    if request.status != RequestStatus.PENDING:
        raise SharingError(f"share request {request_id} is already {request.status}")
    agency = get_agency(session, request.agency_id)
    refusal = check(session, request, agency, policy=policy, now=now) if honor else None
    if refusal is not None:
        _refuse(session, request, agency, refusal, now)
        return request
    request.status = (RequestStatus.HONORED if honor else RequestStatus.DENIED).value
    request.reason, request.decided_by, request.decided_at = reason, officer, now
    session.flush()
    record(session, event=AuditEvent.SHARE_DECISION, actor=officer, now=now,
           details=_details(request, agency))
    return request


def _honored(session: Session, request_id: int, policy: Policy, now: datetime
             ) -> tuple[ShareRequest, Agency, Refusal | None]:
    request = get_request(session, request_id)
    if request.status != RequestStatus.HONORED:
        raise SharingError(f"share request {request_id} is {request.status}, not honored")
    agency = get_agency(session, request.agency_id)
    refusal = check(session, request, agency, policy=policy, now=now)
    if refusal is not None:
        _refuse(session, request, agency, refusal, now)
    return request, agency, refusal


def fulfil(session: Session, *, request_id: int, read_ids: Sequence[uuid.UUID], actor: str,
           organization: str | None, images: ImageStore, key: bytes, policy: Policy,
           now: datetime) -> Fulfilment:
    """Export the reads for an honoured request as a signed evidence package (REQ S5)."""
    request, agency, refusal = _honored(session, request_id, policy, now)
    if refusal is not None:
        return Fulfilment(request, None)
    try:
        # The export goes through the same purpose validation as any read access.
        purpose = validate_purpose(PurposeIn(
            category=request.purpose_category, case_number=request.case_number,
            description=f"share request {request.id} for {agency.name}"[:500],
            on_behalf_of=f"{request.requester_name} ({agency.name})",
            attests_standard=True, attests_prohibited_uses=True), policy=policy)
        package, download = export_package(
            session, read_ids=read_ids, purpose=purpose, actor=actor, organization=organization,
            images=images, key=key, policy=policy, now=now)
    except (PurposeRefused, EvidenceError) as error:
        raise SharingError(str(error)) from error
    share = _share(session, request, agency, actor=actor, now=now, channel="export",
                   reads=download.reads, download_id=download.id, sha256=download.sha256)
    return Fulfilment(request, share, package)


def record_transfer(session: Session, *, request_id: int, channel: str, message: str,
                    reads: int, actor: str, policy: Policy, now: datetime) -> Fulfilment:
    """A transfer made outside the export (e.g. an email), with its message kept (REQ S8)."""
    request, agency, refusal = _honored(session, request_id, policy, now)
    if refusal is not None:
        return Fulfilment(request, None)
    share = _share(session, request, agency, actor=actor, now=now, channel=channel,
                   reads=reads, message=message)
    return Fulfilment(request, share)


def _share(session: Session, request: ShareRequest, agency: Agency, *, actor: str,
           now: datetime, channel: str, reads: int, download_id: int | None = None,
           sha256: str | None = None, message: str | None = None) -> Share:
    share = Share(request_id=request.id, agency_id=agency.id, shared_at=now, channel=channel,
                  reads=reads, case_number=request.case_number, officer=actor,
                  download_id=download_id, sha256=sha256, message=message)
    session.add(share)
    session.flush()
    event = AuditEvent.SHARE_EXPORT if channel == "export" else AuditEvent.SHARE_TRANSFER
    record(session, event=event, actor=actor, now=now, details=_details(request, agency) | {
        "share_id": share.id, "channel": channel, "reads": reads, "download_id": download_id,
        "sha256": sha256, "message": message})
    return share


def report(session: Session, *, since: datetime | None = None, until: datetime | None = None
           ) -> list[ReportRow]:
    """The record of every agency shared with (REQ S5), oldest first."""
    statement = (select(Share, Agency, ShareRequest)
                 .join(Agency, Agency.id == Share.agency_id)
                 .join(ShareRequest, ShareRequest.id == Share.request_id)
                 .order_by(Share.shared_at, Share.id))
    if since is not None:
        statement = statement.where(Share.shared_at >= since)
    if until is not None:
        statement = statement.where(Share.shared_at < until)
    return [ReportRow(share_id=share.id, agency=agency.name, agency_kind=agency.kind,
                      shared_at=share.shared_at, reads=share.reads,
                      case_number=share.case_number, officer=share.officer,
                      channel=share.channel, legal_process=request.legal_process)
            for share, agency, request in session.execute(statement)]
