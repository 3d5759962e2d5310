"""The retention job: release overdue holds, purge, flag logically deleted reads; once that
has committed, remove the image files no read points to any more."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from alpr.db.session import unit_of_work
from alpr.jobs.registry import Job, JobContext, register
from alpr.reads.images import image_store
from alpr.retention.holds import release_unverified
from alpr.retention.purge import (
    drop_detached,
    purge,
    remove_unreferenced_images,
    shred_expired_days,
)


def retention(session: Session, context: JobContext) -> str:
    released = release_unverified(session, policy=context.policy, now=context.now)
    result = purge(session, policy=context.policy, now=context.now)
    context.carry["images"] = result.images
    return (f"{result.removed} reads purged, {len(result.partitions_dropped)} days detached,"
            f" {result.kept_held_or_hit} kept under holds or as hits,"
            f" {result.logically_deleted} logically deleted, {len(released)} holds released")


def remove_images(context: JobContext) -> str:
    store = image_store(context.settings)
    with unit_of_work() as session:
        dropped = drop_detached(session, context.now)
        removed = remove_unreferenced_images(session, store, context.carry.get("images", set()))
        shredded = shred_expired_days(session, store, policy=context.policy, now=context.now)
    return (f"{sum(dropped.values())} reads of {len(dropped)} detached days dropped,"
            f" {removed} images removed, {len(shredded)} day keys destroyed")


register(Job("retention", "Purge reads and images past their period; holds; logical deletion",
             lambda _policy: timedelta(hours=1), retention, after_commit=remove_images))
