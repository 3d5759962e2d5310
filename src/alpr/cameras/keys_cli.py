"""`alpr cameras key rotate/revoke/list`: a camera's API keys (REQ C7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from alpr.cameras import keys
from alpr.cameras.cli import app as cameras_app
from alpr.cameras.service import CameraError
from alpr.config import get_settings
from alpr.console import acting_as, console, fail
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

app = typer.Typer(help="A camera's API keys: rotate, revoke, list.", no_args_is_help=True)
cameras_app.add_typer(app, name="key")


@app.command("rotate")
def rotate(
    camera_id: str,
    grace_hours: Annotated[float | None, typer.Option(
        help="How long the old key keeps working (default ALPR_CAMERA_KEY_GRACE_HOURS)")] = None,
) -> None:
    """Issue a new key (printed once); the old one works for the grace period, then never."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    hours = get_settings().camera_key_grace_hours if grace_hours is None else grace_hours
    try:
        with unit_of_work() as session:
            key = keys.rotate_key(session, camera_id=camera_id, actor=actor,
                                  grace=timedelta(hours=hours)).key
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"camera [bold]{camera_id}[/]: new key issued; the old one works for"
                  f" {hours:g} h more")
    console.print(f"API key (shown once, store it in the camera now): [bold yellow]{key}[/]")


@app.command("revoke")
def revoke(
    camera_id: str,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
    previous_only: Annotated[bool, typer.Option(
        "--previous-only", help="Only end the rotated keys' grace; keep the current key")
    ] = False,
) -> None:
    """Refuse the camera's keys from now on (rotate to issue a new one)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            revoked = keys.revoke_keys(session, camera_id=camera_id, actor=actor, reason=reason,
                                       previous_only=previous_only)
    except CameraError as error:
        raise fail(str(error)) from error
    what = "rotated keys" if previous_only else "keys (the current one too)"
    console.print(f"camera [bold]{camera_id}[/]: {len(revoked)} {what} revoked")


@app.command("list")
def list_command(camera_id: Annotated[str | None, typer.Argument()] = None) -> None:
    """Every key issued, its state (current, grace, expired, revoked) and its last use."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            states = keys.list_keys(session, actor=actor, camera_id=camera_id)
    except CameraError as error:
        raise fail(str(error)) from error
    table = Table("camera", "key", "state", "issued", "by", "valid until", "last used")

    def when(value: object) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value is not None else "—"

    for state in states:
        table.add_row(state.camera_id, str(state.id), state.state, when(state.issued_at),
                      state.issued_by, when(state.valid_until or state.revoked_at),
                      when(state.last_used_at))
    console.print(table)
