"""The bundled presets: each seed policy's numbers, loaded, cited, and above the legal floor."""

import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from alpr.policy import Duration, check_policy, default_policy, load_preset, preset_names

SEED_PRESETS = {
    "ca-doj-general-order": "000",
    "city-pd-2455": "001",
    "lapd": "002",
    "ca-doj-model": "003",
    "oakland": "004",
}


def test_there_is_one_preset_per_seed_document() -> None:
    # REQ R1: presets for the five policy documents
    assert preset_names() == sorted(SEED_PRESETS)


@pytest.mark.parametrize("name", sorted(SEED_PRESETS))
def test_every_preset_loads_and_passes_the_floor(name: str) -> None:
    # REQ S1 REQ L2: no preset may sit below the SB 34 / CJIS floor
    findings = check_policy(load_preset(name))
    assert findings == []


@pytest.mark.parametrize("name", sorted(SEED_PRESETS))
def test_every_preset_value_cites_its_source(name: str, read_preset: Callable[[str], str]) -> None:
    # REQ R1: every value names its seed section, or says it is the CJIS or project default
    text = read_preset(name)
    tomllib.loads(text)
    values = [
        line
        for line in text.splitlines()
        if re.match(r'^\s*([a-z_]+\s*=|")', line) and not line.rstrip().endswith("[")
    ]
    assert len(values) > 40
    sources = (SEED_PRESETS[name], "CJIS", "project default")
    uncited = [line for line in values if not any(s in line.partition("#")[2] for s in sources)]
    assert uncited == []


def test_default_policy_is_the_doj_model_template() -> None:
    assert default_policy() == load_preset("ca-doj-model")
    assert default_policy().agency.source.startswith("CA DOJ model")


def test_lapd_logical_then_permanent_deletion() -> None:
    # REQ R1 REQ R2: logically deleted at 2 years, permanently deleted at 5 years 24 h 1 min
    retention = load_preset("lapd").retention
    assert retention.logical_delete_after == Duration(years=2)
    assert retention.delete_after == Duration(years=5, hours=24, minutes=1)
    read_at = datetime(2024, 2, 29, 23, 59, 30, tzinfo=UTC)
    assert retention.logical_delete_after.after(read_at) == datetime(
        2026, 2, 28, 23, 59, 30, tzinfo=UTC
    )
    assert retention.delete_after.after(read_at) == datetime(2029, 3, 2, 0, 0, 30, tzinfo=UTC)


def test_lapd_access_records_holds_and_logically_deleted_access() -> None:
    # REQ L2 REQ R5 REQ Q7: access records 5 years; holds re-verified every 2 years; listed offenses
    policy = load_preset("lapd")
    assert policy.retention.audit_records_keep == Duration(years=5)
    assert policy.retention.audit_results_keep is None  # audit reports kept indefinitely
    assert policy.retention.hold_reverify_every == Duration(years=2)
    offenses = " ".join(policy.search.logically_deleted_access_offenses)
    for section in ("1192.7(c)", "667.5(c)", "136.1", "236.1", "273.6(a)", "646.9", "290(c)"):
        assert section in offenses
    assert "Court order" in policy.search.logically_deleted_access_offenses


def test_lapd_shares_only_under_agreement_and_suspends_misuse() -> None:
    # REQ S7 REQ U10 REQ U8
    policy = load_preset("lapd")
    assert policy.sharing.allowed_recipient_kinds == ("ca_law_enforcement",)
    assert policy.sharing.require_agreement_for_any_sharing
    assert policy.users.misuse_suspension == Duration(days=90)
    assert policy.users.deleted_after_separation == Duration(hours=24)
    assert policy.users.reorientation_after_unused == Duration(years=1)


def test_oakland_thirty_days_hot_lists_and_purposes() -> None:
    # REQ R1 REQ H1 REQ H2 REQ H3 REQ Q5 REQ Q8 REQ S2 REQ S3: Oakland DGO I-12
    policy = load_preset("oakland")
    assert policy.retention.delete_after == Duration(days=30)
    assert set(policy.hotlists.allowed_sources) == {
        "SVS",
        "NCIC",
        "CA_DOJ",
        "AMBER",
        "SILVER",
        "BOLO",
    }
    assert policy.hotlists.bolo_reasons == (
        "missing or at-risk person",
        "witness locate",
        "burglary",
        "grand theft",
        "violent crime",
    )
    assert policy.hotlists.import_at_least_every == Duration(days=1)
    assert policy.hotlists.manual_entries_require_approval
    assert policy.search.standard == "reasonable suspicion"
    assert [p.code for p in policy.search.permitted_purposes] == [
        "missing_person",
        "witness_locate",
        "burglary",
        "grand_theft",
        "violent_crime",
        "court_order",
    ]
    assert len(policy.search.prohibited_uses) == 7
    assert policy.sharing.require_reproductive_health_attestation
    assert not policy.sharing.allow_immigration_enforcement


def test_city_pd_keeps_one_year_minimum_and_purges_at_two() -> None:
    # REQ R1: 001 2.455.30 minimum one year, purge after two years
    retention = load_preset("city-pd-2455").retention
    assert retention.minimum_keep == Duration(years=1)
    assert retention.delete_after == Duration(years=2)


def test_doj_general_order_users_training_and_purpose() -> None:
    # REQ U3 REQ U4 REQ U6 REQ U7 REQ Q2 REQ L2: 000 section 429.4, 429.5, 429.8
    policy = load_preset("ca-doj-general-order")
    # 429.4 "a minimum classification of Special Agent or Crime Analyst": those and above
    assert {"Special Agent", "Crime Analyst"} <= set(policy.users.authorized_classifications)
    assert policy.users.training_interval == Duration(years=2)
    assert policy.users.inactivity_suspension == Duration(months=12)
    assert policy.users.authorization_review_every == Duration(years=1)
    assert policy.retention.audit_results_keep == Duration(years=3)
    assert "investigation" in policy.search.refused_bare_terms
    purpose = policy.purpose("criminal_investigation")
    assert purpose is not None
    assert purpose.requires_one_of == ("case_number", "code_section", "last_name")
    assert policy.purpose("personal_use") is None


def test_doj_model_fills_template_blanks_within_its_suggestions() -> None:
    # REQ R1 REQ R7 REQ H5: 003 429.9 suggests 60 days to 6 months;
    # download and hot-list periods set
    policy = load_preset("ca-doj-model")
    assert Duration(days=60).at_most(policy.retention.delete_after)
    assert policy.retention.delete_after.at_most(Duration(months=6))
    assert policy.retention.downloaded_data_destroy_after == Duration(days=60)
    assert policy.hotlists.entry_lifetime == Duration(days=30)
    assert policy.sharing.allowed_recipient_kinds == ("ca_public_agency",)
