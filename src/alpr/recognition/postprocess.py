"""From a reader's raw text to a plate: clean-up, plausibility, O→0, confusion candidates.

Rules are general (US plate shapes, OCR confusion pairs); none is fitted to a test image.
"""

from __future__ import annotations

import re
from itertools import product

from alpr.recognition.interfaces import Reading

MIN_LENGTH, MAX_LENGTH = 2, 8
# All-letter strings are usually words (dealers, makes, slogans); accept one only when the
# reader is this sure and it is not a known word.
LETTERS_ONLY_CONFIDENCE = 0.9

US_STATES = {
    "ALABAMA": "al", "ALASKA": "ak", "ARIZONA": "az", "ARKANSAS": "ar", "CALIFORNIA": "ca",
    "COLORADO": "co", "CONNECTICUT": "ct", "DELAWARE": "de", "FLORIDA": "fl", "GEORGIA": "ga",
    "HAWAII": "hi", "IDAHO": "id", "ILLINOIS": "il", "INDIANA": "in", "IOWA": "ia",
    "KANSAS": "ks", "KENTUCKY": "ky", "LOUISIANA": "la", "MAINE": "me", "MARYLAND": "md",
    "MASSACHUSETTS": "ma", "MICHIGAN": "mi", "MINNESOTA": "mn", "MISSISSIPPI": "ms",
    "MISSOURI": "mo", "MONTANA": "mt", "NEBRASKA": "ne", "NEVADA": "nv",
    "NEWHAMPSHIRE": "nh", "NEWJERSEY": "nj", "NEWMEXICO": "nm", "NEWYORK": "ny",
    "NORTHCAROLINA": "nc", "NORTHDAKOTA": "nd", "OHIO": "oh", "OKLAHOMA": "ok",
    "OREGON": "or", "PENNSYLVANIA": "pa", "RHODEISLAND": "ri", "SOUTHCAROLINA": "sc",
    "SOUTHDAKOTA": "sd", "TENNESSEE": "tn", "TEXAS": "tx", "UTAH": "ut", "VERMONT": "vt",
    "VIRGINIA": "va", "WASHINGTON": "wa", "WESTVIRGINIA": "wv", "WISCONSIN": "wi",
    "WYOMING": "wy",
}
# Words printed on plates, frames and vehicles that are never the registration.
NON_PLATE_WORDS = {
    *US_STATES, "USA", "DMV", "DEALER", "MOTORS", "AUTO", "AUTOS", "SALES", "CARS", "FORD",
    "TOYOTA", "HONDA", "NISSAN", "CHEVROLET", "CHEVY", "DODGE", "JEEP", "BMW", "AUDI",
    "LEXUS", "ACURA", "MAZDA", "SUBARU", "HYUNDAI", "KIA", "VOLVO", "TESLA", "BUICK",
    "CADILLAC", "GMC", "RAM", "MERCEDES", "BENZ", "VOLKSWAGEN", "VW", "HYBRID", "SPORT",
    "LIMITED", "TOURING", "COUNTY", "STATE", "EXPIRES", "EXP", "TRUCK", "RENTAL", "TAXI",
    "CAB", "STOP", "POLICE", "SHERIFF", "EMERGENCY", "SCHOOL", "BUS", "EXIT", "PARKING",
    "ONLY", "NO", "SLOW", "THE", "AND", "OF", "WWW", "COM", "NET", "ORG", "CALL", "FREE",
    "SUNSHINE", "EMPIRE", "GARDEN", "EXPLORE", "VISIT", "LAND", "LINCOLN", "GOLDEN",
}
# Shapes OCR confuses on plate fonts, both ways; used for fuzzy hot-list candidates.
CONFUSIONS: dict[str, str] = {
    "0": "ODQ", "O": "0DQ", "D": "0OQ", "Q": "0OD", "1": "IL7T", "I": "1LT", "L": "1I",
    "7": "1T", "T": "17I", "5": "S", "S": "5", "8": "B3", "B": "83", "3": "B8", "2": "Z", "Z": "2",
    "6": "G", "G": "6", "M": "WN", "W": "MV", "N": "MH", "H": "N", "V": "YW", "Y": "V",
    "U": "V", "4": "A", "A": "4", "E": "F", "F": "E", "K": "X", "X": "K", "C": "G",
}
_NON_ALNUM = re.compile(r"[^A-Z0-9]")
_AS_LETTERS = str.maketrans("01", "OI")
# Years 1990-2039 followed by a month: camera date stamps.
_DATE = re.compile(r"^(19[9]\d|20[0-3]\d)(0[1-9]|1[0-2])")


