"""`recognize` as the root CLI mounts it: JSON lines, tables, corrupt files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
import typer
from typer.testing import CliRunner

from alpr.recognition.cli import recognize
from tests.recognition.scenes import plate_scene


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("recognize")(recognize)
    app.command("other")(lambda: None)  # two commands, so `recognize` is a subcommand
    return app


@pytest.fixture
def images(tmp_path: Path) -> Path:
    frame, _ = plate_scene("7ABC123")
    cv2.imwrite(str(tmp_path / "a.jpg"), frame)
    (tmp_path / "b.jpg").write_bytes(b"corrupt")
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_json_lines_per_image(app: typer.Typer, images: Path) -> None:  # REQ C1
    result = CliRunner().invoke(app, ["recognize", str(images / "a.jpg"), "--json"])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["image"].endswith("a.jpg")
    assert isinstance(line["ms"], float)
    plate = line["plates"][0]
    assert set(plate) == {"plate", "confidence", "box", "region", "candidates"}
    assert plate["plate"] == "7ABC123"
    assert plate["region"] == "ca"
    assert len(plate["box"]) == 4 and all(isinstance(v, int) for v in plate["box"])
    top, score = plate["candidates"][0]
    assert (top, score) == ("7ABC123", pytest.approx(plate["confidence"], abs=1e-3))


def test_directory_expands_and_a_corrupt_image_fails_at_the_end(
    app: typer.Typer, images: Path
) -> None:  # REQ C1
    result = CliRunner().invoke(app, ["recognize", str(images), "--json"])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [Path(x["image"]).name for x in lines] == ["a.jpg", "b.jpg"]  # .txt is skipped
    assert lines[0]["plates"][0]["plate"] == "7ABC123"
    assert "error" in lines[1] and "plates" not in lines[1]


def test_table_output(app: typer.Typer, images: Path) -> None:  # REQ C1
    result = CliRunner().invoke(app, ["recognize", str(images / "a.jpg")])
    assert result.exit_code == 0, result.output
    assert "7ABC123" in result.stdout
