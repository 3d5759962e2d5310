"""State layouts fix look-alikes only where the layout is certain; nothing is invented."""

from __future__ import annotations

import pytest

from alpr.recognition.grammar import apply_layout, fits, layout_for

# (read, state, candidates best first, expected plate or None = left as read)
CASES = [
    # CA 1ABC234: a digit in a letter slot, fixed by the look-alike the candidates offer
    ("1A8C234", "ca", [("1A8C234", 0.6), ("1ABC234", 0.2)], "1ABC234"),
    ("L4BC234", "ca", [("L4BC234", 0.6), ("14BC234", 0.3), ("1ABC234", 0.1)], "1ABC234"),
    ("1ABC234", "ca", [("1ABC234", 0.9), ("1A8C234", 0.1)], None),  # fits: untouched
    ("1ABC23", "ca", [("1ABC23", 0.9), ("1ABC234", 0.5)], None),  # never adds a character
    ("1A8C234", None, [("1A8C234", 0.6), ("1ABC234", 0.2)], None),  # state unknown
    ("1A8C234", "zz", [("1A8C234", 0.6), ("1ABC234", 0.2)], None),  # no known layout
    ("CEMENTS", "ca", [("CEMENTS", 0.9), ("CEMENT5", 0.2)], None),  # vanity: too far off
    # A candidate that changes a character which already fitted is not a look-alike fix.
    ("1A8C234", "ca", [("1A8C234", 0.6), ("2ABC234", 0.3)], None),
    ("ABC1Z34", "tx", [("ABC1Z34", 0.7), ("ABC1234", 0.2)], "ABC1234"),
    ("A8C1234", "tx", [("A8C1234", 0.7), ("ABC1234", 0.2)], "ABC1234"),
]


@pytest.mark.parametrize(("read", "state", "ranked", "expected"), CASES)
def test_layout_fixes_only_the_offending_look_alikes(  # REQ C1
    read: str, state: str | None, ranked: list[tuple[str, float]], expected: str | None
) -> None:
    assert apply_layout(read, state, ranked) == expected


def test_o_and_zero_count_as_either_kind() -> None:  # REQ C1
    assert fits("10BC234", "DLLLDDD")  # O written as 0 in a letter slot
    assert fits("1ABC2034"[:7], "DLLLDDD")
    assert layout_for("CA", 7) == "DLLLDDD"
    assert layout_for("ca", 6) is None
