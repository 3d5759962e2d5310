"""Field units: GPS tracks (C2), health flags, ticket notices, held alerts (C6), admins (C7)."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from alpr.cameras import flags, gps, health, notify, shifts
from alpr.cameras.models import Camera, CameraKind, MaskKind, TicketStatus
from alpr.cameras.service import CameraError, NotAdministratorError, disable_camera
from alpr.config import Settings, get_settings
from alpr.db.session import Database
from alpr.hotlists.importing import import_entries
from alpr.hotlists.matching import bump_revision, current_revision
from alpr.hotlists.models import Alert
from alpr.hotlists.profiles import parse_clew
from alpr.hotlists.service import create_list
from alpr.hotlists.webhooks import add_webhook
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.schemas import ItemStatus
from alpr.reads.service import IngestItem, ingest
from tests.helpers import CameraFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def nmea(body: str) -> str:
    return f"${body}*{gps.nmea_checksum(body)}"


# A replayed drive: 11:58:00 and 11:58:20 are 20 s apart (interpolable); then a 60 s gap.
TRACK = [
    nmea("GPRMC,115800.00,A,3748.0000,N,12216.0000,W,25.0,90.0,011226,,,A"),
    nmea("GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00"),  # ignored, not an error
    nmea("GPGGA,115820.00,3748.6000,N,12215.4000,W,1,08,0.9,10.0,M,-25.0,M,,"),
    "$GPGGA,115830.00,3748.9000,N,12215.1000,W,1,08,0.9,10.0,M,-25.0,M,,*00",  # bad sum
    "garbage line",
    nmea("GPGGA,115840.00,3749.0000,N,12215.0000,W,0,00,,,M,,M,,"),  # quality 0: no fix
    nmea("GPRMC,115920.00,A,3749.2000,N,12214.8000,W,25.0,90.0,011226,,,A"),
]


def test_nmea_fixes_checksums_and_line_numbered_errors() -> None:
    # REQ C2 — NMEA GGA/RMC parsed, checksums verified, bad sentences reported by line
    track = gps.parse_nmea(TRACK)
    assert [f.time.isoformat() for f in track.fixes] == [
        "2026-12-01T11:58:00+00:00", "2026-12-01T11:58:20+00:00", "2026-12-01T11:59:20+00:00"]
    assert track.fixes[1].lat == pytest.approx(37 + 48.6 / 60)
    assert track.fixes[1].lon == pytest.approx(-(122 + 15.4 / 60))
    assert [(e.line, "checksum" in e.message) for e in track.errors] == [(4, True), (5, False)]
    assert track.ignored == 2  # the GSV and the quality-0 GGA
    orphan = gps.parse_nmea([nmea("GPGGA,000001.00,3748.0,N,12216.0,W,1,08,0.9,1,M,,M,,")])
    assert orphan.fixes == [] and "GGA before any RMC" in orphan.errors[0].message
    dated = gps.parse_nmea([nmea("GPGGA,000001.00,3748.0,N,12216.0,W,1,08,0.9,1,M,,M,,")],
                           day=date(2026, 12, 2))
    assert dated.fixes[0].time == datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)


def test_gpx_track_and_errors() -> None:
    # REQ C2 — GPX files give fixes too; a point without time is reported by line
    gpx = b"""<?xml version="1.0"?>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
