"""deploy/: the systemd units are valid and the command in each one really runs (issue 21).

Each unit's ExecStart is started here as systemd would start it (its binary replaced by this
interpreter, the port by a free one, the store by a temporary SQLite file), and checked for
what it is for: the server answers, the jobs run, the worker consumes."""

from __future__ import annotations

import asyncio
import configparser
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from alpr.broker.connection import connect
from alpr.broker.local import free_port
from alpr.broker.streams import names
from alpr.config import get_settings
from alpr.db.migrate import upgrade
from alpr.db.session import Database
from alpr.jobs.models import JobState
from tests.web.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
ALPR = "/opt/alpr/.venv/bin/alpr"
NATS = "nats://127.0.0.1:4222"  # the machine's JetStream server


def _service(unit: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    return parser["Service"]


def exec_start(unit: Path) -> list[str]:
    return shlex.split(_service(unit)["ExecStart"])


def exec_start_pre(unit: Path) -> list[str] | None:
    pre = _service(unit).get("ExecStartPre")
    return shlex.split(pre) if pre else None


def test_the_units_cover_serve_and_jobs() -> None:
    commands = {tuple(exec_start(unit)[1:3]) for unit in UNITS}
    assert ("serve", "--no-jobs") in commands
    assert ("jobs", "loop") in commands
    assert ("worker", "--concurrency") in commands


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_file_is_valid_for_systemd(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (systemd) is needed to check the units"
    # What the machine under test lacks (the alpr user, /opt/alpr) is replaced; every key and
    # value systemd parses stays as written.
    text = unit.read_text().replace(ALPR, "/bin/true")
    text = "\n".join(line for line in text.splitlines()
                     if not line.startswith(("User=", "Group=", "EnvironmentFile=")))
    copy = tmp_path / unit.name
    copy.write_text(text)
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def _start(unit: Path, data_dir: Path) -> tuple[subprocess.Popen[bytes], int, Database]:
    argv = exec_start(unit)
    assert argv[0] == ALPR
    port = free_port()
    if "--port" in argv:
        argv[argv.index("--port") + 1] = str(port)
    url = f"sqlite:///{data_dir / 'alpr.db'}"
    database = Database.from_url(url)
    upgrade(database.bind)
    env = {**os.environ, "ALPR_DATA_DIR": str(data_dir), "ALPR_DATABASE_URL": url}
    if argv[1] == "worker":
        # The machine's NATS, in a namespace of this test's own (streams removed after).
        env |= {"ALPR_BROKER_URL": NATS, "ALPR_BROKER_NAMESPACE": f"deploy{os.getpid()}"}
    pre = exec_start_pre(unit)
    if pre:
        assert pre[0] == ALPR
        subprocess.run([sys.executable, "-m", "alpr.cli", *pre[1:]], env=env, cwd=ROOT,
                       check=True, capture_output=True, timeout=60)
    process = subprocess.Popen([sys.executable, "-m", "alpr.cli", *argv[1:]], env=env,
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, database


def _within(seconds: float, check: object) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_unit_command_runs(unit: Path, tmp_path: Path) -> None:
    process, port, database = _start(unit, tmp_path)
    try:
        command = exec_start(unit)[1]
        if command == "serve":
            assert _within(60, lambda: httpx.get(
                f"http://127.0.0.1:{port}/api/v1/health", timeout=2).is_success)
        elif command == "jobs":
            def ran() -> bool:
                with database.unit_of_work() as session:
                    return any(s.last_started_at for s in session.scalars(select(JobState)))
            assert _within(60, ran)
        elif command == "worker":
            # Its consumer exists and it keeps running, waiting for reads.
            time.sleep(3)
            status = subprocess.run(
                [sys.executable, "-m", "alpr.cli", "broker", "status"], capture_output=True,
                text=True, timeout=60, cwd=ROOT, env={
                    **os.environ, "ALPR_BROKER_URL": NATS,
                    "ALPR_DATA_DIR": str(tmp_path),
                    "ALPR_BROKER_NAMESPACE": f"deploy{os.getpid()}"})
            assert status.returncode == 0, status.stdout + status.stderr
        else:
            pytest.fail(f"{unit.name}: no check for `alpr {command}`")
        assert process.poll() is None, "the command exited"
    finally:
        process.terminate()
        process.wait(30)
        database.bind.dispose()  # type: ignore[union-attr]
        if exec_start(unit)[1] == "worker":
            asyncio.run(_drop_streams(f"deploy{os.getpid()}"))


async def _drop_streams(namespace: str) -> None:
    settings = get_settings().model_copy(update={"broker_url": NATS,
                                                 "broker_namespace": namespace})
    client = await connect(settings, role="test", timeout=5.0)
    try:
        js = client.jetstream()
        for stream in (names(settings).reads_stream, names(settings).dead_stream):
            await js.delete_stream(stream)
    finally:
        await client.close()