def clean_text(text: str) -> str:
    """Upper-case letters and digits only; O becomes 0 (US agencies write 0)."""
    return _NON_ALNUM.sub("", text.upper()).replace("O", "0")


def state_of(text: str) -> str | None:
    """The two-letter region code when the text is, contains, or is part of a state name.

    Five letters in a row of a name ('IFORN') are enough: slogans and names are often cut
    off at the plate edge, and no plate spells five letters of a state by chance.
    """
    letters = _NON_ALNUM.sub("", text.upper()).translate(_AS_LETTERS)
    if len(letters) < 4:
        return None
    for name, code in US_STATES.items():
        if name in letters or letters in name:
            return code
        if any(letters[i : i + 5] in name for i in range(len(letters) - 4)):
            return code
    return None


def _is_word(text: str) -> bool:
    digits = [c for c in text if c.isdigit()]
    if len(digits) > 2 or set(digits) - {"0", "1"}:
        return False  # a misread word has an O or I read as 0 or 1 at most ('CAL1F0RNIA')
    letters = text.translate(_AS_LETTERS)
    return letters in NON_PLATE_WORDS or state_of(letters) is not None


def plate_likeness(text: str, confidence: float, *, letters_only: bool = False) -> float:
    """0 for strings that cannot be a plate; otherwise a weight in (0, 1] for ranking.

    Plates of 5-7 characters mixing letters and digits score highest; short strings,
    letters only, and digits only (dates, phone numbers, street numbers) score lower.
    With `letters_only`, an all-letter string of 5-7 that is no known word passes whatever
    the confidence (vanity plates; the caller decides how sure it must be).
    """
    plate = clean_text(text)
    if not MIN_LENGTH <= len(plate) <= MAX_LENGTH or _is_word(plate):
        return 0.0
    # 0 is also the letter O here, so it does not make a word a plate.
    digits = sum(c.isdigit() and c != "0" for c in plate)
    letters = len(plate) - sum(c.isdigit() for c in plate)
    vanity = letters_only and 5 <= len(plate) <= 7
    if digits == 0 and confidence < LETTERS_ONLY_CONFIDENCE and not vanity:
        return 0.0
    if letters == 0 and _DATE.match(plate):
        return 0.0  # a date stamped on the photo (20140513), not a plate
    weight = 1.0 if 5 <= len(plate) <= 7 else 0.8 if len(plate) in (4, 8) else 0.4
    if digits == 0:
        weight *= 0.5
    elif letters == 0:
        weight *= 0.6
    return weight


def candidates(reading: Reading, limit: int = 8) -> tuple[tuple[str, float], ...]:
    """The plate and its likeliest misreadings, best first, for fuzzy hot-list matching.

    Mixes the reader's own runner-ups with the static confusion table, swapping at most two
    of the least certain characters so the list stays short.
    """
    plate = clean_text(reading.text)
    if not plate:
        return ()
    scores: dict[str, float] = {plate: reading.confidence}
    for alt, score in reading.alternatives:
        alt_plate = clean_text(alt)
        if alt_plate and alt_plate != plate:
            scores[alt_plate] = max(scores.get(alt_plate, 0.0), min(score, reading.confidence))
    per_char = [c.confidence for c in reading.chars] if len(reading.chars) == len(plate) else []
    weakest = sorted(range(len(plate)), key=lambda i: per_char[i] if per_char else 1.0)[:2]
    options: list[list[tuple[str, float]]] = []
    for i, char in enumerate(plate):
        opts = [(char, 1.0)]
        if i in weakest:
            # A swap is as likely as the reader's doubt about the character.
            doubt = 1.0 - per_char[i] if per_char else 0.3
            opts += [(alt, max(doubt, 0.05)) for alt in CONFUSIONS.get(char, "")]
        options.append(opts)
    for combo in product(*options):
        text = clean_text("".join(c for c, _ in combo))
        score = reading.confidence
        for _, factor in combo:
            score *= factor
        if text not in scores:
            scores[text] = score
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:limit]
    return tuple((text, round(score, 4)) for text, score in ranked)


def guess_region(context: tuple[str, ...]) -> str | None:
    """A state name read near the plate ('CALIFORNIA' above it) gives its region code."""
    for text in context:
        code = state_of(text)
        if code:
            return code
    return None
