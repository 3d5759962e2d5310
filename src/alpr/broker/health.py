"""What `/health` and `alpr broker status` say about the queue: its depth and its age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client
from nats.js.errors import NotFoundError

from alpr.broker.streams import names
from alpr.config import Settings


async def broker_state(client: Client, settings: Settings) -> dict[str, Any]:
    """Pending reads, the oldest unacknowledged one's age, dead letters, replicas."""
    n = names(settings)
    js = client.jetstream()
    consumer = await js.consumer_info(n.reads_stream, n.consumer)
    reads = await js.stream_info(n.reads_stream)
    dead = await js.stream_info(n.dead_stream)
    oldest = None
    # A work-queue stream drops each read once acknowledged: its first message is the
    # oldest one not acknowledged yet (delivered or not).
    if reads.state.messages:
        try:
            first = await js.get_msg(n.reads_stream, seq=reads.state.first_seq)
            if first.time is not None:
                oldest = round((datetime.now(UTC) - _aware(first.time)).total_seconds(), 3)
        except NotFoundError:
            oldest = None  # acknowledged meanwhile
    cluster = reads.cluster
    return {
        "status": "ok",
        "stream": n.reads_stream,
        "consumer": n.consumer,
        "pending": consumer.num_pending + consumer.num_ack_pending,
        "undelivered": consumer.num_pending,
        "unacknowledged": consumer.num_ack_pending,
        "redelivered": consumer.num_redelivered,
        "oldest_unacked_seconds": oldest,
        "dead_letters": dead.state.messages,
        "replicas": reads.config.num_replicas,
        "leader": cluster.leader if cluster else None,
        "max_age_seconds": reads.config.max_age,
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