<trkpt lat="37.80" lon="-122.27"><time>2026-12-01T11:58:00Z</time></trkpt>
<trkpt lat="37.81" lon="-122.26"></trkpt>
</trkseg></trk></gpx>"""
    track, source = gps.parse_file(gpx)
    assert source == "gpx"
    assert [(f.lat, f.lon) for f in track.fixes] == [(37.80, -122.27)]
    assert [(e.line, "no <time>" in e.message) for e in track.errors] == [(4, True)]
    broken, _ = gps.parse_file(b"<gpx><trkpt></gpx>")
    assert broken.fixes == [] and "not valid GPX" in broken.errors[0].message


def _read(camera_id: str, at: datetime, **extra: Any) -> IngestItem:
    return IngestItem(data={"id": str(uuid.uuid4()), "plate": "7ABC123", "confidence": 0.9,
                            "captured_at": at.isoformat(), "camera_id": camera_id, **extra})


def test_mobile_reads_located_on_replayed_nmea_track(
    database: Database, make_camera: CameraFactory, policy: Policy, images: ImageStore
) -> None:
    # REQ C2 — a mobile unit's read gets its location interpolated on its GPS track at the
    # capture time; a read in a gap wider than the maximum is stored marked "no fix"
    make_camera("car-7", kind=CameraKind.MOBILE)
    make_camera()
    data = "\n".join(TRACK).encode()
    with database.unit_of_work() as session:
        track, added = gps.import_track(session, camera_id="car-7", data=data, actor="user:root")
        assert (len(track.fixes), added, len(track.errors)) == (3, 3, 2)
        _, again = gps.import_track(session, camera_id="car-7", data=data, actor="user:root")
        assert again == 0  # a replayed file is stored once
        with pytest.raises(CameraError, match="fixed"):
            gps.import_track(session, camera_id="cam-1", data=data, actor="user:root")
    t0 = datetime(2026, 12, 1, 11, 58, tzinfo=UTC)
    items = [_read("car-7", t0 + timedelta(seconds=5)),  # a quarter of the way to 11:58:20
             _read("car-7", t0 + timedelta(seconds=50)),  # inside the 60 s gap: no fix
             _read("car-7", t0 + timedelta(seconds=5), lat=37.1, lon=-122.1),  # its own
             _read("cam-1", t0)]
    with database.unit_of_work() as session:
        report = ingest(session, items, actor="test", policy=policy, images=images, now=NOW)
        assert report.accepted == 4, report.results
        rows = {str(r.id): r for r in session.scalars(select(Read))}
    placed, gap, own, fixed = (rows[str(i.data["id"])] for i in items)
    lat0, lon0 = 37 + 48 / 60, -(122 + 16 / 60)
    lat1, lon1 = 37 + 48.6 / 60, -(122 + 15.4 / 60)
    assert placed.location_source == "gps"
    assert placed.lat == pytest.approx(lat0 + 0.25 * (lat1 - lat0), abs=1e-9)
    assert placed.lon == pytest.approx(lon0 + 0.25 * (lon1 - lon0), abs=1e-9)
    assert (gap.location_source, gap.lat, gap.lon) == ("none", None, None)
    assert (own.location_source, own.lat, own.lon) == ("device", 37.1, -122.1)
    assert (fixed.location_source, fixed.lat) == ("camera", 37.80)


def test_corrupt_track_loses_nothing_stored(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C2 — a corrupt file: line-numbered errors, and the stored track is untouched
    make_camera("car-7", kind=CameraKind.MOBILE)
    with database.unit_of_work() as session:
        gps.import_track(session, camera_id="car-7", data="\n".join(TRACK).encode(),
                         actor="user:root")
        track, added = gps.import_track(session, camera_id="car-7",
                                        data=b"$GPRMC,broken\n\xff\xfe\n", actor="user:root")
        assert added == 0 and track.errors and track.errors[0].line == 2
        kept = gps.track(session, "car-7", NOW - timedelta(hours=1), NOW)
    assert len(kept) == 3


def test_read_without_fix_inside_zone_scope_is_never_stored(
    database: Database, make_camera: CameraFactory, policy: Policy, images: ImageStore
) -> None:
    # REQ C4 — a GPS-placed read inside an exclusion zone is dropped; so is a read with no
    # fix where zones apply (it cannot be shown to lie outside them)
    from alpr.cameras import masks

    make_camera("car-7", kind=CameraKind.MOBILE)
    zone = [[37.7, -122.4], [37.9, -122.4], [37.9, -122.1], [37.7, -122.1]]
    t0 = datetime(2026, 12, 1, 11, 58, tzinfo=UTC)
    with database.unit_of_work() as session:
        gps.import_track(session, camera_id="car-7", data="\n".join(TRACK).encode(),
                         actor="user:root")
        masks.set_mask(session, name="yard", kind=MaskKind.GEO, polygon=zone, camera_id="car-7",
                       actor="admin", reason="private yard", now=NOW)
        report = ingest(session, [_read("car-7", t0 + timedelta(seconds=5)),
                                  _read("car-7", t0 + timedelta(seconds=50))],
                        actor="test", policy=policy, images=images, now=NOW)
        stored = session.scalars(select(Read)).all()
    assert [r.status for r in report.results] == [ItemStatus.MASKED, ItemStatus.MASKED]
    assert stored == []


def _beats(session: Any, camera: Camera, start: datetime, count: int, rate: float,
           version: str | None = None, step: timedelta = timedelta(hours=2)) -> datetime:
    at = start
    for _ in range(count):
        health.heartbeat(session, camera=camera, now=at,
                         metrics={"reads_per_hour": rate, "hotlist_version": version})
        at += step
    return at - step


def test_low_read_rate_opens_one_ticket_and_recovery_closes_it(
    database: Database, make_camera: CameraFactory, policy: Policy
) -> None:
    # REQ C6 — a camera reading far below its own trailing average: exactly one ticket,
    # closed when the rate recovers; history older than the retention is pruned
    make_camera()
    settings = Settings()
    with database.unit_of_work() as session:
        camera = session.get(Camera, "cam-1")
        assert camera is not None
        _beats(session, camera, NOW - timedelta(days=40), 1, 100.0)  # beyond the history
        last = _beats(session, camera, NOW - timedelta(days=3), 30, 100.0)
        assert flags.low_rate(session, camera, last, settings) == ""  # reading as usual
        assert flags.low_rate(session, camera, last + timedelta(hours=2), settings) is None
        low = _beats(session, camera, NOW - timedelta(minutes=30), 3, 5.0,
                     step=timedelta(minutes=10))
        opened = flags.check_health(session, now=low, policy=policy, settings=settings)
        assert [t.kind for t in opened] == [flags.LOW_RATE]
        assert "far below" in opened[0].description
        assert flags.check_health(session, now=low + timedelta(minutes=1), policy=policy,
                                  settings=settings) == []
        back = _beats(session, camera, low + timedelta(minutes=70), 3, 95.0,
                      step=timedelta(minutes=5))
        flags.check_health(session, now=back, policy=policy, settings=settings)
        ticket = session.get(type(opened[0]), opened[0].id)
        assert ticket is not None and ticket.status == TicketStatus.CLOSED
        assert ticket.resolution and "recovered" in ticket.resolution
        oldest = health.heartbeats(session, "cam-1", 1000)[-1].received_at
    assert oldest >= NOW - timedelta(days=settings.heartbeat_history_days)


def test_stale_hot_list_opens_one_ticket_and_update_closes_it(
    database: Database, make_camera: CameraFactory, policy: Policy
) -> None:
    # REQ C6 — a unit whose hot list stays behind the current revision for longer than the
    # policy's import interval gets exactly one ticket; catching up closes it
    make_camera("car-7", kind=CameraKind.MOBILE)
    settings = Settings()
    with database.unit_of_work() as session:
        bump_revision(session)
        old = current_revision(session)
        camera = session.get(Camera, "car-7")
        assert camera is not None
        start = NOW - timedelta(days=3)
        _beats(session, camera, start, 1, 50.0, version=old)
        bump_revision(session)  # a new import the unit never fetched
        last = _beats(session, camera, start + timedelta(hours=1), 40, 50.0, version=old)
        opened = flags.check_health(session, now=last, policy=policy, settings=settings)
        assert [t.kind for t in opened if t.kind == flags.STALE_HOTLIST] == ["stale_hotlist"]
        assert [t.kind for t in flags.check_health(
            session, now=last + timedelta(minutes=1), policy=policy, settings=settings)
            if t.kind == flags.STALE_HOTLIST] == []
        current = current_revision(session)
        _beats(session, camera, last + timedelta(minutes=2), 1, 50.0, version=current)
        flags.check_health(session, now=last + timedelta(minutes=3), policy=policy,
                           settings=settings)
        assert health.open_tickets(session, "car-7", flags.STALE_HOTLIST) == []


class FakeSmtp:
    """Just enough of SMTP on a socket to receive one message per connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection, connection.makefile("rwb") as stream:
                self._session(stream)

    def _session(self, stream: Any) -> None:
        def say(line: str) -> None:
            stream.write(line.encode() + b"\r\n")
            stream.flush()

        say("220 fake")
        while line := stream.readline().decode().strip():
            verb = line.split(" ", 1)[0].upper()
            if verb == "DATA":
                say("354 go on")
                lines = []
                while (row := stream.readline().decode()) not in (".\r\n", ""):
                    lines.append(row)
                self.messages.append("".join(lines))
                say("250 stored")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Any:
    server = FakeSmtp()
    monkeypatch.setenv("ALPR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALPR_SMTP_PORT", str(server.port))
    monkeypatch.setenv("ALPR_TICKET_EMAIL_TO", json.dumps(["sergeant@pd.example"]))
    get_settings.cache_clear()
    yield server
    server.close()


