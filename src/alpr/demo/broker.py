"""Demo step: one read through the broker (accept → publish → worker → store), when a
NATS JetStream server answers (ALPR_BROKER_URL, else 127.0.0.1:4222); skipped otherwise.

It uses streams of its own (a namespace for this run) and deletes them afterwards, so it
never mixes with a real deployment's queue on the same server.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from datetime import timedelta

from alpr.broker.connection import BrokerUnavailableError, connect
from alpr.broker.health import broker_state
from alpr.broker.route import ingest_batch
from alpr.broker.streams import init_streams, names
from alpr.broker.worker import Worker
from alpr.config import get_settings
from alpr.console import console
from alpr.db.base import utcnow
from alpr.demo.sample import california_plate
from alpr.policy import Policy
from alpr.reads.images import image_store
from alpr.reads.service import IngestItem

DEFAULT_URL = "nats://127.0.0.1:4222"


def show_broker_path(camera_id: str, policy: Policy) -> None:
    base = get_settings()
    settings = base.model_copy(update={"broker_url": base.broker_url or DEFAULT_URL,
                                       "broker_namespace": f"demo{os.getpid()}"})
    n = names(settings)

    async def streams(create: bool) -> dict[str, object] | None:
        client = await connect(settings, role="demo", timeout=1.0)
        try:
            js = client.jetstream()
            if create:
                await init_streams(js, settings, policy, max_age=timedelta(hours=1))
                return None
            state = await broker_state(client, settings)
            for stream in (n.reads_stream, n.dead_stream):
                await js.delete_stream(stream)
            return state
        finally:
            await client.close()

    try:
        asyncio.run(streams(create=True))
    except (BrokerUnavailableError, OSError, TimeoutError) as error:
        console.print(f"broker step skipped: no NATS JetStream at {settings.broker_url} ({error})")
        return
    except Exception as error:  # e.g. a server without JetStream
        console.print(f"broker step skipped: {type(error).__name__}: {error}")
        return
    read = {"id": str(uuid.uuid4()), "plate": california_plate(random.Random()),
            "confidence": 0.93, "camera_id": camera_id,
            "captured_at": (utcnow() - timedelta(seconds=5)).isoformat()}
    images = image_store(settings)
    report = ingest_batch([IngestItem(read)], actor="demo", policy=policy, images=images,
                          settings=settings)
    console.print(f"broker: read {read['plate']} {report.results[0].status} on"
                  f" [bold]{n.read_subject('Demo Police Department', camera_id)}[/]"
                  f" at {settings.broker_url}")
    stats = asyncio.run(Worker(settings, policy, images).run(until_idle=True))
    state = asyncio.run(streams(create=False)) or {}
    console.print(f"broker: a worker stored {stats.stored} read(s) through ingest (ack after"
                  f" commit); queue now {state.get('pending')} pending,"
                  f" {state.get('dead_letters')} dead letters (docs/scale-out.md)")
