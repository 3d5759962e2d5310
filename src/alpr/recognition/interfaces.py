"""The recognition contracts: a detector finds plate regions, a reader reads them.

Engines are interchangeable behind these Protocols and chosen by name in configuration
(`ALPR_DETECTOR`, `ALPR_READER`). Images are OpenCV BGR uint8 arrays (H x W x 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in pixels of the full frame."""

    x: int
    y: int
    w: int
    h: int

    def iou(self, other: Box) -> float:
        left, top = max(self.x, other.x), max(self.y, other.y)
        right = min(self.x + self.w, other.x + other.w)
        bottom = min(self.y + self.h, other.y + other.h)
        inter = max(0, right - left) * max(0, bottom - top)
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union else 0.0

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


@dataclass(frozen=True)
class PlateRegion:
    """A place in the frame that may hold a plate, with the crop to read."""

    box: Box
    score: float
    crop: Image
    # Text the detector already read there, when the detector is also an OCR (PP-OCR).
    hint: str | None = None


@dataclass(frozen=True)
class CharScore:
    char: str
    confidence: float


@dataclass(frozen=True)
class Reading:
    """A reader's answer for one crop: text, overall confidence, and per character."""

    text: str
    confidence: float
    chars: tuple[CharScore, ...] = ()
    # Other strings the reader found plausible, best first, with their confidences.
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class PlateResult:
    """One plate in a frame after post-processing: what `alpr recognize` prints."""

    plate: str
    confidence: float
    box: Box
    region: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()
    chars: tuple[CharScore, ...] = field(default=(), repr=False)


class Detector(Protocol):
    name: str

    def detect(self, image: Image) -> list[PlateRegion]:
        """Plate regions in a full frame, best first."""
        ...


class Reader(Protocol):
    """A reader may set `wants = "plate"` to get the whole plate region (with a margin)
    instead of the detector's crop around the characters (`"text"`, the default)."""

    name: str

    def read(self, crops: Sequence[Image]) -> list[Reading]:
        """One reading per crop, in order (batched: readers are faster on many crops)."""
        ...
