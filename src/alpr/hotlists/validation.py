"""Field checks for hot-list records and manual entries: the tables a record is checked
against (state/province codes as NCIC writes them, California county numbers) and the
rules for dates and case numbers.

A record that fails a check is reported by line and never loaded; nothing here knows of
the database or of policy (the policy's own checks live in hotlists.service).
"""

from __future__ import annotations

import re
from datetime import date


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# NCIC state and province codes (NCIC Code Manual, "State and Country Codes"): the USPS
# codes for the states and DC, U.S. territories and government plates, Canadian provinces
# (NCIC writes Newfoundland NF and Quebec PQ; the postal NL and QC are accepted too) and
# Mexican states. `0` for the letter O is undone by the parser before the check.
US_STATES = _codes(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE"
    " NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY")
US_TERRITORIES = _codes(
    # American Samoa, Guam (NCIC GM), Northern Marianas, Puerto Rico, Virgin Islands,
    # Canal Zone, U.S. Government and Indian tribal plates.
    "AM AS GM GU MP NI PR VI CZ US")
CANADIAN_PROVINCES = _codes(
    "AB BC MB NB NF NL NS NT NU ON PE PQ QC SN SK YT")
MEXICAN_STATES = _codes(
    # Aguascalientes AG, Baja California BA, Baja California Sur BS/BJ, Campeche CE,
    # Chiapas CI, Chihuahua CH, Coahuila CU, Colima CL, Distrito Federal DF, Durango DO,
    # Guanajuato GJ, Guerrero GR, Hidalgo HL, Jalisco JL, Estado de Mexico EM, Michoacan
    # MC, Morelos MR, Nayarit NA, Nuevo Leon NL, Oaxaca OA, Puebla PB, Queretaro QU,
    # Quintana Roo QR, San Luis Potosi SL, Sinaloa SI, Sonora SO, Tabasco TB, Tamaulipas TM,
    # Tlaxcala TL, Veracruz VC, Yucatan YU, Zacatecas ZA; MX Mexico (federal plates).
    "AG BA BS BJ CE CI CH CU CL DF DO GJ GR HL JL EM MC MR NA NL OA PB QU QR SL SI SO TB"
    " TM TL VC YU ZA MX")
STATE_CODES = US_STATES | US_TERRITORIES | CANADIAN_PROVINCES | MEXICAN_STATES

# California's 58 counties are numbered 01-58 in DOJ extracts (alphabetical order).
CA_COUNTY_CODES = frozenset(f"{n:02d}" for n in range(1, 59))
EARLIEST_RECORD = date(1900, 1, 1)


class FieldError(ValueError):
    """One field of one record is wrong; the message names the field."""


def state_code(raw: str | None, *, required: bool = True) -> str | None:
    """The two-letter code in the table, upper-cased; `0` is read as the letter O."""
    value = (raw or "").strip().upper().replace("0", "O")
    if not value:
        if required:
            raise FieldError("state: missing")
        return None
    if value not in STATE_CODES:
        raise FieldError(f"state: {raw!r} is not a US state, territory, Canadian province"
                         " or Mexican state code")
    return value


def county_code(raw: str | None) -> str:
    value = (raw or "").strip()
    if value not in CA_COUNTY_CODES:
        raise FieldError(f"county: {raw!r} is not a California county number (01-58)")
    return value


def record_date(raw: str | None, *, label: str, today: date | None = None) -> date:
    """A YYYYMMDD date that exists, not before 1900 and not after `today`."""
    value = (raw or "").strip()
    if not re.fullmatch(r"\d{8}", value):
        raise FieldError(f"{label}: {raw!r} is not a date YYYYMMDD" if value
                         else f"{label}: missing")
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError as error:
        raise FieldError(f"{label}: {value} is not a real date ({error})") from error
    if day < EARLIEST_RECORD or (today is not None and day > today):
        raise FieldError(f"{label}: {value} is out of range (1900 to the extract date)")
    return day


def vehicle_year(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"(19|20)\d\d", value):
        raise FieldError(f"vehicle year: {raw!r} is not a four-digit year")
    return value


# A case number names a real case: at least one digit, at least three letters or digits,
# and not a placeholder. Placeholders are recognized by shape, not by a list of strings:
# nothing but punctuation, words without digits ("n/a", "none", "unknown", "tbd"), too
# short ("1", "A1") or one repeated character ("000", "1111").
_CASE_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./#:_-]{0,39}$")
MIN_CASE_ALNUM = 3


def check_hotlist_case_number(raw: str | None, *, pattern: str | None = None) -> str:
    """The case number of a manual hot-list entry, trimmed, or FieldError saying why not;
    `pattern` is the agency's format (policy `search.case_number_pattern`), when set.

    Same intent as the search purpose's case-number check (search/purpose.py); the two
    are meant to be folded into one.
    """
    value = (raw or "").strip()
    if not value:
        raise FieldError("case number: missing")
    alnum = re.sub(r"[^A-Za-z0-9]", "", value)
    if not _CASE_CHARS.fullmatch(value):
        raise FieldError(f"case number: {value!r} has characters a case number does not use")
    if not any(ch.isdigit() for ch in alnum):
        raise FieldError(f"case number: {value!r} is not a case number (no digits)")
    if len(alnum) < MIN_CASE_ALNUM or len(set(alnum.upper())) == 1:
        raise FieldError(f"case number: {value!r} is a placeholder, not a case number")
    if pattern and not re.fullmatch(pattern, value):
        raise FieldError(f"case number: {value!r} does not match the agency format {pattern}")
    return value
