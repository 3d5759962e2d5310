"""The one call for every adapter: store a batch now, or queue it on the broker.

    report = ingest_batch(items, actor=..., policy=..., images=..., camera_id=sender)

Without `ALPR_BROKER_URL` this is `reads.service.ingest` in one transaction, exactly as
before. With it, the front checks and publishes (broker.publish) and answers with
status `queued` per read; a worker stores them later through the same `ingest`. Async
callers (FastAPI routes) use `ingest_batch_async`, which keeps one broker connection per
process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from nats.aio.client import Client
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from alpr.broker.connection import connect, shared_connection
from alpr.broker.publish import Outgoing, prepare, publish, queued_report
from alpr.cameras.models import Camera
from alpr.config import Settings, get_settings
from alpr.db.session import unit_of_work
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import IngestReport, ItemResult
from alpr.reads.service import IngestItem, ingest


def broker_configured(settings: Settings | None = None) -> bool:
    return bool((settings or get_settings()).broker_url)


def _sender(session: Session, camera_id: str | None) -> Camera | None:
    if camera_id is None:
        return None
    camera = session.get(Camera, camera_id)
    if camera is None:  # never fall back to "no sender": that would lift the sender check
        raise LookupError(f"no camera {camera_id!r}")
    return camera


def _store_now(
    items: Sequence[IngestItem], *, actor: str, policy: Policy, images: ImageStore,
    camera_id: str | None, max_clock_skew: timedelta,
) -> IngestReport:
    with unit_of_work() as session:
        return ingest(session, items, actor=actor, policy=policy, images=images,
                      camera=_sender(session, camera_id), max_clock_skew=max_clock_skew)


def _prepare(
    items: Sequence[IngestItem], *, settings: Settings, actor: str, policy: Policy,
    camera_id: str | None, max_clock_skew: timedelta, max_payload: int,
) -> tuple[list[Outgoing], list[ItemResult]]:
    with unit_of_work() as session:
        return prepare(session, items, settings=settings, policy=policy, actor=actor,
                       camera=_sender(session, camera_id), max_clock_skew=max_clock_skew,
                       max_payload=max_payload)


async def _submit(
    client: Client, items: Sequence[IngestItem], *, settings: Settings, actor: str,
    policy: Policy, camera_id: str | None, max_clock_skew: timedelta,
) -> IngestReport:
    outgoing, rejected = await run_in_threadpool(
        _prepare, items, settings=settings, actor=actor, policy=policy, camera_id=camera_id,
        max_clock_skew=max_clock_skew, max_payload=client.max_payload)
    return queued_report(rejected + await publish(client, outgoing))


def ingest_batch(
    items: Sequence[IngestItem], *, actor: str, policy: Policy, images: ImageStore,
    camera_id: str | None = None, max_clock_skew: timedelta = timedelta(minutes=5),
    settings: Settings | None = None,
) -> IngestReport:
    """Store now, or (with a broker) queue; for synchronous callers (CLI, capture, jobs).

    `camera_id` is the authenticated sending camera, if any (its reads may name no other).
    """
    settings = settings or get_settings()
    if not settings.broker_url:
        return _store_now(items, actor=actor, policy=policy, images=images,
                          camera_id=camera_id, max_clock_skew=max_clock_skew)

    async def once() -> IngestReport:
        client = await connect(settings, role="ingest")
        try:
            return await _submit(client, items, settings=settings, actor=actor, policy=policy,
                                 camera_id=camera_id, max_clock_skew=max_clock_skew)
        finally:
            await client.close()

    return asyncio.run(once())


async def ingest_batch_async(
    items: Sequence[IngestItem], *, actor: str, policy: Policy, images: ImageStore,
    camera_id: str | None = None, max_clock_skew: timedelta = timedelta(minutes=5),
    settings: Settings | None = None,
) -> IngestReport:
    """The same, from async code: the database work runs in the thread pool."""
    settings = settings or get_settings()
    if not settings.broker_url:
        return await run_in_threadpool(
            _store_now, items, actor=actor, policy=policy, images=images, camera_id=camera_id,
            max_clock_skew=max_clock_skew)
    client = await shared_connection(settings).get()
    return await _submit(client, items, settings=settings, actor=actor, policy=policy,
                         camera_id=camera_id, max_clock_skew=max_clock_skew)
