"""`alpr cameras heartbeat/health/gps import/held`: field units (REQ C2, C6).

Imported by `cameras.cli`; every command acts as a logged-in user with cameras:manage.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from alpr.api.inputs import read_regular_file
from alpr.cameras import flags, gps, health, shifts
from alpr.cameras.cli import app
from alpr.cameras.service import CameraError, list_cameras
from alpr.config import get_settings
from alpr.console import acting_as, configured_policy, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

# A day's NMEA log at 1 Hz is a few megabytes; far beyond is not a track.
MAX_TRACK_BYTES = 64 * 1024 * 1024

gps_app = typer.Typer(help="Mobile units' GPS tracks.", no_args_is_help=True)
app.add_typer(gps_app, name="gps")


@gps_app.command("import")
def gps_import(
    unit: Annotated[str, typer.Argument(help="The mobile unit (camera id)")],
    file: Annotated[Path, typer.Argument(help="NMEA log or GPX file", exists=True,
                                         dir_okay=False)],
    day: Annotated[str | None, typer.Option(
        "--date", help="UTC date (YYYY-MM-DD) for GGA sentences before any RMC")] = None,
) -> None:
    """Import a recorded GPS track; bad lines are listed by number, good fixes stored."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        when = date.fromisoformat(day) if day else None
        with unit_of_work() as session:
            data = read_regular_file(file, max_bytes=MAX_TRACK_BYTES)
            track, added = gps.import_track(session, camera_id=unit, data=data,
                                            actor=actor, day=when)
    except (CameraError, ValueError) as error:
        raise fail(str(error)) from error
    for problem in track.errors:
        console.print(f"[red]{file.name}: {problem}[/]")
    console.print(f"{len(track.fixes)} fix(es) read, {added} new, {len(track.errors)} bad"
                  f" line(s), {track.ignored} ignored")
    if track.errors:
        raise typer.Exit(1)


@app.command("heartbeat")
def heartbeat_history(
    camera_id: str, limit: Annotated[int, typer.Option(help="How many")] = 20
) -> None:
    """A camera's latest heartbeats (the history the health checks read)."""
    acting_as(Permission.CAMERAS_MANAGE)
    table = Table("received", "fps", "reads/h", "temp °C", "disk free %", "hot list", "current")
    with unit_of_work() as session:
        for h in health.heartbeats(session, camera_id, limit):
            table.add_row(h.received_at.isoformat(timespec="seconds"),
                          *(f"{v:g}" if v is not None else "-" for v in (
                              h.frames_per_second, h.reads_per_hour, h.temperature_c,
                              h.disk_free_percent)),
                          h.hotlist_version or "-",
                          "-" if h.hotlist_current is None else str(h.hotlist_current).lower())
    console.print(table)


@app.command("health")
def health_command(
    check: Annotated[bool, typer.Option("--check", help="Run the checks first")] = False,
) -> None:
    """Each camera's health: last seen, silent, open tickets, shift inspection, held hits."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    policy = configured_policy()
    now = utcnow()
    table = Table("camera", "kind", "last seen", "silent", "open tickets", "inspected", "held")
    with unit_of_work() as session:
        if check:
            opened = flags.check_health(session, now=now, policy=policy,
                                        settings=get_settings(), actor=actor)
            console.print(f"{len(opened)} new ticket(s)")
        for camera in list_cameras(session, include_inactive=False):
            seen = health.last_seen(camera)
            inspected = "-"
            if camera.kind == "mobile":
                ok = shifts.inspected_this_shift(session, camera.id, now) is not None
                inspected = "yes" if ok else "NO (alerts held)"
            table.add_row(camera.id, camera.kind,
                          seen.isoformat(timespec="minutes") if seen else "never",
                          "YES" if health.is_silent(camera, now) else "no",
                          ", ".join(t.kind for t in health.open_tickets(session, camera.id)),
                          inspected, str(len(shifts.held_hits(session, camera.id))))
    console.print(table)
