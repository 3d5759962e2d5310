"""`alpr devices ...`: agency-issued devices (REQ U12; 429.9)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from alpr.console import acting_as, console, fail
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.cli_session import install_or_say_why
from alpr.users.devices import DeviceError, all_devices, register_device, revoke_device
from alpr.users.permissions import Permission

app = typer.Typer(help="Agency-issued devices allowed to sign in (REQ U12).",
                  no_args_is_help=True)


@app.command("register")
def register(
    name: str,
    install: Annotated[bool, typer.Option(
        help="This computer is the device: keep the token here for `alpr login`")] = False,
) -> None:
    """Register an agency-issued device; its token is shown once, to be installed on it
    (console: the sign-in form's device field; CLI: alpr login --device-token-file)."""
    actor = acting_as(Permission.USERS_MANAGE)
    try:
        with unit_of_work() as session:
            device, token = register_device(session, name=name, actor=actor, now=utcnow())
            device_id = device.id
    except DeviceError as error:
        raise fail(str(error)) from error
    console.print(f"device {device_id} [bold]{name}[/] registered")
    console.print(f"device token (shown once): {token}", highlight=False, soft_wrap=True)
    if install:
        console.print(install_or_say_why(token))


@app.command("list")
def list_devices() -> None:
    """Registered devices, revoked ones included."""
    acting_as(Permission.USERS_MANAGE)
    with unit_of_work() as session:
        devices = all_devices(session)
    table = Table("id", "name", "registered", "by", "revoked")
    for device in devices:
        table.add_row(str(device.id), device.name, f"{device.registered_at:%Y-%m-%d %H:%M}",
                      device.registered_by,
                      f"{device.revoked_at:%Y-%m-%d %H:%M}" if device.revoked_at else "")
    console.print(table)


@app.command("revoke")
def revoke(device_id: int, reason: Annotated[str, typer.Option()]) -> None:
    """Revoke a lost, retired or compromised device: its sessions end now."""
    actor = acting_as(Permission.USERS_MANAGE)
    if len(reason.strip()) < 3:
        raise fail("reason: say why the device is revoked")
    try:
        with unit_of_work() as session:
            revoke_device(session, device_id=device_id, reason=reason, actor=actor,
                          now=utcnow())
    except DeviceError as error:
        raise fail(str(error)) from error
    console.print(f"device {device_id} revoked; its sessions ended")
