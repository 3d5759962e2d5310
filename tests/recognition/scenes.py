"""Rendered test scenes: a plate pasted into a 1280x720 street-like frame."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image as PILImage

from alpr.demo.sample import render_plate
from alpr.recognition.interfaces import Box, Image


def plate_scene(text: str, *, width: int = 180, at: tuple[int, int] = (700, 430),
                seed: int = 0) -> tuple[Image, Box]:
    """A 1280x720 BGR frame with a rendered plate `width` px wide; returns it and the box."""
    rng = np.random.default_rng(seed)
    frame = np.full((720, 1280, 3), 96, dtype=np.uint8)
    frame[:250] = (210, 180, 150)  # sky
    frame += rng.integers(0, 12, frame.shape, dtype=np.uint8)  # sensor noise
    cv2.rectangle(frame, (at[0] - 260, at[1] - 170), (at[0] + width + 260, at[1] + 190),
                  (40, 40, 150), -1)  # a red car body around the plate
    plate = PILImage.open(io.BytesIO(render_plate(text))).convert("RGB")
    height = width // 2
    pasted = cv2.cvtColor(np.asarray(plate.resize((width, height))), cv2.COLOR_RGB2BGR)
    frame[at[1] : at[1] + height, at[0] : at[0] + width] = pasted
    return frame, Box(at[0], at[1], width, height)
