"""A generated traffic clip for tests and the demo: vehicles pass the camera one by one.

Each vehicle drives left to right across the frame for `seconds_per_pass`, growing a little
as it nears, with sensor noise on every frame and motion blur on some: what a roadside
camera records, with plates large enough (≥ 170 px wide) for the reader.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from alpr.demo.sample import render_plate
from alpr.recognition.interfaces import Image

SIZE = (960, 540)  # width, height: enough for a readable plate, small enough to be quick
_BODY_COLORS = [(200, 200, 205), (40, 40, 160), (150, 70, 30), (60, 60, 60), (30, 120, 40)]


@dataclass(frozen=True)
class ClipPass:
    """Where a plate is in the clip: its first and last frame (inclusive)."""

    plate: str
    first_frame: int
    last_frame: int


def write_sample_clip(
    path: Path,
    plates: list[str],
    *,
    fps: int = 10,
    seconds_per_pass: float = 1.0,
    gap_frames: int = 4,
    seed: int = 0,
) -> list[ClipPass]:
    """Write the clip (.avi: MJPG, otherwise mp4v) and return where each plate passes."""
    rng = random.Random(seed)
    # A few precomputed grain fields, cycled: per-frame Gaussian noise is the slow part.
    generator = np.random.default_rng(seed)
    width, height = SIZE
    grains = [generator.normal(0, 4, (height, width, 3)).astype(np.int16) for _ in range(3)]
    fourcc = cv2.VideoWriter.fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), fourcc, float(fps), SIZE)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write video {path} (no encoder for {path.suffix})")
    background = _road()
    frames_per_pass = max(2, round(fps * seconds_per_pass))
    passes: list[ClipPass] = []
    index = 0
    try:
        for _ in range(gap_frames // 2):
            writer.write(_finish(background.copy(), grains[index % 3], blur=False))
            index += 1
        for number, plate in enumerate(plates):
            plate_image = _plate(plate)
            color = _BODY_COLORS[number % len(_BODY_COLORS)]
            first = index
            for step in range(frames_per_pass):
                progress = step / (frames_per_pass - 1)
                frame = background.copy()
                _draw_vehicle(frame, plate_image, color, progress)
                writer.write(_finish(frame, grains[index % 3], blur=rng.random() < 0.3))
                index += 1
            passes.append(ClipPass(plate, first, index - 1))
            for _ in range(gap_frames):
                writer.write(_finish(background.copy(), grains[index % 3], blur=False))
                index += 1
    finally:
        writer.release()
    return passes


def render_frame(plate: str, *, progress: float = 0.5, color_index: int = 0) -> Image:
    """One frame with a vehicle part-way across (0..1): a still for tests and the demo."""
    frame = _road()
    _draw_vehicle(frame, _plate(plate), _BODY_COLORS[color_index % len(_BODY_COLORS)], progress)
    return frame


def _road() -> Image:
    width, height = SIZE
    frame = np.full((height, width, 3), (96, 100, 104), np.uint8)
    frame[: height // 4] = (210, 180, 150)  # sky (BGR)
    for x in range(0, width, 120):  # lane markings
        cv2.rectangle(frame, (x, height - 40), (x + 60, height - 32), (230, 230, 230), -1)
    return frame


def _plate(text: str) -> Image:
    data = np.frombuffer(render_plate(text), np.uint8)
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), dtype=np.uint8)


def _draw_vehicle(frame: Image, plate: Image, color: tuple[int, int, int], progress: float) -> None:
    """The rear of a vehicle at `progress` (0..1) of its way across, scale 0.9 → 1.1."""
    width, height = SIZE
    scale = 0.9 + 0.2 * progress
    body_w, body_h = int(420 * scale), int(260 * scale)
    left = int(20 + progress * (width - 40 - body_w))
    top = height - 50 - body_h
    cv2.rectangle(frame, (left, top), (left + body_w, top + body_h), color, -1)
    glass = (left + body_w // 8, top + body_h // 10, left + body_w * 7 // 8, top + body_h * 4 // 10)
    cv2.rectangle(frame, glass[:2], glass[2:], (70, 60, 50), -1)
    for wheel_x in (left + body_w // 6, left + body_w * 5 // 6):
        cv2.ellipse(
            frame,
            (wheel_x, top + body_h),
            (body_w // 10, body_h // 10),
            0,
            0,
            180,
            (20, 20, 20),
            -1,
        )
    plate_w = int(200 * scale)
    plate_h = plate_w // 2
    small = cv2.resize(plate, (plate_w, plate_h), interpolation=cv2.INTER_AREA)
    px, py = left + (body_w - plate_w) // 2, top + body_h - plate_h - body_h // 12
    frame[py : py + plate_h, px : px + plate_w] = small


def _finish(frame: Image, grain: np.ndarray[Any, np.dtype[np.int16]], *, blur: bool) -> Image:
    if blur:  # horizontal motion blur, as a vehicle moving across the shutter
        kernel = np.full((1, 5), 1 / 5, np.float32)
        frame = np.asarray(cv2.filter2D(frame, -1, kernel), dtype=np.uint8)
    return np.clip(frame.astype(np.int16) + grain, 0, 255).astype(np.uint8)
