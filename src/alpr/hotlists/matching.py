"""Compare reads with active hot-list entries in O(1) per read.

Entries are indexed in memory under two keys: the exact key (normalized plate, letter O
written as digit 0, the US convention) and the confusion key (each character replaced by
the representative of the characters a camera confuses it with). A read costs two dict
lookups, plus one per alternative reading the recognizer offered.

The index is rebuilt only when the `hotlist_revision` token changes (an import, an approval, a flag,
an expiry), so every process — API workers, broker consumers — sees the same lists.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alpr.hotlists.models import EntryStatus, HotList, HotListEntry, HotListRevision, MatchKind
from alpr.reads.plates import CONFUSION_GROUPS, confusion_key, exact_key

__all__ = ["CONFUSION_GROUPS", "Hit", "MatchIndex", "confusion_key", "exact_key"]

@dataclass(frozen=True, slots=True)
class Hit:
    entry_id: int
    match: MatchKind


# One entry id, or a tuple when several entries share a key: a million single-entry keys
# then cost an int each instead of a list each.
Ids = int | tuple[int, ...]


def _with(ids: Ids | None, entry_id: int) -> Ids:
    if ids is None:
        return entry_id
    return (*ids, entry_id) if isinstance(ids, tuple) else (ids, entry_id)


def _each(ids: Ids | None) -> tuple[int, ...]:
    if ids is None:
        return ()
    return ids if isinstance(ids, tuple) else (ids,)


@dataclass
class MatchIndex:
    """Active entries by exact key and by confusion key. Expiry and details are checked on
    the (rare) hits, against the database, so the index holds nothing but ids."""

    revision: str
    exact: dict[str, Ids] = field(default_factory=dict)
    fuzzy: dict[str, Ids] = field(default_factory=dict)

    def add(self, entry_id: int, key: str) -> None:
        self.exact[key] = _with(self.exact.get(key), entry_id)
        fuzzy = confusion_key(key)
        self.fuzzy[fuzzy] = _with(self.fuzzy.get(fuzzy), entry_id)

    def match(self, plate: str, *, alternatives: Iterable[str] = ()) -> list[Hit]:
        """Hits for one read: exact first, then confusion-class and alternative readings."""
        key = exact_key(plate)
        hits = {entry_id: Hit(entry_id, MatchKind.EXACT) for entry_id in _each(self.exact.get(key))}
        for entry_id in _each(self.fuzzy.get(confusion_key(key))):
            hits.setdefault(entry_id, Hit(entry_id, MatchKind.FUZZY))
        for alternative in alternatives:
            for entry_id in _each(self.exact.get(exact_key(alternative))):
                hits.setdefault(entry_id, Hit(entry_id, MatchKind.FUZZY))
        return list(hits.values())


def current_revision(session: Session) -> str:
    token = session.scalar(select(HotListRevision.token).where(HotListRevision.id == 1))
    return token or ""


def bump_revision(session: Session) -> None:
    """Record that what can alert has changed (call in the same transaction as the change)."""
    row = session.get(HotListRevision, 1, with_for_update=True)
    if row is None:
        session.add(HotListRevision(id=1, token=uuid.uuid4().hex))
    else:
        row.token = uuid.uuid4().hex
    session.flush()


def build_index(session: Session, revision: str, *, staged: tuple[int, int] | None = None
                ) -> MatchIndex:
    """The active entries of each list's current generation; with `staged` (list id,
    generation), that list's entries of the staged generation instead (an import's
    prebuilt index, ready before its flip)."""
    global builds
    builds += 1
    current = HotListEntry.generation == HotList.generation
    if staged is not None:
        list_id, generation = staged
        current = or_(and_(HotListEntry.list_id != list_id, current),
                      and_(HotListEntry.list_id == list_id,
                           HotListEntry.generation == generation))
    index = MatchIndex(revision)
    query = (
        select(HotListEntry.id, HotListEntry.exact_key)
        .join(HotList, HotList.id == HotListEntry.list_id)
        .where(HotListEntry.status == EntryStatus.ACTIVE)
        # Only the list's current generation: replaced and staged rows never match.
        .where(current)
        .execution_options(yield_per=10_000)
    )
    for entry_id, key in session.execute(query):
        index.add(entry_id, key)
    return index


_cached: MatchIndex | None = None
_lock = threading.Lock()
builds = 0  # indexes built by this process (tests read it: a prebuilt index saves one)


def match_index(session: Session) -> MatchIndex:
    """The index for the lists as this transaction sees them (rebuilt when they changed).

    Double-checked under the lock: a matcher that waited while another built (or while an
    import installed its prebuilt index, see `hold_for_install`) takes that index."""
    global _cached
    revision = current_revision(session)
    cached = _cached
    if cached is not None and cached.revision == revision:
        return cached
    with _lock:
        cached = _cached
        if cached is not None and cached.revision == revision:
            return cached
        index = build_index(session, revision)
        _cached = index
    return index


def hold_for_install() -> None:
    """Taken by an import just before its flip commits: a matcher that sees the new revision
    waits for `install` (a dict assignment), never builds the index itself."""
    _lock.acquire()


def install(index: MatchIndex | None) -> None:
    """Install the index an import built for the revision it committed (None: its flip did
    not commit) and let matchers on."""
    global _cached
    try:
        if index is not None:
            _cached = index
    finally:
        _lock.release()
