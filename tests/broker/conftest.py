"""A JetStream server of the tests' own (nats-server on a free loopback port)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from alpr.broker.connection import connect
from alpr.broker.local import LocalCluster
from alpr.broker.streams import init_streams
from alpr.config import Settings, get_settings
from alpr.policy import Policy


@pytest.fixture(scope="session")
def nats_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    node = LocalCluster(tmp_path_factory.mktemp("nats"), size=1)
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture
def broker(nats_node: LocalCluster, monkeypatch: pytest.MonkeyPatch, policy: Policy
           ) -> Settings:
    """ALPR_BROKER_URL set, with streams of this test's own (a fresh namespace)."""
    monkeypatch.setenv("ALPR_BROKER_URL", nats_node.url)
    monkeypatch.setenv("ALPR_BROKER_NAMESPACE", f"t{uuid.uuid4().hex[:12]}")
    get_settings.cache_clear()
    settings = get_settings()

    async def init() -> None:
        client = await connect(settings)
        try:
            await init_streams(client.jetstream(), settings, policy)
        finally:
            await client.close()

    asyncio.run(init())
    return settings
