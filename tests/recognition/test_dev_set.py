"""A floor on real photos (openalpr US dev set), when the shared data is present."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from alpr.recognition.interfaces import Box
from alpr.recognition.postprocess import clean_text
from alpr.recognition.registry import load_recognizer

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "openalpr-us-dev"
# Every 4th labelled photo by name (28 of 111): fixed, and fast enough for the suite.
# Measured 24/28 = 85.7 % exact on this subset with paddle + paddle (74.8 % on all 111);
# the floor is 15 points under the subset's figure.
FLOOR = 0.70


@pytest.mark.skipif(not DEV.is_dir(), reason="shared openalpr data not present")
def test_dev_subset_exact_accuracy_floor() -> None:  # REQ C1
    labels = sorted(DEV.glob("*.txt"))[::4]
    recognizer = load_recognizer("paddle", "paddle")
    hits = 0
    for label in labels:
        name, x, y, w, h, plate = label.read_text().strip().split("\t")[:6]
        truth = Box(int(x), int(y), int(w), int(h))
        image = np.asarray(cv2.imread(str(DEV / name)), dtype=np.uint8)
        plates = recognizer.recognize(image)
        # Other plates may be visible: take the one read at the labelled place, else the top.
        cx, cy = truth.x + truth.w / 2, truth.y + truth.h / 2
        there = [p for p in plates if p.box.x <= cx <= p.box.x + p.box.w
                 and p.box.y <= cy <= p.box.y + p.box.h]
        best = (there or plates)[:1]
        hits += bool(best) and best[0].plate == clean_text(plate)
    assert hits / len(labels) >= FLOOR, f"{hits}/{len(labels)} exact"
