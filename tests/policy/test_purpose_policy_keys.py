"""The purpose keys of the policy (issue 16): case-number formats, lexicon additions and
code abbreviations are validated when the file loads and by `alpr policy check`."""

from __future__ import annotations

import pytest

from alpr.policy import PolicyError, check_policy, default_policy, load_policy
from alpr.policy.model import Policy
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose
from tests.policy.conftest import WritePolicy

FORMAT = '\n[[search.case_number_formats]]\npattern = "^C-[0-9]{5}$"\nexample = "{example}"\n'
ADDITION = '\n[[search.lexicon_additions]]\nrule = "{rule}"\nrefuse = ["{phrase}"]\n'
CODES = ('\n[[search.code_abbreviations]]\ncode = "Oakland Municipal Code"\n'
         'abbreviations = ["OMC"]\n')


def test_a_format_whose_example_does_not_fit_is_refused(write_policy: WritePolicy) -> None:
    # REQ Q2: a format is checked against its own example when the file loads
    with pytest.raises(PolicyError, match="does not match pattern"):
        load_policy(write_policy(append=FORMAT.replace("{example}", "26-004512")))
    policy = load_policy(write_policy(append=FORMAT.replace("{example}", "C-12345"),
                                      name="good.toml"))
    assert policy.search.case_number_formats[-1].example == "C-12345"
    given = PurposeIn(category="criminal_investigation", case_number="c-12345",
                      on_behalf_of="Det. Ortiz", attests_standard=True,
                      attests_prohibited_uses=True)
    assert validate_purpose(given, policy=policy).case_number == "c-12345"


def test_lexicon_additions_name_a_known_rule_and_only_add(write_policy: WritePolicy) -> None:
    # REQ Q8: an agency adds phrases under a legal rule; an unknown rule is a typo
    with pytest.raises(PolicyError, match="rule"):
        load_policy(write_policy(append=ADDITION.format(rule="anything-goes", phrase="x")))
    policy = load_policy(write_policy(append=ADDITION.format(rule="first-amendment",
                                                             phrase="sideshow crowd*"),
                                      name="more.toml"))
    given = PurposeIn(category="criminal_investigation", case_number="26-004512",
                      description="the Sideshow-Crowds on Saturday", on_behalf_of="Det. Ortiz",
                      attests_standard=True, attests_prohibited_uses=True)
    with pytest.raises(PurposeRefused) as refused:
        validate_purpose(given, policy=policy)
    assert refused.value.rule == "first-amendment"
    validate_purpose(given, policy=default_policy())  # the floor alone does not refuse it


def test_no_key_removes_a_floor_phrase(write_policy: WritePolicy) -> None:
    # REQ Q8: there is nothing to write that allows "ICE" again
    for key in ("lexicon_removals", "lexicon_allow", "allow"):
        with pytest.raises(PolicyError):
            load_policy(write_policy(append=f'\n[search.{key}]\nimmigration = ["ice"]\n',
                                     name=f"{key}.toml"))


def test_code_abbreviations_extend_the_code_sections(write_policy: WritePolicy) -> None:
    # REQ Q2: a municipal code section is a real section form once the policy names the code
    given = PurposeIn(category="criminal_investigation", code_section="OMC 9.08.010",
                      on_behalf_of="Det. Ortiz", attests_standard=True,
                      attests_prohibited_uses=True)
    base = "ca-doj-general-order"  # 000 429.4: a code section names the matter
    with pytest.raises(PurposeRefused) as refused:
        validate_purpose(given, policy=load_policy(write_policy(base, name="base.toml")))
    assert refused.value.rule == "code-section"
    policy = load_policy(write_policy(base, append=CODES))
    assert validate_purpose(given, policy=policy).code_section == "OMC 9.08.010"


def test_policy_check_warns_without_formats_and_refuses_empty_additions() -> None:
    # REQ Q2 REQ Q8: `alpr policy check` covers the new keys
    data = default_policy().model_dump(mode="json")
    data["search"]["case_number_formats"] = []
    data["search"]["lexicon_additions"] = [{"rule": "personal-use", "refuse": ["!!!"]}]
    findings = check_policy(Policy.model_validate(data))
    assert any(f.key == "search.case_number_formats" and f.severity == "warning"
               for f in findings)
    assert any(f.key == "search.lexicon_additions[0]" and f.severity == "error"
               for f in findings)
