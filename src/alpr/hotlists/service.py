"""Hot lists: create, manual entries, approval, flags, expiry (imports: importing.py).

Every change bumps the hot-list revision in the same transaction, so matchers in every
process pick it up with the commit, and is audited in that transaction too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import (
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.hotlists import cancellations, generations
from alpr.hotlists.generations import rowcount
from alpr.hotlists.matching import (
    bump_revision,
    exact_key,
)
from alpr.hotlists.models import EntryOrigin, EntryStatus, ErrorFlag, HotList, HotListEntry
from alpr.hotlists.validation import FieldError, check_hotlist_case_number, state_code
from alpr.policy import Policy
from alpr.reads.plates import PlateError, normalize_plate

# Lists an officer may add entries to by hand; general lists come only from imports.
MANUAL_SOURCES = frozenset({"BOLO", "AMBER", "SILVER"})
# Urgent entries on these go live at once (REQ H4) and are still recorded and reviewable.
URGENT_SOURCES = frozenset({"AMBER", "SILVER"})


log = logging.getLogger(__name__)


class HotlistError(ValueError):
    """A hot-list request that cannot be honoured; the message says why."""


def create_list(
    session: Session, *, name: str, source: str, actor: str, policy: Policy,
    description: str | None = None, now: datetime | None = None,
) -> HotList:
    if source not in policy.hotlists.allowed_sources:
        raise HotlistError(
            f"source {source!r} is not allowed by the agency policy"
            f" (allowed: {', '.join(policy.hotlists.allowed_sources)})"
        )
    if session.scalar(select(HotList).where(HotList.name == name)) is not None:
        raise HotlistError(f"hot list {name!r} already exists")
    now = now or utcnow()
    hotlist = HotList(name=name, source=source, description=description, generation=0,
                      created_at=now)
    session.add(hotlist)
    session.flush()
    record(session, event=AuditEvent.HOTLIST_CREATE, actor=actor, now=now,
           details={"list": name, "source": source})
    return hotlist


def all_lists(session: Session) -> list[HotList]:
    return list(session.scalars(select(HotList).order_by(HotList.name)))


def get_list(session: Session, name: str) -> HotList:
    hotlist = session.scalar(select(HotList).where(HotList.name == name))
    if hotlist is None:
        raise HotlistError(f"no hot list {name!r}")
    return hotlist


def bolo_reason(reason: str, policy: Policy) -> str:
    """The policy's own wording of a BOLO reason (case and spacing ignored), or refused."""
    wanted = " ".join(reason.split()).casefold()
    for allowed in policy.hotlists.bolo_reasons:
        if " ".join(allowed.split()).casefold() == wanted:
            return allowed
    raise HotlistError(f"BOLO reason {reason!r} is not permitted; the policy allows: "
                       + "; ".join(policy.hotlists.bolo_reasons))


def active_flags(session: Session, list_id: int) -> list[ErrorFlag]:
    return list(session.scalars(select(ErrorFlag).where(
        ErrorFlag.list_id == list_id, ErrorFlag.cleared_at.is_(None))))


def add_manual_entry(
    session: Session, *, list_name: str, plate: str, reason: str, case_number: str,
    justification: str, actor: str, policy: Policy, state: str | None = None,
    urgent: bool = False, vehicle: dict[str, str | None] | None = None,
    now: datetime | None = None,
) -> HotListEntry:
    """A hand-entered BOLO or Amber/Silver alert entry (REQ H3, H4)."""
    now = now or utcnow()
    hotlist = get_list(session, list_name)
    if hotlist.source not in MANUAL_SOURCES:
        raise HotlistError(f"{hotlist.source} lists are only loaded by import")
    if not justification or not justification.strip():
        raise HotlistError("a manual entry needs a justification")
    if not case_number or not case_number.strip():
        raise HotlistError("a manual entry needs a case number")
    try:
        case_number = check_hotlist_case_number(
            case_number, pattern=policy.search.case_number_pattern)
        state = state_code(state, required=False)
    except FieldError as error:
        raise HotlistError(str(error)) from error
    if hotlist.source == "BOLO":
        reason = bolo_reason(reason, policy)
    try:
        plate = normalize_plate(plate)
    except PlateError as error:
        raise HotlistError(f"plate: {error}") from error
    fast = urgent and hotlist.source in URGENT_SOURCES
    if urgent and not fast:
        raise HotlistError("only Amber and Silver alert entries can take the urgent path")
    pending = policy.hotlists.manual_entries_require_approval and not fast
    entry = HotListEntry(
        list_id=hotlist.id, generation=hotlist.generation, origin=EntryOrigin.MANUAL.value,
        status=(EntryStatus.PENDING if pending else EntryStatus.ACTIVE).value, plate=plate,
        exact_key=exact_key(plate), state=state, reason=reason, entered_at=now,
        expires_at=policy.hotlists.entry_lifetime.after(now), entered_by=actor,
        case_number=case_number.strip(), justification=justification.strip(), urgent=fast,
        **(vehicle or {}),
    )
    session.add(entry)
    session.flush()
    if not pending:
        bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_ENTRY_ADD, actor=actor, now=now, details={
        "list": list_name, "entry_id": entry.id, "plate": plate, "reason": reason,
        "case_number": entry.case_number, "status": entry.status, "urgent": fast})
    return entry


