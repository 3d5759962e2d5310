"""`alpr ingest --camera ID PATH|URL`: recognize plates in stills, video or a stream."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from alpr.config import get_settings
from alpr.console import cli_actor, console, errors, fail
from alpr.policy import PolicyError, load_checked_policy
from alpr.reads.images import image_store

if TYPE_CHECKING:  # imported when run: OpenCV is not loaded for `alpr --help`
    from alpr.capture.pipeline import CaptureSummary, FrameRecognizer

SOURCE_HELP = "An image, a folder of images, a video file, or an rtsp:// / http(s):// stream"


def ingest_command(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP, show_default=False)],
    camera: Annotated[str, typer.Option("--camera", help="Registered camera that took it")],
    every: Annotated[int, typer.Option(min=1, help="Recognize every Nth video frame")] = 1,
    max_fps: Annotated[
        float | None, typer.Option("--max-fps", min=0.1, help="At most this many frames/s")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="When a video starts (ISO 8601; default: file time − length)"),
    ] = None,
    lat: Annotated[float | None, typer.Option(min=-90, max=90, help="Mobile camera")] = None,
    lon: Annotated[float | None, typer.Option(min=-180, max=180, help="Mobile camera")] = None,
    heading: Annotated[float | None, typer.Option(min=0, max=359.99)] = None,
    min_frames: Annotated[
        int, typer.Option(min=1, help="Frames a video plate must be seen in (unless sure)")
    ] = 2,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Recognize plates and store one read per vehicle pass for a registered camera."""
    from alpr.capture.pipeline import run_capture
    from alpr.capture.sources import CaptureError, count_frames

    settings = get_settings()
    try:
        policy = load_checked_policy(settings.policy)
        started = datetime.fromisoformat(start) if start else None
    except PolicyError as error:
        raise fail(str(error)) from error
    except ValueError as error:
        raise fail(f"--start: {error}") from error
    out = errors if json_output else console  # keep stdout pure JSON
    try:
        total = count_frames(source, every_n=every)
        recognizer = _recognizer()
        columns = (TextColumn("frames"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=out, transient=True) as progress:
            task = progress.add_task("frames", total=total)
            summary = run_capture(
                source,
                camera_id=camera,
                recognizer=recognizer,
                actor=cli_actor(),
                policy=policy,
                images=image_store(settings),
                every_n=every,
                fps_limit=max_fps,
                start=started,
                lat=lat,
                lon=lon,
                heading=heading,
                min_frames=min_frames,
                max_clock_skew=settings.max_clock_skew,
                progress=lambda done: progress.update(task, completed=done),
            )
    except CaptureError as error:
        raise fail(str(error)) from error
    if json_output:
        typer.echo(json.dumps(_as_json(summary), default=str))
    else:
        _print(summary, out)
    if summary.rejected and not (summary.accepted or summary.duplicates or summary.queued):
        raise typer.Exit(1)


def _recognizer() -> FrameRecognizer:
    from alpr.recognition.registry import load_recognizer

    return load_recognizer()


def _as_json(summary: CaptureSummary) -> dict[str, Any]:
    data = asdict(summary)
    data["frames_per_second"] = round(summary.frames_per_second, 2)
    return data


def _print(summary: CaptureSummary, out: Console) -> None:
    out.print(
        f"[bold]{summary.frames}[/] frames ({summary.frames_per_second:.1f}/s),"
        f" [bold]{summary.passes}[/] vehicle passes: [green]{summary.accepted} accepted[/],"
        f" [yellow]{summary.duplicates} duplicates[/], [red]{summary.rejected} rejected[/]"
        + (f", {summary.queued} queued on the broker" if summary.queued else "")
        + (f", {summary.dropped} one-frame glimpses dropped" if summary.dropped else "")
        + (f", {summary.unchanged} unchanged frames not re-read" if summary.unchanged else "")
    )
    if summary.reads:
        table = Table("plate", "confidence", "seen at (UTC)", "frames", "status")
        for read in summary.reads[:100]:
            status = read.status + (f": {read.reason}" if read.reason else "")
            table.add_row(
                read.plate,
                f"{read.confidence:.2f}",
                read.captured_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                str(read.frames),
                status,
            )
        out.print(table)
    for problem in summary.errors[:20]:
        errors.print(f"[yellow]warning:[/] {problem}")
