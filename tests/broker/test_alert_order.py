"""Several workers commit out of order: an alert created earlier but committed later must
still reach a live alert stream that already sent a newer one (and only once)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn

from alpr.api.app import create_app
from alpr.api.deps import Principal, current_principal
from alpr.broker.local import free_port
from alpr.cameras.schemas import CameraIn
from alpr.cameras.service import register_camera
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.migrate import upgrade
from alpr.db.session import Database, create_db_engine, set_database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.policy import Policy
from alpr.reads.images import image_store
from alpr.reads.service import IngestItem, ingest
from alpr.users.permissions import Permission


def _alert_read_ids(lines: Iterator[str]) -> Iterator[str]:
    import json

    for line in lines:
        if line.startswith("data: "):
            yield json.loads(line[6:])["read_id"]


def test_an_alert_committed_late_still_reaches_an_open_stream(tmp_path: Path, policy: Policy
                                                              ) -> None:
    # REQ A1 — worker A starts its batch first but commits after worker B: the stream has
    # sent B's alert already, and must still send A's
    engine = create_db_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    upgrade(engine)
    database = Database(engine)
    set_database(database)
    server: uvicorn.Server | None = None
    try:
        with database.unit_of_work() as session:
            register_camera(session, actor="test", camera=CameraIn(
                id="cam-1", name="cam-1", kind="fixed", agency="Test PD", lat=37.8, lon=-122.27))
            create_list(session, name="svs", source="SVS", actor="test", policy=policy)
            import_entries(session, list_name="svs", actor="test", policy=policy, file_name="f",
                           parsed=parse_clew("DATE\n1EARLY1 CA0120260101\n2LATER2 CA0120260101\n"
                                             "TOTAL RECORD 0000002\n", table="svs"))
        app = create_app(policy=policy)
        app.dependency_overrides[current_principal] = lambda: Principal(
            kind="user", id="operator", organization="Test PD",
            permissions=frozenset({Permission.ALERTS_RECEIVE}))
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)

        def raise_hit(plate: str, batch_started: timedelta) -> str:
            read_id = str(uuid.uuid4())
            now = utcnow() + batch_started
            with database.unit_of_work() as session:
                report = ingest(session, [IngestItem({
                    "id": read_id, "plate": plate, "confidence": 0.9, "camera_id": "cam-1",
                    "captured_at": (now - timedelta(seconds=10)).isoformat()})],
                    actor="test", policy=policy, images=image_store(get_settings()), now=now)
            assert len(report.alerts) == 1
            return read_id

        with httpx.stream("GET", f"http://127.0.0.1:{port}/api/v1/alerts/stream",
                          timeout=httpx.Timeout(5.0)) as response:
            alerts = _alert_read_ids(response.iter_lines())
            later = raise_hit("2LATER2", timedelta(seconds=3))  # B: started later, commits first
            assert next(alerts) == later
            earlier = raise_hit("1EARLY1", timedelta(seconds=1))  # A: started earlier
            assert next(alerts) == earlier  # a read timeout here means it was skipped
            again = raise_hit("2LATER2", timedelta(seconds=2))
            assert next(alerts) == again  # and nothing was sent twice in between
    finally:
        if server is not None:
            server.should_exit = True
        set_database(None)
        engine.dispose()
