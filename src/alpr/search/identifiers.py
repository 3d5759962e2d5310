"""Personal identifiers by their shape, whatever the wording around them (REQ Q3).

Each detector takes folded text (alpr.search.textnorm.fold) and returns the part that looks
like the identifier, or None. The words that announce one ("DOB", "SSN", "lives at") are
lexicons (lexicons/<rule>.toml); these are the numbers and layouts themselves. A number
equal to the purpose's own case number is that case number, never an identifier.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from alpr.search.textnorm import fold

_SEP = r"[\s.\-_/]"
_SSN_LAYOUTS = (
    re.compile(r"(?<![\d])(\d{3})\s*([.\-_/])\s*(\d{2})\s*\2\s*(\d{4})(?!\d)"),  # 123-45-6789
    re.compile(r"(?<![\d\-/])(\d{3})\s+(\d{2})\s+(\d{4})(?![\d\-/])"),  # 123 45 6789
    re.compile(r"(?<![\d\-/])(\d{9})(?![\d\-/])"),  # 123456789
    re.compile(r"(?<![\d\-/])(\d)" + r"[\s.\-]{1,2}(\d)" * 8 + r"(?![\d\-/])"),  # 1 2 3 ...
)


def ssn(text: str, raw: str, today: date) -> str | None:
    for layout in _SSN_LAYOUTS:
        for found in layout.finditer(text):
            digits = "".join(g for g in found.groups() if g and g.isdigit())
            area, group, serial = digits[:3], digits[3:5], digits[5:]
            # SSA never issues area 000, 666 or 9xx, group 00 or serial 0000.
            if area not in ("000", "666") and not area.startswith("9") and group != "00" \
                    and serial != "0000":
                return found.group(0)
    return None


_MONTHS = {name: number for number, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")), start=1) for name in names}
_ORDINAL_WORDS = {word: day for day, word in enumerate((
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth", "twenty first", "twenty second",
    "twenty third", "twenty fourth", "twenty fifth", "twenty sixth", "twenty seventh",
    "twenty eighth", "twenty ninth", "thirtieth", "thirty first"), start=1)}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2}(?:st|nd|rd|th)?|" + "|".join(
    w.replace(" ", r"[\s-]") for w in sorted(_ORDINAL_WORDS, key=len, reverse=True)) + ")"
_YEAR = r"('?\d{2}|\d{4})"
_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![\d.])(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?![\d.])"),
     "mdy"),
    (re.compile(r"(?<![\d.])(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?![\d.])"), "ymd"),
    (re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY},?\s+(?:of\s+|in\s+)?{_YEAR}\b"), "Mdy"),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b"), "dMy"),
    (re.compile(r"(?<![\d\-/])(\d{2})(\d{2})(\d{4})(?![\d\-/])"), "mdy"),  # 03031985
)
OLDEST_READ = 10  # years: no policy keeps reads this long (a read date is never this old)


def date_of_birth(text: str, raw: str, today: date) -> str | None:
    """A full date that is a birth date: more than OLDEST_READ years old (a date written
    next to a birth word is refused by the date-of-birth lexicon already)."""
    for pattern, order in _DATES:
        for found in pattern.finditer(text):
            when = _date(found.groups(), order, today)
            if when is not None and when.year < today.year - OLDEST_READ:
                return found.group(0)
    return None


def _date(parts: tuple[str, ...], order: str, today: date) -> date | None:
    values = dict(zip(order, parts, strict=True))
    month_text, day_text, year_text = values.get("m") or values["M"], values["d"], values["y"]
    month = _MONTHS.get(month_text.rstrip(".")) if "M" in order else int(month_text)
    day_text = re.sub(r"[\s-]+", " ", day_text)
    day = _ORDINAL_WORDS.get(day_text) or int(re.sub(r"\D", "", day_text) or 0)
    year = int(year_text.lstrip("'"))
    if year < 100:
        year += 2000 if year <= today.year % 100 else 1900
    try:
        return date(year, month or 0, day)
    except ValueError:
        return None


_PHONES = (
    re.compile(r"(?<![\d\-/])(?:\+?\s*1[\s.\-]*)?(?:\(\s*[2-9]\d{2}\s*\)|[2-9]\d{2})[\s.\-]*"
               r"[2-9]\d{2}[\s.\-]*\d{4}(?![\d\-/])"),
    re.compile(r"(?<![\d\-/])[2-9]\d{2}[\s.\-]\d{4}(?![\d\-/])"),  # 555-0199
)


def phone(text: str, raw: str, today: date) -> str | None:
    for pattern in _PHONES:
        found = pattern.search(text)
        if found:
            return found.group(0)
    return None


_EMAILS = (
    re.compile(r"[a-z0-9._%+\-]+\s*@\s*[a-z0-9\-]+(?:\s*\.\s*[a-z0-9\-]+)+"),
    re.compile(r"\b[a-z0-9._\-]+\s*(?:[\[(]\s*at\s*[\])]|\sat\s)\s*[a-z0-9\-]+\s*"
               r"(?:[\[(]\s*dot\s*[\])]|\sdot\s|\.)\s*(?:com|net|org|gov|edu|us|io|co|me)\b"),
)


def email(text: str, raw: str, today: date) -> str | None:
    for pattern in _EMAILS:
        found = pattern.search(text)
        if found:
            return found.group(0)
    return None


_CA_LICENCE = re.compile(r"(?<![a-z0-9\-])[a-z]\s?\d{7}(?![a-z0-9])")


def driver_licence(text: str, raw: str, today: date) -> str | None:
    found = _CA_LICENCE.search(text)
    return found.group(0) if found else None


_STREET_TYPES = (
    "st|street|ave|av|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|ct|court|pl|place"
    "|hwy|highway|pkwy|parkway|cir|circle|ter|terrace|trl|trail|sq|square|loop|aly|alley"
    "|plz|plaza|expy|expressway|fwy|freeway|row|walk|path|crescent|cres|commons")
_HOUSE = r"(?<![\w\-/#.])([1-9]\d{0,5}[a-z]?)"
# A number after one of these is a code section, a case, a count or a unit, not a house.
_NOT_A_HOUSE_BEFORE = re.compile(
    r"(?:\b(?:pc|vc|hs|h and s|hsc|bp|wi|wic|gc|cc|ccp|section|sec|code|case|dr|no|number"
    r"|report|incident|badge|unit|apt|suite|ste|id|usc|cfr|title|rule|order|item|page"
    r"|highway|hwy|interstate|route|rte|sr|i|us|fwy|freeway|exit|camera|cam|car|beat"
    r"|district|area|zone|lane|gate|pier|terminal|building|bldg|floor|room|platform|line"
    r"|bus|train|flight|model|year|vin|plate)"
    r"|[§#])\s*$")
_COUNTS = frozenset((
    "am", "pm", "a", "p", "hr", "hrs", "hour", "hours", "minute", "minutes", "min", "mins",
    "second", "seconds", "sec", "day", "days", "week", "weeks", "month", "months", "year",
    "years", "yr", "yrs", "time", "times", "occasion", "occasions", "location", "locations",
    "place", "places", "vehicle", "vehicles", "car", "cars", "camera", "cameras", "read",
    "reads", "suspect", "suspects", "people", "person", "persons", "male", "males", "female",
    "females", "men", "women", "victim", "victims", "witness", "witnesses", "officer",
    "officers", "mph", "mile", "miles", "mi", "feet", "ft", "foot", "meter", "meters", "m",
    "km", "yards", "percent", "degree", "degrees", "block", "blocks", "hundred", "of", "and",
    "or", "to", "the", "different", "separate", "other", "more", "counts", "count", "prior",
    "plates", "plate", "door", "doors", "dollars", "usd", "pc", "vc", "hs", "bp", "wi",
    "oclock", "o", "st", "nd", "rd", "th", "percent", "cents", "items", "boxes", "bags",
    "kg", "lbs", "grams", "g", "oz", "ounces", "pounds", "shots", "rounds", "units",
    "counts", "kids", "children", "juveniles", "adults", "subjects", "occupants",
    # a freeway or a count followed by a preposition: "on 880 near Broadway"
    "near", "at", "by", "in", "from", "on", "between", "with", "for", "after", "before",
    "sb", "nb", "eb", "wb", "northbound", "southbound", "eastbound", "westbound", "fwy",
    "exit", "interchange", "overpass", "ramp", "onramp", "offramp", "freeway", "hwy",
))
_CUES = ("at", "on", "near", "lives", "living", "resides", "residing", "reside", "address",
         "residence", "home", "house", "apartment", "located", "parked", "from", "to", "of")
_CUED = re.compile(r"\b(?:" + "|".join(_CUES) + r")\s+(?:the\s+)?" + _HOUSE
                   + r"\s+(?:[nsew]\s+)?([a-z][a-z']*)")
_TYPED = re.compile(_HOUSE + r"\s+(?:[nsew]\.?\s+|north\s+|south\s+|east\s+|west\s+)?"
                    r"(?:[a-z0-9'.\-]+\s+){1,4}?(?:" + _STREET_TYPES + r")\b(?!\s+(?:case|"
                    r"order|date|hearing|appearance|of\b))")
_ORDINAL_STREET = re.compile(_HOUSE + r"\s+(?:[nsew]\s+)?\d{1,3}(?:st|nd|rd|th)\b"
                             r"(?!\s+(?:degree|offense|offence|time|count|strike|amendment))")
_ZIP = re.compile(r"\b(?:ca|calif|california)\s*9\d{4}(?:-\d{4})?\b")


# "1234 Elm", "88 Martin Luther King": a house number (two digits or more: "7 Eleven" and
# "3 Guys" are shops) and a capitalized name as written (case matters here: "459 burglary"
# is a code and a crime, "1234 Elm" is a place).
_NAMED = re.compile(r"(?<![\w\-/#.§])([1-9]\d{1,5})\s+((?:[NSEW]\.?\s+)?[A-Z][a-z]+)"
                    r"(?:\s+[A-Z][a-z]+){0,3}\b")
_NAMES_NOT_STREETS = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "burglary", "robbery", "theft", "assault", "homicide", "vandalism",
    "carjacking", "collision", "shooting", "stabbing", "incident", "report", "suspect",
    "vehicle", "stolen", "case", "victim", "honda", "toyota", "ford", "chevrolet", "chevy",
    "nissan", "dodge", "tesla", "bmw", "kia", "hyundai", "jeep", "subaru", "mazda", "lexus",
    "audi", "volkswagen", "mercedes", "sedan", "truck", "van", "suv", "coupe", "motorcycle",
    "reads", "alerts", "hits", "cameras", "units", "officers", "hours", "minutes", "days",
    "block", "blocks", "camera", "unit", "lane", "north", "south", "east", "west", "hour",
    "cents", "eleven", "guys", "plus", "fitness", "degrees", "percent", "years", "months"))


def address(text: str, raw: str, today: date) -> str | None:
    for named in _NAMED.finditer(unicodedata.normalize("NFKC", raw)):
        number, word = named.group(1), named.group(2).split()[-1].lower()
        year_like = len(number) == 4 and number[:2] in ("19", "20")
        before = fold(raw[: named.start()])
        if not year_like and word not in _NAMES_NOT_STREETS and word not in _COUNTS \
                and not _NOT_A_HOUSE_BEFORE.search(before):
            return named.group(0)
    for pattern in (_TYPED, _ORDINAL_STREET):
        for found in pattern.finditer(text):
            if not _NOT_A_HOUSE_BEFORE.search(text[: found.start()]):
                return found.group(0)
    for found in _CUED.finditer(text):
        if found.group(2) not in _COUNTS:
            return found.group(0)
    zip_code = _ZIP.search(text)
    return zip_code.group(0) if zip_code else None


Detector = Callable[[str, str, date], "str | None"]  # (folded text, text as written, today)
FORMATS: dict[str, Detector] = {
    "ssn": ssn, "date-of-birth": date_of_birth, "phone": phone, "email": email,
    "driver-licence": driver_licence, "address": address,
}


def without_case_number(text: str, case_number: str | None) -> str:
    """The text with the purpose's own case number taken out (it is no identifier)."""
    if not case_number or not case_number.strip():
        return text
    digits = re.sub(r"\W", "", fold(case_number))
    if not digits:
        return text
    loose = r"\W*".join(re.escape(ch) for ch in digits)
    return re.sub(loose, " ", text, flags=re.IGNORECASE)
