"""Two readers on one plate region: each has its own typical errors, so where they agree
the reading is surer, and where they differ the more confident one is kept and the other
stays a candidate (hot lists are matched against candidates too)."""

from __future__ import annotations

from dataclasses import replace

from alpr.recognition.interfaces import Reading
from alpr.recognition.postprocess import clean_text, plate_likeness


def _plate(reading: Reading) -> str | None:
    text = clean_text(reading.text)
    return text if plate_likeness(text, reading.confidence) > 0 else None


def fuse(first: Reading, second: Reading) -> Reading:
    """One reading from two readings of the same region (the rule is fixed, not fitted)."""
    first_plate, second_plate = _plate(first), _plate(second)
    if second_plate is None:
        return first
    if first_plate is None:
        return second
    if first_plate == second_plate:
        # Independent readers agreeing: both would have to be wrong the same way.
        joint = 1.0 - (1.0 - first.confidence) * (1.0 - second.confidence)
        return replace(first, confidence=joint)
    winner, other = sorted((first, second), key=lambda r: -r.confidence)
    other_plate = first_plate if other is first else second_plate
    kept = tuple(a for a in winner.alternatives if a[0] != other_plate)
    return replace(winner, alternatives=((other_plate, other.confidence), *kept))
