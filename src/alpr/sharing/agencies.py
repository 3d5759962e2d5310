"""The agency registry and interagency agreements (REQ S1, S7).

S1 is a rule in code, not in the policy: only California public agencies can ever receive
data. The policy's `sharing.allowed_recipient_kinds` (vocabulary in policy/floor.py) can
only narrow that set further.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.sharing.floor import CA_PUBLIC_KINDS as CA_PUBLIC_KINDS
from alpr.sharing.floor import name_problem
from alpr.sharing.floor import not_california_public as not_california_public
from alpr.sharing.models import Agency, AgencyKind, Agreement

# Civ. Code §1798.90.55(b): a California public agency; nothing else, whatever the policy says.
# floor.py also screens the name, so a federal body registered with a California kind fails.
# Registry kind -> the policy words it satisfies. "ca_public_agency" is the widest word and
# covers every California public agency; the narrower words name one kind of it.
POLICY_WORDS: dict[AgencyKind, frozenset[str]] = {
    AgencyKind.CA_STATE_AGENCY: frozenset({"ca_public_agency"}),
    AgencyKind.CA_LOCAL_AGENCY: frozenset({"ca_public_agency"}),
    AgencyKind.CA_LAW_ENFORCEMENT: frozenset({"ca_public_agency", "ca_law_enforcement"}),
    AgencyKind.CA_PROSECUTOR: frozenset({"ca_public_agency", "ca_prosecutor"}),
    AgencyKind.CA_PUBLIC_DEFENDER: frozenset({"ca_public_agency"}),
}


class SharingError(ValueError):
    """A sharing action that cannot be done; the message says why."""


def is_ca_public(kind: str) -> bool:
    return kind in CA_PUBLIC_KINDS


def policy_allows(kind: str, policy: Policy) -> bool:
    """Whether the policy lets this kind receive data (never true outside California)."""
    if not is_ca_public(kind):
        return False
    return bool(POLICY_WORDS[AgencyKind(kind)] & set(policy.sharing.allowed_recipient_kinds))


def register_agency(session: Session, *, name: str, kind: AgencyKind, jurisdiction: str,
                    contacts: str | None, actor: str, now: datetime) -> Agency:
    # Federal, out-of-state and private entities are registered too: their requests must be
    # recorded and refused, not lost.
    if session.scalar(select(Agency).where(Agency.name == name)) is not None:
        raise SharingError(f"agency {name!r} is already registered")
    if is_ca_public(kind) and (problem := name_problem(name, jurisdiction)):
        # A federal, out-of-state or private body is registered with its true kind, so its
        # requests are recorded and refused; never as a California public agency.
        raise SharingError(f"{problem}: register it as federal, out_of_state or private,"
                           " not as a California public agency (Civ. Code §1798.90.55(b))")
    agency = Agency(name=name, kind=kind.value, jurisdiction=jurisdiction, contacts=contacts,
                    created_by=actor, created_at=now)
    session.add(agency)
    session.flush()
    record(session, event=AuditEvent.AGENCY_REGISTER, actor=actor, now=now, details={
        "agency_id": agency.id, "name": name, "kind": kind.value,
        "ca_public_agency": is_ca_public(kind)})
    return agency


def get_agency(session: Session, ref: int | str) -> Agency:
    agency = (session.get(Agency, ref) if isinstance(ref, int)
              else session.scalar(select(Agency).where(Agency.name == ref)))
    if agency is None:
        raise SharingError(f"no agency {ref!r}")
    return agency


def all_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.name)))


def record_agreement(session: Session, *, agency_id: int, starts_at: datetime,
                     ends_at: datetime, scope: str, standing_access: bool, actor: str,
                     now: datetime) -> Agreement:
    agency = get_agency(session, agency_id)
    if problem := not_california_public(agency.name, agency.kind, agency.jurisdiction):
        raise SharingError(f"{problem}: no agreement can allow sharing with it"
                           " [rule: ca-public-agency]")
    if ends_at <= starts_at:
        raise SharingError("an agreement must end after it starts (REQ S7: an end date)")
    agreement = Agreement(agency_id=agency.id, starts_at=starts_at, ends_at=ends_at,
                          scope=scope, standing_access=standing_access, recorded_by=actor,
                          recorded_at=now)
    session.add(agreement)
    session.flush()
    record(session, event=AuditEvent.AGREEMENT_RECORD, actor=actor, now=now, details={
        "agreement_id": agreement.id, "agency": agency.name, "starts_at": starts_at.isoformat(),
        "ends_at": ends_at.isoformat(), "standing_access": standing_access})
    return agreement


def agreements(session: Session, agency_id: int | None = None) -> list[Agreement]:
    statement = select(Agreement).order_by(Agreement.id)
    if agency_id is not None:
        statement = statement.where(Agreement.agency_id == agency_id)
    return list(session.scalars(statement))


def current_agreement(session: Session, agency_id: int, *, now: datetime,
                      standing: bool = False) -> Agreement | None:
    """The agreement in force now (for standing access: one that grants it), if any."""
    statement = select(Agreement).where(
        Agreement.agency_id == agency_id, Agreement.starts_at <= now, Agreement.ends_at > now)
    if standing:
        statement = statement.where(Agreement.standing_access.is_(True))
    return session.scalars(statement.order_by(Agreement.ends_at.desc())).first()
