"""Loading policy files: mistakes are refused with the file and the dotted key named."""

from collections.abc import Callable
from pathlib import Path

import pytest

from alpr.policy import (
    Duration,
    PolicyError,
    load_checked_policy,
    load_policy,
    load_preset,
)

WritePolicy = Callable[..., Path]


def test_a_policy_file_loads(write_policy: WritePolicy) -> None:
    # REQ R1: retention comes from the agency's file, not from code
    path = write_policy("oakland", delete_after='"45 days"')
    policy = load_policy(path)
    assert policy.retention.delete_after == Duration(days=45)
    assert load_checked_policy(path) == policy


def test_unknown_key_is_refused_naming_file_and_key(write_policy: WritePolicy) -> None:
    # REQ R1: a misspelt retention key must never fall back silently
    path = write_policy(delete_after=None, audit_results_keep='"3 years"\ndelet_after = "60 days"')
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert f"{path}: retention.delet_after: unknown key" in message
    assert f"{path}: retention.delete_after: required key is missing" in message
    assert "policy.toml" in message
    assert len(caught.value.problems) == 2


def test_unknown_section_is_refused(write_policy: WritePolicy) -> None:
    path = write_policy(append='\n[retension]\ndelete_after = "1 day"\n')
    with pytest.raises(PolicyError, match=r"policy\.toml: retension: unknown key"):
        load_policy(path)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        (
            "password_min_length",
            '"12"',
            "security.password_min_length: Input should be a valid integer",
        ),
        ("mfa_required", '"yes"', "security.mfa_required: Input should be a valid boolean"),
        (
            "delete_after",
            "60",
            'retention.delete_after: expected a duration string such as "2 years"',
        ),
        ("delete_after", '"60 dayz"', "retention.delete_after: '60 dayz': unknown unit 'dayz'"),
        ("allowed_sources", '["SVS", "FBI"]', "hotlists.allowed_sources[1]: Input should be 'SVS'"),
        (
            "code",
            '"Criminal Investigation"',
            "search.permitted_purposes[0].code: String should match",
        ),
        ("requires_one_of", '["dob"]', "search.permitted_purposes[0].requires_one_of[0]"),
    ],
)
def test_bad_value_is_refused_naming_the_key(
    write_policy: WritePolicy, key: str, value: str, problem: str
) -> None:
    path = write_policy(**{key: value})
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert f"{path}: {problem}" in str(caught.value)


def test_case_number_pattern_must_be_a_regex(write_policy: WritePolicy) -> None:
    # REQ Q2: a purpose names its case number; the pattern that checks it must compile
    path = write_policy(standard='"reasonable suspicion"\ncase_number_pattern = "^[0-9"')
    with pytest.raises(PolicyError, match=r"search\.case_number_pattern: not a valid regular"):
        load_policy(path)
    good = write_policy(
        standard='"reasonable suspicion"\ncase_number_pattern = "^[0-9]{2}-[0-9]{6}$"',
        name="good.toml",
    )
    assert load_policy(good).search.case_number_pattern == "^[0-9]{2}-[0-9]{6}$"


def test_duplicate_purpose_codes_are_refused(write_policy: WritePolicy) -> None:
    # REQ Q5: each permitted purpose is one category
    again = '\n[[search.permitted_purposes]]\ncode = "criminal_investigation"\nlabel = "Again"\n'
    with pytest.raises(PolicyError, match="search: permitted purpose codes must be unique"):
        load_policy(write_policy(append=again))


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[retention\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken\.toml: not valid TOML"):
        load_policy(broken)
    with pytest.raises(PolicyError, match=r"absent\.toml: cannot read"):
        load_policy(tmp_path / "absent.toml")


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError, match="no such preset; choose one of: ca-doj-general-order"):
        load_preset("nyc")


def test_no_path_means_the_default_preset() -> None:
    assert load_checked_policy(None) == load_preset("ca-doj-model")


def test_missing_audit_retention_is_refused(write_policy: WritePolicy) -> None:
    # REQ L2: a policy must state how long access records are kept
    path = write_policy(audit_records_keep=None)
    with pytest.raises(
        PolicyError, match=r"retention\.audit_records_keep: required key is missing"
    ):
        load_checked_policy(path)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"audit_records_keep": '"6 months"'}, "retention.audit_records_keep"),
        ({"audit_records_keep": '"0 days"'}, "retention.audit_records_keep"),
        (
            {"allowed_recipient_kinds": '["ca_public_agency", "private_entity"]'},
            "sharing.allowed_recipient_kinds",
        ),
        ({"allow_immigration_enforcement": "true"}, "sharing.allow_immigration_enforcement"),
        ({"password_min_length": "6"}, "security.password_min_length"),
    ],
)
def test_load_checked_policy_refuses_a_policy_below_the_floor(
    write_policy: WritePolicy, changes: dict[str, str], key: str
) -> None:
    # REQ L2 REQ S1 REQ S2 REQ U11: the floor is enforced before the system runs under a policy
    path = write_policy(**changes)
    load_policy(path)  # valid as data...
    with pytest.raises(PolicyError) as caught:
        load_checked_policy(path)  # ...but below the legal floor
    assert f"{path}: {key}:" in str(caught.value)
    assert "below the legal floor" in str(caught.value)
