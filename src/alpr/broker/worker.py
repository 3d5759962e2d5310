"""`alpr worker`: reads from the broker into the store, through the one ingest path.

Several workers (and several slots in one, `--concurrency`) pull from one durable
consumer. A batch is stored by `reads.service.ingest` in one transaction; only after it
committed are its messages acknowledged, so a worker killed mid-batch loses nothing: the
broker delivers the batch again, and ingest stores each read once (idempotent by id).
A message no worker can store — not JSON, not an envelope, a read ingest refuses — goes
to the dead-letter stream with its reason and is acknowledged: it never blocks the queue.
A message that makes ingest fail is tried alone, up to `ALPR_BROKER_MAX_DELIVER` times,
then dead-lettered; a database outage is no fault of the read and is retried until the
database answers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from alpr.broker.connection import connect
from alpr.broker.publish import REASON_HEADER, SUBJECT_HEADER
from alpr.broker.streams import check_streams, names
from alpr.cameras.models import Camera
from alpr.config import Settings
from alpr.db.session import unit_of_work
from alpr.hotlists.schemas import AlertOut
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.schemas import ItemResult, ItemStatus
from alpr.reads.service import IngestItem, ingest, item_with_images

log = logging.getLogger("alpr.worker")
RETRY_DELAY = 1.0  # seconds before a failed message is delivered again
_REASON_CHARS = 500
EMPTY_PAUSE = 0.05  # seconds after a fetch that came back empty before its timeout


class Envelope(BaseModel):
    """What the front publishes (broker.publish.envelope)."""

    model_config = ConfigDict(extra="forbid")
    v: Literal[1]
    sender: str | None = Field(default=None, max_length=64)
    actor: str = Field(min_length=1, max_length=200)
    read: dict[str, Any]


@dataclass
class WorkerStats:
    stored: int = 0
    duplicates: int = 0
    masked: int = 0
    dead: int = 0
    retried: int = 0
    alerts: int = 0
    batches: int = 0
    dead_reasons: list[str] = field(default_factory=list)


def decode(data: bytes) -> Envelope | str:
    """The envelope, or why the message cannot be one."""
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"message: not JSON ({error})"
    try:
        return Envelope.model_validate(raw)
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(part) for part in detail["loc"]) or "message"
        return f"envelope: {where}: {detail['msg']}"


def _base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("not valid base64") from error


def store(
    session: Session, envelopes: Sequence[Envelope], *, policy: Policy, images: ImageStore,
    settings: Settings,
) -> tuple[list[ItemResult], list[AlertOut]]:
    """Ingest envelopes (one ingest call per sender), results in the envelopes' order."""
    groups: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for index, one in enumerate(envelopes):
        groups[(one.sender, one.actor)].append(index)
    results: list[ItemResult | None] = [None] * len(envelopes)
    alerts: list[AlertOut] = []
    for (sender, actor), indexes in groups.items():
        camera = session.get(Camera, sender) if sender else None
        items = [item_with_images(envelopes[i].read, _base64) for i in indexes]
        if sender and camera is None:
            items = [IngestItem(data=envelopes[i].read,
                                problem=f"camera_id: unknown sending camera {sender!r}")
                     for i in indexes]
        report = ingest(session, items, actor=actor, policy=policy, images=images,
                        camera=camera, max_clock_skew=settings.max_clock_skew)
        for result in report.results:
            results[indexes[result.index]] = result
        alerts.extend(report.alerts)
    return [result for result in results if result is not None], alerts


def _store_committed(
    envelopes: Sequence[Envelope], policy: Policy, images: ImageStore, settings: Settings,
) -> tuple[list[ItemResult], list[AlertOut]]:
    with unit_of_work() as session:
        return store(session, envelopes, policy=policy, images=images, settings=settings)


