"""CJIS AU-5: when the audit log cannot be written, designated personnel are alerted within
the policy's `audit_failure_alert_within`; every failure is also logged outside the
database; one alert per window, not one per failure. # REQ L1"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alpr.audit.alarm import FAILURES, LAST_ALERT
from alpr.audit.events import AuditEvent
from alpr.audit.service import AuditUnavailableError, record
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import Database
from tests.security.test_route_audit import _refuse_audit_inserts
from tests.users.test_report_delivery import Hook


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    server = Hook(fail_first=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ALPR_SECURITY_ALERT_WEBHOOK_URL",
                       f"http://127.0.0.1:{server.server_address[1]}/au5")
    monkeypatch.setenv("ALPR_SECURITY_ALERT_WEBHOOK_SECRET", "s3cret")
    get_settings.cache_clear()
    yield server
    server.shutdown()
    get_settings.cache_clear()


def _fail_once(database: Database) -> None:
    with pytest.raises(AuditUnavailableError), database.unit_of_work() as session:
        record(session, event=AuditEvent.READ_VIEW, actor="user:ortiz", details={})


def test_a_failing_audit_log_alerts_once_per_window_and_logs_every_failure(
        database: Database, hook: Hook) -> None:
    # REQ L1 — AU-5: the failure reaches people, not only a log nobody reads
    folder = get_settings().data_dir
    _refuse_audit_inserts(database)
    _fail_once(database)
    assert len(hook.received) == 1
    headers, body = hook.received[0]
    assert headers["X-ALPR-Event"] == "audit:failure" and headers["X-ALPR-Signature"]
    assert "audit storage down" in json.loads(body)["reason"]
    _fail_once(database)
    assert len(hook.received) == 1  # within the window: logged, not alerted again
    failures = (folder / FAILURES).read_text().splitlines()
    assert len(failures) == 2
    # The window (policy: 1 hour) has passed since the alert: the next failure alerts.
    (folder / LAST_ALERT).write_text((utcnow() - timedelta(hours=2)).isoformat())
    _fail_once(database)
    assert len(hook.received) == 2


def test_no_alert_while_the_log_is_written(database: Database, hook: Hook) -> None:
    with database.unit_of_work() as session:
        record(session, event=AuditEvent.READ_VIEW, actor="user:ortiz", details={})
    assert hook.received == []
    assert not Path(get_settings().data_dir / FAILURES).exists()
