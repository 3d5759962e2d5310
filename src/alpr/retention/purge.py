"""The purge: reads past their period are deleted — rows and images — except under a hold.

PostgreSQL detaches whole day partitions once the day is past its period, after moving
the reads that must stay (held, or hits kept longer) into the default partition; SQLite
deletes in batches. After commit, `drop_detached` counts and drops the detached days (the
reads are already gone from every query) and images no read points to are removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Result,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.capture.service import prune_capture_ids
from alpr.hotlists.models import Alert, AlertResponse, WebhookDelivery
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import READ_COLUMNS, Read, ReadId
from alpr.reads.partitions import existing_partitions, is_partitioned, partition_day
from alpr.retention.holds import held_condition
from alpr.retention.models import Hold, HoldRead

BATCH = 10_000
ACTOR = "system:retention"


@dataclass
class PurgeResult:
    removed: int = 0  # rows deleted one by one; a detached day's reads are counted at its drop
    kept_held_or_hit: int = 0
    partitions_dropped: list[str] = field(default_factory=list)
    logically_deleted: int = 0
    alerts_removed: int = 0
    # (digest, day) of images whose reads were deleted: checked once the purge committed.
    images: set[tuple[str, date]] = field(default_factory=set)


def _is_hit() -> ColumnElement[bool]:
    return exists().where(Alert.read_id == Read.id, Alert.read_captured_at == Read.captured_at)


def _must_stay(hit_cutoff: datetime) -> ColumnElement[bool]:
    """Held reads stay; hit reads stay while inside their own (longer) period."""
    return or_(held_condition(), and_(_is_hit(), Read.captured_at >= hit_cutoff))


def purge(session: Session, *, policy: Policy, now: datetime) -> PurgeResult:
    rules = policy.retention
    cutoff = _cutoff(policy, now)
    hit_cutoff = (rules.hit_reads_delete_after or rules.delete_after).before(now)
    result = PurgeResult()
    if is_partitioned(session):
        _drop_partitions(session, cutoff, hit_cutoff, result)
    _delete_rows(session, cutoff, hit_cutoff, result)
    result.alerts_removed = _delete_alerts(session, hit_cutoff)
    prune_capture_ids(session, before=cutoff)  # ids of captured reads (alpr.capture)
    # What is still older than the period is what had to stay (held, or hits kept longer).
    result.kept_held_or_hit = session.scalar(
        select(func.count()).select_from(Read).where(Read.captured_at < cutoff)) or 0
    if rules.logical_delete_after is not None:
        result.logically_deleted = _logically_delete(session, rules.logical_delete_after
                                                     .before(now), now)
    record(session, event=AuditEvent.RETENTION_PURGE, actor=ACTOR, now=now, details={
        "removed": result.removed, "kept": result.kept_held_or_hit,
        "partitions_dropped": result.partitions_dropped,
        "logically_deleted": result.logically_deleted, "alerts_removed": result.alerts_removed,
        "older_than": cutoff.isoformat()})
    return result


# Partition and column names below come from the catalog and our own model, never from
# user input, so building these statements as text is safe.
_KEEP = (
    # Driven from the (small) holds and alerts tables through the partition's primary key,
    # so the cost follows what is kept, not the size of the day.
    "INSERT INTO purge_keep SELECT {prefixed} FROM ("
    " SELECT hr.read_id, hr.read_captured_at FROM hold_reads hr JOIN holds h"
    "  ON h.id = hr.hold_id AND h.status = 'active'"
    "  WHERE hr.read_captured_at >= :start AND hr.read_captured_at < :end"
    " UNION SELECT a.read_id, a.read_captured_at FROM alerts a"
    "  WHERE a.read_captured_at >= GREATEST(:start, :hit_cutoff) AND a.read_captured_at < :end"
    ") k JOIN {name} r ON r.id = k.read_id AND r.captured_at = k.read_captured_at"
)


DETACHED_PREFIX = "purged_"


def drop_detached(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Count and drop the day tables a purge detached (also any a crashed run left behind),
    with one audit entry of the reads removed per day. Nothing else locks these tables:
    they left `reads` when the purge committed."""
    if not is_partitioned(session):
        return {}
    names = list(session.scalars(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace"
        " WHERE ns.nspname = current_schema() AND c.relkind = 'r'"
        f" AND c.relname LIKE '{DETACHED_PREFIX}reads_p%'")))
    removed = {}
    for name in names:
        removed[name] = session.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
        # The day's ids go with its reads (the kept ones were moved out of this table).
        session.execute(text(f"DELETE FROM read_ids i USING {name} d WHERE i.id = d.id"))
        session.execute(text(f"DROP TABLE {name}"))
    if removed:
        record(session, event=AuditEvent.RETENTION_PURGE, actor=ACTOR, now=now, details={
            "stage": "detached days dropped", "removed": sum(removed.values()),
            "days": {name.removeprefix(f"{DETACHED_PREFIX}"): count
                     for name, count in removed.items()}})
    return removed


def _cutoff(policy: Policy, now: datetime) -> datetime:
    """Reads captured before this are past their period (never sooner than minimum_keep)."""
    rules = policy.retention
    cutoff = rules.delete_after.before(now)
    if rules.minimum_keep is not None:
        cutoff = min(cutoff, rules.minimum_keep.before(now))
    return cutoff


