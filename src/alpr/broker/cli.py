"""`alpr broker init|status|dead` and `alpr worker`."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from datetime import timedelta
from typing import Annotated

import typer
from nats.js.errors import NotFoundError

from alpr.broker.connection import BrokerUnavailableError, connect
from alpr.broker.health import broker_state
from alpr.broker.publish import REASON_HEADER, SUBJECT_HEADER
from alpr.broker.streams import BrokerSetupError, allowed_max_age, init_streams, names
from alpr.config import Settings, get_settings
from alpr.console import console, fail
from alpr.policy import Policy, PolicyError, load_checked_policy

app = typer.Typer(help="The NATS JetStream broker (ALPR_BROKER_URL): streams, queue state.",
                  no_args_is_help=True)


def _setup() -> tuple[Settings, Policy]:
    settings = get_settings()
    if not settings.broker_url:
        raise fail("no broker configured: set ALPR_BROKER_URL (e.g. nats://127.0.0.1:4222)")
    try:
        return settings, load_checked_policy(settings.policy)
    except PolicyError as error:
        raise fail(str(error)) from error


@app.command("init")
def init_command(
    replicas: Annotated[int | None, typer.Option(min=1, max=5, help="Stream replicas"
                                                 " (default ALPR_BROKER_REPLICAS)")] = None,
    max_age_days: Annotated[float | None, typer.Option(
        min=0.0001, help="Keep reads at most this long (default and ceiling: the policy's"
                         " retention.delete_after)")] = None,
) -> None:
    """Create or update the streams and the workers' consumer (idempotent)."""
    settings, policy = _setup()
    age = timedelta(days=max_age_days) if max_age_days else None

    async def run() -> dict[str, str]:
        client = await connect(settings, role="init")
        try:
            return await init_streams(client.jetstream(), settings, policy, replicas=replicas,
                                      max_age=age)
        finally:
            await client.close()

    try:
        done = asyncio.run(run())
    except (BrokerSetupError, BrokerUnavailableError) as error:
        raise fail(str(error)) from error
    for name, state in done.items():
        console.print(f"{name}: {state}")
    console.print(f"max-age {age or allowed_max_age(policy)} (policy retention:"
                  f" {policy.retention.delete_after})")


@app.command("status")
def status_command() -> None:
    """The queue as /health reports it (JSON)."""
    settings, _ = _setup()

    async def run() -> dict[str, object]:
        client = await connect(settings, role="status")
        try:
            return await broker_state(client, settings)
        finally:
            await client.close()

    try:
        print(json.dumps(asyncio.run(run()), indent=2, default=str))
    except Exception as error:
        raise fail(f"{type(error).__name__}: {error}") from error


@app.command("dead")
def dead_command(limit: Annotated[int, typer.Option(min=1)] = 20) -> None:
    """The newest dead letters: subject and why no worker could store them."""
    settings, _ = _setup()

    async def run() -> list[tuple[int, str, str]]:
        client = await connect(settings, role="status")
        try:
            js = client.jetstream()
            stream = names(settings).dead_stream
            state = (await js.stream_info(stream)).state
            found: list[tuple[int, str, str]] = []
            for seq in range(state.last_seq, max(state.first_seq, 1) - 1, -1):
                if len(found) >= limit:
                    break
                try:
                    msg = await js.get_msg(stream, seq=seq)
                except NotFoundError:  # aged out: a gap in the sequence
                    continue
                headers = msg.headers or {}
                found.append((seq, headers.get(SUBJECT_HEADER, msg.subject or ""),
                              headers.get(REASON_HEADER, "")))
            return found
        finally:
            await client.close()

    for seq, subject, reason in asyncio.run(run()):
        console.print(f"{seq}  {subject}  [red]{reason}[/]", markup=True, highlight=False)


def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Batches in flight")] = 1,
    batch: Annotated[int | None, typer.Option(min=1, max=5000, help="Reads per batch")] = None,
    until_idle: Annotated[bool, typer.Option("--until-idle",
                                             help="Exit once nothing is waiting")] = False,
) -> None:
    """Store reads from the broker through the one ingest path (ack after commit)."""
    from alpr.broker.worker import Worker
    from alpr.reads.images import image_store

    settings, policy = _setup()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    worker = Worker(settings, policy, image_store(settings), concurrency=concurrency,
                    batch=batch)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)  # finish the batch in hand, then exit
        await worker.run(stop, until_idle=until_idle)

    try:
        asyncio.run(run())
    except (BrokerSetupError, BrokerUnavailableError) as error:
        raise fail(str(error)) from error
    s = worker.stats
    console.print(f"worker done: {s.stored} stored, {s.duplicates} duplicates, {s.masked}"
                  f" masked, {s.dead} dead-lettered, {s.alerts} alerts, {s.batches} batches")
