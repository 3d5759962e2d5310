"""Issue 16: purpose rules that hold against a determined user (REQ Q2, Q3, Q4, Q8, S1–S3).

The cases are data (tests/search/purpose_cases.py): per rule, wordings and formats that must
be refused and near-misses that must pass. Two built-in mutation checks prove the tables
depend on the lexicon files and on the normalization: with either removed, refused cases
get through.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alpr.policy import load_preset
from alpr.search import screening, textnorm
from alpr.search.purpose import PurposeIn, PurposeRefused, validate_purpose
from tests.search.purpose_cases import PASSING, REFUSED, Case

POLICY = load_preset("ca-doj-general-order")
BASE: dict[str, Any] = {"category": "criminal_investigation", "case_number": "26-004512",
                        "on_behalf_of": "Det. R. Ortiz #2231", "attests_standard": True,
                        "attests_prohibited_uses": True}


def purpose(field: str, value: str) -> PurposeIn:
    return PurposeIn(**(BASE | {field: value}))


def refused_rule(field: str, value: str) -> str | None:
    try:
        validate_purpose(purpose(field, value), policy=POLICY)
    except PurposeRefused as refusal:
        return refusal.rule
    return None


def _cases(table: dict[str, list[Case]]) -> Iterator[Any]:
    for rule, cases in table.items():
        for field, value in cases:
            yield pytest.param(rule, field, value, id=f"{rule}:{field}={value}")


def test_every_rule_has_ten_of_each() -> None:
    # REQ Q8: at least ten refused phrasings and ten near-misses per refusal rule
    assert set(REFUSED) == set(PASSING)
    for rule in REFUSED:
        assert len(REFUSED[rule]) >= 10, rule
        assert len(PASSING[rule]) >= 10, rule


@pytest.mark.parametrize(("rule", "field", "value"), list(_cases(REFUSED)))
def test_refused_whatever_the_wording(rule: str, field: str, value: str) -> None:
    # REQ Q2 REQ Q3 REQ Q4 REQ Q8 REQ S1 REQ S2 REQ S3
    with pytest.raises(PurposeRefused) as refusal:
        validate_purpose(purpose(field, value), policy=POLICY)
    assert refusal.value.rule == rule, str(refusal.value)
    assert f"[rule: {rule}]" in str(refusal.value)
    assert refusal.value.citation  # every refusal names the law or policy it enforces


@pytest.mark.parametrize(("rule", "field", "value"), list(_cases(PASSING)))
def test_near_misses_pass(rule: str, field: str, value: str) -> None:
    # REQ Q2 REQ Q8: a rule is no dragnet over proper names and ordinary police words
    assert refused_rule(field, value) is None


def _lexicon_cases() -> list[Case]:
    rules = {"immigration", "reproductive-health", "first-amendment", "personal-use",
             "protected-characteristics", "criminal-history"}
    # Free-text fields only: a code section or a last name has its own shape rule too.
    return [case for rule in rules for case in REFUSED[rule]
            if case[0] in ("description", "on_behalf_of", "court_order")]


def test_without_the_lexicon_files_the_refusals_get_through(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # REQ Q8: the lexicon files are what refuses (mutation: remove them)
    screening.lexicons.cache_clear()
    screening._vocabulary.cache_clear()
    monkeypatch.setattr(screening, "LEXICON_DIR", tmp_path)
    try:
        through = [case for case in _lexicon_cases() if refused_rule(*case) is None]
    finally:
        screening.lexicons.cache_clear()
        screening._vocabulary.cache_clear()
    assert len(through) == len(_lexicon_cases())


NORMALIZED = [  # caught only once the text is normalized
    ("description", "I.C.E. request"), ("description", "ІСЕ"), ("description", "1CE hold"),
    ("description", "d3p0rt4t10n"), ("description", "imigration status"),
    ("description", "H.S.I."), ("description", "H0meland Security"),
    ("description", "ab0rti0n provider"),
    ("description", "plannedparenthood lot"), ("description", "pr0test"),
    ("description", "exgirlfriend"), ("description", "curiousity"),
    ("description", "ＩＣＥ detail"),
]


def test_without_normalization_the_disguised_wordings_get_through(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # REQ Q8: normalization is what catches disguised wordings (mutation: plain lower-case,
    # no leetspeak, no spelling correction, no joining)
    assert all(refused_rule(*case) for case in NORMALIZED)
    monkeypatch.setattr(textnorm, "fold", str.lower)
    monkeypatch.setattr(screening, "fold", str.lower)
    monkeypatch.setattr(textnorm.Vocabulary, "correct", lambda self, word: set())
    monkeypatch.setattr(textnorm, "_LEET", str.maketrans({}))
    monkeypatch.setattr(textnorm, "_LEET_L", str.maketrans({}))
    monkeypatch.setattr(textnorm.Matcher, "_joined", lambda self, text, start: [])
    still = [case for case in NORMALIZED if refused_rule(*case)]
    assert still == []


def test_policy_adds_to_a_lexicon_but_the_floor_stays() -> None:
    # REQ Q8: an agency adds phrases under a legal rule; it cannot remove the floor's
    extended = POLICY.model_copy(update={"search": POLICY.search.model_copy(update={
        "lexicon_additions": (_addition("personal-use", ("side job",)),)})})
    given = purpose("description", "side-job")
    with pytest.raises(PurposeRefused) as refusal:
        validate_purpose(given, policy=extended)
    assert refusal.value.rule == "personal-use"
    validate_purpose(given, policy=POLICY)  # not refused without the addition
    with pytest.raises(PurposeRefused):  # the floor still refuses under the extended policy
        validate_purpose(purpose("description", "HSI"), policy=extended)


def _addition(rule: str, phrases: tuple[str, ...]) -> Any:
    from alpr.policy.model import LexiconAddition

    return LexiconAddition.model_validate({"rule": rule, "refuse": list(phrases)})


def test_lexicon_files_name_their_rule_and_citation() -> None:
    # REQ Q8: one reviewable file per rule, each citing what it enforces
    loaded = screening.lexicons()
    from typing import get_args

    from alpr.policy.model import LexiconRule

    assert {lexicon.rule for lexicon in loaded} == set(get_args(LexiconRule))
    for lexicon in loaded:
        assert lexicon.citation and lexicon.title and lexicon.refuse.phrases
