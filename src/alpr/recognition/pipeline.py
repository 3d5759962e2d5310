"""Detector + reader + post-processing: a frame in, its plates out."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from alpr.recognition.fusion import fuse
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

    def __init__(self, detector: Detector, reader: Reader, second: Reader | None = None
                 ) -> None:
        self.detector = detector
        self.reader = reader
        self.second = second  # a second reader whose readings are fused with the first's

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
            readings = [fuse(a, b) for a, b in zip(readings, seconds, strict=True)]
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
        if getattr(reader, "wants", "text") == "plate":
            return reader.read([plate_crop(image, r.box) for r in regions])
        return reader.read([r.crop for r in regions])

    def recognize_file(self, path: Path | str) -> list[PlateResult]:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise RecognitionError(f"{path}: cannot read ({error.strerror or error})") from error
        return self.recognize(decode_image(data, str(path)))

    @staticmethod
    def _result(region: PlateRegion, reading: Reading) -> PlateResult | None:
        plate = clean_text(reading.text)
        likeness = plate_likeness(plate, reading.confidence)
        if likeness <= 0:
            return None
        # Ranking mixes how sure the reader is with how plate-like the string and place are.
        rank = reading.confidence * (0.5 + 0.5 * likeness) * (0.5 + 0.5 * min(region.score, 1))
        context: tuple[str, ...] = getattr(region, "context", ())
        # Candidates on the same scale as the plate's confidence, the plate first.
        scale = rank / max(reading.confidence, 1e-6)
        return PlateResult(
            plate=plate,
            confidence=round(rank, 4),
            box=region.box,
            region=guess_region(context),
            candidates=tuple((t, round(c * scale, 4)) for t, c in candidates(reading)),
            chars=reading.chars,
        )


def plate_crop(image: Image, box: Box) -> Image:
    """The whole plate around a region, with a margin: what a plate reader is trained on
    (the detector's own crop hugs the characters)."""
    margin_x, margin_y = int(box.w * 0.1), int(box.h * 0.15)
    height, width = image.shape[:2]
    x0, y0 = max(0, box.x - margin_x), max(0, box.y - margin_y)
    x1, y1 = min(width, box.x + box.w + margin_x), min(height, box.y + box.h + margin_y)
    return image[y0:y1, x0:x1]
