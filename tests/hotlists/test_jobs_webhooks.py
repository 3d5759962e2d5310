"""Scheduled hot-list import from the drop folder, expiry job, signed webhooks with retry."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from alpr.audit.models import AuditEntry
from alpr.config import get_settings
from alpr.db.session import Database
from alpr.hotlists.models import HotListEntry, WebhookDelivery
from alpr.hotlists.webhooks import MAX_ATTEMPTS, add_webhook, backoff, deliver_due
from alpr.jobs.registry import JobContext, load_all, run_due, run_job
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def oakland() -> Policy:
    return load_preset("oakland")


def context(policy: Policy, now: datetime = NOW) -> JobContext:
    return JobContext(settings=get_settings(), policy=policy, now=now)


def drop(name: str, *plates: str) -> Path:
    inbox = get_settings().hotlist_inbox
    inbox.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{p:<8}CA0120260101\n" for p in plates)
    path = inbox / name
    path.write_text(f"DATE11/23/2026 09:00\n{rows}TOTAL RECORD {len(plates):07d}\n")
    return path


def test_drop_folder_is_imported_by_the_daily_job(database: Database, oakland: Policy) -> None:
    # REQ H2 — imported automatically at least daily (interval from the policy)
    drop("svs.tbl", "ABC123", "XYZ999")
    broken = drop("sfr.tbl", "FEL0001")
    broken.write_text(broken.read_text().replace("0000001", "0000009"))  # truncated file
    results = {r.name: r for r in run_due(context(oakland))}
    assert results["hotlist-import"].outcome == "success"
    assert "svs.tbl: 2 loaded" in results["hotlist-import"].detail
    assert "sfr.tbl: refused" in results["hotlist-import"].detail
    inbox = get_settings().hotlist_inbox
    assert [p.name.split("-", 1)[1] for p in (inbox / "processed").iterdir()] == ["svs.tbl"]
    assert len(list((inbox / "refused").iterdir())) == 1
    with database.unit_of_work() as session:
        assert sorted(session.scalars(select(HotListEntry.plate))) == ["ABC123", "XYZ999"]
    # not due again until the policy's interval has passed
    assert "hotlist-import" not in {r.name for r in run_due(context(oakland))}
    later = oakland.hotlists.import_at_least_every.after(NOW)
    assert "hotlist-import" in {r.name for r in run_due(context(oakland, later))}


def test_purge_job_deletes_expired_entries(database: Database, oakland: Policy) -> None:
    # REQ H5
    drop("svs.tbl", "ABC123")
    run_job(load_all()["hotlist-import"], context(oakland))
    expired = oakland.hotlists.entry_lifetime.after(NOW) + timedelta(minutes=1)
    result = run_job(load_all()["hotlist-purge"], context(oakland, expired))
    assert result.detail == "1 expired entries"
    with database.unit_of_work() as session:
        assert session.scalars(select(HotListEntry)).all() == []


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    fail_first: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_first > 0:
            Receiver.fail_first -= 1
            self.send_response(503)
        else:
            Receiver.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alpr"
    server.shutdown()


def test_alert_webhook_is_signed_and_retried(
    database: Database, oakland: Policy, images: ImageStore, make_camera: CameraFactory,
    receiver: str,
) -> None:
    # REQ A1 — alerts pushed to subscribers (HMAC-signed webhooks, retried with backoff)
    make_camera()
    with database.unit_of_work() as session:
        hook = add_webhook(session, url=receiver, actor="admin", now=NOW)
    drop("svs.tbl", "ABC123")
    run_job(load_all()["hotlist-import"], context(oakland))
    with database.unit_of_work() as session:
        report = ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": "ABC123", "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (NOW - timedelta(seconds=3)).isoformat()})],
            actor="camera:cam-1", policy=oakland, images=images, now=NOW)
    Receiver.fail_first = 1
    with database.unit_of_work() as session:
        assert deliver_due(session, now=NOW) == "0 delivered, 1 failed"
        assert deliver_due(session, now=NOW) == "nothing to deliver"  # waiting for backoff
        assert deliver_due(session, now=NOW + backoff(1)) == "1 delivered, 0 failed"
    [(headers, body)] = Receiver.received
    expected = hmac.new(hook.secret.encode(), f"{headers['X-ALPR-Timestamp']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-ALPR-Signature"] == f"sha256={expected}"
    assert json.loads(body)["id"] == str(report.alerts[0].id)


def test_a_webhook_that_keeps_failing_is_given_up_and_audited(
    database: Database, oakland: Policy, images: ImageStore, make_camera: CameraFactory,
) -> None:
    make_camera()
    with database.unit_of_work() as session:
        add_webhook(session, url="http://127.0.0.1:9/nothing-listens", actor="admin", now=NOW)
    drop("svs.tbl", "ABC123")
    run_job(load_all()["hotlist-import"], context(oakland))
    with database.unit_of_work() as session:
        ingest(session, [IngestItem({
            "id": str(uuid.uuid4()), "plate": "ABC123", "confidence": 0.9, "camera_id": "cam-1",
            "captured_at": (NOW - timedelta(seconds=3)).isoformat()})],
            actor="camera:cam-1", policy=oakland, images=images, now=NOW)
    moment = NOW
    with database.unit_of_work() as session:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deliver_due(session, now=moment)
            moment += backoff(attempt)
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert delivery.attempts == MAX_ATTEMPTS
        assert delivery.failed_at is not None
        assert "ConnectError" in (delivery.last_error or "")
        events = set(session.scalars(select(AuditEntry.event)))
    assert "webhook:delivery:failed" in events
