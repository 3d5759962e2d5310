"""Engines by name: `ALPR_DETECTOR` and `ALPR_READER` pick them (default "paddle")."""

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

    return CrnnReader()


DETECTORS: dict[str, Callable[[], Detector]] = {"paddle": _paddle_detector}
# "crnn" is our own plate reader (training/train_ocr.py), shipped as ONNX in the package.
READERS: dict[str, Callable[[], Reader]] = {"paddle": _paddle_reader, "crnn": _crnn_reader}
DEFAULT_DETECTOR = "paddle"
DEFAULT_READER = "paddle"


def _pick(kind: str, name: str, known: dict[str, Callable[[], object]]) -> None:
    if name not in known:
        raise ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}")


def load_recognizer(detector: str | None = None, reader: str | None = None) -> Recognizer:
    """A Recognizer with the named engines, else ALPR_DETECTOR / ALPR_READER, else paddle."""
    detector = detector or os.environ.get("ALPR_DETECTOR") or DEFAULT_DETECTOR
    reader = reader or os.environ.get("ALPR_READER") or DEFAULT_READER
    _pick("detector", detector, dict(DETECTORS))
    _pick("reader", reader, dict(READERS))
    return Recognizer(DETECTORS[detector](), READERS[reader]())
