"""Demo steps after the batch: the patrol car's shift inspection and GPS track, the annual
report files and the audit-chain head published for the transparency page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from alpr.audit.retention import audit_key
from alpr.cameras.gps import import_track, nmea_checksum
from alpr.cameras.health import CHECKLIST, record_inspection
from alpr.cameras.shifts import held_hits
from alpr.config import get_settings
from alpr.console import console
from alpr.db.session import unit_of_work
from alpr.policy import Policy
from alpr.reads.images import image_store
from alpr.reads.models import Read
from alpr.reads.service import IngestItem, ingest
from alpr.reports import annual, annual_files
from alpr.reports.publication import publish_day

PATROL = "user:demo-patrol"


def shift_inspection(camera_id: str, now: datetime) -> None:
    """The car's hits waited for its start-of-shift inspection; recording it raises them."""
    with unit_of_work() as session:
        waiting = len(held_hits(session, camera_id))
    console.print(f"patrol car [bold]{camera_id}[/]: {waiting} hot-list hit(s) held — no"
                  " start-of-shift inspection yet, so its alerts are not sent")
    with unit_of_work() as session:
        inspection = record_inspection(session, camera_id=camera_id, actor=PATROL, now=now,
                                       checklist=dict.fromkeys(CHECKLIST, True))
        released = len(held_hits(session, camera_id, released=True))
    console.print(f"inspection {inspection.id} by demo-patrol passed: {released} held hit(s)"
                  " raised as alerts; the car alerts live for the rest of the shift")


def gps_track(folder: Path, camera_id: str, policy: Policy, now: datetime) -> None:
    """Replay a recorded NMEA track; a read sent without a position is placed on it."""
    start = now - timedelta(minutes=3)
    lines = []
    for step in range(7):  # a fix every 20 s, driving east along 14th Street
        at = start + timedelta(seconds=20 * step)
        body = (f"GPRMC,{at:%H%M%S}.00,A,3748.3000,N,"
                f"122{16.2 - 0.05 * step:07.4f},W,18.0,90.0,{at:%d%m%y},,,A")
        lines.append(f"${body}*{nmea_checksum(body)}")
    track_file = folder / "car-7.nmea"
    track_file.write_text("\n".join(lines) + "\n")
    with unit_of_work() as session:
        _, added = import_track(session, camera_id=camera_id, data=track_file.read_bytes(),
                                actor="demo")
    read_id, captured_at = uuid.uuid4(), start + timedelta(seconds=50)
    read = {"id": str(read_id), "plate": "8DEM042", "confidence": 0.93, "region": "CA",
            "captured_at": captured_at.isoformat(), "camera_id": camera_id}
    with unit_of_work() as session:
        ingest(session, [IngestItem(read)], actor="demo", policy=policy,
               images=image_store(get_settings()), now=now)
        stored = session.get(Read, (read_id, captured_at))
    assert stored is not None
    place = (f"{stored.lat:.5f}, {stored.lon:.5f}" if stored.lat is not None else "no fix")
    console.print(f"GPS track {track_file.name}: {added} fixes stored; read 8DEM042 sent without"
                  f" a position was placed at {place} ({stored.location_source}, between the"
                  " fixes 20 s apart)")


def reports(folder: Path, policy: Policy, now: datetime) -> None:
    """This year's annual report as files, and today's audit-chain head published."""
    out = folder / "annual-report"
    with unit_of_work() as session:
        report = annual.generate(session, year=now.year, actor="demo", now=now)
    written = annual_files.write_all(report.data, out, agency=policy.agency.name,
                                     generated_at=report.generated_at)
    shown = ", ".join(p.name for p in written if p.suffix in {".html", ".pdf"})
    console.print(f"annual report {now.year}: {shown} and {len(written)} files in all, in {out}")
    with unit_of_work() as session:
        head = publish_day(session, now=now, key=audit_key(get_settings().data_dir))
        line = (f"entry {head.last_id}, hash {head.hash[:16]}…" if head is not None
                else "already published today")
    console.print(f"transparency page /transparency: audit-chain head published ({line})")
