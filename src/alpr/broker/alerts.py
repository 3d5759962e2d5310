"""Alerts raised by a worker wake every API process's alert streams at once.

A worker commits the alert and then publishes it on `alerts.<agency>` (core NATS: a
notice, not the record — the database holds the alert). Each API process subscribes once
per event loop and wakes its Server-Sent-Event streams, which read the new alerts from
the database as they always do; without the notice they still find them on their next
poll (POLL_SECONDS), so a lost notice delays an alert, never loses it. Webhooks and
other subscribers are fed from the alert's own transaction (hotlists.webhooks).
"""

from __future__ import annotations

import asyncio

from nats.aio.msg import Msg

from alpr.broker.connection import shared_connection
from alpr.broker.streams import names
from alpr.config import Settings
from alpr.hotlists.alert_views import announce_alerts

_listening: set[asyncio.AbstractEventLoop] = set()


async def listen_for_alerts(settings: Settings) -> None:
    """Subscribe this process (this event loop) to the workers' alert notices, once."""
    loop = asyncio.get_running_loop()
    if loop in _listening:
        return
    client = await shared_connection(settings).get()

    async def wake(_: Msg) -> None:
        announce_alerts()

    await client.subscribe(names(settings).alert_subjects, cb=wake)
    _listening.add(loop)
