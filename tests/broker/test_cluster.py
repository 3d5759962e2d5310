"""Three JetStream nodes, two `alpr worker` processes and `alpr serve` on PostgreSQL.

Reads are sent through the API while one worker and the stream's leader node are
killed with SIGKILL and later restarted. Every read the API acknowledged (202) must be
stored exactly once, and every hot-list hit alerted once, on the database and on a live
alert stream (SSE) of the API process, which is not the process that raised it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select

from alpr.broker.connection import connect
from alpr.broker.health import broker_state
from alpr.broker.local import LocalCluster, free_port
from alpr.broker.streams import init_streams, names
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import default_policy
from alpr.reads.models import Read
from alpr.users.auth import login
from alpr.users.permissions import Role
from tests.conftest import drop_postgresql_schema, postgresql_schema_engine
from tests.helpers import PASSWORD, active_user, workstation

READS = 240
BATCH = 20
EVERY_NTH_IS_A_HIT = 8
DEADLINE = 90.0  # seconds for the whole scenario, startup included
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "alpr.cli", *args], env=env,
                            stdout=handle, stderr=subprocess.STDOUT)


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)


def _diagnose(settings: Settings, folder: Path) -> str:
    async def state() -> dict[str, Any]:
        client = await connect(settings)
        try:
            return await broker_state(client, settings)
        finally:
            await client.close()

    logs = {log.name: log.read_text()[-1500:] for log in folder.glob("worker*.log")}
    return f"queue {asyncio.run(state())}; logs {logs}"


class AlertListener(threading.Thread):
    """A live alert stream (SSE) on the API, collecting the read id of each alert."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.read_ids: list[str] = []
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._listen()
        except httpx.HTTPError:
            if not self.stop.is_set():  # the API went away before the test was done
                raise

    def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.stream("GET", f"{self.url}/api/v1/alerts/stream", headers=headers,
                          timeout=httpx.Timeout(5, read=None)) as response:
            for line in response.iter_lines():
                self.connected.set()
                if line.startswith("data: "):
                    self.read_ids.append(json.loads(line[6:])["read_id"])
                if self.stop.is_set():
                    return


