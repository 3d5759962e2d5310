"""`alpr cameras add/list/disable`; more commands join from health_cli and field_cli."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from alpr.cameras import service
from alpr.cameras.models import CameraKind
from alpr.cameras.schemas import CameraIn
from alpr.console import acting_as, console, fail
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

app = typer.Typer(help="The camera registry.", no_args_is_help=True)


@app.command("add")
def add(
    camera_id: Annotated[str, typer.Argument(help="Unit or camera id, e.g. car-12")],
    name: Annotated[str, typer.Option(help="Human-readable name")],
    agency: Annotated[str, typer.Option(help="Owning agency")],
    kind: Annotated[CameraKind, typer.Option(help="fixed or mobile")] = CameraKind.FIXED,
    lat: Annotated[float | None, typer.Option(help="Latitude (fixed cameras)")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (fixed cameras)")] = None,
    heading: Annotated[float | None, typer.Option(help="Direction faced, degrees")] = None,
) -> None:
    """Register a camera and print its API key (shown this once only)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        camera = CameraIn(
            id=camera_id, name=name, kind=kind, agency=agency, lat=lat, lon=lon, heading=heading
        )
        with unit_of_work() as session:
            row, key = service.register_camera(session, camera=camera, actor=actor)
    except (ValidationError, service.CameraError) as error:
        raise fail(str(error)) from error
    console.print(f"camera [bold]{row.id}[/] registered ({row.kind}, {row.agency})")
    console.print(f"API key (shown once, store it in the camera now): [bold yellow]{key}[/]")


@app.command("list")
def list_command() -> None:
    """List registered cameras."""
    acting_as(Permission.CAMERAS_MANAGE)
    with unit_of_work() as session:
        cameras = service.list_cameras(session)
    table = Table("id", "name", "kind", "agency", "location", "active")
    for camera in cameras:
        where = f"{camera.lat:.5f}, {camera.lon:.5f}" if camera.lat is not None else "GPS per read"
        table.add_row(camera.id, camera.name, camera.kind, camera.agency, where,
                      "yes" if camera.active else "no")
    console.print(table)


@app.command("disable")
def disable(
    camera_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Disable a camera: its key stops working and its reads are refused."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            service.disable_camera(session, camera_id=camera_id, actor=actor, reason=reason)
    except service.CameraError as error:
        raise fail(str(error)) from error
    console.print(f"camera [bold]{camera_id}[/] disabled")

import alpr.cameras.field_cli  # noqa: E402  (its commands join this app)
import alpr.cameras.health_cli  # noqa: E402
import alpr.cameras.keys_cli  # noqa: E402, F401
