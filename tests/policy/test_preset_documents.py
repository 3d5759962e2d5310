"""Each preset says what its seed document says (issue 16 point 6): one test per preset,
asserting the values the document states, with the section they come from."""

from __future__ import annotations

import re

import pytest

from alpr.policy import Duration, load_preset
from alpr.search.references import case_number_problem


def test_000_doj_general_order() -> None:
    # REQ U12 REQ U3 REQ U6 REQ L2 REQ L3 REQ Q2: seed 000, CA DOJ General Order 2023-05
    policy = load_preset("ca-doj-general-order")
    # 429.9: "only ... with DOJ-issued computers, mobile phones, or smart devices"
    assert policy.security.require_registered_devices is True
    assert policy.security.mfa_required is True  # 429.9 "at least dual factor authentication"
    # 429.4: "a minimum classification of Special Agent or Crime Analyst": minima, so the
    # classifications above them qualify too
    classes = set(policy.users.authorized_classifications)
    assert {"Special Agent", "Crime Analyst"} <= classes
    assert {"Special Agent Supervisor", "Crime Analyst Supervisor"} <= classes
    assert policy.users.training_interval == Duration(years=2)  # 429.5 "once every two years"
    assert policy.users.reorientation_after_unused == Duration(months=12)  # 429.4
    assert policy.users.inactivity_suspension == Duration(months=12)  # 429.4
    assert policy.users.authorization_review_every == Duration(years=1)  # 429.4 "annually"
    assert policy.retention.audit_records_keep == Duration(years=3)  # 429.8 "three years"
    assert policy.audits.every == Duration(years=1)  # 429.6/429.8 "annual audits"
    assert policy.sharing.allowed_recipient_kinds == ("ca_public_agency",)  # 429.7
    purpose = policy.purpose("criminal_investigation")  # 429.4 case number, code section, name
    assert purpose is not None
    assert purpose.requires_one_of == ("case_number", "code_section", "last_name")


def test_001_city_pd_2455() -> None:
    # REQ R1 REQ S1 REQ Q5 REQ X2: seed 001, policy 2.455
    policy = load_preset("city-pd-2455")
    assert policy.retention.minimum_keep == Duration(years=1)  # 2.455.30 "minimum of one year"
    assert policy.retention.delete_after == Duration(years=2)  # 2.455.30 "purged after two years"
    assert policy.search.standard == "articulable suspicion"  # 2.455.35
    # 2.455.25/.40: only law enforcement or prosecutorial agencies
    assert set(policy.sharing.allowed_recipient_kinds) == {"ca_law_enforcement", "ca_prosecutor"}
    assert {p.code for p in policy.search.permitted_purposes} == {
        "criminal_investigation", "administrative_or_civil", "training"}  # 2.455.25/.35
    # 2.455.45: breach disclosed "in the most expedient time possible" (no day count): the
    # target is set and no longer than the project default
    assert policy.sharing.breach_notice_within.at_most(Duration(days=30))


def test_002_lapd() -> None:
    # REQ R1 REQ R2 REQ L2 REQ S7 REQ U7 REQ X2: seed 002, Special Order 31 / DM 3/568.53
    policy = load_preset("lapd")
    assert policy.retention.logical_delete_after == Duration(years=2)  # "After two years"
    assert policy.retention.delete_after == Duration(years=5, hours=24, minutes=1)
    assert policy.retention.audit_records_keep == Duration(years=5)  # "at least five (5) years"
    assert policy.retention.audit_results_keep is None  # audit reports kept "indefinitely"
    assert policy.users.reorientation_after_unused == Duration(years=1)  # "for one year"
    assert policy.search.standard == "need to know and right to know"
    assert policy.sharing.allowed_recipient_kinds == ("ca_law_enforcement",)  # local LE only
    assert policy.sharing.require_agreement_for_any_sharing is True  # "interagency agreement"
    # "immediately disclose to the California State Attorney General"
    assert policy.sharing.breach_notice_within.at_most(Duration(days=1))
    # "the Division of Records (DR) Number or case number"
    assert case_number_problem("26-01-04512", policy) is None
    assert case_number_problem("260104512", policy) is None
    assert case_number_problem("26-004512", policy) is None
    assert case_number_problem("DR", policy) is not None


def test_003_doj_model() -> None:
    # REQ R1 REQ U12 REQ L3 REQ Q2: seed 003, the CA DOJ model policy (the default preset)
    policy = load_preset("ca-doj-model")
    # 429.9: "LAW ENFORCEMENT-AGENCY-issued computers, mobile phones, or smart devices"
    assert policy.security.require_registered_devices is True
    assert Duration(days=60).at_most(policy.retention.delete_after)  # 429.9 "60 days to 6
    assert policy.retention.delete_after.at_most(Duration(months=6))  # months"
    assert policy.retention.audit_results_keep == Duration(years=3)  # 429.8 "THREE YEARS"
    assert policy.audits.every.at_most(Duration(years=1))  # 429.8 "AT LEAST ANNUALLY"
    assert policy.users.inactivity_suspension == Duration(months=12)  # 429.4
    assert policy.users.authorization_review_every == Duration(years=1)  # 429.4 "annually"
    assert policy.security.mfa_required is True  # 429.9 "at least dual factor authentication"
    purpose = policy.purpose("criminal_investigation")  # 429.4 "internal case number, or
    assert purpose is not None  # suspect's last name"
    assert purpose.requires_one_of == ("case_number", "last_name")


def test_004_oakland() -> None:
    # REQ R1 REQ H1 REQ Q5 REQ Q8 REQ L3 REQ S3: seed 004, DGO I-12
    policy = load_preset("oakland")
    assert policy.retention.delete_after == Duration(days=30)  # G "30 days from initial upload"
    assert policy.hotlists.import_at_least_every == Duration(days=1)  # B.1 "once a day"
    assert policy.search.standard == "reasonable suspicion"  # C.2(B)
    assert {p.code for p in policy.search.permitted_purposes} == {
        "missing_person", "witness_locate", "burglary", "grand_theft", "violent_crime",
        "court_order"}  # C.2(B) "solely for"
    assert policy.audits.every == Duration(years=1)  # K "conducted annually"
    assert policy.sharing.require_reproductive_health_attestation is True  # C.3(6)
    prohibited = " ".join(policy.search.prohibited_uses).lower()
    for use in ("harassment", "protected characteristic", "personal use", "first amendment",
                "reproductive health", "immigration"):  # C.3(2)-(6), E
        assert use in prohibited


@pytest.mark.parametrize("name", ["ca-doj-general-order", "ca-doj-model", "city-pd-2455",
                                  "lapd", "oakland"])
def test_every_preset_has_case_number_formats_whose_examples_fit(name: str) -> None:
    # REQ Q2: a case number is checked against the agency's formats
    policy = load_preset(name)
    assert policy.search.case_number_formats
    for fmt in policy.search.case_number_formats:
        assert re.fullmatch(fmt.pattern, fmt.example, re.IGNORECASE)
        assert case_number_problem(fmt.example, policy) is None
    for junk in ("-", "N.A.", "???", "1", "000000", "TBD"):
        assert case_number_problem(junk, policy) is not None
