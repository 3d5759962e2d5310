"""`alpr serve` is a complete single-node system: it runs the periodic jobs in-process
unless told `--no-jobs` (issue 21), so tickets, webhooks and imports happen without a second
command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select

from alpr.broker.local import free_port
from alpr.db.migrate import upgrade
from alpr.db.session import Database
from alpr.jobs.models import JobState
from tests.web.conftest import ROOT


@contextmanager
def serving(data_dir: Path, *extra: str) -> Iterator[Database]:
    url = f"sqlite:///{data_dir / 'alpr.db'}"
    database = Database.from_url(url)
    upgrade(database.bind)
    port = free_port()
    env = {**os.environ, "ALPR_DATA_DIR": str(data_dir), "ALPR_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "alpr.cli", "serve", "--port", str(port), *extra],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, "the server exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield database
    finally:
        server.terminate()
        server.wait(30)
        database.bind.dispose()  # type: ignore[union-attr]


def _jobs_run(database: Database) -> set[str]:
    with database.unit_of_work() as session:
        return {state.name for state in session.scalars(select(JobState))
                if state.last_started_at is not None}


def test_serve_runs_the_periodic_jobs(tmp_path: Path) -> None:
    # REQ H2 (imports at least daily), C6 (trouble tickets): nothing waits for a manual run.
    with serving(tmp_path, "--jobs-interval", "0.5") as database:
        deadline = time.monotonic() + 60
        expected = {"retention", "users-lifecycle", "cameras-heartbeat-check"}
        while not expected <= (ran := _jobs_run(database)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert expected <= ran, f"only {sorted(ran)} ran within 60 s"


def test_serve_no_jobs_leaves_them_to_another_process(tmp_path: Path) -> None:
    with serving(tmp_path, "--no-jobs", "--jobs-interval", "0.5") as database:
        time.sleep(3)
        assert _jobs_run(database) == set()
