"""Hot lists: create, import (atomic replacement), manual entries, approval, flags, expiry.

Every change bumps the hot-list revision in the same transaction, so matchers in every
process pick it up with the commit, and is audited in that transaction too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    Select,
    delete,
    except_,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.db.base import utcnow
from alpr.db.session import get_database, unit_of_work
from alpr.hotlists import cancellations, matching
from alpr.hotlists.matching import (
    MatchIndex,
    build_index,
    bump_revision,
    current_revision,
    exact_key,
)
from alpr.hotlists.models import EntryOrigin, EntryStatus, ErrorFlag, HotList, HotListEntry
from alpr.hotlists.profiles import ParsedEntry, ParsedFile, Record
from alpr.hotlists.validation import FieldError, check_hotlist_case_number, state_code
from alpr.policy import Policy
from alpr.reads.plates import PlateError, normalize_plate
from alpr.reports import tally
from alpr.users.permissions import Role
from alpr.users.roles import holds_role

# Lists an officer may add entries to by hand; general lists come only from imports.
MANUAL_SOURCES = frozenset({"BOLO", "AMBER", "SILVER"})
# Urgent entries on these go live at once (REQ H4) and are still recorded and reviewable.
URGENT_SOURCES = frozenset({"AMBER", "SILVER"})


log = logging.getLogger(__name__)


class HotlistError(ValueError):
    """A hot-list request that cannot be honoured; the message says why."""


# Rows per INSERT while an import streams: memory holds one batch, not the file.
IMPORT_BATCH_ROWS = 5_000
# Rows per committed transaction of a staged import: each holds SQLite's write lock for a
# few milliseconds, so ingest and other writers slip in between the batches.
STAGED_BATCH_ROWS = 2_000
# A claim on a list whose import has written nothing for this long is taken over: the
# process that held it died.
STALE_CLAIM = timedelta(minutes=10)
# Problems an import keeps to report (the first, by line); all are counted. A damaged file
# can have a million bad lines, and nobody reads past the first screens of them.
KEPT_PROBLEMS = 1_000


@dataclass
class ImportResult:
    list_name: str
    generation: int
    loaded: int
    problems: list[tuple[int, str]] = field(default_factory=list)  # the first KEPT_PROBLEMS
    replaced: int = 0
    problem_count: int = 0


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


class ImportRefused(HotlistError):  # noqa: N818 (a refusal the user sees)
    """The file would leave the list empty or far smaller; the active list is kept."""

    def __init__(self, message: str, *, forceable: bool) -> None:
        super().__init__(message)
        self.forceable = forceable


MIN_FORCE_REASON = 10


class ImportBusy(HotlistError):  # noqa: N818 (a refusal the user sees)
    """Another import of the list is running (HTTP 409): this one is refused."""


def import_entries(
    session: Session, *, list_name: str, parsed: ParsedFile | Iterable[Record], actor: str,
    policy: Policy, file_name: str, now: datetime | None = None,
    force_reason: str | None = None,
) -> ImportResult:
    """Replace the list's content with the parsed file, in this one transaction.

    `parsed` is a stream of records (profiles.iter_records) or a ParsedFile; rows are
    written as the stream goes, IMPORT_BATCH_ROWS at a time, as a new generation. Readers
    see the old generation until the transaction commits, then the new one: an alert never
    sees a half-loaded list (REQ H2). The whole file is judged before it replaces anything:
    a file with no loadable record never replaces a list, and one that would drop more than
    the policy's `import_max_drop` of the entries needs an ALPR Administrator's
    `force_reason`; refused (here or by a ProfileError from the stream), the caller's
    transaction rolls back and the written rows with it. Plates flagged "record in error"
    on this list load as in_error again. Files from users and the drop folder go through
    `import_staged` instead, which does the same in short transactions.
    """
    now = now or utcnow()
    hotlist = _importable(session, list_name)
    generation = _next_generation(session, hotlist)
    flags = {flag.exact_key: flag for flag in active_flags(session, hotlist.id)}
    written = _write_generation(lambda rows: _insert(session, rows), hotlist, generation,
                                _records(parsed), flags=flags, policy=policy, now=now,
                                batch_rows=IMPORT_BATCH_ROWS)
    new = _new_plates(session, hotlist.id, hotlist.generation, generation)
    result = _flip(session, hotlist, generation, written, new_plates=new, flags=set(flags),
                   actor=actor, policy=policy, file_name=file_name, now=now,
                   force_reason=force_reason)
    delete_unused(session, hotlist.id)  # the old generation
    return result


def import_staged(
    *, list_name: str, parsed: ParsedFile | Iterable[Record], actor: str, policy: Policy,
    file_name: str, now: datetime | None = None, force_reason: str | None = None,
    prebuild: bool = True,
) -> ImportResult:
    """`import_entries` in short transactions of its own, so that on SQLite ingest never
    waits for a whole import behind the write lock (issue 18.7).

    1. Claim the list (a second import of it is refused with ImportBusy meanwhile).
    2. Write the new generation, STAGED_BATCH_ROWS rows per committed transaction: rows no
       reader sees, their generation not being the list's.
    3. Build the match index of the lists as they will be, outside any write lock (unless
       not `prebuild`: the index lives in this process's memory, useless to a CLI).
    4. Flip, in one short transaction: the checks of import_entries, the generation moved,
       the revision bumped, audited; then install the index for matchers (REQ H2: an alert
       sees the old list or the new one, never a half).
    5. Delete the old generation (or, when refused, the staged one) in short transactions.
    """
    now = now or utcnow()
    with unit_of_work() as session:
        hotlist = _importable(session, list_name)
        generation = _next_generation(session, hotlist)
        hotlist.staging_generation, hotlist.staging_since = generation, utcnow()
        flagged = {flag.exact_key: flag for flag in active_flags(session, hotlist.id)}
    try:
        remove_unused_rows(hotlist.id)  # left behind by an import that died
        written = _write_generation(partial(_write_staged, hotlist.id, generation), hotlist,
                                    generation, _records(parsed), flags=flagged,
                                    policy=policy, now=now, batch_rows=STAGED_BATCH_ROWS)
        # Outside any write lock: the slow reads the flip needs.
        with get_database().reading() as session:
            new = _new_plates(session, hotlist.id, hotlist.generation, generation)
            index = (build_index(session, current_revision(session),
                                 staged=(hotlist.id, generation)) if prebuild else None)
        result = _flip_staged(hotlist.id, generation, written, index, new_plates=new,
                              flags=set(flagged), actor=actor, policy=policy,
                              file_name=file_name, now=now, force_reason=force_reason)
    except BaseException:
        _abandon(hotlist.id, generation)
        raise
    try:
        remove_unused_rows(hotlist.id)  # the old generation, invisible since the flip
    except Exception:  # the import stands; the purge job deletes what is left
        log.exception("could not delete the replaced entries of list %s", list_name)
    return result


def _importable(session: Session, list_name: str) -> HotList:
    hotlist = session.scalar(select(HotList).where(HotList.name == list_name)
                             .with_for_update())
    if hotlist is None:
        raise HotlistError(f"no hot list {list_name!r}")
    _refuse_manual(session, hotlist)
    if _owned(hotlist) is not None:
        assert hotlist.staging_since is not None
        raise ImportBusy(f"hot list {list_name!r} is being imported (since"
                         f" {hotlist.staging_since:%Y-%m-%d %H:%M:%S} UTC); try again when"
                         " that import is done")
    return hotlist


def _refuse_manual(session: Session, hotlist: HotList) -> None:
    if session.scalar(select(func.count()).where(
            HotListEntry.list_id == hotlist.id, HotListEntry.origin == EntryOrigin.MANUAL)):
        raise HotlistError(f"hot list {hotlist.name!r} holds manual entries; import into its"
                           " own list")


def _owned(hotlist: HotList) -> int | None:
    """The generation a running import is writing (None: none, or a claim gone stale)."""
    since = hotlist.staging_since
    if since is None or since <= utcnow() - STALE_CLAIM:
        return None
    return hotlist.staging_generation


def _next_generation(session: Session, hotlist: HotList) -> int:
    # Above any row left behind, so an import never mixes with a dead one's rows.
    highest = session.scalar(select(func.max(HotListEntry.generation))
                             .where(HotListEntry.list_id == hotlist.id))
    return max(hotlist.generation, hotlist.staging_generation or 0, highest or 0) + 1


def _records(parsed: ParsedFile | Iterable[Record]) -> Iterable[Record]:
    return parsed.records() if isinstance(parsed, ParsedFile) else parsed


def _write_staged(list_id: int, generation: int, rows: list[dict[str, Any]]) -> int:
    """One committed batch of a staged import, which renews its claim."""
    with unit_of_work() as session:
        if not _rowcount(session.execute(
                update(HotList)
                .where(HotList.id == list_id, HotList.staging_generation == generation)
                .values(staging_since=utcnow()))):
            raise HotlistError("another import took this list over (this one had written"
                               f" nothing for {STALE_CLAIM}); the active list is kept")
        return _insert(session, rows)


def _flip_staged(
    list_id: int, generation: int, written: _Written, index: MatchIndex | None, *,
    new_plates: int, flags: set[str], actor: str, policy: Policy, file_name: str,
    now: datetime, force_reason: str | None,
) -> ImportResult:
    """The short transaction that makes the staged generation the list's; then the index
    built for it is installed, unless another change committed since it was built."""
    held = committed = False
    try:
        with unit_of_work() as session:
            hotlist = session.get(HotList, list_id, with_for_update=True)
            if hotlist is None or hotlist.staging_generation != generation:
                raise HotlistError("another import took this list over; the active list is"
                                   " kept")
            seen = current_revision(session)
            result = _flip(session, hotlist, generation, written, new_plates=new_plates,
                           flags=flags, actor=actor, policy=policy, file_name=file_name,
                           now=now, force_reason=force_reason)
            hotlist.staging_generation = hotlist.staging_since = None
            session.flush()
            # Nothing else changed what can alert since the prebuild: its index is right.
            if index is not None and seen == index.revision:
                index.revision = current_revision(session)
                matching.hold_for_install()
                held = True
        committed = True
    finally:
        if held:
            matching.install(index if committed else None)
    return result


def _abandon(list_id: int, generation: int) -> None:
    """A refused or failed staged import: release its claim, delete what it wrote."""
    try:
        with unit_of_work() as session:
            session.execute(update(HotList).where(
                HotList.id == list_id, HotList.staging_generation == generation)
                .values(staging_generation=None, staging_since=None))
        remove_unused_rows(list_id)
    except Exception:  # the import's own error is the one to report; purge retries this
        log.exception("could not remove the rows of an abandoned import of list %s", list_id)


def remove_unused_rows(list_id: int) -> int:
    """Delete, STAGED_BATCH_ROWS per short transaction, the list's rows no reader sees."""
    removed = 0
    while True:
        with unit_of_work() as session:
            deleted = delete_unused(session, list_id, limit=STAGED_BATCH_ROWS)
        removed += deleted
        if deleted < STAGED_BATCH_ROWS:
            return removed


def delete_unused(session: Session, list_id: int, *, limit: int | None = None) -> int:
    """Delete (up to `limit` of) the list's rows of any generation but its current one and
    the one a running import writes: replaced lists, refused or dead imports."""
    hotlist = session.get(HotList, list_id, with_for_update=True, populate_existing=True)
    if hotlist is None:
        return 0
    deleted = 0
    # Two ranges an index reads in order: below the current generation, and between it and
    # the staged one (rows of dead imports sit below a running import's, see _next_generation).
    for low, high in ((None, hotlist.generation), (hotlist.generation, _owned(hotlist))):
        where = [HotListEntry.list_id == list_id]
        if low is not None:
            where.append(HotListEntry.generation > low)
        if high is not None:
            where.append(HotListEntry.generation < high)
        if limit is not None:
            where = [HotListEntry.id.in_(select(HotListEntry.id).where(*where)
                                         .limit(limit - deleted))]
        deleted += _rowcount(session.execute(
            delete(HotListEntry).where(*where).execution_options(synchronize_session=False)))
        if limit is not None and deleted >= limit:
            break
    return deleted


def _flip(
    session: Session, hotlist: HotList, generation: int, written: _Written, *,
    new_plates: int, flags: set[str], actor: str, policy: Policy, file_name: str,
    now: datetime, force_reason: str | None,
) -> ImportResult:
    """Judge the written generation and make it the list's (flags: the plates flagged in
    error when writing began; new_plates: those the old generation did not carry)."""
    _refuse_manual(session, hotlist)
    previous = session.scalar(select(func.count()).where(
        HotListEntry.list_id == hotlist.id, HotListEntry.generation == hotlist.generation)
    ) or 0
    current = {flag.exact_key: flag for flag in active_flags(session, hotlist.id)}
    for key in current.keys() - flags:  # flagged while a staged import wrote
        marked = _rowcount(session.execute(
            update(HotListEntry).where(HotListEntry.list_id == hotlist.id,
                                       HotListEntry.generation == generation,
                                       HotListEntry.exact_key == key)
            .values(status=EntryStatus.IN_ERROR.value, flagged_by=current[key].flagged_by,
                    flagged_at=current[key].flagged_at, flag_reason=current[key].reason)
            .execution_options(synchronize_session=False)))
        if marked:
            written.flagged_keys.add(key)
            written.in_error += marked
    problems = written.problems
    forced = _guard_import(session, list_name=hotlist.name, records=written.records,
                           loadable=written.loaded, previous=previous, problems=problems,
                           problem_count=written.problem_count, actor=actor, policy=policy,
                           force_reason=force_reason)
    # Durable yearly figures (REQ H6): the plates this import added to the list.
    tally.count_imported_entries(session, source=hotlist.source, entered_at=now,
                                 new=new_plates)
    # The source no longer carries these records: their wants are cancelled there.
    cleared = [flag for key, flag in current.items() if key not in written.flagged_keys]
    for flag in cleared:
        flag.cleared_at = now
    hotlist.generation = generation
    hotlist.imported_at = now
    bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_IMPORT, actor=actor, now=now, details={
        "list": hotlist.name, "file": file_name, "generation": generation,
        "loaded": written.loaded, "replaced": previous, "problems": written.problem_count,
        "first_problems": problems[:20], "in_error_kept": written.in_error,
        "flags_cleared": [flag.plate for flag in cleared], "previous": previous,
        "forced": forced})
    return ImportResult(hotlist.name, generation, written.loaded, problems, previous,
                        problem_count=written.problem_count)


