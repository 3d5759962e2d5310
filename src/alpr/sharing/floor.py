"""The legal floor on who counts as a California public agency, whatever a registry row says.

Civ. Code §1798.90.5(f) and §1798.90.55(b): ALPR information stays with California public
agencies. The registry's `kind` is what an administrator typed, so a federal, out-of-state
or private organization registered with a California kind must still be refused. The name
(and the jurisdiction) is screened after normalization: case, punctuation, and the dots or
spaces inside abbreviations ("U.S.", "I.C.E.", "u s") do not change the answer.

`not_california_public(name, kind, jurisdiction)` is the one check; sharing (S1) and
accounts (16.2, U1) both use it.
"""

from __future__ import annotations

import re
import unicodedata

from alpr.sharing.models import AgencyKind

CA_PUBLIC_KINDS = frozenset({
    AgencyKind.CA_STATE_AGENCY, AgencyKind.CA_LOCAL_AGENCY, AgencyKind.CA_LAW_ENFORCEMENT,
    AgencyKind.CA_PROSECUTOR, AgencyKind.CA_PUBLIC_DEFENDER,
})

# Federal bodies by name, programme and abbreviation (normalized: lower case, single words).
_FEDERAL = (
    r"united states|usa|us(?! \d)|federal|fed|national guard bureau|"
    r"homeland security|dhs|immigration|customs|ice|hsi|ero|cbp|uscis|border patrol|"
    r"enforcement and removal|removal operations|fbi|dea|atf|usms|marshals? service|"
    r"drug enforcement administration|bureau of alcohol|secret service|tsa|"
    r"transportation security administration|postal inspection|irs|internal revenue|"
    r"department of defense|dod|army|navy|air force|marine corps|coast guard|"
    r"veterans affairs|interpol|europol|border protection"
)
_OTHER_STATES = (
    "alabama|alaska|arizona|arkansas|colorado|connecticut|delaware|florida|georgia|hawaii|"
    "idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts|"
    "michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new hampshire|"
    "new jersey|new mexico|new york|north carolina|north dakota|ohio|oklahoma|oregon|"
    "pennsylvania|rhode island|south carolina|south dakota|tennessee|texas|utah|vermont|"
    "virginia|washington|west virginia|wisconsin|wyoming|district of columbia|puerto rico|"
    "guam|nypd|lvmpd|mexico|canada|baja california"
)
# A California place named like a state ("Nevada County", "Washington Unified").
_CA_PLACE_WORDS = r"county|city|unified|union|township|school|health|street|avenue|boulevard"
_PRIVATE = (
    r"inc|incorporated|llc|llp|ltd|corp|corporation|company|plc|gmbh|"
    r"private|security services|investigations? agency|bail bonds?|repossession|recovery agents?|"
    r"insurance|bank|foundation|flock|vigilant|motorola|leonardo|genetec|rekor|amazon|ring|"
    r"lexisnexis|thomson reuters|palantir|clearview|digital recognition network|drn"
)
_CALIFORNIA = re.compile(r"\b(california|ca|calif|state of california)\b")


def normalize_name(text: str) -> str:
    """Lower case, accents off, punctuation to spaces, and spelt-out abbreviations joined:
    "U.S. I.C.E." and "u s ice" both become "us ice"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    # Runs of single letters are an abbreviation written with dots or spaces: join them.
    return re.sub(r"\b(?:[a-z] )+[a-z]\b", lambda m: m.group(0).replace(" ", ""), text)


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b")


_FEDERAL_RE = _words(_FEDERAL)
_PRIVATE_RE = _words(_PRIVATE)
_STATE_RE = re.compile(rf"\b(?:state of )?({_OTHER_STATES})\b(?! (?:{_CA_PLACE_WORDS})\b)")
_US_DOJ = re.compile(r"\bdepartment of justice\b|\bdoj\b")


def name_problem(name: str, jurisdiction: str | None = None) -> str | None:
    """Why this name (or jurisdiction) is not a California public agency, or None."""
    for label, value in (("name", name), ("jurisdiction", jurisdiction or "")):
        text = normalize_name(value)
        if not text:
            continue
        californian = bool(_CALIFORNIA.search(text))
        if found := _FEDERAL_RE.search(text):
            return f"the {label} {value!r} names a federal body ({found.group(0)!r})"
        if _US_DOJ.search(text) and not californian:
            return f"the {label} {value!r} names a Department of Justice outside California"
        if (found := _STATE_RE.search(text)) and not californian:
            return f"the {label} {value!r} names another state ({found.group(1)!r})"
        if found := _PRIVATE_RE.search(text):
            return f"the {label} {value!r} names a private organization ({found.group(0)!r})"
    return None


def not_california_public(name: str, kind: str, jurisdiction: str | None = None) -> str | None:
    """Why an organization may not hold ALPR accounts or data, or None when it may."""
    if kind not in CA_PUBLIC_KINDS:
        return (f"{name} is registered as {kind.replace('_', ' ')}, not a California public"
                " agency (Civ. Code §1798.90.5(f), §1798.90.55(b))")
    problem = name_problem(name, jurisdiction)
    if problem:
        return (f"{name} is registered as {kind.replace('_', ' ')} but {problem}: not a"
                " California public agency (Civ. Code §1798.90.55(b))")
    return None
