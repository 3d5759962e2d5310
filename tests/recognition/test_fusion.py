"""Two readers on one region: agreement, disagreement, and a non-plate reading."""

from __future__ import annotations

import pytest

from alpr.recognition.fusion import fuse
from alpr.recognition.interfaces import Reading
from alpr.recognition.registry import load_recognizer


def test_agreeing_readers_are_surer_than_either() -> None:  # REQ C1
    fused = fuse(Reading("7ABC123", 0.8), Reading("7abc123", 0.7))
    assert fused.text == "7ABC123"
    assert fused.confidence == pytest.approx(1 - 0.2 * 0.3)


def test_on_disagreement_the_surer_wins_and_the_other_stays_a_candidate() -> None:  # REQ C1
    fused = fuse(Reading("7ABC123", 0.6, alternatives=(("7A8C123", 0.2),)),
                 Reading("7ABG123", 0.9))
    assert (fused.text, fused.confidence) == ("7ABG123", 0.9)
    assert fused.alternatives[0] == ("7ABC123", 0.6)


def test_a_reading_that_is_no_plate_gives_way() -> None:  # REQ C1
    assert fuse(Reading("CALIFORNIA", 0.99), Reading("5DJ0529", 0.5)).text == "5DJ0529"
    assert fuse(Reading("5DJ0529", 0.5), Reading("", 0.0)).text == "5DJ0529"


def test_two_readers_are_chosen_by_name() -> None:  # REQ C1
    recognizer = load_recognizer("paddle", "paddle+crnn")
    assert (recognizer.reader.name, getattr(recognizer.second, "name", None)) == (
        "paddle", "crnn")
    with pytest.raises(ValueError, match="at most two"):
        load_recognizer("paddle", "paddle+crnn+paddle")
