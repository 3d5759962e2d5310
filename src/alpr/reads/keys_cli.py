"""`alpr keys rotate-master`: re-wrap every day key with a new master key."""

from __future__ import annotations

import secrets

import typer

from alpr.config import get_settings
from alpr.console import acting_as, console
from alpr.reads.images import image_store
from alpr.users.permissions import Permission

app = typer.Typer(help="Encryption keys for images at rest.", no_args_is_help=True)


@app.command("rotate-master")
def rotate_master() -> None:
    """Generate a new master key and re-wrap every day key with it.

    With ALPR_MASTER_KEY set, put the printed key into the secret store before restarting;
    with a key file, the file is replaced.
    """
    acting_as(Permission.CONFIG_MANAGE)
    store = image_store(get_settings())
    new_master = secrets.token_bytes(32)
    count = store.keys.rotate_master(new_master)
    console.print(f"{count} day keys re-wrapped with the new master key")
    if get_settings().master_key:
        console.print(f"new ALPR_MASTER_KEY (store it now, shown once): {new_master.hex()}")
