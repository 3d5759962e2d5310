"""A hot list's generations: readers see only `hotlists.generation`; an import writes the
next one (claimed by `staging_generation`, renewed by `staging_since`); every other row is
left over (a replaced list, a refused or dead import) and deleted in short batches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, select
from sqlalchemy.orm import Session

from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.hotlists.models import HotList, HotListEntry

# Rows per committed transaction of a staged import: each holds SQLite's write lock for a
# few milliseconds, so ingest and other writers slip in between the batches.
STAGED_BATCH_ROWS = 2_000
# A claim on a list whose import has written nothing for this long is taken over: the
# process that held it died.
STALE_CLAIM = timedelta(minutes=10)


def running_import(hotlist: HotList) -> int | None:
    """The generation a running import is writing (None: none, or a claim gone stale)."""
    since = hotlist.staging_since
    if since is None or since <= utcnow() - STALE_CLAIM:
        return None
    return hotlist.staging_generation


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
    for low, high in ((None, hotlist.generation), (hotlist.generation, running_import(hotlist))):
        where = [HotListEntry.list_id == list_id]
        if low is not None:
            where.append(HotListEntry.generation > low)
        if high is not None:
            where.append(HotListEntry.generation < high)
        if limit is not None:
            where = [HotListEntry.id.in_(select(HotListEntry.id).where(*where)
                                         .limit(limit - deleted))]
        deleted += rowcount(session.execute(
            delete(HotListEntry).where(*where).execution_options(synchronize_session=False)))
        if limit is not None and deleted >= limit:
            break
    return deleted


def rowcount(result: Result[Any]) -> int:
    count: int = cast(CursorResult[Any], result).rowcount
    return count
