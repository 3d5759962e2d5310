"""`alpr edge pull/run/upload`: the patrol unit's commands (REQ C5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from alpr.capture.spool import EdgeConfig
from alpr.config import get_settings
from alpr.console import console, fail

app = typer.Typer(help="Patrol unit: offline hot-list matching, spooled upload.",
                  no_args_is_help=True)

Server = Annotated[str, typer.Option(envvar="ALPR_EDGE_SERVER", help="Central alpr URL")]
Key = Annotated[str, typer.Option(envvar="ALPR_EDGE_KEY", help="This unit's camera API key")]
Camera = Annotated[str, typer.Option(envvar="ALPR_EDGE_CAMERA", help="This unit's camera id")]
Folder = Annotated[Path | None, typer.Option(help="Snapshot and spool (default <data>/edge)")]


def _config(server: str, key: str, camera: str, folder: Path | None) -> EdgeConfig:
    return EdgeConfig(server=server, key=key, camera_id=camera,
                      folder=folder or get_settings().data_dir / "edge")


@app.command("pull")
def pull(server: Server, key: Key, camera: Camera, folder: Folder = None) -> None:
    """Fetch the signed hot-list snapshot (at shift start)."""
    from alpr.capture.edge import pull_snapshot

    config = _config(server, key, camera, folder)
    try:
        with httpx.Client(timeout=60) as client:
            snapshot = pull_snapshot(config, client)
    except (httpx.HTTPError, ValueError) as error:
        raise fail(f"cannot pull the hot-list snapshot: {error}") from error
    console.print(f"snapshot {snapshot.version[:8]}: {len(snapshot.entries)} entries")


@app.command("run")
def run(
    source: Annotated[str, typer.Argument(help="Image, folder, video or stream")],
    server: Server, key: Key, camera: Camera, folder: Folder = None,
    lat: Annotated[float | None, typer.Option()] = None,
    lon: Annotated[float | None, typer.Option()] = None,
    every: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Recognize and match on the vehicle (offline too), spool reads, upload if possible."""
    from alpr.capture.edge import EdgeHit, cached_snapshot, pull_snapshot, run_edge
    from alpr.capture.sources import SourceKind, open_source, source_kind
    from alpr.capture.spool import upload
    from alpr.recognition.registry import load_recognizer

    config = _config(server, key, camera, folder)
    with httpx.Client(timeout=60) as client:
        try:
            snapshot = pull_snapshot(config, client)
        except (httpx.HTTPError, ValueError) as error:
            if not config.snapshot_file.exists():
                message = f"no hot-list snapshot and the server is unreachable: {error}"
                raise fail(message) from error
            snapshot = cached_snapshot(config)
            console.print(f"[yellow]offline[/]: using the snapshot from {snapshot.generated_at}")

        def shout(hit: EdgeHit) -> None:
            entry = hit.entry
            console.print(f"[bold red]HIT[/] {hit.plate} → {entry.list_name}: {entry.reason}"
                          f" ({hit.match}; listed state {entry.state or '?'})")

        outcome = run_edge(config, open_source(source, every_n=every), recognizer=load_recognizer(),
                           snapshot=snapshot, position={"lat": lat, "lon": lon}, on_hit=shout,
                           stills=source_kind(source) in (SourceKind.IMAGE, SourceKind.FOLDER))
        report = upload(config.spool, client, server=server, key=key)
    console.print(f"{outcome.passes} passes, {len(outcome.hits)} hits; uploaded {report.sent}"
                  f" ({report.accepted} new, {report.duplicates} already there),"
                  f" {report.left} waiting{f' ({report.error})' if report.error else ''}")


@app.command("upload")
def upload_command(server: Server, key: Key, camera: Camera, folder: Folder = None) -> None:
    """Upload spooled reads (safe to repeat: the server stores each read once)."""
    from alpr.capture.spool import upload

    config = _config(server, key, camera, folder)
    with httpx.Client(timeout=60) as client:
        report = upload(config.spool, client, server=server, key=key)
    console.print(f"uploaded {report.sent}: {report.accepted} new, {report.duplicates} already"
                  f" stored, {len(report.rejected)} refused, {report.left} waiting")
    if report.error:
        raise fail(f"stopped: {report.error}")
