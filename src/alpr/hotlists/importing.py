"""Hot-list imports: a file replaces a list atomically (REQ H2), streamed in batches.

`import_entries` does it inside the caller's transaction; `import_staged` (files from
people and the drop folder) in short transactions of its own, so ingest never waits for
a whole import behind SQLite's write lock (issue 18.7).
"""


from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
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
from alpr.hotlists import generations, matching
from alpr.hotlists.generations import remove_unused_rows, rowcount
from alpr.hotlists.matching import (
    MatchIndex,
    build_index,
    bump_revision,
    current_revision,
    exact_key,
)
from alpr.hotlists.models import EntryOrigin, EntryStatus, ErrorFlag, HotList, HotListEntry
from alpr.hotlists.profiles import ParsedEntry, ParsedFile, Record
from alpr.hotlists.service import HotlistError, active_flags, bolo_reason
from alpr.policy import Policy
from alpr.reports import tally
from alpr.users.permissions import Role
from alpr.users.roles import holds_role

log = logging.getLogger(__name__)


# Rows per INSERT while an import streams: memory holds one batch, not the file.
IMPORT_BATCH_ROWS = 5_000
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
    generations.delete_unused(session, hotlist.id)  # the old generation
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
        written = _write_generation(
            partial(_write_staged, hotlist.id, generation), hotlist, generation,
            _records(parsed), flags=flagged, policy=policy, now=now,
            batch_rows=generations.STAGED_BATCH_ROWS)
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
    if generations.running_import(hotlist) is not None:
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
        if not rowcount(session.execute(
                update(HotList)
                .where(HotList.id == list_id, HotList.staging_generation == generation)
                .values(staging_since=utcnow()))):
            raise HotlistError("another import took this list over (this one had written"
                               f" nothing for {generations.STALE_CLAIM}); the active list is kept")
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
        marked = rowcount(session.execute(
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
