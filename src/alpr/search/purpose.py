"""Validating the purpose of a search or read access (REQ Q1–Q5, Q8).

A purpose names a permitted category, a specific reference (case number, code section,
suspect's last name), the employee it is done for, and attests the standard and the
prohibited uses. It is refused — saying which rule fired — when it is vague, carries
personal identifiers beyond a last name or criminal-history/CLETS data, or serves a
purpose the law forbids (immigration enforcement, reproductive-health prosecution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from alpr.policy import Policy


class PurposeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="A permitted purpose code from the agency policy")
    case_number: str | None = None
    code_section: str | None = Field(default=None, description="e.g. PC 459")
    last_name: str | None = Field(default=None, description="Suspect's last name only")
    description: str | None = Field(default=None, max_length=500)
    court_order: str | None = Field(
        default=None, max_length=200,
        description="Court order or warrant reference; required near sensitive locations")
    on_behalf_of: str = Field(min_length=1, description="The employee the access is for (Q4)")
    attests_standard: bool = Field(description="The standard (e.g. reasonable suspicion) is met")
    attests_prohibited_uses: bool = Field(description="None of the prohibited uses applies (Q8)")


class PurposeRefused(ValueError):  # noqa: N818 (a refusal the user sees)
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [rule: {rule}]")
        self.rule = rule


@dataclass(frozen=True)
class Purpose:
    """A validated purpose, as it is written to the audit log."""

    category: str
    label: str
    case_number: str | None
    code_section: str | None
    last_name: str | None
    description: str | None
    on_behalf_of: str
    court_order: str | None = None

    def summary(self) -> str:
        parts = [self.label]
        parts += [f"case {self.case_number}"] if self.case_number else []
        parts += [f"court order {self.court_order}"] if self.court_order else []
        parts += [self.code_section] if self.code_section else []
        parts += [f"re {self.last_name}"] if self.last_name else []
        return "; ".join(parts) + (f" — {self.description}" if self.description else "")


# Personal identifiers and criminal-history data that may never be written in a purpose.
IDENTIFIER_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (rule, what, re.compile(pattern, re.IGNORECASE))
    for rule, what, pattern in (
        ("date-of-birth", "a date of birth",
         r"\b(dob|d\.o\.b|born)\b|\b\d{1,2}[/-]\d{1,2}[/-](19|20)?\d{2}\b|\b(19|20)\d{2}-\d{2}-\d{2}\b"),
        ("ssn", "a social security number", r"\b(ssn|social security)\b|\b\d{3}-\d{2}-\d{4}\b"),
        ("driver-licence", "a driver licence number",
         r"\b(dl|cdl|driver'?s? licen[cs]e|oln)\s*#?\s*\w*|\b[A-Z]\d{7}\b"),
        ("cii-fbi", "a CII or FBI number", r"\b(cii|fbi|sid)\s*(no|number|#)?\s*[:#]?\s*\w*\d"),
        ("phone", "a phone number", r"\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"),
        ("address", "a street address",
         r"\b\d{1,6}\s+(\w+\s){0,3}(st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane"
         r"|way|ct|court|pl|place|hwy|highway)\b"),
        ("criminal-history", "criminal-history or CLETS data",
         r"\b(clets|rap sheet|criminal history|prior (arrest|conviction)s?|convicted|"
         r"probation|parole|warrant #|booking #|arrest record)\b"),
    )
)
# Purposes the law forbids outright (Cal. Gov. Code 7284.6; Civil Code 1798.90.55 as amended).
FORBIDDEN_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("immigration", re.compile(r"\b(ice|immigration|deport\w*|undocumented|illegal alien|"
                               r"visa overstay|cbp|border patrol)\b", re.IGNORECASE)),
    ("reproductive-health", re.compile(r"\b(abortion|reproductive|pregnan\w*|contracepti\w*)\b",
                                       re.IGNORECASE)),
)
_LAST_NAME = re.compile(r"^[A-Za-z][A-Za-z' -]{0,39}$")


def validate_purpose(given: PurposeIn, *, policy: Policy) -> Purpose:
    rules = policy.search
    permitted = policy.purpose(given.category)
    if permitted is None:
        codes = ", ".join(p.code for p in rules.permitted_purposes)
        raise PurposeRefused("category", f"{given.category!r} is not a permitted purpose;"
                             f" choose one of: {codes}")
    texts = {"case number": given.case_number, "code section": given.code_section,
             "last name": given.last_name, "description": given.description,
             "court order": given.court_order, "on behalf of": given.on_behalf_of}
    for field, value in texts.items():
        for rule, pattern in FORBIDDEN_RULES:
            if value and pattern.search(value):
                raise PurposeRefused(rule, f"the {field} names a purpose the law forbids"
                                     f" ({rule.replace('-', ' ')}): refused")
    for field, value in texts.items():
        if field == "on behalf of" or not value:
            continue
        for rule, what, pattern in IDENTIFIER_RULES:
            # A warrant reference is the order's own number, not someone's criminal history.
            if field == "court order" and rule == "criminal-history":
                continue
            if pattern.search(value):
                raise PurposeRefused(rule, f"the {field} appears to contain {what}; a purpose"
                                     " may name a suspect's last name only, no other personal"
                                     " identifiers or criminal-history data")
    references = {"case_number": _specific(given.case_number, policy),
                  "code_section": _specific(given.code_section, policy),
                  "last_name": _specific(given.last_name, policy),
                  "court_order": _specific(given.court_order, policy)}
    if given.last_name and not _LAST_NAME.match(given.last_name.strip()):
        raise PurposeRefused("last-name", "the last name may contain letters, spaces, hyphens"
                             " and apostrophes only")
    if given.case_number and rules.case_number_pattern and not re.fullmatch(
            rules.case_number_pattern, given.case_number.strip()):
        raise PurposeRefused("case-number-format", f"case number {given.case_number!r} does not"
                             f" match the agency format {rules.case_number_pattern}")
    required = permitted.requires
    one_of = permitted.requires_one_of or (
        () if required else ("case_number", "code_section", "last_name"))
    missing = [kind for kind in required if kind in references and not references[kind]]
    if missing or (one_of and not any(references.get(kind) for kind in one_of)):
        raise PurposeRefused("specific", "name the specific matter: "
                             + (", ".join(missing) if missing else " or ".join(one_of))
                             + " — a vague purpose such as 'investigation' is not enough")
    if not given.attests_standard:
        raise PurposeRefused("standard", f"attest that the standard ({rules.standard}) is met")
    if not given.attests_prohibited_uses:
        raise PurposeRefused("prohibited-uses", "attest that none of the prohibited uses"
                             " applies: " + "; ".join(rules.prohibited_uses))
    return Purpose(category=permitted.code, label=permitted.label,
                   case_number=_clean(given.case_number), code_section=_clean(given.code_section),
                   last_name=_clean(given.last_name), description=_clean(given.description),
                   on_behalf_of=given.on_behalf_of.strip(),
                   court_order=_clean(given.court_order))


def _specific(value: str | None, policy: Policy) -> bool:
    """A reference that says something: not empty and not a vague word alone."""
    if not value or not value.strip():
        return False
    vague = {term.lower() for term in policy.search.refused_bare_terms}
    return re.sub(r"[^a-z0-9/ ]", "", value.lower()).strip() not in vague


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
