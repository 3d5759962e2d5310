"""Plate formats of US states: where the state is known (its name read on the plate) and
it issues one standard layout of the length read, a character of the wrong kind in that
layout (a digit where the layout has a letter, or the reverse) is swapped for the
candidate the reader or the confusion table offers. Nothing is added or dropped, and
plates of other shapes (vanity, specialty) are left as read.

Layouts are policy-free facts about current standard passenger plates; `L` a letter,
`D` a digit. O is written as 0 throughout and counts as either kind.
"""

from __future__ import annotations

from collections.abc import Iterable

# Current standard passenger layouts (the common issue; older series of the same length
# with another layout are why a state is listed only when its series do not collide).
STATE_FORMATS: dict[str, tuple[str, ...]] = {
    "ca": ("DLLLDDD",),  # 1ABC234 since 1980
    "tx": ("LLLDDDD",),  # ABC-1234 since 2009
    "ny": ("LLLDDDD",),  # ABC-1234
    "pa": ("LLLDDDD",),  # ABC-1234
    "nc": ("LLLDDDD",),  # ABC-1234
    "va": ("LLLDDDD",),  # ABC-1234
    "ga": ("LLLDDDD",),  # ABC1234
    "oh": ("LLLDDDD",),  # ABC 1234
    "mi": ("LLLDDDD",),  # ABC 1234
    "wa": ("LLLDDDD",),  # ABC1234
    "az": ("LLLDDDD",),  # ABC1234
    "md": ("DLLDDDD",),  # 1AB2345
    "ma": ("DLLLDD",),  # 1ABC23
    "nv": ("DDDLDD",),  # 123A45 (newer series)
    "nj": ("LDDLLL",),  # A12BCD
}


def kind(char: str) -> str:
    if char == "0":
        return "X"  # O and 0 are one character here
    return "D" if char.isdigit() else "L"


def fits(text: str, layout: str) -> bool:
    return len(text) == len(layout) and all(
        kind(c) in ("X", want) for c, want in zip(text, layout, strict=True)
    )


def layout_for(region: str | None, length: int) -> str | None:
    """The one standard layout of this length for the state, or None if not certain."""
    layouts = [f for f in STATE_FORMATS.get((region or "").lower(), ()) if len(f) == length]
    return layouts[0] if len(layouts) == 1 else None


def apply_layout(
    text: str, region: str | None, candidates: Iterable[tuple[str, float]]
) -> str | None:
    """A corrected plate when `text` breaks the state's certain layout and a candidate of
    the same length fits it by swapping only the offending characters; else None."""
    layout = layout_for(region, len(text))
    if layout is None or fits(text, layout):
        return None
    wrong = {i for i, (c, want) in enumerate(zip(text, layout, strict=True))
             if kind(c) not in ("X", want)}
    for candidate, _ in candidates:  # best first
        if len(candidate) != len(text) or not fits(candidate, layout):
            continue
        changed = {i for i, (a, b) in enumerate(zip(text, candidate, strict=True)) if a != b}
        if changed and changed <= wrong:
            return candidate
    return None