def test_ticket_notices_by_webhook_and_email_retried_never_lost(
    database: Database, make_camera: CameraFactory, smtp: FakeSmtp
) -> None:
    # REQ C6 — a ticket opened (and closed) notifies a supervisor by webhook and e-mail; a
    # failed notice is retried later and the ticket is kept either way
    make_camera()
    calls: list[httpx.Request] = []
    fail_first = [True]

    def receiver(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if fail_first.pop() if fail_first else False:
            return httpx.Response(503)
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(receiver))
    with database.unit_of_work() as session:
        add_webhook(session, url="https://dispatch.example/hook", actor="admin", now=NOW)
        [ticket] = health.check_silent(session, now=NOW + timedelta(hours=1))
        queued = notify.notices(session, ticket.id)
        assert sorted(n.channel for n in queued) == ["email", "webhook"]
        summary = notify.deliver_due(session, now=NOW + timedelta(hours=1), client=client)
        assert "1 ticket notice(s) sent, 1 failed" in summary
        hook = next(n for n in notify.notices(session, ticket.id) if n.channel == "webhook")
        assert hook.delivered_at is None and hook.next_attempt_at is not None
        assert health.open_tickets(session, "cam-1")  # the ticket stands regardless
        notify.deliver_due(session, now=hook.next_attempt_at, client=client)
        assert hook.delivered_at is not None and hook.attempts == 2
        health.close_ticket(session, ticket_id=ticket.id, resolution="cable replaced",
                            actor="tech", now=NOW + timedelta(hours=2))
        notify.deliver_due(session, now=NOW + timedelta(hours=2), client=client)
        events = [n.event for n in notify.notices(session, ticket.id) if n.delivered_at]
    assert sorted(events) == ["closed", "closed", "opened", "opened"]
    assert calls[-1].headers["X-ALPR-Event"] == "camera-ticket"
    assert json.loads(calls[-1].content)["event"] == "ticket.closed"
    assert len(smtp.messages) == 2 and "sergeant@pd.example" in smtp.messages[0]
    assert "cam-1 (silent)" in smtp.messages[0]