def decide_entry(
    session: Session, *, entry_id: int, approve: bool, actor: str, now: datetime | None = None,
) -> HotListEntry:
    """An ALPR Administrator approves or rejects a pending manual entry (REQ H3)."""
    now = now or utcnow()
    entry = _entry(session, entry_id)
    if entry.status != EntryStatus.PENDING:
        raise HotlistError(f"entry {entry_id} is {entry.status}, not pending")
    if entry.entered_by == actor:
        raise HotlistError("an entry must be approved by someone other than who entered it")
    entry.status = (EntryStatus.ACTIVE if approve else EntryStatus.REJECTED).value
    entry.decided_by, entry.decided_at = actor, now
    bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_ENTRY_APPROVE if approve
           else AuditEvent.HOTLIST_ENTRY_REJECT, actor=actor, now=now,
           details={"entry_id": entry_id, "plate": entry.plate})
    return entry


def flag_in_error(
    session: Session, *, entry_id: int, actor: str, reason: str, now: datetime | None = None,
) -> HotListEntry:
    """Mark an entry "record in error": it stops alerting and is reported for cancellation."""
    now = now or utcnow()
    # Locked: two people flagging at once must not send two cancellations.
    entry = session.get(HotListEntry, entry_id, with_for_update=True)
    hotlist = session.get(HotList, entry.list_id) if entry is not None else None
    if entry is None or hotlist is None or entry.generation != hotlist.generation:
        raise HotlistError(f"no hot-list entry {entry_id}")  # staged rows are nobody's yet
    if not reason.strip():
        raise HotlistError("say why the record is in error")
    if entry.status == EntryStatus.IN_ERROR:
        raise HotlistError(f"entry {entry_id} is already flagged in error")
    entry.status = EntryStatus.IN_ERROR.value
    entry.flagged_by, entry.flagged_at, entry.flag_reason = actor, now, reason.strip()
    flag = ErrorFlag(list_id=entry.list_id, exact_key=entry.exact_key, plate=entry.plate,
                     state=entry.state, source_record_id=entry.source_record_id,
                     entry_id=entry.id, flagged_by=actor, flagged_at=now, reason=reason.strip())
    session.add(flag)
    session.flush()
    notices = cancellations.enqueue(session, flag, hotlist, now)
    bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_ENTRY_FLAG, actor=actor, now=now, details={
        "entry_id": entry_id, "list": hotlist.name, "plate": entry.plate,
        "source_record_id": entry.source_record_id, "reason": reason, "flag_id": flag.id,
        "cancellation_notices": notices})
    return entry


def purge_expired(session: Session, *, actor: str, now: datetime | None = None) -> int:
    """Delete entries past their lifetime (REQ H5); the daily job calls this. Rows no
    reader sees that a dead or refused import left behind go too."""
    now = now or utcnow()
    deleted = rowcount(session.execute(
        delete(HotListEntry).where(HotListEntry.expires_at <= now)))
    leftover = sum(generations.delete_unused(session, list_id)
                   for list_id in session.scalars(select(HotList.id)))
    if deleted:
        bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_PURGE, actor=actor, now=now,
           outcome=Outcome.SUCCESS, details={"deleted": deleted, "leftover": leftover})
    return deleted



def _entry(session: Session, entry_id: int) -> HotListEntry:
    entry = session.get(HotListEntry, entry_id)
    if entry is None:
        raise HotlistError(f"no hot-list entry {entry_id}")
    return entry


def list_entries(
    session: Session, *, list_name: str | None = None, status: EntryStatus | None = None,
    plate: str | None = None, limit: int | None = None, offset: int = 0,
) -> list[tuple[HotListEntry, HotList]]:
    """Entries in id order; `plate` keeps those whose plate contains it; a whole SVS list
    is large, so callers that show it page with `limit` and `offset`."""
    query = (select(HotListEntry, HotList).join(HotList, HotList.id == HotListEntry.list_id)
             .where(HotListEntry.generation == HotList.generation))  # never staged rows
    if list_name:
        query = query.where(HotList.name == list_name)
    if status:
        query = query.where(HotListEntry.status == status.value)
    if plate:
        query = query.where(HotListEntry.plate.contains(plate.upper().replace(" ", ""),
                                                         autoescape=True))
    query = query.order_by(HotListEntry.id).offset(offset).limit(limit)
    return [(e, h) for e, h in session.execute(query)]


def entry_counts(session: Session) -> dict[int, dict[str, int]]:
    """Per list id, how many entries it holds in each status."""
    counts: dict[int, dict[str, int]] = {}
    for list_id, status, number in session.execute(
            select(HotListEntry.list_id, HotListEntry.status, func.count())
            .join(HotList, HotList.id == HotListEntry.list_id)
            .where(HotListEntry.generation == HotList.generation)  # never staged rows
            .group_by(HotListEntry.list_id, HotListEntry.status)):
        counts.setdefault(list_id, {})[status] = number
    return counts