def _database_down(error: BaseException) -> bool:
    """Errors that are the database's, not the read's: outages, deadlocks, failovers."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


class Worker:
    def __init__(self, settings: Settings, policy: Policy, images: ImageStore, *,
                 concurrency: int = 1, batch: int | None = None) -> None:
        self.settings = settings
        self.policy = policy
        self.images = images
        self.concurrency = concurrency
        self.batch = batch or settings.broker_batch
        self.names = names(settings)
        self.stats = WorkerStats()
        self.client: Client | None = None

    async def run(self, stop: asyncio.Event | None = None, *, until_idle: bool = False
                  ) -> WorkerStats:
        """Work until `stop` is set (or, with `until_idle`, until nothing is waiting)."""
        stop = stop or asyncio.Event()
        self.client = await connect(self.settings, role="worker")
        try:
            await check_streams(self.client.jetstream(), self.settings, self.policy)
            await asyncio.gather(*(self._slot(stop, until_idle)
                                   for _ in range(self.concurrency)))
        finally:
            # Acks were flushed batch by batch; what was not acknowledged is redelivered.
            await self.client.close()
        return self.stats

    async def _slot(self, stop: asyncio.Event, until_idle: bool) -> None:
        assert self.client is not None
        subscription = await self.client.jetstream().pull_subscribe_bind(
            durable=self.names.consumer, stream=self.names.reads_stream)
        while not stop.is_set():
            try:
                messages = await subscription.fetch(self.batch, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                if until_idle:
                    return
                continue
            if messages:
                await self.handle(messages)
            else:  # the server answered "nothing yet" early: do not spin on the GIL
                await asyncio.sleep(EMPTY_PAUSE)

    async def handle(self, messages: Sequence[Msg]) -> None:
        """Store a batch; acknowledge what was committed or dead-lettered, nothing else."""
        self.stats.batches += 1
        dead: list[tuple[Msg, str]] = []
        good: list[tuple[Msg, Envelope]] = []
        for message in messages:
            decoded = decode(message.data)
            if isinstance(decoded, str):
                dead.append((message, decoded))
            else:
                good.append((message, decoded))
        stored = await self._store([envelope for _, envelope in good])
        if isinstance(stored, BaseException):
            await self._after_failure(good, stored)
            good = []
        else:
            results, alerts = stored
            for (message, _), result in zip(good, results, strict=True):
                self._count(result)
                if result.status is ItemStatus.REJECTED:
                    dead.append((message, result.reason or "rejected"))
            await self._announce(alerts, good)
        for message, reason in dead:
            await self._dead_letter(message, reason)
        log.info("batch of %d: %d stored so far, %d duplicates, %d dead letters",
                 len(messages), self.stats.stored, self.stats.duplicates, self.stats.dead)
        dead_ones = {id(message) for message, _ in dead}
        for message in [m for m, _ in good if id(m) not in dead_ones] + [m for m, _ in dead]:
            await message.ack()
        assert self.client is not None
        await self.client.flush()

    async def _store(self, envelopes: list[Envelope]
                     ) -> tuple[list[ItemResult], list[AlertOut]] | BaseException:
        if not envelopes:
            return [], []
        try:
            return await asyncio.to_thread(_store_committed, envelopes, self.policy,
                                           self.images, self.settings)
        except Exception as error:  # the batch rolled back: nothing of it is acknowledged
            return error

    async def _after_failure(self, good: list[tuple[Msg, Envelope]], error: BaseException
                             ) -> None:
        if _database_down(error):
            log.warning("database unavailable, %d reads delivered again: %s", len(good), error)
            self.stats.retried += len(good)
            for message, _ in good:
                await message.nak(delay=RETRY_DELAY)
            await self._wait_for_database()
            return
        if len(good) > 1:  # find the one that fails: each alone, the others go through
            for message, envelope in good:
                await self._handle_alone(message, envelope)
            return
        message, _ = good[0]
        if message.metadata.num_delivered >= self.settings.broker_max_deliver:
            await self._dead_letter(message, f"failed {message.metadata.num_delivered} times:"
                                             f" {type(error).__name__}: {error}")
            await message.ack()
        else:
            self.stats.retried += 1
            await message.nak(delay=RETRY_DELAY)

    async def _handle_alone(self, message: Msg, envelope: Envelope) -> None:
        stored = await self._store([envelope])
        if isinstance(stored, BaseException):
            await self._after_failure([(message, envelope)], stored)
            return
        (result,), alerts = stored
        self._count(result)
        if result.status is ItemStatus.REJECTED:
            await self._dead_letter(message, result.reason or "rejected")
        await self._announce(alerts, [(message, envelope)])
        await message.ack()

    async def _wait_for_database(self) -> None:
        def ping() -> None:
            with unit_of_work() as session:
                session.execute(text("SELECT 1"))

        while True:
            try:
                await asyncio.to_thread(ping)
                return
            except Exception:  # still down: the reads wait in the stream
                await asyncio.sleep(RETRY_DELAY)

    def _count(self, result: ItemResult) -> None:
        if result.status is ItemStatus.ACCEPTED:
            self.stats.stored += 1
        elif result.status is ItemStatus.DUPLICATE:
            self.stats.duplicates += 1
        elif result.status is ItemStatus.MASKED:
            self.stats.masked += 1

    async def _dead_letter(self, message: Msg, reason: str) -> None:
        """Keep the message with its reason; the ack of the original waits for this one's."""
        assert self.client is not None
        reason = " ".join(reason.split())[:_REASON_CHARS]  # one header line
        sequence = message.metadata.sequence.stream
        await self.client.jetstream().publish(
            self.names.dead_subject(message.subject), message.data, headers={
                REASON_HEADER: reason, SUBJECT_HEADER: message.subject,
                "Nats-Msg-Id": f"dead-{sequence}"})
        self.stats.dead += 1
        self.stats.dead_reasons.append(reason)
        log.warning("dead-lettered stream message %s: %s", sequence, reason)

    async def _announce(self, alerts: list[AlertOut], good: list[tuple[Msg, Envelope]]) -> None:
        """Tell every API process at once (alerts.<agency>): their alert streams wake."""
        if not alerts:
            return
        assert self.client is not None
        agency_of = {_uuid_text(envelope.read.get("id")): message.subject.split(".")[-2]
                     for message, envelope in good}
        for alert in alerts:
            agency = agency_of.get(str(alert.read_id), "_")
            await self.client.publish(self.names.alert_subject_token(agency),
                                      alert.model_dump_json().encode())
        self.stats.alerts += len(alerts)


def _uuid_text(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)
