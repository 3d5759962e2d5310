"""Post-processing rules: clean-up, plausibility, O→0, confusion candidates, regions."""

from __future__ import annotations

import pytest

from alpr.recognition.interfaces import CharScore, Reading
from alpr.recognition.postprocess import (
    candidates,
    clean_text,
    guess_region,
    plate_likeness,
    state_of,
)


def reading(text: str, confidence: float = 0.9, weak: int | None = None) -> Reading:
    chars = tuple(CharScore(c, 0.4 if i == weak else confidence) for i, c in enumerate(text))
    return Reading(text, confidence, chars)


def test_clean_text_uppercases_strips_and_writes_zero_for_o() -> None:  # REQ C1
    assert clean_text(" 7abc-123 ") == "7ABC123"
    assert clean_text("B0O·K 1") == "B00K1"  # US agencies write O as 0


@pytest.mark.parametrize("text", ["7ABC123", "8XYZ005", "AB123", "4GLS168", "WTC249"])
def test_plate_shapes_are_accepted(text: str) -> None:  # REQ C1
    assert plate_likeness(text, 0.8) > 0


@pytest.mark.parametrize(
    "text",
    ["CALIFORNIA", "California", "TEXAS", "DMV", "DEALER", "A", "ABCDEFGH12", "", "-- .",
     "20140513", "IFORNI", "NEWYORK"],
)
def test_non_plates_are_rejected(text: str) -> None:  # REQ C1
    assert plate_likeness(text, 0.99) == 0


def test_letters_only_need_strong_confidence() -> None:  # REQ C1
    assert plate_likeness("HELLO", 0.6) == 0
    assert 0 < plate_likeness("QWRTZ", 0.95) < plate_likeness("QWR123", 0.95)


def test_five_to_seven_characters_rank_above_short_strings() -> None:
    assert plate_likeness("7ABC123", 0.9) > plate_likeness("7AB", 0.9)


def test_candidates_start_with_the_plate_and_offer_confusions() -> None:  # REQ C1
    result = candidates(reading("5SB8", confidence=0.9, weak=0))
    texts = [text for text, _ in result]
    assert texts[0] == "5SB8"
    assert "SSB8" in texts  # 5/S on the least certain character
    scores = [score for _, score in result]
    assert scores == sorted(scores, reverse=True)


def test_candidates_include_the_readers_own_alternatives() -> None:  # REQ C1
    read = Reading("7ABC123", 0.8, (), alternatives=(("7A8C123", 0.3),))
    assert ("7A8C123", 0.3) in candidates(read)


def test_candidates_fold_o_into_zero() -> None:  # REQ C1
    assert all("O" not in text for text, _ in candidates(reading("D0Q1", weak=0)))


def test_state_guess_from_nearby_text() -> None:  # REQ C1
    assert state_of("California") == "ca"
    assert state_of("TEXAS") == "tx"
    assert state_of("7ABC123") is None
    assert guess_region(("DMV", "CALIF0RNIA")) == "ca"
    assert guess_region(()) is None
