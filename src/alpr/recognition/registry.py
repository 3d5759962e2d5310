"""Engines by name: `ALPR_DETECTOR` and `ALPR_READER` pick them (defaults: the paddle
detector; the paddle and crnn readers, fused)."""

from __future__ import annotations

import os
from collections.abc import Callable

from alpr.recognition.interfaces import Detector, Reader
from alpr.recognition.pipeline import Recognizer


def _paddle_detector() -> Detector:
    from alpr.recognition.engines.rapidocr import PaddleDetector

    return PaddleDetector()


def _paddle_reader() -> Reader:
    from alpr.recognition.engines.rapidocr import PaddleReader

    return PaddleReader()


def _crnn_reader() -> Reader:
    from alpr.recognition.engines.crnn import CrnnReader

    # Confidence on PP-OCR's scale (geometric mean per character), so fusion compares like
    # with like; one crop (voting over margins did not help on the held-out crops).
    return CrnnReader(geometric=True)


DETECTORS: dict[str, Callable[[], Detector]] = {"paddle": _paddle_detector}
# "crnn" is our own plate reader (training/train_ocr.py), shipped as ONNX in the package.
READERS: dict[str, Callable[[], Reader]] = {"paddle": _paddle_reader, "crnn": _crnn_reader}
DEFAULT_DETECTOR = "paddle"
# Both readers, fused: chosen on the held-out crops (docs/recognition.md), never on dev.
DEFAULT_READER = "paddle+crnn"


def _pick(kind: str, name: str, known: dict[str, Callable[[], object]]) -> None:
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}")


def load_recognizer(detector: str | None = None, reader: str | None = None) -> Recognizer:
    """A Recognizer with the named engines, else ALPR_DETECTOR / ALPR_READER, else the
    defaults."""
    detector = detector or os.environ.get("ALPR_DETECTOR") or DEFAULT_DETECTOR
    reader = reader or os.environ.get("ALPR_READER") or DEFAULT_READER
    _pick("detector", detector, dict(DETECTORS))
    # "paddle+crnn": both readers on every region, their readings fused (recognition.fusion).
    names = reader.split("+")
    if len(names) > 2:
        raise ValueError(f"reader {reader!r}: at most two readers (e.g. paddle+crnn)")
    for name in names:
        _pick("reader", name, dict(READERS))
    second = READERS[names[1]]() if len(names) == 2 else None
    # Two readers fused character by character where they differ in one or two places
    # (chosen on the held-out crops, docs/recognition.md).
    return Recognizer(DETECTORS[detector](), READERS[names[0]](), second, per_char=True)
