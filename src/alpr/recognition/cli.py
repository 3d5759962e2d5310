"""`alpr recognize PATH...`: read the plates in image files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alpr.recognition.interfaces import PlateResult
from alpr.recognition.pipeline import RecognitionError
from alpr.recognition.registry import load_recognizer

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}

app = typer.Typer(help="Plate recognition on image files.")
console = Console()


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory becomes its images, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            files.append(path)
    return files


def plate_json(plate: PlateResult) -> dict[str, Any]:
    return {
        "plate": plate.plate,
        "confidence": round(plate.confidence, 4),
        "box": plate.box.as_list(),
        "region": plate.region,
        "candidates": [[text, round(score, 4)] for text, score in plate.candidates],
    }


def recognize(
    paths: Annotated[list[Path], typer.Argument(help="Image files or directories of images")],
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON line per image instead of a table")
    ] = False,
) -> None:
    """Read the licence plates in images (engines: ALPR_DETECTOR, ALPR_READER)."""
    recognizer = load_recognizer()  # models load once, outside the per-image timing
    failed = 0
    table = Table("image", "plate", "confidence", "box", "region", "ms")
    for path in expand(paths):
        start = time.perf_counter()
        try:
            plates = recognizer.recognize_file(path)
        except RecognitionError as error:
            failed += 1
            if json_output:
                print(json.dumps({"image": str(path), "error": str(error)}), flush=True)
            else:
                table.add_row(str(path), f"[red]{error}[/]", "", "", "", "")
            continue
        ms = round(1000 * (time.perf_counter() - start), 1)
        if json_output:
            line = {"image": str(path), "plates": [plate_json(p) for p in plates], "ms": ms}
            print(json.dumps(line), flush=True)
            continue
        for i, p in enumerate(plates or [None]):
            name = str(path) if i == 0 else ""
            if p is None:
                table.add_row(name, "[dim]none[/]", "", "", "", f"{ms}")
            else:
                table.add_row(name, p.plate, f"{p.confidence:.2f}",
                              " ".join(map(str, p.box.as_list())), p.region or "", f"{ms}")
    if not json_output:
        console.print(table)
    if failed:
        raise typer.Exit(1)


app.command("recognize")(recognize)