@dataclass
class _Written:
    """What an import wrote, counted as it streamed (never the rows themselves)."""

    records: int = 0  # records in the file, loadable or not
    loaded: int = 0
    in_error: int = 0
    flagged_keys: set[str] = field(default_factory=set)  # flagged plates still carried
    problems: list[tuple[int, str]] = field(default_factory=list)  # the first, by line
    problem_count: int = 0

    def refuse(self, line: int, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:  # streams come in line order
            self.problems.append((line, problem))


def _write_generation(
    write: Callable[[list[dict[str, Any]]], int], hotlist: HotList, generation: int,
    records: Iterable[Record], *, flags: dict[str, ErrorFlag], policy: Policy, now: datetime,
    batch_rows: int,
) -> _Written:
    """Hand the stream's loadable records, as rows of `generation` of the list, to `write`
    `batch_rows` at a time."""
    written = _Written()
    allowed_types = set(policy.hotlists.allowed_ncic_record_types)
    expires_at = policy.hotlists.entry_lifetime.after(now)
    batch: list[dict[str, Any]] = []
    for entry in records:
        written.records += 1
        if not isinstance(entry, ParsedEntry):
            written.refuse(*entry)
            continue
        if entry.record_type is not None and entry.record_type not in allowed_types:
            written.refuse(entry.line, f"record type {entry.record_type} ({entry.reason})"
                           " is not loaded under the agency policy")
            continue
        reason = entry.reason
        if hotlist.source == "BOLO":
            try:
                reason = bolo_reason(entry.reason, policy)
            except HotlistError as error:
                written.refuse(entry.line, str(error))
                continue
        key = exact_key(entry.plate)
        flag = flags.get(key)
        if flag:
            written.flagged_keys.add(key)
            written.in_error += 1
        batch.append({
            "list_id": hotlist.id, "generation": generation, "origin": EntryOrigin.IMPORT.value,
            "status": (EntryStatus.IN_ERROR if flag else EntryStatus.ACTIVE).value,
            "plate": entry.plate, "exact_key": key, "state": entry.state, "reason": reason,
            "source_record_id": entry.source_record_id, "vehicle_year": entry.vehicle_year,
            "vehicle_make": entry.vehicle_make, "vehicle_model": entry.vehicle_model,
            "vehicle_color": entry.vehicle_color, "entered_at": now, "expires_at": expires_at,
            "urgent": False, "flagged_by": flag.flagged_by if flag else None,
            "flagged_at": flag.flagged_at if flag else None,
            "flag_reason": flag.reason if flag else None,
        })
        if len(batch) >= batch_rows:
            written.loaded += write(batch)
            batch = []
    if batch:
        written.loaded += write(batch)
    written.problems.sort()
    return written


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if rows:
        session.execute(insert(HotListEntry), rows)
    return len(rows)


def _new_plates(session: Session, list_id: int, old: int, new: int) -> int:
    """Plates of the new generation the old one did not carry, counted by the database (two
    sets of a million keys in memory would undo the streaming). EXCEPT, not a correlated
    NOT EXISTS: planners answer that through the (list, generation) index, row by row."""
    def keys(*where: ColumnElement[bool]) -> Select[str]:
        return select(HotListEntry.exact_key).where(HotListEntry.list_id == list_id, *where)

    added = except_(keys(HotListEntry.generation == new),
                    keys(HotListEntry.generation == old)).subquery()
    return session.scalar(select(func.count()).select_from(added)) or 0


def _guard_import(
    session: Session, *, list_name: str, records: int, loadable: int, previous: int,
    problems: list[tuple[int, str]], problem_count: int, actor: str, policy: Policy,
    force_reason: str | None,
) -> str | None:
    """Refuse a file that would empty or gut the list; the forcing reason when forced."""
    if records and not loadable:
        first = "; ".join(f"line {line}: {problem}" for line, problem in problems[:5])
        raise ImportRefused(f"no record in the file can be loaded ({problem_count} refused:"
                            f" {first}); the active list {list_name!r} is kept",
                            forceable=False)
    max_drop = policy.hotlists.import_max_drop
    dropped = previous - loadable
    if previous and dropped > previous * max_drop:
        if force_reason is None:
            raise ImportRefused(
                f"the file would replace {previous} entries of {list_name!r} with {loadable}"
                f" (more than {max_drop:.0%} fewer, hotlists.import_max_drop); the active list"
                " is kept. An ALPR Administrator may force it with a reason", forceable=True)
        reason = force_reason.strip()
        if len(reason) < MIN_FORCE_REASON:
            raise HotlistError(f"force reason: say why the list may shrink (at least"
                               f" {MIN_FORCE_REASON} characters)")
        if not holds_role(session, actor, Role.ALPR_ADMINISTRATOR):
            raise HotlistError("only an ALPR Administrator may force an import that shrinks"
                               " a list")
        return reason
    return None


def record_import_refusal(
    session: Session, *, list_name: str, file_name: str, error: Exception, actor: str,
    organization: str | None = None, now: datetime | None = None,
) -> None:
    """Audit a refused import (its own transaction: the import itself was rolled back)."""
    record(session, event=AuditEvent.HOTLIST_IMPORT_REFUSED, actor=actor,
           outcome=Outcome.DENIED, organization=organization, now=now or utcnow(),
           details={"list": list_name, "file": file_name, "reason": str(error),
                    "forceable": getattr(error, "forceable", False)})


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
    deleted = _rowcount(session.execute(
        delete(HotListEntry).where(HotListEntry.expires_at <= now)))
    leftover = sum(delete_unused(session, list_id)
                   for list_id in session.scalars(select(HotList.id)))
    if deleted:
        bump_revision(session)
    record(session, event=AuditEvent.HOTLIST_PURGE, actor=actor, now=now,
           outcome=Outcome.SUCCESS, details={"deleted": deleted, "leftover": leftover})
    return deleted


def _rowcount(result: Result[Any]) -> int:
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
