"""Stream, subject and consumer names, and `alpr broker init`: streams within the policy.

Reads wait in a work-queue stream (a read leaves it once a worker acknowledged it), bad
messages in a dead-letter stream. Both hold personal data (plates, places), so neither
may keep anything longer than the policy keeps reads: their max-age is at most the
policy's `retention.delete_after`, and a worker refuses to start against a stream that
would keep reads longer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from alpr.config import Settings
from alpr.policy import Policy
from alpr.policy.duration import Duration

# JetStream deduplicates a message id seen within this window (retries of one request).
DUPLICATE_WINDOW = timedelta(minutes=2)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class BrokerSetupError(RuntimeError):
    """The broker's streams are missing or keep reads longer than the policy allows."""


@dataclass(frozen=True)
class Names:
    """Every name on the broker, under the deployment's namespace."""

    namespace: str = ""

    def _prefix(self, text: str) -> str:
        return f"{self.namespace}.{text}" if self.namespace else text

    @property
    def reads_stream(self) -> str:
        return f"{self.namespace.upper()}_ALPR_READS" if self.namespace else "ALPR_READS"

    @property
    def dead_stream(self) -> str:
        return f"{self.reads_stream}_DEAD"

    @property
    def consumer(self) -> str:
        return "alpr-workers"

    @property
    def reads_subjects(self) -> str:
        return self._prefix("reads.>")

    @property
    def dead_subjects(self) -> str:
        return self._prefix("reads-dead.>")

    @property
    def alert_subjects(self) -> str:
        return self._prefix("alerts.>")

    def read_subject(self, agency: str, camera_id: str) -> str:
        return self._prefix(f"reads.{token(agency)}.{token(camera_id)}")

    def dead_subject(self, original: str) -> str:
        tail = original.removeprefix(self._prefix("reads."))
        return self._prefix(f"reads-dead.{tail}")

    def alert_subject(self, agency: str | None) -> str:
        return self.alert_subject_token(token(agency or "unknown"))

    def alert_subject_token(self, agency_token: str) -> str:
        return self._prefix(f"alerts.{agency_token}")


def names(settings: Settings) -> Names:
    return Names(settings.broker_namespace)


def token(text: str) -> str:
    """A subject token for any agency or camera name: dots, spaces and wildcards escaped."""
    if not text:
        return "_"
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def shortest_length(period: Duration) -> timedelta:
    """The shortest time `period` can last, whatever day it starts (a month ≥ 28 days)."""
    days = period.years * 365 + period.months * 28 + period.weeks * 7 + period.days
    return timedelta(days=days, hours=period.hours, minutes=period.minutes,
                     seconds=period.seconds)


def allowed_max_age(policy: Policy) -> timedelta:
    """The longest the broker may keep a read: never longer than the policy keeps reads."""
    return shortest_length(policy.retention.delete_after)


async def init_streams(
    js: JetStreamContext, settings: Settings, policy: Policy, *,
    replicas: int | None = None, max_age: timedelta | None = None,
) -> dict[str, str]:
    """Create (or bring in line) the streams and the workers' consumer; idempotent."""
    limit = allowed_max_age(policy)
    age = max_age or limit
    if age > limit:
        raise BrokerSetupError(f"max-age {age} is longer than the policy keeps reads"
                               f" ({policy.retention.delete_after}); the broker may not keep"
                               " a read longer than the store does")
    window = min(DUPLICATE_WINDOW, age)
    n = names(settings)
    replicas = replicas or settings.broker_replicas
    done = {}
    for config in (
        StreamConfig(name=n.reads_stream, subjects=[n.reads_subjects],
                     retention=RetentionPolicy.WORK_QUEUE, storage=StorageType.FILE,
                     num_replicas=replicas, max_age=age.total_seconds(),
                     duplicate_window=window.total_seconds(),
                     description="Plate reads waiting for a worker (acked after commit)"),
        StreamConfig(name=n.dead_stream, subjects=[n.dead_subjects],
                     retention=RetentionPolicy.LIMITS, storage=StorageType.FILE,
                     num_replicas=replicas, max_age=age.total_seconds(),
                     duplicate_window=window.total_seconds(),
                     description="Reads no worker could store, with the reason (ALPR-Reason)"),
    ):
        try:
            await js.stream_info(config.name or "")
            await js.update_stream(config)
            done[config.name or ""] = "updated"
        except NotFoundError:
            await js.add_stream(config)
            done[config.name or ""] = "created"
    await js.add_consumer(n.reads_stream, consumer_config(settings))
    done[n.consumer] = "ready"
    return done


def consumer_config(settings: Settings) -> ConsumerConfig:
    # max_deliver is unlimited on the server: the worker bounds deliveries itself
    # (ALPR_BROKER_MAX_DELIVER) for messages that fail on their own, and retries without
    # bound while the database is down, which is no fault of the read.
    return ConsumerConfig(
        durable_name=names(settings).consumer, ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL, ack_wait=settings.broker_ack_wait_seconds,
        max_deliver=-1, max_ack_pending=20_000, filter_subject=names(settings).reads_subjects,
    )


async def check_streams(js: JetStreamContext, settings: Settings, policy: Policy) -> None:
    """Refuse to work against streams that are missing or keep reads past the policy."""
    limit = allowed_max_age(policy)
    for stream in (names(settings).reads_stream, names(settings).dead_stream):
        try:
            info = await js.stream_info(stream)
        except NotFoundError as error:
            raise BrokerSetupError(f"stream {stream} does not exist: run `alpr broker init`"
                                   ) from error
        age = info.config.max_age or 0
        if age <= 0 or timedelta(seconds=age) > limit:
            kept = f"{timedelta(seconds=age)}" if age > 0 else "forever"
            raise BrokerSetupError(
                f"stream {stream} keeps messages {kept}, longer than the policy keeps reads"
                f" ({policy.retention.delete_after}): run `alpr broker init`")
