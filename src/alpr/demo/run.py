"""The demo job: register sample cameras, ingest a generated batch, show what happened."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from alpr.audit.cli import verify_and_record
from alpr.cameras import service as cameras
from alpr.cameras.models import Camera, CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.config import get_settings
from alpr.console import console, folded
from alpr.db.base import utcnow
from alpr.db.cli import upgrade_database
from alpr.db.session import get_database, unit_of_work
from alpr.demo import field
from alpr.demo.broker import show_broker_path
from alpr.demo.integrations import demo_integrations
from alpr.demo.sample import DEMO_CENTER, SampleRead, california_plate, write_sample_batch
from alpr.hotlists import importing
from alpr.hotlists import service as hotlists
from alpr.hotlists.cli import alerts_table
from alpr.hotlists.models import HotList
from alpr.hotlists.profiles import parse_clew
from alpr.policy import load_checked_policy
from alpr.reads.cli import print_summary, run_import
from alpr.reads.images import image_store
from alpr.reads.importer import ImportSummary
from alpr.retention.purge import drop_detached, purge
from alpr.search import service as search
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose
from alpr.search.schemas import SearchQuery

ACTOR = "demo"
FIXED = CameraIn(id="demo-fixed-1", name="Broadway & 14th, northbound", kind=CameraKind.FIXED,
                 agency="Demo Police Department", lat=DEMO_CENTER[0], lon=DEMO_CENTER[1],
                 heading=0.0)
MOBILE = CameraIn(id="demo-car-7", name="Patrol car 7", kind=CameraKind.MOBILE,
                  agency="Demo Police Department")


def run_demo(count: int = 12, video: bool = True) -> ImportSummary:
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
    clip_plates = [california_plate(random.Random(now.timestamp() + n)) for n in range(3)]
    _load_hotlist(folder, notes, also=clip_plates[:1])
    summary = run_import(path, actor=ACTOR)
    _print_reads(notes, summary)
    print_summary(summary)
    if summary.alerts:
        console.print(alerts_table(summary.alerts, title="Hot-list hits (alerts raised)"))

    policy = load_checked_policy(settings.policy)
    field.shift_inspection(MOBILE.id, utcnow())
    field.gps_track(folder, MOBILE.id, policy, utcnow())
    if video:
        _video(folder, clip_plates)
    demo_integrations(hot_plate="7ZZZ999")  # on the list loaded above
    _searches(notes[3].plate)
    _purge_preview()
    field.reports(folder, policy, utcnow())
    show_broker_path(FIXED.id, policy)

    report = verify_and_record(ACTOR)
    state = "[green]intact[/]" if report.ok else f"[red]broken at {report.broken_id}[/]"
    console.print(f"audit chain: {state}, {report.checked} entries")
    return summary


def _load_hotlist(folder: Path, notes: list[SampleRead], also: list[str]) -> None:
    """A stolen-vehicle list (CA DOJ CLEW layout) that two of the sample cars are on."""
    listed = [notes[3].plate, confusable(notes[5].plate), "7ZZZ999", "4ABC001", *also]
    body = "".join(f"{plate:<8}CA0120261101\n" for plate in listed)
    file = folder / "svs.tbl"
    file.write_text(f"DATE{utcnow():%m/%d/%Y %H:%M}\n{body}TOTAL RECORD {len(listed):07d}\n")
    with unit_of_work() as session:
        policy = load_checked_policy(get_settings().policy)
        if session.scalar(select(HotList).where(HotList.name == "svs")) is None:
            hotlists.create_list(session, name="svs", source="SVS", actor=ACTOR, policy=policy)
        result = importing.import_entries(session, list_name="svs", actor=ACTOR, policy=policy,
                                         parsed=parse_clew(file.read_text(), table="svs"),
                                         file_name=file.name)
    console.print(f"hot list [bold]svs[/]: {result.loaded} stolen vehicles loaded from {file.name}"
                  f" (one listed as {listed[1]}, a confusable of {notes[5].plate})")


def confusable(plate: str) -> str:
    """The plate with one character swapped for one a camera confuses it with (8/B, 0/D...)."""
    swaps = {"8": "B", "0": "D", "5": "S", "2": "Z", "6": "G", "1": "I"}
    for position in range(len(plate) - 1, 0, -1):
        if plate[position] in swaps:
            return plate[:position] + swaps[plate[position]] + plate[position + 1 :]
    return plate


def _video(folder: Path, plates: list[str]) -> None:
    """A generated traffic clip through recognition and tracking: one read per vehicle."""
    from alpr.capture.pipeline import run_capture
    from alpr.capture.sample_video import write_sample_clip
    from alpr.recognition.registry import load_recognizer

    clip = folder / "traffic.mp4"
    write_sample_clip(clip, plates)
    settings = get_settings()
    console.print(f"recognizing {clip.name}: {len(plates)} vehicles drive past {FIXED.id}")
    summary = run_capture(str(clip), camera_id=FIXED.id, recognizer=load_recognizer(),
                          actor=ACTOR, policy=load_checked_policy(settings.policy),
                          images=image_store(settings), every_n=2)
    table = Table("plate read", "confidence", "frames", "result", title=(
        f"Video: {summary.frames} frames → {summary.passes} vehicle passes"
        f" ({summary.frames_per_second:.1f} frames/s)"))
    for read in summary.reads:
        table.add_row(read.plate, f"{read.confidence:.2f}", str(read.frames), read.status)
    console.print(folded(table))
    console.print(f"plates driven: {', '.join(plates)}")
    if summary.alerts:
        console.print(alerts_table(summary.alerts, title="Hot-list hits from the video"))


def _searches(plate: str) -> None:
    """A refused search (purpose too vague) and an accepted one, both on the audit log."""
    policy = load_checked_policy(get_settings().policy)
    category = policy.search.permitted_purposes[0].code
    caller = search.Caller(actor=ACTOR, organization=FIXED.agency)
    query = SearchQuery(plate=plate[:4] + "*")
    for case_number in ("investigation", "26-004512"):
        given = PurposeIn(category=category, case_number=case_number, on_behalf_of="Det. Ortiz",
                          attests_standard=True, attests_prohibited_uses=True)
        # One print per line, so it wraps at the terminal's width as a whole.
        asked = f"search {query.plate} for {category!r}, case {case_number!r}: "
        try:
            purpose = validate_purpose(given, policy=policy)
        except PurposeRefused as error:
            console.print(f"{asked}[red]refused[/] — {escape(str(error))}")
            continue
        with unit_of_work() as session:
            found = search.search(session, query=query, purpose=purpose, caller=caller,
                                  policy=policy, now=utcnow())
        console.print(f"{asked}[green]{len(found.reads)} read(s)[/], audited as entry"
                      f" {found.audit_id}: "
                      + ", ".join(f"{r.plate_normalized} at {r.camera_id}" for r in found.reads))


def _purge_preview() -> None:
    """What the retention job will do when today's reads are past the policy's period."""
    policy = load_checked_policy(get_settings().policy)
    when = policy.retention.delete_after.after(utcnow()) + timedelta(days=1)
    with get_database().dry_run() as session:  # rolled back: the demo keeps its data
        result = purge(session, policy=policy, now=when)
        removed = result.removed + sum(drop_detached(session, when).values())
    console.print(f"retention ({policy.retention.delete_after}): a purge on {when:%Y-%m-%d}"
                  f" would delete {removed} reads and their images,"
                  f" keep {result.kept_held_or_hit} (holds, hits kept longer); the hourly"
                  " `retention` job does it then, and destroys each day's image key")


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
    console.print(folded(table))
