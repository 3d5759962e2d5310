"""Validating the purpose of a search, a read or image view, or an export (REQ Q1–Q5, Q8).

A purpose names a permitted category, a specific reference (case number, code section,
suspect's last name), the employee it is done for, and attests the standard and the
prohibited uses. Each part is strict (alpr.search.references): a case number in the
agency's format, a real code-section form, one last name. Every text is screened after
normalization against the prohibited-use lexicons and for personal identifiers
(alpr.search.screening). A refusal names a stable rule id and the law or policy section it
enforces (docs/audit.md lists them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from alpr.policy import Policy
from alpr.search.references import (
    case_number_problem,
    code_section_problem,
    is_placeholder,
    is_vague,
    last_name_problem,
)
from alpr.search.screening import Scope, rule_citation, screen


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


# Rules that are not lexicons (those carry their citation in lexicons/<rule>.toml).
RULE_CITATIONS: dict[str, str] = {
    "category": "Civil Code §1798.90.51(b)(2)(A); policy search.permitted_purposes (REQ Q5)",
    "specific": "000 and 003 429.4: \"cannot be 'investigation' alone\" (REQ Q2)",
    "case-number-format": "000 and 003 429.4 (internal case number); policy"
                          " search.case_number_formats (REQ Q2)",
    "code-section": "000 429.4 (\"the code section being investigated\") (REQ Q2)",
    "last-name": "000 and 003 429.4 (the suspect's last name, no other identifier) (REQ Q3)",
    "on-behalf-of-employee": "000 429.4: \"specifically identify the employee for whom the"
                             " search is being conducted\" (REQ Q4)",
    "standard": "policy search.standard; 002, 004 C.2.B (REQ Q5)",
    "prohibited-uses": "004 C.3; Civil Code §1798.90.51(b)(2)(A) (REQ Q8)",
}


class PurposeRefused(ValueError):  # noqa: N818 (a refusal the user sees)
    """A refused purpose: the stable rule id, the law or policy section it enforces, the
    field and the words that broke it."""

    def __init__(self, rule: str, message: str, *, field: str | None = None,
                 found: str | None = None, citation: str | None = None) -> None:
        self.citation = citation or RULE_CITATIONS.get(rule) or rule_citation(rule) or ""
        super().__init__(f"{message} [rule: {rule}]"
                         + (f" ({self.citation})" if self.citation else ""))
        self.rule, self.field, self.found = rule, field, found

    def details(self) -> dict[str, str | None]:
        """What the audit entry of the refusal records about the rule."""
        return {"rule": self.rule, "citation": self.citation, "field": self.field,
                "found": self.found}


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


# Which kinds of screening apply to each purpose field (alpr.search.screening): prohibited
# uses everywhere, non-California recipients in whom the access is for, personal identifiers
# in the free-text fields. The case number is checked by its format instead.
PURPOSE_SCOPES: dict[str, frozenset[Scope]] = {
    "case number": frozenset({"all"}),
    "code section": frozenset({"all"}),
    "last name": frozenset({"all", "identifiers"}),
    "description": frozenset({"all", "identifiers"}),
    "court order": frozenset({"all", "identifiers"}),
    "on behalf of": frozenset({"all", "on-behalf-of"}),
}
_IDENTIFIER_RULES = frozenset({"ssn", "date-of-birth", "driver-licence", "phone", "email",
                               "address", "criminal-history"})
# A warrant reference is the order's own number, not anyone's criminal history.
_COURT_ORDER_SKIPS = frozenset({"criminal-history", "driver-licence"})
# A one-word last name is a surname: "Gay", "Black", "Born" are names, not descriptions.
_SURNAME_SKIPS = frozenset({"protected-characteristics", "criminal-history", "ssn",
                            "date-of-birth", "phone", "email", "address", "driver-licence"})


def validate_purpose(given: PurposeIn, *, policy: Policy, today: date | None = None,
                     external_case: bool = False) -> Purpose:
    """The validated purpose, or PurposeRefused naming the first rule it breaks.

    `external_case`: the case number is another agency's (a share request), so it is held
    to the floor (no placeholder, a digit) instead of this agency's formats.
    """
    rules = policy.search
    permitted = policy.purpose(given.category)
    if permitted is None:
        codes = ", ".join(p.code for p in rules.permitted_purposes)
        raise PurposeRefused("category", f"{given.category!r} is not a permitted purpose;"
                             f" choose one of: {codes}", field="category", found=given.category)
    texts = {"case number": given.case_number, "code section": given.code_section,
             "last name": given.last_name, "description": given.description,
             "court order": given.court_order, "on behalf of": given.on_behalf_of}
    skip = {"court order": _COURT_ORDER_SKIPS}
    if given.last_name and last_name_problem(given.last_name) is None:
        skip["last name"] = _SURNAME_SKIPS
    hit = screen(texts, scopes=PURPOSE_SCOPES, policy=policy, skip=skip,
                 case_number=given.case_number, today=today)
    if hit is not None:
        why = ("a purpose may name a suspect's last name only, no other personal identifiers"
               " or criminal-history data" if hit.rule in _IDENTIFIER_RULES else
               "a purpose names a case, a code section or a suspect's last name")
        raise PurposeRefused(hit.rule, f"{hit.message()}; {why}", field=hit.field,
                             found=hit.found, citation=hit.citation)
    _check_references(given, policy, external_case)
    references = {kind: not is_vague(getattr(given, kind), rules.refused_bare_terms)
                  for kind in ("case_number", "code_section", "last_name", "court_order")}
    required = permitted.requires
    one_of = permitted.requires_one_of or (
        () if required else ("case_number", "code_section", "last_name"))
    missing = [kind for kind in required if kind in references and not references[kind]]
    if missing or (one_of and not any(references.get(kind) for kind in one_of)):
        raise PurposeRefused("specific", "name the specific matter: "
                             + (", ".join(missing) if missing else " or ".join(one_of))
                             + " — a vague purpose such as 'investigation' is not enough",
                             field=(missing or list(one_of))[0].replace("_", " "))
    if not given.attests_standard:
        raise PurposeRefused("standard", f"attest that the standard ({rules.standard}) is met",
                             field="attests standard")
    if not given.attests_prohibited_uses:
        raise PurposeRefused("prohibited-uses", "attest that none of the prohibited uses"
                             " applies: " + "; ".join(rules.prohibited_uses),
                             field="attests prohibited uses")
    return Purpose(category=permitted.code, label=permitted.label,
                   case_number=_clean(given.case_number), code_section=_clean(given.code_section),
                   last_name=_clean(given.last_name), description=_clean(given.description),
                   on_behalf_of=given.on_behalf_of.strip(),
                   court_order=_clean(given.court_order))


def _check_references(given: PurposeIn, policy: Policy, external_case: bool) -> None:
    """Each reference given is what it says it is; the employee named is somebody."""
    bare = policy.search.refused_bare_terms
    if is_vague(given.on_behalf_of, bare) or is_placeholder(given.on_behalf_of) \
            or sum(ch.isalpha() for ch in given.on_behalf_of) < 2:
        raise PurposeRefused("on-behalf-of-employee", f"on behalf of {given.on_behalf_of!r}"
                             " names nobody: give the employee the access is for",
                             field="on behalf of", found=given.on_behalf_of)
    for field in ("case_number", "code_section", "last_name"):
        value = getattr(given, field)
        if value and value.strip() and is_vague(value, bare):
            name = field.replace("_", " ")
            raise PurposeRefused("specific", f"{value!r} is no {name}: name the specific"
                                 " matter — a vague purpose such as 'investigation' is not"
                                 " enough", field=name, found=value)
    if given.case_number and given.case_number.strip():
        problem = case_number_problem(given.case_number, policy, external=external_case)
        if problem:
            raise PurposeRefused("case-number-format", problem, field="case number",
                                 found=given.case_number)
    if given.code_section and given.code_section.strip():
        problem = code_section_problem(given.code_section, policy)
        if problem:
            raise PurposeRefused("code-section", problem, field="code section",
                                 found=given.code_section)
    if given.last_name and given.last_name.strip():
        problem = last_name_problem(given.last_name)
        if problem:
            raise PurposeRefused("last-name", problem, field="last name",
                                 found=given.last_name)


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
