"""Kill/restart soak on PostgreSQL: reads acknowledged = reads stored (issue 18, done-when).

A real uvicorn server (`alpr serve`) receives batches from a client thread. Midway it is
killed with SIGKILL and started again, and later its database connections are cut with
pg_terminate_backend. The client does what an edge unit does: it resends a batch until it
gets an answer. At the end the set of read ids the server acknowledged (2xx: accepted or
duplicate) must be exactly the set stored — nothing acknowledged is lost, nothing stored
twice. Bounded: about 30 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from alpr.broker.local import free_port
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.db.base import utcnow
from alpr.db.session import Database, create_db_engine, set_database
from tests.conftest import drop_postgresql_schema, postgresql_schema_engine, postgresql_url

SRC = Path(__file__).resolve().parents[2] / "src"
PHASE_SECONDS = 7.0


@pytest.fixture
def committed() -> Iterator[tuple[Database, str]]:
    schema = f"alpr_soak_{os.getpid()}"
    engine = postgresql_schema_engine(schema)
    database = Database(engine)
    set_database(database)
    try:
        yield database, schema
    finally:
        set_database(None)
        engine.dispose()
        drop_postgresql_schema(schema)


class Server:
    """`alpr serve` in its own process, on the test's schema."""

    def __init__(self, schema: str, data_dir: Path, application_name: str) -> None:
        url = make_url(postgresql_url()).update_query_dict({
            "options": f"-csearch_path={schema},public", "application_name": application_name})
        self.port = free_port()
        self.env = {**os.environ, "PYTHONPATH": str(SRC), "ALPR_DATA_DIR": str(data_dir),
                    "ALPR_DATABASE_URL": url.render_as_string(hide_password=False)}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alpr.cli", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Sender(threading.Thread):
    """An edge unit: a batch is resent until the server answers it; the acknowledged ids
    are remembered."""

    def __init__(self, base: str, key: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.key = key
        self.stopping = threading.Event()
        self.acknowledged: set[str] = set()
        self.errors: dict[str, int] = {}
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(timeout=5) as client:
                while not self.stopping.is_set():
                    self._deliver(client, [self._read() for _ in range(20)])
        except BaseException as error:
            self.failure = error

    def _read(self) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                "captured_at": (utcnow() - timedelta(seconds=5)).isoformat()}

    def _deliver(self, client: httpx.Client, batch: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = client.post(f"{self.base}/api/v1/reads", json={"reads": batch},
                                       headers={"Authorization": f"Bearer {self.key}"})
            except httpx.HTTPError as error:
                self._count(type(error).__name__)
                time.sleep(0.2)
                continue
            if response.status_code == 200:
                for result in response.json()["results"]:
                    assert result["status"] in ("accepted", "duplicate"), result
                    self.acknowledged.add(result["id"])
                return
            self._count(str(response.status_code))
            time.sleep(0.2)
        raise AssertionError(f"a batch was never acknowledged: {self.errors}")

    def _count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


@pytest.mark.postgres_only
def test_reads_acknowledged_are_reads_stored_through_kills_and_cut_connections(
    database: Database, committed: tuple[Database, str], tmp_path: Path
) -> None:
    # REQ C5 — reads are uploaded without loss, whatever happens to the server
    soak, schema = committed
    with soak.unit_of_work() as session:
        _, key = register_camera(session, actor="t", camera=CameraIn(
            id="cam-1", name="c", kind="fixed", agency="PD", lat=37.8, lon=-122.2))
    application = f"alpr-soak-{os.getpid()}"
    server = Server(schema, tmp_path / "data", application)
    server.start()
    sender = Sender(server.base, key)
    sender.start()
    try:
        time.sleep(PHASE_SECONDS)
        server.kill()  # mid-way: batches in flight are cut off
        time.sleep(1)
        server.start()
        time.sleep(PHASE_SECONDS)
        cut = cut_connections(application)  # the database drops the server's sessions
        time.sleep(PHASE_SECONDS)
    finally:
        sender.stopping.set()
        sender.join(120)
        server.stop()
    assert sender.failure is None, sender.failure
    with soak.unit_of_work() as session:
        stored = {str(row) for row in session.scalars(text("SELECT id FROM reads"))}
        ids = session.scalar(text("SELECT count(*) FROM read_ids"))
    print(f"acknowledged {len(sender.acknowledged)}, stored {len(stored)},"
          f" connections cut {cut}, client errors {sender.errors}")
    assert len(sender.acknowledged) > 100
    assert cut >= 1
    assert sender.acknowledged == stored
    assert ids == len(stored)


def cut_connections(application: str) -> int:
    admin = create_db_engine(postgresql_url())
    try:
        with admin.begin() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name"), {"name": application}).all())
    finally:
        admin.dispose()
