"""`alpr mqtt` (the MQTT service) and `alpr integrations link/unlink/links`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alpr.cameras.service import CameraError
from alpr.config import Settings, get_settings
from alpr.console import acting_as, console, fail
from alpr.db.session import unit_of_work
from alpr.integrations import links
from alpr.users.permissions import Permission

if TYPE_CHECKING:
    from alpr.integrations.mqtt import MqttService

app = typer.Typer(help="Foreign cameras (OpenALPR, Plate Recognizer, Frigate) and their "
                  "links to alpr cameras.", no_args_is_help=True)


@app.command("link")
def link(
    source: Annotated[str, typer.Argument(help="openalpr, platerecognizer or frigate")],
    external_id: Annotated[str, typer.Argument(
        help="Their camera: AGENT_UID/CAMERA_NUMBER, a camera_id, a Frigate camera name")],
    camera_id: Annotated[str, typer.Argument(help="The alpr camera it is")],
) -> None:
    """Map a foreign camera to an alpr camera (audited)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            links.link_camera(session, source=source, external_id=external_id,
                              camera_id=camera_id, actor=actor)
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"{source} camera [bold]{external_id}[/] → alpr camera [bold]{camera_id}[/]")


@app.command("unlink")
def unlink(source: str, external_id: str) -> None:
    """Remove a link (audited)."""
    actor = acting_as(Permission.CAMERAS_MANAGE)
    try:
        with unit_of_work() as session:
            links.unlink_camera(session, source=source, external_id=external_id, actor=actor)
    except CameraError as error:
        raise fail(str(error)) from error
    console.print(f"{source} camera {external_id} unlinked")


@app.command("links")
def list_links(source: Annotated[str | None, typer.Argument()] = None) -> None:
    """The links, by source."""
    acting_as(Permission.CAMERAS_MANAGE)
    with unit_of_work() as session:
        rows = [(r.source, r.external_id, r.camera_id, r.created_by)
                for r in links.list_links(session, source)]
    table = Table("source", "their camera", "alpr camera", "linked by")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def start_service(settings: Settings) -> MqttService | None:
    """The MQTT service when ALPR_MQTT_HOST is set (`alpr serve` runs it beside the API)."""
    if not settings.mqtt_host:
        return None
    from alpr.integrations.mqtt import MqttService
    from alpr.policy import load_checked_policy
    from alpr.reads.images import image_store

    service = MqttService(settings, load_checked_policy(settings.policy), image_store(settings))
    service.start()
    console.print(f"MQTT: {settings.mqtt_host}:{settings.mqtt_port}"
                  + (f", Frigate on {settings.frigate_topic}/#" if settings.frigate_topic else "")
                  + f", publishing on {settings.mqtt_topic}/#")
    return service


def mqtt_command(
    host: Annotated[str | None, typer.Option(help="Broker (default ALPR_MQTT_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ALPR_MQTT_PORT)")] = None,
) -> None:
    """Run the MQTT service: Frigate LPR events in, alerts and camera health out."""
    from alpr.integrations.mqtt import MqttService, run_forever
    from alpr.policy import load_checked_policy
    from alpr.reads.images import image_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings().model_copy(update={
        k: v for k, v in {"mqtt_host": host, "mqtt_port": port}.items() if v is not None})
    if not settings.mqtt_host:
        raise fail("no broker: set ALPR_MQTT_HOST or --host")
    service = MqttService(settings, load_checked_policy(settings.policy), image_store(settings))
    console.print(f"MQTT service on {settings.mqtt_host}:{settings.mqtt_port} (Ctrl-C stops)")
    run_forever(service)
