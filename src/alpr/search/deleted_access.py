"""Logically deleted reads: the one rule every route that returns a read applies (REQ Q7, R2).

A logically deleted read is shown only to a System Administrator who names a command
approval that
- they asked for themselves, naming an offense from the policy's list or a court order;
- a *different* person holding the commander role approved;
- is bound to one plate: it opens that plate's deleted reads and no other;
- has not expired (policy `search.deleted_access_approval_lifetime`, default 24 h).

`resolve` turns the approval id a request names into a `DeletedAccess`; searches, views by
id, images, evidence exports, holds and alert lists then ask it which reads are visible
(`condition` in SQL, `allows` for one read). Without an approval only live reads are
visible, so counts, holds and exports never include what the caller may not see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import product

from sqlalchemy import ColumnElement, exists, not_, or_, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.hotlists.models import Alert
from alpr.policy import Policy
from alpr.reads.models import Read
from alpr.reads.plates import PlateError, exact_key, normalize_plate
from alpr.search.models import ApprovalStatus, DeletedReadApproval
from alpr.users.permissions import Role
from alpr.users.roles import holds_role


class DeletedAccessRefused(ValueError):  # noqa: N818 (a refusal the user sees)
    """The approval named cannot open logically deleted reads; the message says why."""


def spellings(plate: str) -> list[str]:
    """Every spelling of the plate with O and 0 swapped (US agencies treat them as one)."""
    options = [("O", "0") if char in "O0" else (char,) for char in plate]
    return ["".join(choice) for choice in product(*options)][:64]


@dataclass(frozen=True)
class DeletedAccess:
    """What one request may see of logically deleted reads: nothing, or one plate's."""

    approval_id: int | None = None
    plate: str | None = None  # normalized; the one plate whose deleted reads are open

    def condition(self) -> ColumnElement[bool]:
        """SQL: the read is visible under this access."""
        live = Read.logically_deleted_at.is_(None)
        if self.plate is None:
            return live
        return or_(live, Read.plate_normalized.in_(spellings(self.plate)))

    def allows(self, read: Read) -> bool:
        if read.logically_deleted_at is None:
            return True
        return self.plate is not None and exact_key(read.plate_normalized) == exact_key(
            self.plate)

    def alert_condition(self) -> ColumnElement[bool]:
        """SQL: the alert's read is visible (an alert shows the read's plate, place, time)."""
        hidden = exists().where(Read.id == Alert.read_id,
                                Read.captured_at == Alert.read_captured_at,
                                not_(self.condition()))
        return not_(hidden)


LIVE_ONLY = DeletedAccess()


def resolve(session: Session, *, approval_id: int | None, actor: str, may_see_deleted: bool,
            now: datetime, plate: str | None = None) -> DeletedAccess:
    """THE rule: the access an approval gives this caller now, or DeletedAccessRefused.

    `plate`, when given, is the plate the request is about (a search): it must be the
    approval's plate. Without an approval id the caller sees live reads only.
    """
    if approval_id is None:
        return LIVE_ONLY
    if not may_see_deleted or not holds_role(session, actor, Role.SYSTEM_ADMINISTRATOR):
        raise DeletedAccessRefused("only a System Administrator may see logically deleted reads")
    approval = session.get(DeletedReadApproval, approval_id)
    if approval is None or approval.requested_by != actor:
        # Someone else's approval is no approval for this caller (nor proof it exists).
        raise DeletedAccessRefused(f"no approval {approval_id} of yours to see logically"
                                   " deleted reads")
    if approval.status != ApprovalStatus.APPROVED or approval.plate is None:
        raise DeletedAccessRefused(f"approval {approval_id} is {approval.status}, not approved"
                                   " by a commander")
    if approval.approved_by is None or approval.approved_by == approval.requested_by:
        raise DeletedAccessRefused(f"approval {approval_id} was not approved by another person")
    if approval.expires_at <= now:
        raise DeletedAccessRefused(f"approval {approval_id} expired at"
                                   f" {approval.expires_at.isoformat()}; ask for a new one")
    if plate is not None:
        asked = re.sub(r"[\s\-.·]", "", plate.upper())
        if "*" in asked or "?" in asked or exact_key(asked) != exact_key(approval.plate):
            raise DeletedAccessRefused(
                f"approval {approval_id} opens the deleted reads of plate {approval.plate}"
                " only: search that full plate")
    return DeletedAccess(approval.id, approval.plate)


# --- asking for and deciding approvals -------------------------------------------------

MIN_REFERENCE = 4


