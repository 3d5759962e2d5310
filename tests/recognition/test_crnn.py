"""The packaged plate reader (CRNN, ONNX) reads plates; onnxruntime only, no torch.

REQ C1 — the system reads licence plates from camera images.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.recognition.engines.crnn import CHARSET, MODEL_PATH, CrnnReader, decode
from alpr.recognition.interfaces import Image, Reading
from alpr.recognition.synth import normalize_label, render_plate_sample

CROPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openalpr-us-crops"
# Seeds the training never used (it draws from [0, worker, time] and 987654).
TEST_SEED = 20_240_611


@pytest.fixture(scope="module")
def reader() -> CrnnReader:
    assert MODEL_PATH.exists(), f"the packaged model is missing: {MODEL_PATH}"
    return CrnnReader()


@pytest.fixture(scope="module")
def synthetic() -> list[tuple[Image, str]]:
    rng = np.random.default_rng(TEST_SEED)
    return [render_plate_sample(rng) for _ in range(50)]


@pytest.fixture(scope="module")
def synthetic_readings(reader: CrnnReader, synthetic: list[tuple[Image, str]]) -> list[Reading]:
    return reader.read([image for image, _ in synthetic])


def test_reads_synthetic_plates(  # REQ C1
    synthetic: list[tuple[Image, str]], synthetic_readings: list[Reading]
) -> None:
    hits = sum(r.text == label for r, (_, label) in zip(synthetic_readings, synthetic, strict=True))
    assert hits >= 25, f"{hits}/50 synthetic plates read exactly"  # measured 37/50


def test_readings_are_well_formed(synthetic_readings: list[Reading]) -> None:  # REQ C1
    for reading in synthetic_readings:
        assert "O" not in reading.text  # the letter O is always read as 0
        assert set(reading.text) <= set(CHARSET)
        assert len(reading.chars) == len(reading.text)
        assert "".join(c.char for c in reading.chars) == reading.text
        assert all(0.0 <= c.confidence <= 1.0 for c in reading.chars)
        assert 0.0 <= reading.confidence <= 1.0
        assert all(alt != reading.text and 0.0 <= s <= 1.0 for alt, s in reading.alternatives)
        scores = [s for _, s in reading.alternatives]
        assert scores == sorted(scores, reverse=True)


def test_batched_equals_one_by_one(  # REQ C1
    reader: CrnnReader, synthetic: list[tuple[Image, str]], synthetic_readings: list[Reading]
) -> None:
    for (image, _), batched in zip(synthetic[:5], synthetic_readings[:5], strict=True):
        (single,) = reader.read([image])
        assert single.text == batched.text
        assert single.confidence == pytest.approx(batched.confidence, abs=1e-4)


def test_blank_and_empty_crops_read_with_low_confidence(reader: CrnnReader) -> None:  # REQ C1
    rng = np.random.default_rng(1)
    blank = np.full((60, 120, 3), 128, np.uint8)
    speckle = rng.integers(0, 256, (60, 120, 3), dtype=np.uint8)
    noise = np.asarray(cv2.GaussianBlur(speckle, (9, 9), 3), np.uint8)
    empty = np.zeros((0, 0, 3), np.uint8)
    for reading in reader.read([blank, noise, empty]):
        assert reading.confidence < 0.3
    assert reader.read([]) == []


def test_decode_collapses_repeats_and_blanks() -> None:  # REQ C1
    classes = len(CHARSET) + 1
    path = [1 + CHARSET.index(c) if c != "-" else 0 for c in "77-A-AB--2"]
    probs = np.full((len(path), classes), 0.01, np.float32)
    for t, k in enumerate(path):
        probs[t, k] = 0.9
    probs[6, 1 + CHARSET.index("8")] = 0.3  # runner-up for B
    probs[6, 1 + CHARSET.index("B")] = 0.6
    reading = decode(probs)
    assert reading.text == "7AAB2"
    assert [c.confidence for c in reading.chars] == pytest.approx([0.9, 0.9, 0.9, 0.6, 0.9])
    assert reading.confidence == pytest.approx(0.9**4 * 0.6)
    assert reading.alternatives[0][0] in {"7AA82", "7AA2"}
    assert decode(np.eye(classes, dtype=np.float32)[[0, 0, 0]]).confidence == 0.0


def _heldout() -> list[tuple[Path, str]]:
    """The crops training held out (same rule as training/train_ocr.py: md5 % 100 < 15)."""
    with (CROPS / "groundtruth.csv").open() as handle:
        rows = [r for r in csv.reader(handle) if len(r) >= 3]
    return [
        (CROPS / "images" / name, normalize_label(plate))
        for name, _, plate in (r[:3] for r in rows)
        if int(hashlib.md5(name.encode()).hexdigest(), 16) % 100 < 15  # noqa: S324
    ]


@pytest.mark.skipif(not CROPS.exists(), reason="needs ../shared/data/openalpr-us-crops")
def test_reads_held_out_real_crops(reader: CrnnReader) -> None:  # REQ C1
    samples = _heldout()
    images = [np.asarray(cv2.imread(str(path), cv2.IMREAD_COLOR), np.uint8) for path, _ in samples]
    readings = reader.read(images)
    hits = sum(r.text == label for r, (_, label) in zip(readings, samples, strict=True))
    assert len(samples) == 128
    # measured 118/128 (92 %) when the model was trained
    assert hits / len(samples) >= 0.75, f"{hits}/{len(samples)} held-out crops read exactly"
