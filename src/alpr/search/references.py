"""The specific references of a purpose, each checked for what it claims to be (REQ Q2).

- a case number matches one of the agency's formats (`search.case_number_formats`); with
  none set, it must at least look like one (letters and digits, a digit, four or more
  characters); placeholders ("-", "N.A.", "???", "1", "TBD", "000000") never pass;
- a code section names a code from code_sections.toml (plus the policy's
  `search.code_abbreviations`) and a section number: "PC 459", "VC 10851(a)", "459 PC",
  "H&S 11350", "18 USC 1028", "PC 459/460";
- a last name is one name: particles ("de la", "van", "O'") and suffixes ("Jr") allowed,
  a given name or an initial is not ("John Smith", "Smith, John", "J. Smith").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from alpr.policy import Policy
from alpr.search.textnorm import fold

_PLACEHOLDERS = frozenset({
    "na", "none", "nil", "null", "unknown", "unk", "tbd", "tba", "pending", "test",
    "testing", "same", "seeabove", "notapplicable", "nocase", "nocasenumber", "xxx", "x",
    "asdf", "abc", "abcd", "qwerty", "other", "misc", "general", "various", "todo",
    "later", "temp", "dummy", "sample", "example", "self", "me", "idk"})


def _squash(value: str) -> str:
    return re.sub(r"[^0-9a-z]", "", fold(value))


def is_placeholder(value: str) -> bool:
    """Junk standing in for a reference: no letters or digits, one character repeated,
    nothing but zeros, or a placeholder word."""
    squashed = _squash(value)
    return (not squashed or squashed in _PLACEHOLDERS or len(set(squashed)) == 1
            or (set(re.sub(r"\D", "", squashed)) == {"0"} and len(squashed) <= 4))


# "Case #26-004512", "DR No. 26-01-04512", "RD# 26-004512": the label is not the number.
_LABEL = re.compile(r"^(?:(?:case|dr|rd|report|incident|inc|file|event)\b\.?\s*)?"
                    r"(?:(?:no|nr|num|number)\b\.?|#)?\s*[:#]?\s*", re.IGNORECASE)


def squashed_digits_kept(value: str) -> str:
    """The value folded, its digit groups kept apart ("26-000000" -> "26 000000")."""
    return re.sub(r"[^0-9a-z]+", " ", fold(value))


def case_number_problem(value: str, policy: Policy, *, external: bool = False) -> str | None:
    """Why `value` is not a case number of this agency (None: it is one); `external`: of
    another agency, whose formats this policy does not know."""
    given = _LABEL.sub("", unicodedata.normalize("NFKC", value).strip())
    squashed = _squash(given)
    digits = re.sub(r"\D", "", squashed)
    runs = re.findall(r"\d+", squashed_digits_kept(given))
    longest = max(runs, key=len) if runs else ""
    if is_placeholder(given) or not digits or set(longest) <= {"0"}:
        return f"case number {value!r} is a placeholder, not a case number"
    formats = [] if external else case_number_formats(policy)
    if formats:
        if any(re.fullmatch(pattern, candidate, flags=re.IGNORECASE)
               for pattern, _ in formats for candidate in (given, given.upper())):
            return None
        examples = ", ".join(example for _, example in formats if example)
        return (f"case number {value!r} is not in the agency's format"
                + (f" (e.g. {examples})" if examples else ""))
    if len(squashed) < 4:
        return f"case number {value!r} is too short to be a case number"
    return None


def case_number_formats(policy: Policy) -> list[tuple[str, str]]:
    """(regex, example) pairs: the policy's formats and the older single pattern."""
    rules = policy.search
    formats = [(f.pattern, f.example) for f in rules.case_number_formats]
    if rules.case_number_pattern:
        formats.append((rules.case_number_pattern, ""))
    return formats


# --- code sections -------------------------------------------------------------------------

_SECTION = r"[1-9]\d{0,5}(?:\.\d{1,3}){0,3}[a-z]?(?:\s*\(\s*[a-z0-9]{1,4}\s*\))*"
_USC = re.compile(rf"^(\d{{1,2}})\s*u\s*s\s*c\s*a?\s*({_SECTION})$")


def _key(abbreviation: str) -> str:
    text = re.sub(r"^\s*cal(?:ifornia)?\b\.?", "", fold(abbreviation))  # "Cal. Penal Code"
    return re.sub(r"[^0-9a-z]", "", text)


