"""Two readers on one region: agreement, disagreement, and a non-plate reading."""

from __future__ import annotations

import pytest

from alpr.recognition.fusion import fuse
from alpr.recognition.interfaces import Reading
from alpr.recognition.postprocess import plate_likeness
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


def test_crnn_confidence_on_the_geometric_scale() -> None:  # REQ C1
    from alpr.recognition.engines.crnn import geometric
    from alpr.recognition.interfaces import CharScore

    chars = tuple(CharScore(c, p) for c, p in zip("7ABC", (0.9, 0.9, 0.9, 0.6), strict=True))
    product = Reading("7ABC", 0.9**3 * 0.6, chars, (("7AB0", 0.9**3 * 0.3),))
    calibrated = geometric(product)
    assert calibrated.confidence == pytest.approx((0.9**3 * 0.6) ** 0.25)
    assert calibrated.alternatives[0][1] == pytest.approx((0.9**3 * 0.3) ** 0.25)
    # A 7-character plate read at 0.9 per character is 0.9 sure, not 0.48: on PP-OCR's scale.
    seven = Reading("7ABC123", 0.9**7, tuple(CharScore(c, 0.9) for c in "7ABC123"))
    assert geometric(seven).confidence == pytest.approx(0.9)
    assert geometric(Reading("", 0.0)).confidence == 0.0


# (readings as (text, confidence) at three margins, the text that must win)
VOTES = [
    ([("7ABC123", 0.9), ("7ABC123", 0.8), ("7ABC1234", 0.95)], "7ABC123"),
    ([("7ABC123", 0.5), ("7A8C123", 0.6), ("7ABC123", 0.3)], "7ABC123"),  # 0.8 vs 0.6
    ([("7ABC123", 0.2), ("7A8C123", 0.9), ("7ABC12", 0.3)], "7A8C123"),
]


@pytest.mark.parametrize(("readings", "winner"), VOTES)
def test_margin_votes_weigh_confidence(  # REQ C1
    readings: list[tuple[str, float]], winner: str
) -> None:
    from alpr.recognition.fusion import vote

    voted = vote([Reading(t, c) for t, c in readings])
    assert voted.text == winner
    behind = sum(c for t, c in readings if t == winner)
    assert voted.confidence == pytest.approx(behind / len(readings))  # disagreement costs
    losers = {t for t, _ in readings if t != winner}
    assert losers <= {alt for alt, _ in voted.alternatives}


def test_all_letter_plate_passes_only_when_both_readers_agree() -> None:  # REQ C1
    vanity = fuse(Reading("CEMENTX", 0.7), Reading("CEMENTX", 0.75), agree_letters=True)
    assert vanity.confidence == pytest.approx(1 - 0.3 * 0.25)
    assert plate_likeness(vanity.text, vanity.confidence) > 0
    # Without agreement (or with the switch off) an unsure all-letter string is no plate.
    alone = fuse(Reading("CEMENTX", 0.7), Reading("CEMENT", 0.75), agree_letters=True)
    assert plate_likeness(alone.text, alone.confidence) == 0
    off = fuse(Reading("CEMENTX", 0.7), Reading("CEMENTX", 0.75))
    assert plate_likeness(off.text, off.confidence) == 0
    # Words stay words, however sure both readers are.
    word = fuse(Reading("TOYOTA", 0.99), Reading("TOYOTA", 0.99), agree_letters=True)
    assert plate_likeness(word.text, word.confidence) == 0


def test_readings_differing_in_a_place_or_two_merge_by_the_surer_character() -> None:  # REQ C1
    from alpr.recognition.fusion import merge_chars
    from alpr.recognition.interfaces import CharScore

    def reading(text: str, confidences: list[float], overall: float = 0.9) -> Reading:
        chars = tuple(CharScore(c, p) for c, p in zip(text, confidences, strict=True))
        return Reading(text, overall, chars)

    paddle = reading("BG83282", [0.99, 0.99, 0.55, 0.99, 0.99, 0.99, 0.99])
    crnn = reading("BGB3282", [0.95, 0.95, 0.80, 0.95, 0.95, 0.95, 0.95], overall=0.85)
    merged = merge_chars(paddle, crnn)
    assert merged is not None and merged.text == "BGB3282"
    assert [c.char for c in merged.chars] == list("BGB3282")
    assert ("BG83282", paddle.confidence) in merged.alternatives
    fused = fuse(paddle, crnn, per_char=True)
    assert fused.text == "BGB3282"
    # Other lengths or more than two differences: no merge, the surer reading wins.
    assert merge_chars(paddle, reading("BG8328", [0.9] * 6)) is None
    assert merge_chars(paddle, reading("XY83222", [0.99] * 7)) is None
    # Whole readings compared, the surer one (PP-OCR here) would have kept its 8.
    assert fuse(paddle, crnn).text == "BG83282"
