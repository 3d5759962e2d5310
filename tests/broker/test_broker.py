"""The broker path: accept and publish at the front, store in a worker, dead letters.

Each test runs against a real nats-server (conftest) with streams of its own, and the
worker runs in the test's process on the test's database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from nats.aio.client import Client
from sqlalchemy import func, select

from alpr.api.app import create_app
from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.broker.connection import connect
from alpr.broker.publish import REASON_HEADER, envelope
from alpr.broker.route import ingest_batch
from alpr.broker.streams import (
    BrokerSetupError,
    allowed_max_age,
    check_streams,
    init_streams,
    names,
)
from alpr.broker.worker import Worker, WorkerStats
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.keys import KeyRing
from alpr.reads.models import Read
from alpr.reads.service import IngestItem
from tests.helpers import CameraFactory, jpeg

T = TypeVar("T")


def on_broker(settings: Settings, action: Callable[[Client], Awaitable[T]]) -> T:
    async def run() -> T:
        client = await connect(settings, role="test")
        try:
            return await action(client)
        finally:
            await client.close()

    return asyncio.run(run())


def work(settings: Settings, policy: Policy, images: ImageStore) -> WorkerStats:
    """One worker until nothing is waiting."""
    return asyncio.run(Worker(settings, policy, images).run(until_idle=True))


def stream_messages(settings: Settings, stream: str) -> int:
    async def count(client: Client) -> int:
        return (await client.jetstream().stream_info(stream)).state.messages

    return on_broker(settings, count)


def publish_raw(settings: Settings, payloads: list[bytes], subject: str | None = None) -> None:
    subject = subject or names(settings).read_subject("Test PD", "cam-1")

    async def send(client: Client) -> None:
        for payload in payloads:
            await client.jetstream().publish(subject, payload,
                                             headers={"Nats-Msg-Id": uuid.uuid4().hex})

    on_broker(settings, send)


def stored(database: Database, ids: list[str]) -> dict[str, int]:
    with database.unit_of_work() as session:
        rows = session.execute(select(Read.id, func.count()).where(
            Read.id.in_([uuid.UUID(i) for i in ids])).group_by(Read.id))
        return {str(read_id): count for read_id, count in rows}


def read(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(uuid.uuid4()), "plate": "8XYZ789", "confidence": 0.9,
                            "captured_at": (utcnow() - timedelta(seconds=30)).isoformat()}
    data.update(overrides)
    return data


@pytest.fixture
def client(database: Database, broker: Settings) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def health(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def test_reads_are_queued_then_stored_once_by_a_worker(
    client: TestClient, broker: Settings, database: Database, make_camera: CameraFactory,
    policy: Policy, images: ImageStore,
) -> None:
    # REQ C2 — with a broker, the API answers 202 once the stream holds the reads; a
    # worker stores them through ingest; retries and redeliveries are stored once
    _, key = make_camera()
    batch = [read(), read(plate="7ABC123"), read(plate_image=base64.b64encode(
        jpeg()).decode())]
    response = client.post("/api/v1/reads", json={"reads": batch},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["queued"] == 3 and body["accepted"] == 0
    assert [r["status"] for r in body["results"]] == ["queued"] * 3
    ids = [r["id"] for r in batch]
    assert stored(database, ids) == {}  # not stored yet: the worker does it
    queue = health(client)["broker"]
    assert queue["pending"] == 3 and queue["oldest_unacked_seconds"] >= 0

    stats = work(broker, policy, images)
    assert stats.stored == 3 and stats.dead == 0
    assert stored(database, ids) == dict.fromkeys(ids, 1)
    queue = health(client)["broker"]
    assert queue["pending"] == 0 and queue["oldest_unacked_seconds"] is None

    # The same request again (a retry), and the same messages under other message ids
    # (a redelivery after a crash, past JetStream's duplicate window): stored once.
    again = client.post("/api/v1/reads", json={"reads": batch},
                        headers={"Authorization": f"Bearer {key}"})
    assert again.status_code == 202 and again.json()["queued"] == 3
    publish_raw(broker, [envelope({**r, "camera_id": "cam-1"}, sender="cam-1",
                                  actor="camera:cam-1") for r in batch[:2]])
    stats = work(broker, policy, images)
    assert stats.stored == 0 and stats.dead == 0 and stats.duplicates == 2
    assert stored(database, ids) == dict.fromkeys(ids, 1)


FRONT_REFUSALS = [
    ({"plate": "$$"}, "plate"),
    ({"captured_at": None}, "captured_at"),
    ({"captured_at": "2026-01-01T00:00:00"}, "captured_at"),  # no time zone
    ({"captured_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "captured_at"),
    ({"captured_at": "1999-01-01T00:00:00+00:00"}, "captured_at"),  # past retention
    ({"camera_id": "cam-2"}, "camera_id"),  # another (registered) camera
    ({"camera_id": "ghost"}, "camera_id"),
    ({"id": "not-a-uuid"}, "id"),
    ({"confidence": 7}, "confidence"),
    ({"plate_image": "@@@"}, "plate_image"),
]


@pytest.mark.parametrize(("change", "field"), FRONT_REFUSALS)
def test_the_front_refuses_what_it_can_check_and_publishes_nothing(
    client: TestClient, broker: Settings, database: Database, make_camera: CameraFactory,
    change: dict[str, Any], field: str,
) -> None:
    # REQ C2 — a refused read is answered with the field at fault, audited, never queued
    _, key = make_camera()
    make_camera("cam-2")
    bad = {k: v for k, v in read(**change).items() if v is not None}
    response = client.post("/api/v1/reads", json={"reads": [read(), bad]},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["queued"], body["rejected"]) == (1, 1)
    assert body["results"][1]["reason"].startswith(field), body["results"][1]
    assert stream_messages(broker, names(broker).reads_stream) == 1
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.event == AuditEvent.READ_INGEST_REJECTED)) == 1


def test_bad_messages_land_in_dead_letters_with_their_reason_and_never_block(
    client: TestClient, broker: Settings, database: Database, make_camera: CameraFactory,
    policy: Policy, images: ImageStore,
) -> None:
    # Messages put on the stream by anything else than the front: each bad one is kept
    # with why, counted on /health, and the good ones around it are stored.
    make_camera()
    camera, _ = make_camera("cam-off")
    with database.unit_of_work() as session:
        session.get(type(camera), "cam-off").active = False  # type: ignore[union-attr]
    good = [read(camera_id="cam-1") for _ in range(3)]

    def wrapped(data: dict[str, Any], sender: str | None = None) -> bytes:
        return envelope(data, sender=sender, actor="test")

    bad: list[tuple[bytes, str]] = [
        (b"not json at all", "message: not JSON"),
        (b"\xff\xfe\x00", "message: not JSON"),
        (b"[1, 2, 3]", "envelope: message"),
        (json.dumps({"v": 1, "actor": "test"}).encode(), "envelope: read"),
        (json.dumps({"v": 2, "actor": "t", "read": good[0]}).encode(), "envelope: v"),
        (json.dumps({"v": 1, "actor": "t", "read": good[0], "x": 1}).encode(), "envelope: x"),
        (wrapped({**read(camera_id="cam-1"), "plate": ""}), "plate"),
        (wrapped({**read(camera_id="cam-1"), "id": "nope"}), "id"),
        (wrapped(read(camera_id="ghost")), "camera_id: unknown camera"),
        (wrapped(read(camera_id="cam-off")), "camera_id: camera 'cam-off' is disabled"),
        (wrapped(read(camera_id="cam-1"), sender="ghost"), "camera_id: unknown sending"),
        (wrapped(read(camera_id="cam-1", plate_image="!!")), "plate_image: not valid base64"),
    ]
    publish_raw(broker, [wrapped(good[0])] + [payload for payload, _ in bad]
                + [wrapped(r) for r in good[1:]])
    stats = work(broker, policy, images)
    assert stored(database, [r["id"] for r in good]) == {r["id"]: 1 for r in good}
    assert stats.dead == len(bad)

    async def dead_letters(client: Client) -> list[tuple[bytes, str]]:
        js = client.jetstream()
        info = await js.stream_info(names(broker).dead_stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(names(broker).dead_stream, seq=seq)
            found.append((message.data or b"", (message.headers or {})[REASON_HEADER]))
        return found

    letters = on_broker(broker, dead_letters)
    assert len(letters) == len(bad)
    for (payload, why), (kept, reason) in zip(bad, letters, strict=True):
        assert kept == payload  # the message as it came, for whoever repairs it
        assert reason.startswith(why), (why, reason)
    queue = health(client)["broker"]
    assert queue["dead_letters"] == len(bad) and queue["pending"] == 0


def test_a_read_that_makes_ingest_fail_is_retried_then_dead_lettered(
    broker: Settings, database: Database, make_camera: CameraFactory, policy: Policy,
    tmp_path: Path,
) -> None:
    # The image store cannot write (its folder is a file): the read with an image fails,
    # alone, ALPR_BROKER_MAX_DELIVER times, then is dead-lettered; the others are stored.
    make_camera()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    broken = ImageStore(blocked / "images", KeyRing(tmp_path / "keys"))
    settings = broker.model_copy(update={"broker_max_deliver": 2})
    image_read = read(camera_id="cam-1", plate_image=base64.b64encode(
        jpeg()).decode())
    plain = [read(camera_id="cam-1") for _ in range(2)]
    publish_raw(broker, [envelope(r, sender=None, actor="test")
                         for r in [plain[0], image_read, plain[1]]])

    async def until_dead_lettered() -> WorkerStats:
        # One worker that stays up: redeliveries (RETRY_DELAY apart) reach it.
        worker, stop = Worker(settings, policy, broken), asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        for _ in range(150):
            if worker.stats.dead:
                break
            await asyncio.sleep(0.2)
        stop.set()
        await running
        return worker.stats

    stats = asyncio.run(until_dead_lettered())
    assert stored(database, [r["id"] for r in plain]) == {r["id"]: 1 for r in plain}
    assert stored(database, [image_read["id"]]) == {}
    assert stats.dead == 1
    assert stats.dead_reasons[0].startswith("failed 2 times: NotADirectoryError")


@pytest.mark.parametrize("preset", ["ca-doj-model", "oakland", "lapd", "city-pd-2455",
                                   "ca-doj-general-order"])
def test_the_broker_never_keeps_a_read_longer_than_the_policy(
    broker: Settings, preset: str,
) -> None:
    # REQ R1 — the streams' max-age is at most the policy's retention, whatever day it
    # starts on; a longer one is refused, and a worker refuses streams that keep longer
    policy = load_preset(preset)
    age = allowed_max_age(policy)
    for start in (datetime(2027, 2, 1, tzinfo=UTC), datetime(2028, 2, 29, tzinfo=UTC),
                  datetime(2027, 12, 31, tzinfo=UTC), datetime(2028, 1, 31, tzinfo=UTC)):
        assert start + age <= policy.retention.delete_after.after(start)

    async def scenario(client: Client) -> None:
        js = client.jetstream()
        await init_streams(js, broker, policy)
        for stream in (names(broker).reads_stream, names(broker).dead_stream):
            kept = (await js.stream_info(stream)).config.max_age
            assert kept == age.total_seconds()
        await check_streams(js, broker, policy)
        with pytest.raises(BrokerSetupError, match="longer than the policy"):
            await init_streams(js, broker, policy, max_age=age + timedelta(seconds=1))
        info = await js.stream_info(names(broker).dead_stream)
        info.config.max_age = 0  # someone "fixes" it by hand: keep for ever
        await js.update_stream(info.config)
        with pytest.raises(BrokerSetupError, match="forever"):
            await check_streams(js, broker, policy)

    on_broker(broker, scenario)
    with pytest.raises(BrokerSetupError):
        work(broker, policy, ImageStore(Path("/nonexistent"), KeyRing.__new__(KeyRing)))


def test_a_workers_hit_is_announced_to_every_api_process(
    client: TestClient, broker: Settings, database: Database, make_camera: CameraFactory,
    policy: Policy, images: ImageStore,
) -> None:
    # REQ A1 — a hit raised by a worker is stored once and announced on alerts.<agency>
    _, key = make_camera()
    with database.unit_of_work() as session:
        create_list(session, name="svs", source="SVS", actor="test", policy=policy)
        import_entries(session, list_name="svs", actor="test", policy=policy, file_name="f",
                       parsed=parse_clew("DATE\n6HIT123 CA0120260101\nTOTAL RECORD 0000001\n",
                                         table="svs"))
    hit = read(plate="6HIT123")

    async def scenario(nc: Client) -> list[dict[str, Any]]:
        notices = await nc.subscribe(names(broker).alert_subjects)
        response = await asyncio.to_thread(
            client.post, "/api/v1/reads", json={"reads": [read(), hit]},
            headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 202
        stats = await Worker(broker, policy, images).run(until_idle=True)
        assert stats.alerts == 1
        message = await notices.next_msg(timeout=5)
        assert message.subject == names(broker).alert_subject("Test PD")
        return [json.loads(message.data)]

    (notice,) = on_broker(broker, scenario)
    assert notice["read_id"] == hit["id"] and notice["plate_read"] == "6HIT123"
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Alert).where(
            Alert.read_id == uuid.UUID(hit["id"]))) == 1


def test_one_call_for_every_adapter_stores_now_or_queues(
    broker: Settings, database: Database, make_camera: CameraFactory, policy: Policy,
    images: ImageStore,
) -> None:
    # REQ C2 — `ingest_batch` (alpr ingest, capture, edge) follows ALPR_BROKER_URL
    make_camera()
    first, second = read(camera_id="cam-1"), read(camera_id="cam-1")
    direct = ingest_batch([IngestItem(first)], actor="test", policy=policy, images=images,
                          settings=broker.model_copy(update={"broker_url": None}))
    assert direct.accepted == 1 and stored(database, [first["id"]]) == {first["id"]: 1}
    queued = ingest_batch([IngestItem(second)], actor="test", policy=policy, images=images,
                          settings=broker)
    assert queued.queued == 1 and queued.results[0].status == "queued"
    assert stored(database, [second["id"]]) == {}
    work(broker, policy, images)
    assert stored(database, [second["id"]]) == {second["id"]: 1}


def test_health_says_when_the_broker_is_unreachable(
    database: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from alpr.broker.local import free_port
    from alpr.config import get_settings

    monkeypatch.setenv("ALPR_BROKER_URL", f"nats://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    with TestClient(create_app()) as test_client:
        answer = health(test_client)
        assert answer["status"] == "degraded"
        assert answer["broker"]["status"] == "unavailable"
        refused = test_client.post("/api/v1/reads", json={"reads": []},
                                   headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401  # still authenticated before anything else
