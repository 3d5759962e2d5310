"""`alpr cameras mask/masks/set/heartbeat-check/tickets/close-ticket/inspect`.

Every command acts as a logged-in user holding the needed permission (REQ C7): changes
need cameras:manage, an inspection needs cameras:inspect. Imported by `cameras.cli`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from alpr.cameras import admin, flags, health, masks
from alpr.cameras.cli import app
from alpr.cameras.models import MaskKind
from alpr.cameras.service import CameraError
from alpr.config import get_settings
from alpr.console import acting_as, configured_policy, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission


@app.command("mask")
def mask(
    name: Annotated[str, typer.Argument(help="Mask name; a change adds its next version")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
    kind: Annotated[MaskKind, typer.Option(help="image (pixels) or geo (lat, lon)")],
    polygon: Annotated[str | None, typer.Option(help="JSON list of points")] = None,
    camera: Annotated[str | None, typer.Option(help="Camera (none: agency-wide zone)")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency of an agency-wide zone")] = None,
    remove: Annotated[bool, typer.Option(help="Remove the mask (history is kept)")] = False,
) -> None:
    """Add or change a privacy mask / exclusion zone (REQ C4)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    if (polygon is None) != remove:
        raise fail("give --polygon, or --remove")
    try:
        points = json.loads(polygon) if polygon else None
        with unit_of_work() as session:
            row = masks.set_mask(session, name=name, kind=kind, polygon=points, actor=actor,
                                 reason=reason, camera_id=camera, agency=agency)
            version = row.version
    except (CameraError, ValueError, TypeError) as error:
        raise fail(str(error)) from error
    state = "removed" if remove else "in force"
    console.print(f"mask [bold]{name}[/] version {version} {state}")


@app.command("masks")
def list_masks(camera: Annotated[str | None, typer.Option()] = None) -> None:
    """List the masks in force and the reads they dropped."""
    acting_as(Permission.CAMERAS_MANAGE)
    with unit_of_work() as session:
        table = Table("name", "version", "kind", "camera", "points", "by", "since")
        for row in masks.list_masks(session, camera_id=camera):
            table.add_row(row.name, str(row.version), row.kind, row.camera_id or "(agency)",
                          str(len(json.loads(row.polygon or "[]"))), row.created_by,
                          row.created_at.isoformat(timespec="minutes"))
        counts = [(c.camera_id, c.day.isoformat(), c.count)
                  for c in masks.masked_counts(session, camera)]
    console.print(table)
    for camera_id, day, count in counts:
        console.print(f"{day} {camera_id}: {count} read(s) masked (counted, not stored)")


@app.command("set")
def set_field(
    camera_id: str,
    field_of_view: Annotated[float | None, typer.Option(help="Degrees")] = None,
    vehicle: Annotated[str | None, typer.Option(help="Assigned vehicle (mobile)")] = None,
    administrator: Annotated[list[str] | None, typer.Option(help="Username; repeat")] = None,
    silent_after: Annotated[int | None, typer.Option(help="Minutes without signs")] = None,
) -> None:
    """Change a camera's registry settings (administrators only, audited before/after)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    changes: dict[str, object] = {}
    if field_of_view is not None:
        changes["field_of_view"] = field_of_view
    if vehicle is not None:
        changes["vehicle"] = vehicle
    if administrator:
        changes["administrators"] = administrator
    if silent_after is not None:
        changes["silent_after_s"] = silent_after * 60
    try:
        with unit_of_work() as session:
            admin.update_camera(session, camera_id=camera_id, changes=changes, actor=actor)
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"camera [bold]{camera_id}[/] updated")


@app.command("heartbeat-check")
def heartbeat_check() -> None:
    """Ticket cameras silent, reading far below their rate, or with a stale hot list
    (also the scheduled job cameras-heartbeat-check)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    policy = configured_policy()
    with unit_of_work() as session:
        opened = [(t.id, t.camera_id, f"{t.kind}: {t.description}")
                  for t in flags.check_health(session, now=utcnow(), policy=policy,
                                              settings=get_settings(), actor=actor)]
    for ticket_id, camera_id, description in opened:
        console.print(f"ticket {ticket_id}: {camera_id} {description}")
    console.print(f"{len(opened)} new ticket(s)")


@app.command("tickets")
def tickets(all_: Annotated[bool, typer.Option("--all", help="Closed too")] = False) -> None:
    """List trouble tickets."""
    acting_as(Permission.CAMERAS_MANAGE)
    table = Table("id", "camera", "kind", "opened", "status", "description / resolution")
    with unit_of_work() as session:
        for t in health.list_tickets(session, include_closed=all_):
            table.add_row(str(t.id), t.camera_id, t.kind, t.opened_at.isoformat(timespec="minutes"),
                          t.status, t.resolution or t.description)
    console.print(table)


@app.command("close-ticket")
def close_ticket(
    ticket_id: int, resolution: Annotated[str, typer.Option(help="What was repaired")]
) -> None:
    """Close a trouble ticket with its resolution."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            health.close_ticket(session, ticket_id=ticket_id, resolution=resolution, actor=actor)
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"ticket {ticket_id} closed")


@app.command("inspect")
def inspect(
    camera_id: str,
    failed: Annotated[list[str] | None, typer.Option(
        help=f"A checklist item that failed; repeat ({', '.join(health.CHECKLIST)})")] = None,
    notes: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Record a unit's start-of-shift inspection (a failure opens a ticket)."""
    actor = acting_as(Permission.CAMERAS_INSPECT)
    bad = set(failed or [])
    if bad - set(health.CHECKLIST):
        raise fail(f"unknown checklist item(s): {', '.join(sorted(bad - set(health.CHECKLIST)))}")
    try:
        with unit_of_work() as session:
            row = health.record_inspection(
                session, camera_id=camera_id, actor=actor, notes=notes,
                checklist={item: item not in bad for item in health.CHECKLIST})
            ok, ticket = row.ok, row.ticket_id
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"inspection of {camera_id}: " + ("ok" if ok else f"NOT ok, ticket {ticket}"))
