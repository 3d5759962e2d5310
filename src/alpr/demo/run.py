"""The demo job: register sample cameras, ingest a generated batch, show what happened."""

from __future__ import annotations

from rich.table import Table

from alpr.audit.cli import verify_and_record
from alpr.cameras import service as cameras
from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.config import get_settings
from alpr.console import console
from alpr.db.base import utcnow
from alpr.db.cli import upgrade_database
from alpr.db.session import unit_of_work
from alpr.demo.sample import DEMO_CENTER, SampleRead, write_sample_batch
from alpr.reads.cli import print_summary, run_import
from alpr.reads.importer import ImportSummary

ACTOR = "demo"
FIXED = CameraIn(id="demo-fixed-1", name="Broadway & 14th, northbound", kind=CameraKind.FIXED,
                 agency="Demo Police Department", lat=DEMO_CENTER[0], lon=DEMO_CENTER[1],
                 heading=0.0)
MOBILE = CameraIn(id="demo-car-7", name="Patrol car 7", kind=CameraKind.MOBILE,
                  agency="Demo Police Department")


def run_demo(count: int = 12) -> ImportSummary:
    settings = get_settings()
    console.rule("[bold]alpr demo")
    revision = upgrade_database()
    console.print(f"store: [bold]{settings.effective_database_url}[/] (schema {revision}),"
                  f" images in [bold]{settings.image_dir}[/]")
    _register_cameras()

    now = utcnow()
    folder = settings.data_dir / "demo" / now.strftime("%Y%m%dT%H%M%S")
    path, notes = write_sample_batch(folder, fixed_camera=FIXED.id, mobile_camera=MOBILE.id,
                                     now=now, count=count)
    console.print(f"generated a camera batch: [bold]{path}[/] ({len(notes)} reads with images)")
    summary = run_import(path, actor=ACTOR)
    _print_reads(notes, summary)
    print_summary(summary)

    report = verify_and_record(ACTOR)
    state = "[green]intact[/]" if report.ok else f"[red]broken at {report.broken_id}[/]"
    console.print(f"audit chain: {state}, {report.checked} entries")
    return summary


def _register_cameras() -> None:
    with unit_of_work() as session:
        for camera in (FIXED, MOBILE):
            if session.get(Camera, camera.id) is None:
                _, key = cameras.register_camera(session, camera=camera, actor=ACTOR)
                console.print(f"registered camera [bold]{camera.id}[/]; API key {key}")


def _print_reads(notes: list[SampleRead], summary: ImportSummary) -> None:
    by_line = dict(summary.results)
    table = Table("line", "plate", "camera", "captured (UTC)", "result", "what it shows",
                  title="What was stored")
    style = {"accepted": "green", "duplicate": "yellow", "rejected": "red"}
    for note in notes:
        result = by_line.get(note.line)
        status = result.status.value if result else "?"
        detail = f" ({result.reason})" if result and result.reason else ""
        table.add_row(str(note.line), note.plate, note.camera_id,
                      note.captured_at.strftime("%Y-%m-%d %H:%M:%S"),
                      f"[{style.get(status, 'white')}]{status}[/]{detail}", note.note)
    console.print(table)
