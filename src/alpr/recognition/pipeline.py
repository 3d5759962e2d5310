"""Detector + reader + post-processing: a frame in, its plates out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from alpr.recognition.fusion import fuse, vote
from alpr.recognition.grammar import apply_layout
from alpr.recognition.interfaces import (
    Box,
    Detector,
    Image,
    PlateRegion,
    PlateResult,
    Reader,
    Reading,
)
from alpr.recognition.postprocess import (
    candidates,
    clean_text,
    guess_region,
    plate_likeness,
)

# Regions read per frame: the detector ranks them, and reading is the per-region cost.
MAX_READ = 4
# Two results whose boxes overlap this much are the same plate read twice.
DUPLICATE_IOU = 0.3
# The margin around a region's box a plate reader gets by default (shares of the box).
PLATE_MARGIN_X, PLATE_MARGIN_Y = 0.1, 0.15


class RecognitionError(Exception):
    """An image that cannot be recognized: unreadable, corrupt, or not an image."""


def decode_image(data: bytes, name: str = "image") -> Image:
    """Decode JPEG/PNG/... bytes to BGR, or raise RecognitionError."""
    if not data:
        raise RecognitionError(f"{name}: empty file")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise RecognitionError(f"{name}: not a readable image (corrupt or unsupported format)")
    return np.asarray(image, dtype=np.uint8)


class Recognizer:
    """Finds and reads the plates in a frame with interchangeable engines."""

    def __init__(
        self,
        detector: Detector,
        reader: Reader,
        second: Reader | None = None,
        *,
        layouts: bool = False,
        agree_letters: bool = False,
        per_char: bool = False,
    ) -> None:
        self.detector = detector
        self.reader = reader
        self.second = second  # a second reader whose readings are fused with the first's
        # Fix look-alikes that break the state's one standard layout (recognition.grammar).
        self.layouts = layouts
        # Two readers agreeing on an all-letter string may make it a plate (vanity plates).
        self.agree_letters = agree_letters
        # Same-length readings that differ in one or two places: the surer character wins.
        self.per_char = per_char

    @property
    def reader_name(self) -> str:
        return self.reader.name + (f"+{self.second.name}" if self.second else "")

    def recognize(self, image: Image) -> list[PlateResult]:
        """Plates in a BGR frame, most confident first, one per physical plate."""
        regions = self.detector.detect(image)[:MAX_READ]
        if not regions:
            return []
        readings = self._read(self.reader, image, regions)
        if self.second is not None:
            seconds = self._read(self.second, image, regions)
            readings = [
                fuse(a, b, agree_letters=self.agree_letters, per_char=self.per_char)
                for a, b in zip(readings, seconds, strict=True)
            ]
        results: list[PlateResult] = []
        for region, reading in zip(regions, readings, strict=True):
            result = self._result(region, reading)
            if result is not None:
                results.append(result)
        results.sort(key=lambda r: -r.confidence)
        kept: list[PlateResult] = []
        for result in results:
            if all(result.box.iou(k.box) < DUPLICATE_IOU for k in kept):
                kept.append(result)
        return kept

    @staticmethod
    def _read(reader: Reader, image: Image, regions: list[PlateRegion]) -> list[Reading]:
        if getattr(reader, "wants", "text") != "plate":
            return reader.read([r.crop for r in regions])
        margins: tuple[tuple[float, float], ...] = getattr(reader, "margins", ()) or (
            (PLATE_MARGIN_X, PLATE_MARGIN_Y),
        )
        # One batch: every region at every margin; each region's readings vote.
        crops = [plate_crop(image, r.box, mx, my) for r in regions for mx, my in margins]
        readings = reader.read(crops)
        step = len(margins)
        return [vote(readings[i : i + step]) for i in range(0, len(readings), step)]

    def recognize_file(self, path: Path | str) -> list[PlateResult]:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise RecognitionError(f"{path}: cannot read ({error.strerror or error})") from error
        return self.recognize(decode_image(data, str(path)))

    def _result(self, region: PlateRegion, reading: Reading) -> PlateResult | None:
        plate = clean_text(reading.text)
        context: tuple[str, ...] = getattr(region, "context", ())
        state = guess_region(context)
        ranked = candidates(reading)
        fixed = apply_layout(plate, state, ranked) if self.layouts else None
        if fixed is not None:  # the reading as read stays the first candidate
            ranked = ((fixed, reading.confidence), *((t, c) for t, c in ranked if t != fixed))
            plate = fixed
        likeness = plate_likeness(plate, reading.confidence)
        if likeness <= 0:
            return None
        # Ranking mixes how sure the reader is with how plate-like the string and place are.
        rank = reading.confidence * (0.5 + 0.5 * likeness) * (0.5 + 0.5 * min(region.score, 1))
        # Candidates on the same scale as the plate's confidence, the plate first.
        scale = rank / max(reading.confidence, 1e-6)
        return PlateResult(
            plate=plate,
            confidence=round(rank, 4),
            box=region.box,
            region=state,
            candidates=tuple((t, round(c * scale, 4)) for t, c in ranked),
            chars=reading.chars,
        )


def plate_crop(
    image: Image, box: Box, margin_x: float = PLATE_MARGIN_X, margin_y: float = PLATE_MARGIN_Y
) -> Image:
    """The whole plate around a region, with a margin: what a plate reader is trained on
    (the detector's own crop hugs the characters)."""
    margin_x, margin_y = int(box.w * margin_x), int(box.h * margin_y)
    height, width = image.shape[:2]
    x0, y0 = max(0, box.x - margin_x), max(0, box.y - margin_y)
    x1, y1 = min(width, box.x + box.w + margin_x), min(height, box.y + box.h + margin_y)
    return image[y0:y1, x0:x1]