def _post_until_acknowledged(api: str, key: str, reads: list[dict[str, Any]], deadline: float
                             ) -> list[str]:
    """Send a batch, again on 503 or a dropped connection (resends are stored once)."""
    while time.monotonic() < deadline:
        try:
            response = httpx.post(f"{api}/api/v1/reads", json={"reads": reads}, timeout=15,
                                  headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError:
            time.sleep(0.3)
            continue
        if response.status_code == 202:
            body = response.json()
            assert body["rejected"] == 0, body
            return [result["id"] for result in body["results"] if result["status"] == "queued"]
        assert response.status_code == 503, response.text
        time.sleep(0.3)
    raise AssertionError("a batch was never acknowledged before the deadline")


@pytest.mark.postgres_only
def test_no_read_lost_when_a_worker_and_a_nats_node_die(tmp_path: Path) -> None:
    # REQ C2, A1 — at scale: at-least-once through a replicated stream, stored once,
    # every hit alerted once to a live stream in another process
    started = time.monotonic()
    deadline = started + DEADLINE
    schema = f"alpr_broker_{os.getpid()}"
    engine = postgresql_schema_engine(schema)
    cluster = LocalCluster(tmp_path / "nats", size=3)
    processes: list[subprocess.Popen[bytes] | None] = []
    listener: AlertListener | None = None
    try:
        database = Database(engine)
        policy = default_policy()
        with database.unit_of_work() as session:
            _, key = register_camera(session, camera=CameraIn(
                id="cam-1", name="cam-1", kind="fixed", agency="Test PD", lat=37.8, lon=-122.27),
                actor="test")
        plates = [f"{n % 10}HIT{n:03d}" if n % EVERY_NTH_IS_A_HIT == 0 else f"{n % 10}ABC{n:03d}"
                  for n in range(READS)]
        hits = [plate for plate in plates if "HIT" in plate]
        with database.unit_of_work() as session:
            create_list(session, name="svs", source="SVS", actor="test", policy=policy)
            rows = "".join(f"{plate:<8}CA0120260101\n" for plate in hits)
            import_entries(session, list_name="svs", actor="test", policy=policy, file_name="f",
                           parsed=parse_clew(f"DATE\n{rows}TOTAL RECORD {len(hits):07d}\n",
                                             table="svs"))
        secret = active_user(database, "watch", [Role.PATROL])
        with database.unit_of_work() as session:
            token = login(session, username="watch", password=PASSWORD,
                          code=pyotp.TOTP(secret).at(utcnow()), policy=policy, now=utcnow(),
                          device_token=workstation(database)).token
        assert token

        cluster.start()
        # A killed worker's unacknowledged batch comes back after ack_wait: short here.
        settings = Settings(broker_url=cluster.url, broker_replicas=3,
                            broker_ack_wait_seconds=4)

        async def init() -> str | None:
            client = await connect(settings)
            try:
                await init_streams(client.jetstream(), settings, policy)
                info = await client.jetstream().stream_info(names(settings).reads_stream)
                assert info.config.num_replicas == 3
                return info.cluster.leader if info.cluster else None
            finally:
                await client.close()

        leader = asyncio.run(init())
        env = {**os.environ, "PYTHONPATH": SRC, "ALPR_BROKER_URL": cluster.url,
               "ALPR_DATABASE_URL": engine.url.render_as_string(hide_password=False),
               "ALPR_DATA_DIR": str(tmp_path / "data"), "ALPR_BROKER_BATCH": "25"}
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        processes.append(_spawn(["serve", "--port", str(port)], env, tmp_path / "api.log"))
        for n in range(2):
            processes.append(_spawn(["worker", "--concurrency", "2"], env,
                                    tmp_path / f"worker{n}.log"))
        while True:  # the API answers
            assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()
            try:
                if httpx.get(f"{api}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        listener = AlertListener(api, token)
        listener.start()
        assert listener.connected.wait(max(1.0, deadline - time.monotonic()))

        captured = (utcnow() - timedelta(seconds=60)).isoformat()
        reads: list[dict[str, str | float]] = [
            {"id": str(uuid.uuid4()), "plate": plate, "confidence": 0.9, "captured_at": captured}
            for plate in plates]
        acknowledged: list[str] = []
        batches = [reads[i:i + BATCH] for i in range(0, READS, BATCH)]
        victim = next(i for i, node in enumerate(cluster.nodes) if node.name == leader)
        for number, batch in enumerate(batches):
            if number == len(batches) // 3:  # mid-way: a worker and the leader node die
                _kill(processes[1])
                cluster.kill_node(victim)
            if number == 2 * len(batches) // 3:  # and come back
                cluster.start_node(victim)
                processes[1] = _spawn(["worker", "--concurrency", "2"], env,
                                      tmp_path / "worker0.log")
            acknowledged += _post_until_acknowledged(api, key, batch, deadline)
        assert len(acknowledged) == READS

        hit_ids = {str(r["id"]) for r in reads if "HIT" in str(r["plate"])}
        wanted = [uuid.UUID(i) for i in acknowledged]
        while True:  # until the workers stored everything and the stream showed every hit
            with database.unit_of_work() as session:
                stored = session.scalar(select(func.count()).select_from(Read)
                                        .where(Read.id.in_(wanted)))
            if stored == READS and set(listener.read_ids) >= hit_ids:
                break
            assert time.monotonic() < deadline, (
                f"{stored}/{READS} stored, {len(set(listener.read_ids))}/{len(hit_ids)}"
                f" alerts streamed after {time.monotonic() - started:.0f} s; "
                + _diagnose(settings, tmp_path))
            time.sleep(0.5)
        time.sleep(1.0)  # late duplicates, if any, would show now

        with database.unit_of_work() as session:
            copies = dict(session.execute(select(Read.id, func.count()).group_by(Read.id)).all())
            alerts = dict(session.execute(select(Alert.read_id, func.count())
                                          .group_by(Alert.read_id)).all())
        assert {str(k) for k in copies} == set(acknowledged)  # every one, nothing else
        assert set(copies.values()) == {1}  # exactly once
        assert {str(k) for k in alerts} == hit_ids and set(alerts.values()) == {1}
        assert sorted(listener.read_ids) == sorted(hit_ids)  # each hit streamed once
    finally:
        if listener is not None:
            listener.stop.set()
        for process in processes:
            _kill(process)
        cluster.stop()
        engine.dispose()
        drop_postgresql_schema(schema)
