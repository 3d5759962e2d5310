"""Connections to the broker: one per event loop, reconnecting on their own."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

import nats
from nats.aio.client import Client

from alpr.config import Settings

log = logging.getLogger("alpr.broker")


async def quiet_error(error: Exception) -> None:
    """A node went away or refused: the client reconnects on its own; one log line."""
    log.info("broker connection: %s: %s", type(error).__name__, error)


class BrokerUnavailableError(RuntimeError):
    """The broker cannot be reached (or is not configured)."""


def servers(settings: Settings) -> list[str]:
    if not settings.broker_url:
        raise BrokerUnavailableError("no broker configured (ALPR_BROKER_URL)")
    return [url.strip() for url in settings.broker_url.split(",") if url.strip()]


async def connect(settings: Settings, *, role: str = "api", timeout: float = 2.0) -> Client:
    """A client that reconnects for ever: a NATS node may die, the process lives on."""
    urls = servers(settings)
    try:
        # Reconnects are unbounded, which nats-py also applies to the first connection:
        # bound that one ourselves, so a caller learns the broker is down.
        return await asyncio.wait_for(nats.connect(
            urls, name=f"alpr-{role}@{socket.gethostname()}:{os.getpid()}",
            connect_timeout=timeout, max_reconnect_attempts=-1, reconnect_time_wait=0.25,
            allow_reconnect=True, error_cb=quiet_error,
        ), timeout=timeout * len(urls) + 1)
    except (OSError, TimeoutError, nats.errors.NoServersError) as error:
        raise BrokerUnavailableError(f"broker unreachable at {settings.broker_url}:"
                                     f" {type(error).__name__} {error}"
                                     ) from error


class SharedConnection:
    """One connection per event loop, made on first use (an API process, a test client)."""

    def __init__(self, settings: Settings, role: str = "api") -> None:
        self.settings = settings
        self.role = role
        # Keyed by the loop itself (not its id): a client never outlives the loop it runs on.
        self._by_loop: dict[asyncio.AbstractEventLoop, Client] = {}
        self._lock: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def get(self) -> Client:
        key = asyncio.get_running_loop()
        lock = self._lock.setdefault(key, asyncio.Lock())
        async with lock:
            client = self._by_loop.get(key)
            if client is None or client.is_closed:
                client = await connect(self.settings, role=self.role)
                self._by_loop[key] = client
            return client

    async def close(self) -> None:
        client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None and not client.is_closed:
            await client.close()


_shared: dict[str, SharedConnection] = {}


def shared_connection(settings: Settings) -> SharedConnection:
    """This process's connection to the configured broker (API routes, health, alerts)."""
    url = servers(settings)[0] and str(settings.broker_url)
    if url not in _shared:
        _shared[url] = SharedConnection(settings)
    return _shared[url]
