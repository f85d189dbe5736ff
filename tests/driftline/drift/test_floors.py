"""The default effect-size floors achieve the dataset-level rule.

Rule: "corrected p < alpha AND effect >= floor". Each test must flag a meaningful shift
of its kind at n = 5000 per side (a 0.2-sd mean shift; a 10-point category, label-prior
or accuracy shift) with a p-value that survives a Holm/Bonferroni correction over 20
columns, and must NOT flag a negligible shift (0.01 sd; a 1-point shift) at
n = 1,000,000 per side, where the p-value alone would. The streaming detectors' floors
are their drift levels and are covered by their own tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.drift import (
    PSI,
    BlackBoxShift,
    CategoricalPSI,
    ChiSquare,
    DomainClassifier,
    DriftTest,
    JensenShannon,
    KolmogorovSmirnov,
    LabelProportions,
    PerformanceDrop,
    Wasserstein,
)

COLUMNS = 20  # family size of the emulated correction
BIG = 1_000_000

Draw = Callable[[np.random.Generator, int, float], tuple[Any, Any]]


def _normal(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    return rng.normal(size=n), rng.normal(shift, 1.0, n)


def _two_levels(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    # the hardest case for a 10-point shift: two balanced levels (V = 0.1 exactly)
    levels = np.array(["yes", "no"])
    return levels[(rng.random(n) < 0.5).astype(int)], levels[
        (rng.random(n) < 0.5 + shift).astype(int)
    ]


def _labels(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    return rng.choice(3, n, p=[0.5, 0.3, 0.2]), rng.choice(3, n, p=[0.5 - shift, 0.3, 0.2 + shift])


def _probabilities(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    def draw(prior: float) -> np.ndarray:  # a binary classifier: 10 points of prior move
        y = rng.random(n) < prior
        p1 = 1 / (1 + np.exp(-(2.0 * (2 * y - 1) + rng.normal(size=n))))
        return np.column_stack([1 - p1, p1])

    return draw(0.3), draw(0.3 + shift)


def _correct(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    return rng.random(n) < 0.85, rng.random(n) < 0.85 - shift


def _frame(rng: np.random.Generator, n: int, shift: float) -> tuple[Any, Any]:
    def draw(mu: float) -> pd.DataFrame:
        d = {f"x{i}": rng.normal(size=n) for i in range(4)}
        d["x0"] = d["x0"] + mu
        d["c"] = rng.choice(["a", "b", "c"], n)
        return pd.DataFrame(d)

    return draw(0.0), draw(shift)


# test -> (data, meaningful shift at n=5000, negligible shift at n=1e6, test for 1e6 rows)
CASES: dict[str, tuple[DriftTest, Draw, float, float, DriftTest]] = {
    "ks": (KolmogorovSmirnov(), _normal, 0.2, 0.01, KolmogorovSmirnov()),
    "psi": (PSI(), _normal, 0.2, 0.01, PSI()),
    # the permutation p-value floors at 1/(B+1): enough permutations to survive correction
    "wasserstein": (
        Wasserstein(n_permutations=1000),
        _normal,
        0.2,
        0.01,
        Wasserstein(n_permutations=0),
    ),
    "chi2": (ChiSquare(), _two_levels, 0.1, 0.01, ChiSquare()),
    "jensen_shannon": (
        JensenShannon(n_permutations=1000),
        _two_levels,
        0.1,
        0.01,
        JensenShannon(n_permutations=0),
    ),
    "categorical_psi": (CategoricalPSI(), _two_levels, 0.1, 0.01, CategoricalPSI()),
    "label_proportions": (LabelProportions(), _labels, 0.1, 0.01, LabelProportions()),
    "black_box_shift": (BlackBoxShift(), _probabilities, 0.1, 0.01, BlackBoxShift()),
    "performance_drop": (PerformanceDrop(), _correct, 0.1, 0.002, PerformanceDrop()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_meaningful_shift_is_flagged_at_5000(name: str) -> None:
    test, draw, shift, _, _ = CASES[name]
    result = test.test(*draw(np.random.default_rng(1), 5000, shift))
    assert result.p_value is not None and result.p_value * COLUMNS < result.alpha
    assert result.effect_size >= result.threshold
    assert result.is_drift


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_negligible_shift_is_not_flagged_at_a_million(name: str) -> None:
    _, draw, _, tiny, big_test = CASES[name]
    result = big_test.test(*draw(np.random.default_rng(2), BIG, tiny))
    assert result.effect_size < result.threshold
    assert not result.is_drift


@pytest.mark.slow
def test_domain_classifier_floor() -> None:
    rng = np.random.default_rng(3)
    flagged = DomainClassifier().test(*_frame(rng, 5000, 0.2))
    assert flagged.is_drift and flagged.p_value is not None and flagged.p_value < 0.001
    ignored = DomainClassifier().test(*_frame(rng, BIG // 4, 0.01))
    assert ignored.effect_size < ignored.threshold and not ignored.is_drift