def test_unreachable_mail_relay_retries_later(
    database: Database, make_camera: CameraFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # REQ C6 — an unreachable relay: the notice waits for the next attempt, nothing is lost
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setenv("ALPR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALPR_SMTP_PORT", str(port))
    monkeypatch.setenv("ALPR_TICKET_EMAIL_TO", json.dumps(["sergeant@pd.example"]))
    get_settings.cache_clear()
    make_camera()
    with database.unit_of_work() as session:
        [ticket] = health.check_silent(session, now=NOW + timedelta(hours=1))
        notify.deliver_due(session, now=NOW + timedelta(hours=1))
        [notice] = notify.notices(session, ticket.id)
    assert notice.delivered_at is None and notice.failed_at is None
    assert notice.attempts == 1 and notice.last_error
    assert notice.next_attempt_at is not None and notice.next_attempt_at > NOW


def _hot_list(session: Any, policy: Policy) -> None:
    create_list(session, name="svs", source="SVS", actor="admin", policy=policy)
    import_entries(session, list_name="svs", actor="job", policy=policy, file_name="svs.tbl",
                   parsed=parse_clew("DATE\nABC123  CA0120260101\nTOTAL RECORD 0000001\n",
                                     table="svs"))


def test_mobile_unit_alerts_held_until_shift_inspection(
    database: Database, make_camera: CameraFactory, images: ImageStore
) -> None:
    # REQ C6 — a mobile unit's hits alert nobody until its start-of-shift inspection is
    # recorded; they are recorded as held, and the inspection releases them as alerts
    from alpr.db.base import utcnow
    from alpr.policy import load_preset

    policy = load_preset("oakland")
    make_camera("car-7", kind=CameraKind.MOBILE)
    make_camera()
    now = utcnow()
    hit = {"plate": "ABC123", "lat": 37.8, "lon": -122.2}
    with database.unit_of_work() as session:
        _hot_list(session, policy)
        held = ingest(session, [_read("car-7", now - timedelta(seconds=30), **hit),
                                _read("cam-1", now - timedelta(seconds=30), plate="ABC123")],
                      actor="test", policy=policy, images=images, now=now)
        assert [a.camera_id for a in held.alerts] == ["cam-1"]  # a fixed camera: no shift
        assert session.scalars(select(Alert.camera_id)).all() == ["cam-1"]
        [waiting] = shifts.held_hits(session, "car-7")
        assert waiting.plate == "ABC123"
        failed = health.record_inspection(
            session, camera_id="car-7", actor="user:officer", now=now,
            checklist={**dict.fromkeys(health.CHECKLIST, True), "test_read_ok": False})
        assert not failed.ok and shifts.held_hits(session, "car-7")  # still held
        health.record_inspection(session, camera_id="car-7", actor="user:officer", now=now,
                                 checklist=dict.fromkeys(health.CHECKLIST, True))
        assert shifts.held_hits(session, "car-7") == []
        released = session.scalars(select(Alert).where(Alert.camera_id == "car-7")).all()
        assert [a.read_id for a in released] == [waiting.read_id]
        after = ingest(session, [_read("car-7", now - timedelta(seconds=1), **hit)],
                       actor="test", policy=policy, images=images, now=now)
        assert [a.camera_id for a in after.alerts] == ["car-7"]
        # the next shift needs its own inspection
        later = now + timedelta(hours=13)
        next_shift = ingest(session, [_read("car-7", later - timedelta(seconds=1), **hit)],
                            actor="test", policy=policy, images=images, now=later)
        assert next_shift.alerts == []


def test_named_administrators_only_disable_a_camera(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C7 — a camera naming its administrators is disabled only by them, audited
    from alpr.audit.events import AuditEvent
    from alpr.audit.models import AuditEntry
    from alpr.cameras.admin import update_camera

    make_camera()
    with database.unit_of_work() as session:
        update_camera(session, camera_id="cam-1", actor="user:root",
                      changes={"administrators": ["alice"]})
        with pytest.raises(NotAdministratorError):
            disable_camera(session, camera_id="cam-1", actor="user:bob", reason="no")
        disable_camera(session, camera_id="cam-1", actor="user:alice", reason="pole removed")
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.event == AuditEvent.CAMERA_DISABLE)).one()
    assert "before" in str(entry.details) and "after" in str(entry.details)


