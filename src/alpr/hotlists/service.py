"""Hot lists: create, import (atomic replacement), manual entries, approval, flags, expiry.

Every change bumps the hot-list revision in the same transaction, so matchers in every
process pick it up with the commit, and is audited in that transaction too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, insert, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.hotlists.matching import bump_revision, exact_key
from alpr.hotlists.models import EntryOrigin, EntryStatus, HotList, HotListEntry
from alpr.hotlists.profiles import ParsedFile
from alpr.policy import Policy
from alpr.reads.plates import PlateError, normalize_plate

# Lists an officer may add entries to by hand; general lists come only from imports.
MANUAL_SOURCES = frozenset({"BOLO", "AMBER", "SILVER"})
# Urgent entries on these go live at once (REQ H4) and are still recorded and reviewable.
URGENT_SOURCES = frozenset({"AMBER", "SILVER"})


class HotlistError(ValueError):
    """A hot-list request that cannot be honoured; the message says why."""


@dataclass
class ImportResult:
    list_name: str
    generation: int
    loaded: int
    problems: list[tuple[int, str]] = field(default_factory=list)
    replaced: int = 0


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


def import_entries(
    session: Session, *, list_name: str, parsed: ParsedFile, actor: str, policy: Policy,
    file_name: str, now: datetime | None = None,
) -> ImportResult:
    """Replace the list's content with the parsed file, in this one transaction.

    Readers see the old generation until the transaction commits, then the new one: an
    alert never sees a half-loaded list (REQ H2).
    """
    now = now or utcnow()
    hotlist = get_list(session, list_name)
    manual = session.scalar(select(func.count()).where(
        HotListEntry.list_id == hotlist.id, HotListEntry.origin == EntryOrigin.MANUAL))
    if manual:
        raise HotlistError(f"hot list {list_name!r} holds manual entries; import into its own list")
    problems = list(parsed.problems)
    allowed_types = set(policy.hotlists.allowed_ncic_record_types)
    rows: list[dict[str, Any]] = []
    expires_at = policy.hotlists.entry_lifetime.after(now)
    generation = hotlist.generation + 1
    for entry in parsed.entries:
        if entry.record_type is not None and entry.record_type not in allowed_types:
            problems.append((entry.line, f"record type {entry.record_type} ({entry.reason})"
                             " is not loaded under the agency policy"))
            continue
        rows.append({
            "list_id": hotlist.id, "generation": generation, "origin": EntryOrigin.IMPORT.value,
            "status": EntryStatus.ACTIVE.value, "plate": entry.plate,
            "exact_key": exact_key(entry.plate), "state": entry.state, "reason": entry.reason,
            "source_record_id": entry.source_record_id, "vehicle_year": entry.vehicle_year,
            "vehicle_make": entry.vehicle_make, "vehicle_model": entry.vehicle_model,
            "vehicle_color": entry.vehicle_color, "entered_at": now, "expires_at": expires_at,
            "urgent": False,
        })
    if rows:
        session.execute(insert(HotListEntry), rows)
    replaced = _deleted(session.execute(delete(HotListEntry).where(
        HotListEntry.list_id == hotlist.id, HotListEntry.generation < generation)))
    hotlist.generation = generation
    hotlist.imported_at = now
    bump_revision(session)
    problems.sort()
    record(session, event=AuditEvent.HOTLIST_IMPORT, actor=actor, now=now, details={
        "list": list_name, "file": file_name, "generation": generation, "loaded": len(rows),
        "replaced": replaced, "problems": len(problems), "first_problems": problems[:20]})
    return ImportResult(list_name, generation, len(rows), problems, replaced)


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
    for label, value in (("case number", case_number), ("justification", justification)):
        if not value or not value.strip():
            raise HotlistError(f"a manual entry needs a {label}")
    if hotlist.source == "BOLO" and reason not in policy.hotlists.bolo_reasons:
        raise HotlistError(
            f"BOLO reason {reason!r} is not permitted; the policy allows: "
            + "; ".join(policy.hotlists.bolo_reasons))
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
    entry = _entry(session, entry_id)
    if not reason.strip():
        raise HotlistError("say why the record is in error")
    entry.status = EntryStatus.IN_ERROR.value
    entry.flagged_by, entry.flagged_at, entry.flag_reason = actor, now, reason.strip()
    bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_ENTRY_FLAG, actor=actor, now=now, details={
        "entry_id": entry_id, "plate": entry.plate, "source_record_id": entry.source_record_id,
        "reason": reason})
    return entry


def purge_expired(session: Session, *, actor: str, now: datetime | None = None) -> int:
    """Delete entries past their lifetime (REQ H5); the daily job calls this."""
    now = now or utcnow()
    deleted = _deleted(session.execute(
        delete(HotListEntry).where(HotListEntry.expires_at <= now)))
    if deleted:
        bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_PURGE, actor=actor, now=now,
           outcome=Outcome.SUCCESS, details={"deleted": deleted})
    return deleted


def _deleted(result: Result[Any]) -> int:
    count: int = cast(CursorResult[Any], result).rowcount
    return count


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
    query = select(HotListEntry, HotList).join(HotList, HotList.id == HotListEntry.list_id)
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
            .group_by(HotListEntry.list_id, HotListEntry.status)):
        counts.setdefault(list_id, {})[status] = number
    return counts
