"""The real PP-OCR engines (packaged ONNX models, no network) on rendered frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.recognition.engines.rapidocr import PaddleDetector, PaddleReader
from alpr.recognition.pipeline import RecognitionError, Recognizer
from alpr.recognition.registry import DETECTORS, READERS, load_recognizer
from tests.recognition.scenes import plate_scene


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(PaddleDetector(), PaddleReader())


@pytest.mark.parametrize(("text", "width"), [("7ABC123", 180), ("8XYZ0O5", 110)])
def test_reads_a_plate_in_a_720p_frame(recognizer: Recognizer, text: str, width: int) -> None:
    # REQ C1: the plate is read (O and 0 as one character) where it is.
    frame, box = plate_scene(text, width=width)
    plates = recognizer.recognize(frame)
    assert plates, "no plate found"
    best = plates[0]
    assert best.plate == text.replace("O", "0")
    assert best.box.iou(box) > 0.4
    assert 0 < best.confidence <= 1
    assert best.candidates[0][0] == best.plate
    assert best.region == "ca"  # "California" is printed above the characters


def test_results_are_sorted_and_not_duplicated(recognizer: Recognizer) -> None:  # REQ C1
    frame, _ = plate_scene("6TRW512", width=160)
    right, _ = plate_scene("3MNP456", width=160, at=(150, 470))
    frame[430:, :600] = right[430:, :600]
    plates = recognizer.recognize(frame)
    assert len(plates) == 2
    # Both are found; a misread character (3/B) must at least be among the candidates.
    for text in ("6TRW512", "3MNP456"):
        assert any(text in dict(p.candidates) for p in plates), (text, plates)
    assert [p.confidence for p in plates] == sorted((p.confidence for p in plates),
                                                    reverse=True)
    assert all(a.box.iou(b.box) < 0.3 for a in plates for b in plates if a is not b)


def test_a_frame_without_text_has_no_plates(recognizer: Recognizer) -> None:
    assert recognizer.recognize(np.full((720, 1280, 3), 120, dtype=np.uint8)) == []


def test_reader_gives_per_character_confidences() -> None:  # REQ C1
    frame, box = plate_scene("4KLM987", width=300)
    crop = frame[box.y + box.h // 3 : box.y + box.h - 8, box.x + 8 : box.x + box.w - 8]
    reading = PaddleReader().read([crop])[0]
    assert reading.text == "4KLM987"
    assert len(reading.chars) == 7
    assert all(0 < c.confidence <= 1 for c in reading.chars)


def test_recognize_file_reads_a_jpeg(recognizer: Recognizer, tmp_path: Path) -> None:
    frame, _ = plate_scene("7ABC123")
    path = tmp_path / "frame.jpg"
    cv2.imwrite(str(path), frame)
    assert [p.plate for p in recognizer.recognize_file(path)][:1] == ["7ABC123"]


@pytest.mark.parametrize("content", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\0" * 64])
def test_corrupt_files_raise_recognition_error(
    recognizer: Recognizer, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(RecognitionError, match=r"bad\.jpg"):
        recognizer.recognize_file(path)


def test_missing_file_raises_recognition_error(recognizer: Recognizer, tmp_path: Path) -> None:
    with pytest.raises(RecognitionError, match="cannot read"):
        recognizer.recognize_file(tmp_path / "nope.jpg")


def test_registry_picks_engines_by_name_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "paddle" in DETECTORS and "paddle" in READERS
    recognizer = load_recognizer("paddle", "paddle")
    assert (recognizer.detector.name, recognizer.reader.name) == ("paddle", "paddle")
    monkeypatch.setenv("ALPR_READER", "nonesuch")
    with pytest.raises(ValueError, match=r"unknown reader 'nonesuch'; known: .*paddle"):
        load_recognizer()
    with pytest.raises(ValueError, match="unknown detector 'yolo'"):
        load_recognizer(detector="yolo", reader="paddle")
