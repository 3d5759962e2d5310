"""Accept and publish: check what the front can check, then hand each read to JetStream.

The front checks the read's shape, its plate, its camera (known, active, the sender's
own) and its time; everything else (masks, location, hot lists) is the worker's, through
`reads.service.ingest`. Each read is published on `reads.<agency>.<camera>` with its id
as `Nats-Msg-Id`, so JetStream stores a retried request once; the caller is answered
only after the stream acknowledged every read.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.broker.connection import BrokerUnavailableError
from alpr.broker.streams import names
from alpr.cameras.models import Camera
from alpr.config import Settings
from alpr.policy import Policy
from alpr.reads.plates import PlateError, normalize_plate
from alpr.reads.schemas import IngestReport, ItemResult, ItemStatus, ReadIn
from alpr.reads.service import IngestItem

ENVELOPE_VERSION = 1
PUBLISH_TIMEOUT = 5.0
# Message headers: the reason a message was dead-lettered, and the subject it came on.
REASON_HEADER = "ALPR-Reason"
SUBJECT_HEADER = "ALPR-Subject"


class FrontRejectedError(Exception):
    """Internal: why the front refuses one item."""


@dataclass(frozen=True)
class Outgoing:
    index: int
    read_id: str
    subject: str
    payload: bytes


def envelope(read: dict[str, Any], *, sender: str | None, actor: str) -> bytes:
    """The message body: the read (images inline as base64) and who sent it."""
    return json.dumps({"v": ENVELOPE_VERSION, "sender": sender, "actor": actor, "read": read},
                      separators=(",", ":"), default=str).encode()


def prepare(
    session: Session, items: Sequence[IngestItem], *, settings: Settings, policy: Policy,
    actor: str, camera: Camera | None = None, now: datetime | None = None,
    max_clock_skew: timedelta = timedelta(minutes=5), max_payload: int | None = None,
) -> tuple[list[Outgoing], list[ItemResult]]:
    """Check each item; rejections are audited here, in the caller's transaction.

    `max_payload` is the broker's message limit: a read larger with its images is refused.
    """
    now = now or datetime.now(UTC)
    cameras: dict[str, Camera | None] = {}
    outgoing: list[Outgoing] = []
    rejected: list[ItemResult] = []
    for index, item in enumerate(items):
        raw = item.data.get("id") if isinstance(item.data, dict) else None
        try:
            read, target = _check(session, item, camera, cameras, policy, now, max_clock_skew)
        except FrontRejectedError as why:
            rejected.append(ItemResult(index=index, id=str(raw)[:64] if raw else None,
                                       status=ItemStatus.REJECTED, reason=str(why)))
            continue
        data = dict(item.data)
        data["camera_id"] = target.id
        for name, content in item.images.items():
            data[name] = base64.b64encode(content).decode()
        payload = envelope(data, sender=camera.id if camera else None, actor=actor)
        if max_payload is not None and len(payload) > max_payload:
            rejected.append(ItemResult(
                index=index, id=str(read.id), status=ItemStatus.REJECTED,
                reason=f"read: {len(payload)} bytes with its images, more than the broker's"
                       f" limit of {max_payload}"))
            continue
        outgoing.append(Outgoing(
            index=index, read_id=str(read.id),
            subject=names(settings).read_subject(target.agency, target.id), payload=payload))
    if rejected:
        record(session, event=AuditEvent.READ_INGEST_REJECTED, actor=actor,
               outcome=Outcome.FAILURE, organization=camera.agency if camera else None,
               details={"camera_id": camera.id if camera else None, "batch_size": len(items),
                        "rejected": len(rejected), "at": "broker front",
                        "items": [r.model_dump(exclude={"status"}) for r in rejected[:100]]})
    return outgoing, rejected


def _check(
    session: Session, item: IngestItem, sender: Camera | None,
    cameras: dict[str, Camera | None], policy: Policy, now: datetime, skew: timedelta,
) -> tuple[ReadIn, Camera]:
    if item.problem:
        raise FrontRejectedError(item.problem)
    try:
        read = ReadIn.model_validate(item.data)
    except ValidationError as error:
        detail = error.errors()[0]
        where = ".".join(str(part) for part in detail["loc"]) or "read"
        raise FrontRejectedError(f"{where}: {detail['msg']}") from error
    try:
        normalize_plate(read.plate)
    except PlateError as error:
        raise FrontRejectedError(f"plate: {error}") from error
    camera_id = read.camera_id or (sender.id if sender else None)
    if camera_id is None:
        raise FrontRejectedError("camera_id: required")
    if sender is not None and camera_id != sender.id:
        raise FrontRejectedError(
            f"camera_id: read names camera {camera_id!r} but was sent by {sender.id!r}")
    if camera_id not in cameras:
        cameras[camera_id] = session.get(Camera, camera_id)
    target = cameras[camera_id]
    if target is None:
        raise FrontRejectedError(f"camera_id: unknown camera {camera_id!r}")
    if not target.active:
        raise FrontRejectedError(f"camera_id: camera {camera_id!r} is disabled")
    captured_at = read.captured_at.astimezone(UTC)
    if captured_at > now + skew:
        raise FrontRejectedError(f"captured_at: {captured_at.isoformat()} is in the future")
    if captured_at < policy.retention.delete_after.before(now):
        raise FrontRejectedError(
            f"captured_at: {captured_at.isoformat()} is older than the retention period"
            f" ({policy.retention.delete_after}); it would be purged at once")
    return read, target


async def publish(client: Client, outgoing: Sequence[Outgoing]) -> list[ItemResult]:
    """Publish every read and wait for the stream's acknowledgements (all or an error).

    Any read not acknowledged fails the whole call (503 at the API): the sender resends
    the batch, and JetStream (message id) and the store (read id) keep one copy.
    """
    js = client.jetstream()
    sending = list(outgoing)
    acks = await asyncio.gather(
        *(js.publish(one.subject, one.payload, timeout=PUBLISH_TIMEOUT,
                     headers={"Nats-Msg-Id": one.read_id}) for one in sending),
        return_exceptions=True)
    failed = [ack for ack in acks if isinstance(ack, BaseException)]
    if failed:
        if not isinstance(failed[0], NatsError | JetStreamError | TimeoutError | OSError):
            raise failed[0]
        raise BrokerUnavailableError(
            f"{len(failed)} of {len(sending)} reads not acknowledged by the broker"
            f" ({type(failed[0]).__name__}: {failed[0]}); send the batch again")
    return [ItemResult(index=one.index, id=one.read_id, status=ItemStatus.QUEUED)
            for one in sending]


def queued_report(results: list[ItemResult]) -> IngestReport:
    results.sort(key=lambda result: result.index)
    return IngestReport(
        accepted=0, duplicates=0, masked=0,
        queued=sum(r.status is ItemStatus.QUEUED for r in results),
        rejected=sum(r.status is ItemStatus.REJECTED for r in results), results=results)
