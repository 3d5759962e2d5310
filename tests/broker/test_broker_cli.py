"""`alpr broker init|status|dead` and `alpr worker` through the real CLI."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from typer.testing import CliRunner

from alpr.broker.publish import envelope
from alpr.broker.streams import allowed_max_age
from alpr.cli import app
from alpr.config import Settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import Policy
from tests.broker.test_broker import publish_raw, stored
from tests.helpers import CameraFactory

runner = CliRunner()


def test_init_status_worker_and_dead_letters_from_the_command_line(
    broker: Settings, database: Database, make_camera: CameraFactory, policy: Policy,
) -> None:
    # REQ R1, C2 — init within the policy's retention; the worker stores; bad ones shown
    make_camera()
    longer = allowed_max_age(policy).days + 1
    refused = runner.invoke(app, ["broker", "init", "--max-age-days", str(longer)])
    assert refused.exit_code != 0 and "longer than the policy" in refused.output
    done = runner.invoke(app, ["broker", "init"])
    assert done.exit_code == 0, done.output
    assert f"policy retention: {policy.retention.delete_after}" in done.output

    good: dict[str, str | float] = {"id": str(uuid.uuid4()), "plate": "5CLI123", "confidence": 0.9,
            "camera_id": "cam-1", "captured_at": (utcnow() - timedelta(minutes=1)).isoformat()}
    publish_raw(broker, [envelope(good, sender=None, actor="test"), b"{oops"])
    status = json.loads(runner.invoke(app, ["broker", "status"]).output)
    assert status["pending"] == 2 and status["dead_letters"] == 0

    worked = runner.invoke(app, ["worker", "--concurrency", "2", "--until-idle"])
    assert worked.exit_code == 0, worked.output
    assert "1 stored" in worked.output and "1 dead-lettered" in worked.output
    assert stored(database, [str(good["id"])]) == {good["id"]: 1}

    dead = runner.invoke(app, ["broker", "dead"])
    assert "message: not JSON" in dead.output
    status = json.loads(runner.invoke(app, ["broker", "status"]).output)
    assert status["pending"] == 0 and status["dead_letters"] == 1


def test_broker_commands_need_a_broker() -> None:
    result = runner.invoke(app, ["worker", "--until-idle"])
    assert result.exit_code != 0 and "ALPR_BROKER_URL" in result.output