def _drop_partitions(session: Session, cutoff: datetime, hit_cutoff: datetime,
                     result: PurgeResult) -> None:
    columns = ", ".join(READ_COLUMNS)
    for name in existing_partitions(session):
        day = partition_day(name)
        if day is None:
            continue  # the default partition: handled row by row
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        if end > cutoff:
            continue  # the day is not entirely past its period yet
        session.execute(text(f"CREATE TEMP TABLE purge_keep ON COMMIT DROP AS"
                             f" SELECT {columns} FROM {name} WHERE false"))
        start = end - timedelta(days=1)
        prefixed = ", ".join(f"r.{column}" for column in READ_COLUMNS)
        kept = _count(session.execute(text(_KEEP.format(prefixed=prefixed, name=name)),
                                      {"hit_cutoff": hit_cutoff, "start": start, "end": end}))
        # No count(*) of the day here: that scan is most of the purge's time; the detached
        # table is counted by drop_detached, after commit, for its own audit entry.
        if kept:
            # Kept reads keep the day's key alive, so the others' images are listed for
            # removal; a day with nothing kept loses key and folder together (shredding).
            for plate_image, vehicle_image in session.execute(text(
                    f"SELECT plate_image, vehicle_image FROM {name} WHERE (id, captured_at)"
                    " NOT IN (SELECT id, captured_at FROM purge_keep)")):
                result.images |= {(d, day) for d in (plate_image, vehicle_image) if d}
        # Detach now (the reads are gone from `reads` at commit); the files are dropped just
        # after commit by drop_detached, so the unlinking never holds a lock on `reads`.
        session.execute(text(f"ALTER TABLE reads DETACH PARTITION {name}"))
        session.execute(text(f"ALTER TABLE {name} RENAME TO {DETACHED_PREFIX}{name}"))
        # The reads that stay land in the default partition (their day no longer has one),
        # and leave the detached table, so what is left there is exactly what was removed.
        session.execute(text(f"INSERT INTO reads ({columns}) SELECT {columns} FROM purge_keep"))
        if kept:
            session.execute(text(
                f"DELETE FROM {DETACHED_PREFIX}{name} WHERE (id, captured_at) IN"
                " (SELECT id, captured_at FROM purge_keep)"))
        session.execute(text("DROP TABLE purge_keep"))
        result.partitions_dropped.append(name)


def _count(outcome: Result[Any]) -> int:
    count: int = cast(CursorResult[Any], outcome).rowcount
    return count


def _delete_rows(session: Session, cutoff: datetime, hit_cutoff: datetime,
                 result: PurgeResult) -> None:
    """Batched deletes: all of SQLite, and PostgreSQL's default partition."""
    while True:
        doomed = session.execute(
            select(Read.id, Read.captured_at, Read.plate_image, Read.vehicle_image)
            .where(Read.captured_at < cutoff, ~_must_stay(hit_cutoff)).limit(BATCH)).all()
        if not doomed:
            break
        for row in doomed:
            day = row.captured_at.date()
            result.images |= {(d, day) for d in (row.plate_image, row.vehicle_image) if d}
        session.execute(delete(Read).where(
            or_(*(and_(Read.id == row.id, Read.captured_at == row.captured_at)
                  for row in doomed))))
        session.execute(delete(ReadId).where(ReadId.id.in_([row.id for row in doomed])))
        result.removed += len(doomed)
        if len(doomed) < BATCH:
            break


def _delete_alerts(session: Session, hit_cutoff: datetime) -> int:
    """Alerts and their documented responses carry plate, place and time: they go with the
    hit read's period, unless the read is under a hold."""
    held = select(HoldRead.read_id).join(Hold, Hold.id == HoldRead.hold_id).where(
        Hold.status == "active")
    doomed = select(Alert.id).where(Alert.read_captured_at < hit_cutoff,
                                    Alert.read_id.not_in(held))
    session.execute(delete(AlertResponse).where(AlertResponse.alert_id.in_(doomed)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.alert_id.in_(doomed)))
    return _count(session.execute(delete(Alert).where(Alert.id.in_(doomed))))


def _logically_delete(session: Session, before: datetime, now: datetime) -> int:
    """Flag reads past the logical-deletion age: hidden from all but System Administrators."""
    result = session.execute(
        update(Read).where(Read.logically_deleted_at.is_(None), Read.captured_at < before,
                           ~held_condition())
        .values(logically_deleted_at=now).execution_options(synchronize_session=False))
    count = _count(result)
    if count:
        record(session, event=AuditEvent.RETENTION_LOGICAL_DELETE, actor=ACTOR, now=now,
               details={"reads": count, "captured_before": before.isoformat()})
    return count


def remove_unreferenced_images(session: Session, store: ImageStore,
                               images: set[tuple[str, date]]) -> int:
    """After the purge committed: delete image files no remaining read points to."""
    if not images:
        return 0
    digests = {digest for digest, _ in images}
    still = set(session.scalars(select(Read.plate_image).where(Read.plate_image.in_(digests))))
    still |= set(session.scalars(select(Read.vehicle_image).where(
        Read.vehicle_image.in_(digests))))
    return sum(store.remove(digest, day) for digest, day in images if digest not in still)


def shred_expired_days(session: Session, store: ImageStore, *, policy: Policy, now: datetime
                       ) -> list[date]:
    """Destroy the key of every day past its period with no read left in it (REQ X1): its
    images, and every copy of them in any backup, can no longer be decrypted."""
    cutoff = _cutoff(policy, now)
    shredded = []
    for day in store.keys.days():
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        if start + timedelta(days=1) > cutoff:
            continue
        left = session.scalar(select(func.count()).select_from(Read).where(
            Read.captured_at >= start, Read.captured_at < start + timedelta(days=1)))
        if left:
            continue  # held reads or hits kept longer still need this day's key
        store.keys.destroy(day)
        store.remove_day(day)
        shredded.append(day)
    if shredded:
        record(session, event=AuditEvent.RETENTION_SHRED, actor=ACTOR, now=now,
               details={"days": [d.isoformat() for d in shredded]})
    return shredded
