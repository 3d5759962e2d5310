"""How many searches to sample, and which: statistically sized and reproducible (REQ L3).

The sample size is Cochran's formula for a proportion with the finite-population
correction. With the worst-case proportion p = 0.5 it is large enough whatever the true
share of improper searches is:

    n0 = z² · p · (1 − p) / e²        z: the normal quantile of the confidence level
    n  = ⌈ n0 / (1 + (n0 − 1) / N) ⌉   N: the searches in the audited period

At 95 % confidence and a 5 % margin, n0 ≈ 384.2; for N = 1000 searches, n = 278.
The sample is drawn with a seeded RNG over the population sorted by id; the seed is stored
with the audit, so anyone can draw the same sample again.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Sequence
from statistics import NormalDist
from typing import TypeVar

T = TypeVar("T")


def sample_size(population: int, *, confidence: float, margin: float,
                proportion: float = 0.5) -> int:
    """Searches to review so the share found improper is within ±margin at `confidence`."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1, e.g. 0.95")
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1, e.g. 0.05")
    if population <= 0:
        return 0
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    n0 = z * z * proportion * (1 - proportion) / (margin * margin)
    n = n0 / (1 + (n0 - 1) / population)
    return min(population, math.ceil(n - 1e-9))


def new_seed() -> int:
    """A fresh seed that fits a signed 64-bit column."""
    return secrets.randbits(62)


def draw(population: Sequence[T], size: int, *, seed: int) -> list[T]:
    """`size` items of `population` (already in a stable order), the same for the same seed."""
    return random.Random(seed).sample(list(population), min(size, len(population)))
