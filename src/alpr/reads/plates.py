"""Plate text rules shared by ingest, hot lists and search."""

from __future__ import annotations

import re

MAX_PLATE_LENGTH = 10
# Separators cameras and clerks put inside plates; they carry no meaning.
_SEPARATORS = re.compile(r"[\s\-.·•_]+")
_VALID = re.compile(rf"^[A-Z0-9]{{1,{MAX_PLATE_LENGTH}}}$")


class PlateError(ValueError):
    """Plate text that is not a licence plate."""


def normalize_plate(text: str) -> str:
    """Upper-case letters and digits only: '7abc 123' and '7ABC-123' both become '7ABC123'."""
    plate = _SEPARATORS.sub("", text.strip().upper())
    if not plate:
        raise PlateError("plate is empty")
    if not _VALID.match(plate):
        if len(plate) > MAX_PLATE_LENGTH:
            raise PlateError(f"plate has {len(plate)} characters; at most {MAX_PLATE_LENGTH}")
        raise PlateError("plate may contain only letters A-Z and digits 0-9")
    return plate


# Characters cameras and people confuse (shared/RECOGNITION-NOTES.md); each group maps to
# its first member. US agencies write the letter O as the digit 0.
CONFUSION_GROUPS = ("0ODQ", "1ILT", "8B", "5S", "2Z", "6G")
_CONFUSION = str.maketrans({char: group[0] for group in CONFUSION_GROUPS for char in group[1:]})


def exact_key(plate: str) -> str:
    """The plate as US lists write it: letter O as digit 0."""
    return plate.replace("O", "0")


def confusion_key(plate: str) -> str:
    """The plate with each character replaced by its confusion group's representative."""
    return plate.translate(_CONFUSION)