def _reference(value: str | None, label: str) -> str | None:
    """A case number or court-order reference: real-looking, not a placeholder."""
    text = (value or "").strip()
    if not text:
        return None
    alnum = re.sub(r"[^A-Za-z0-9]", "", text)
    if (len(alnum) < MIN_REFERENCE or not any(c.isdigit() for c in alnum)
            or len(set(alnum.upper())) == 1):
        raise DeletedAccessRefused(f"{label}: {text!r} is not a reference (at least"
                                   f" {MIN_REFERENCE} letters or digits, with a number)")
    return text


def _offense(value: str | None, policy: Policy) -> str | None:
    if not value or not value.strip():
        return None
    wanted = " ".join(value.split()).casefold()
    for offense in policy.search.logically_deleted_access_offenses:
        if " ".join(offense.split()).casefold() == wanted:
            return offense
    raise DeletedAccessRefused(
        "offense: name one from the policy's list, or give a court order: "
        + "; ".join(policy.search.logically_deleted_access_offenses))


def request_approval(
    session: Session, *, actor: str, organization: str | None, may_see_deleted: bool,
    plate: str, case_number: str, offense: str | None, court_order: str | None,
    policy: Policy, now: datetime,
) -> DeletedReadApproval:
    """A System Administrator asks to see one plate's logically deleted reads."""
    if not may_see_deleted or not holds_role(session, actor, Role.SYSTEM_ADMINISTRATOR):
        raise DeletedAccessRefused("only a System Administrator may ask to see logically"
                                   " deleted reads")
    try:
        normalized = normalize_plate(plate)
    except PlateError as error:
        raise DeletedAccessRefused(f"plate: {error}") from error
    if any(c in plate for c in "*?%_"):
        raise DeletedAccessRefused("plate: an approval opens one full plate, no wildcards")
    named_offense = _offense(offense, policy)
    order = _reference(court_order, "court order")
    if named_offense is None and order is None:
        raise DeletedAccessRefused("name an offense from the policy's list or a court order")
    case = _reference(case_number, "case number")
    if case is None:
        raise DeletedAccessRefused("case number: missing")
    row = DeletedReadApproval(
        requested_by=actor, approved_by=None, offense=named_offense, court_order=order,
        case_number=case, plate=normalized, status=ApprovalStatus.PENDING.value,
        recorded_by=actor, recorded_at=now,
        expires_at=policy.search.deleted_access_approval_lifetime.after(now))
    session.add(row)
    session.flush()
    record(session, event=AuditEvent.SEARCH_DELETED_APPROVAL, actor=actor, now=now,
           organization=organization, details={
               "step": "request", "approval_id": row.id, "plate": normalized,
               "offense": named_offense, "court_order": order, "case_number": case})
    return row


def decide_approval(
    session: Session, *, approval_id: int, approve: bool, actor: str,
    organization: str | None, policy: Policy, now: datetime,
) -> DeletedReadApproval:
    """A commander, not the requester, approves or refuses; the approval then runs for the
    policy's lifetime from now."""
    if not holds_role(session, actor, Role.COMMANDER):
        raise DeletedAccessRefused("only a commander may decide on access to logically"
                                   " deleted reads")
    row = session.get(DeletedReadApproval, approval_id, with_for_update=True)
    if row is None:
        raise DeletedAccessRefused(f"no approval request {approval_id}")
    if row.status != ApprovalStatus.PENDING or row.expires_at <= now:
        raise DeletedAccessRefused(f"approval request {approval_id} is {row.status}"
                                   + (" and lapsed" if row.expires_at <= now else ""))
    if row.requested_by == actor:
        raise DeletedAccessRefused("the approving commander must not be the requester")
    row.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED).value
    row.approved_by, row.approved_at = actor, now
    if approve:
        row.expires_at = policy.search.deleted_access_approval_lifetime.after(now)
    record(session, event=AuditEvent.SEARCH_DELETED_APPROVAL, actor=actor, now=now,
           organization=organization,
           outcome=Outcome.SUCCESS if approve else Outcome.DENIED, details={
               "step": "approve" if approve else "refuse", "approval_id": row.id,
               "plate": row.plate, "requested_by": row.requested_by,
               "expires_at": row.expires_at.isoformat()})
    return row


def approvals(session: Session, *, requested_by: str | None = None
              ) -> list[DeletedReadApproval]:
    query = select(DeletedReadApproval).order_by(DeletedReadApproval.id.desc()).limit(500)
    if requested_by is not None:
        query = query.where(DeletedReadApproval.requested_by == requested_by)
    return list(session.scalars(query))

