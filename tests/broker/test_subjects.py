"""Subjects built from agency and camera names: never a wildcard, a dot or a space."""

from __future__ import annotations

import itertools

import pytest

from alpr.broker.streams import Names, token

NAMES = ["Test PD", "City.PD", "a.b.c", "*", ">", "reads.>", "", " ", "tab\there",
         "Policía Ñ", "cam-1", "cam_1", "CAM-1", "%41", "A", "a%2Eb", "new\nline", "日本"]


@pytest.mark.parametrize("name", NAMES)
def test_a_token_is_one_plain_subject_token(name: str) -> None:
    # REQ C2 — a camera or agency name cannot widen or redirect a subject
    made = token(name)
    assert made and not any(c in made for c in ".*> \t\r\n")
    assert made.isascii()
    subject = Names("ns").read_subject(name, name)
    assert subject.split(".")[:2] == ["ns", "reads"] and len(subject.split(".")) == 4


def test_different_names_never_share_a_subject() -> None:
    tokens = {name: token(name) for name in NAMES if name}
    for (a, ta), (b, tb) in itertools.combinations(tokens.items(), 2):
        assert ta != tb, (a, b)