def test_api_gps_heartbeat_health_and_data_user_refused(
    database: Database, make_camera: CameraFactory
) -> None:
    # REQ C2 — a unit posts NMEA to its track; REQ C6 — per-camera heartbeat, health view;
    # REQ C7 — a Data User can neither disable nor check the fleet
    from fastapi.testclient import TestClient

    from alpr.api.app import create_app
    from alpr.api.deps import Principal, current_principal
    from alpr.users.permissions import Role, permissions_for

    _, key = make_camera("car-7", kind=CameraKind.MOBILE)
    app = create_app()
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        posted = client.post("/api/v1/cameras/car-7/gps", headers=auth,
                             json={"nmea": TRACK})
        assert posted.status_code == 200, posted.text
        body = posted.json()
        assert (body["fixes"], body["new"]) == (3, 3)
        assert [e.split(":")[0] for e in body["errors"]] == ["line 4", "line 5"]
        beat = client.post("/api/v1/cameras/car-7/heartbeat", headers=auth,
                           json={"reads_per_hour": 40, "hotlist_version": "x"})
        assert beat.status_code == 200, beat.text
        other = client.post("/api/v1/cameras/cam-9/heartbeat", headers=auth, json={})
        assert other.status_code == 403
        app.dependency_overrides[current_principal] = lambda: Principal(
            kind="user", id="root", organization="Test PD",
            permissions=permissions_for([Role.SYSTEM_ADMINISTRATOR]))
        fleet = client.get("/api/v1/cameras/health")
        assert fleet.status_code == 200, fleet.text
        [unit] = fleet.json()
        assert unit["inspected_this_shift"] is False and unit["silent"] is False
        assert client.get("/api/v1/cameras/car-7/heartbeats").json()[0]["reads_per_hour"] == 40
        app.dependency_overrides[current_principal] = lambda: Principal(
            kind="user", id="dana", organization="Test PD",
            permissions=permissions_for([Role.DATA_USER]))
        assert client.post("/api/v1/cameras/car-7/disable",
                           json={"reason": "nope"}).status_code == 403
        assert client.post("/api/v1/cameras/health/check").status_code == 403
    with database.unit_of_work() as session:
        camera = session.get(Camera, "car-7")
        assert camera is not None and camera.active


def test_cli_gps_import_heartbeat_health(
    database: Database, make_camera: CameraFactory, tmp_path: Path
) -> None:
    # REQ C2 — `alpr cameras gps import UNIT FILE`; REQ C6 — `heartbeat`, `health`, `tickets`
    from typer.testing import CliRunner

    from alpr.cli import app
    from tests.helpers import cli_login

    make_camera("car-7", kind=CameraKind.MOBILE)
    cli_login(database)
    log = tmp_path / "drive.nmea"
    log.write_text("\n".join(TRACK) + "\n")
    runner = CliRunner()
    imported = runner.invoke(app, ["cameras", "gps", "import", "car-7", str(log)])
    assert imported.exit_code == 1  # bad lines are reported, the good fixes stored
    assert "line 4" in imported.output and "3 new" in imported.output
    with database.unit_of_work() as session:
        assert len(gps.track(session, "car-7", NOW - timedelta(hours=1), NOW)) == 3
    for command in (["cameras", "heartbeat", "car-7"], ["cameras", "health", "--check"],
                    ["cameras", "tickets"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    assert "car-7" in runner.invoke(app, ["cameras", "health"]).output
