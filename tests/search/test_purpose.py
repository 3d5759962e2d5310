"""Purpose rules: each with examples that must pass and must fail (REQ Q1–Q5, Q8)."""

from __future__ import annotations

from typing import Any

import pytest

from alpr.policy import load_preset
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose

POLICY = load_preset("ca-doj-general-order")
CATEGORY = POLICY.search.permitted_purposes[0]


def purpose(**overrides: Any) -> PurposeIn:
    fields: dict[str, Any] = {"category": CATEGORY.code, "case_number": "26-004512",
                              "on_behalf_of": "Det. R. Ortiz #2231", "attests_standard": True,
                              "attests_prohibited_uses": True}
    fields.update(overrides)
    return PurposeIn(**fields)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"case_number": None, "code_section": "PC 459"},
        {"case_number": None, "last_name": "Garcia-Lopez"},
        {"last_name": "O'Brien", "description": "vehicle seen near the burglary on 5th"},
    ],
)
def test_specific_purposes_pass(overrides: dict[str, Any]) -> None:
    # REQ Q1 REQ Q2 REQ Q5
    checked = validate_purpose(purpose(**overrides), policy=POLICY)
    assert checked.category == CATEGORY.code
    assert checked.on_behalf_of == "Det. R. Ortiz #2231"  # REQ Q4


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"category": "curiosity"}, "category"),
        ({"case_number": "investigation"}, "specific"),
        ({"case_number": "inv"}, "specific"),
        ({"case_number": "N/A"}, "specific"),
        ({"case_number": "case"}, "specific"),
        ({"case_number": None}, "specific"),
        ({"description": "ICE WARRANT"}, "immigration"),
        ({"description": "assist immigration enforcement"}, "immigration"),
        ({"description": "abortion clinic visitor"}, "reproductive-health"),
        ({"last_name": "Smith DOB 04/12/1988"}, "date-of-birth"),
        ({"description": "suspect born 1990-02-03"}, "date-of-birth"),
        ({"description": "SSN 123-45-6789"}, "ssn"),
        ({"description": "DL# B1234567"}, "driver-licence"),
        ({"description": "CII A12345678"}, "criminal-history"),
        ({"description": "call (510) 555-0199"}, "phone"),
        ({"description": "lives at 1234 Elm Street"}, "address"),
        ({"description": "per CLETS return"}, "criminal-history"),
        ({"description": "has prior arrests for theft"}, "criminal-history"),
        ({"last_name": "Sm1th"}, "last-name"),
        ({"attests_standard": False}, "standard"),
        ({"attests_prohibited_uses": False}, "prohibited-uses"),
    ],
)
def test_vague_identifying_or_forbidden_purposes_are_refused(
    overrides: dict[str, Any], rule: str
) -> None:
    # REQ Q2 REQ Q3 REQ Q5 REQ Q8
    with pytest.raises(PurposeRefused) as refused:
        validate_purpose(purpose(**overrides), policy=POLICY)
    assert refused.value.rule == rule
    assert f"[rule: {rule}]" in str(refused.value)