@cache
def _table() -> dict[str, str]:
    data = tomllib.loads(Path(__file__).with_name("code_sections.toml").read_text("utf-8"))
    return {_key(abbr): code for code, abbrs in data["codes"].items()
            for abbr in (code, *abbrs)}


def _codes(policy: Policy | None) -> dict[str, str]:
    codes = dict(_table())
    for added in policy.search.code_abbreviations if policy else ():
        codes |= {_key(abbr): added.code for abbr in (added.code, *added.abbreviations)}
    return codes


def code_section_problem(value: str, policy: Policy | None) -> str | None:
    """Why `value` is not a code section (None: every part of it names one)."""
    codes = _codes(policy)
    text = fold(value).replace("§", " ")
    text = re.sub(r"\b(?:sec(?:tion)?s?|ss)\b\.?", " ", text)
    # "PC 459, 460", "PC 459/460", "PC 459 and VC 10851"; never inside "W&I" / "H&S"
    parts = [p.strip() for p in re.split(r"[,;/]|(?<=[\d)])\s+(?:and|or)\s+", text)
             if p.strip()]
    if not parts:
        return f"code section {value!r} names no section"
    seen_code = False
    for part in parts:
        if _USC.match(part):
            seen_code = True
            continue
        section = re.fullmatch(rf"({_SECTION})", part)
        if section and seen_code:
            continue  # "PC 459/460": the second section of the same code
        lead = re.fullmatch(rf"(.+?)\s*({_SECTION})", part)
        trail = re.fullmatch(rf"({_SECTION})\s*(.+?)", part)
        if (lead and _key(lead.group(1)) in codes) or (trail and _key(trail.group(2)) in codes):
            seen_code = True
            continue
        return (f"code section {value!r}: {part!r} is not a code abbreviation and a section"
                " number (e.g. PC 459, VC 10851, H&S 11350)")
    return None


def known_codes(policy: Policy | None) -> list[str]:
    return sorted(set(_codes(policy).values()))


# --- last names ----------------------------------------------------------------------------

_PARTICLES = frozenset({
    "de", "del", "della", "dela", "la", "las", "los", "le", "lo", "da", "das", "do", "dos",
    "di", "du", "van", "von", "der", "den", "ter", "ten", "st", "ste", "saint", "san",
    "santa", "mac", "mc", "bin", "ibn", "al", "el", "ben", "bat", "y", "e", "i", "abu",
    "ap", "fitz", "o", "d", "l", "vander", "vanden", "zu", "af", "av"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?$")


def last_name_problem(value: str) -> str | None:
    """Why `value` is not one last name (None: it is)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > 40:
        return "the last name is longer than 40 characters"
    if "," in text:
        return "give the last name only, not 'Last, First'"
    words = text.split()
    if not words or not all(_NAME_CHARS.match(word) for word in words):
        return "the last name may contain letters, hyphens and apostrophes only"
    folded = [word.casefold().rstrip(".") for word in words]
    core = [w for w, f in zip(words, folded, strict=True)
            if f not in _PARTICLES and f not in _SUFFIXES]
    core = core or words[-1:]  # "Le", "Do": a particle can be a whole surname
    if any(len(w.rstrip(".")) < 2 for w in core):
        return "give the last name, not an initial"
    if any(w.endswith(".") for w, f in zip(words, folded, strict=True)
           if f not in _SUFFIXES and f not in ("st", "ste")):
        return "give the last name, not an initial"
    if len(core) > 1:
        return (f"{value!r} is more than one name: give the suspect's last name only"
                " (join a compound surname with a hyphen, e.g. Garcia-Lopez)")
    return None


def one_word(value: str | None) -> bool:
    return bool(value) and len(_words(value or "")) == 1


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s]+", value.strip()) if w]


def is_vague(value: str | None, bare_terms: Iterable[str]) -> bool:
    """A reference that says nothing: empty, or one of the policy's bare vague terms."""
    if not value or not value.strip():
        return True
    vague = {re.sub(r"[^a-z0-9/ ]", "", fold(term)).strip() for term in bare_terms}
    said = re.sub(r"[^a-z0-9/ ]", "", fold(value)).strip()
    return said in vague or re.sub(r"[^a-z0-9]", "", said) in {
        re.sub(r"[^a-z0-9]", "", v) for v in vague}
