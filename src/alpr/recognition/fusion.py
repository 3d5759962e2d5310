"""Two readers on one plate region: each has its own typical errors, so where they agree
the reading is surer, and where they differ the more confident one is kept and the other
stays a candidate (hot lists are matched against candidates too)."""

from __future__ import annotations

import math
from dataclasses import replace

from alpr.recognition.interfaces import Reading
from alpr.recognition.postprocess import clean_text, plate_likeness


def _plate(reading: Reading) -> str | None:
    text = clean_text(reading.text)
    return text if plate_likeness(text, reading.confidence) > 0 else None


def fuse(
    first: Reading, second: Reading, *, agree_letters: bool = False, per_char: bool = False
) -> Reading:
    """One reading from two readings of the same region (the rule is fixed, not fitted).

    With `agree_letters`, two readers reading the same string agree even when it is no
    plate for either alone (an all-letter vanity plate neither was sure enough of): the
    joint confidence then decides, and words are still refused afterwards.
    """
    first_plate, second_plate = _plate(first), _plate(second)
    text = clean_text(first.text)
    if text and text == clean_text(second.text) and (first_plate or agree_letters):
        # Independent readers agreeing: both would have to be wrong the same way.
        joint = 1.0 - (1.0 - first.confidence) * (1.0 - second.confidence)
        return replace(first, confidence=joint)
    if second_plate is None:
        return first
    if first_plate is None:
        return second
    if per_char:
        merged = merge_chars(first, second)
        if merged is not None:
            return merged
    winner, other = sorted((first, second), key=lambda r: -r.confidence)
    other_plate = first_plate if other is first else second_plate
    kept = tuple(a for a in winner.alternatives if a[0] != other_plate)
    return replace(winner, alternatives=((other_plate, other.confidence), *kept))


def merge_chars(first: Reading, second: Reading, most: int = 2) -> Reading | None:
    """Two same-length readings differing in at most `most` places: each place takes the
    character its reader was surer of. None when they cannot be merged that way."""
    a, b = clean_text(first.text), clean_text(second.text)
    if len(a) != len(b) or len(first.chars) != len(a) or len(second.chars) != len(b):
        return None
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    if not differ or len(differ) > most:
        return None
    chars = [
        first.chars[i] if first.chars[i].confidence >= second.chars[i].confidence
        else second.chars[i]
        for i in range(len(a))
    ]
    text = "".join(c.char for c in chars)
    confidence = float(math.prod(c.confidence for c in chars) ** (1 / len(chars)))
    others = tuple((t, r.confidence) for t, r in ((a, first), (b, second)) if t != text)
    return Reading(text, confidence, tuple(chars), others)


def vote(readings: list[Reading]) -> Reading:
    """One reading from several readings of the same plate (crops at other margins).

    The text with the most confidence behind it wins; its confidence is that total over
    all the readings, so disagreement costs. The other texts become alternatives.
    """
    if len(readings) == 1:
        return readings[0]
    totals: dict[str, float] = {}
    for reading in readings:
        text = clean_text(reading.text)
        totals[text] = totals.get(text, 0.0) + reading.confidence
    winner = max(totals, key=lambda text: totals[text])
    best = max((r for r in readings if clean_text(r.text) == winner), key=lambda r: r.confidence)
    share = len(readings)
    others = {t: total / share for t, total in totals.items() if t != winner and t}
    for alt, score in best.alternatives:
        others[alt] = max(others.get(alt, 0.0), score)
    ranked = sorted(others.items(), key=lambda item: -item[1])[:5]
    return replace(best, confidence=totals[winner] / share, alternatives=tuple(ranked))
