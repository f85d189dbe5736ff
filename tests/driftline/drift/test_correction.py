"""Adjusted p-values, checked against values computed by hand (statsmodels conventions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.drift import benjamini_hochberg, bonferroni, holm
from driftline.errors import DataError

P = [0.01, 0.04, 0.03, 0.005]
# sorted: 0.005, 0.01, 0.03, 0.04 (original positions 3, 0, 2, 1), m = 4
# Holm: 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06, max(1*0.04, 0.06)=0.06
HOLM = [0.03, 0.06, 0.06, 0.02]
# BH: 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04*4/4=0.04; running min from the top
BH = [0.02, 0.04, 0.04, 0.02]
BONFERRONI = [0.04, 0.16, 0.12, 0.02]


@pytest.mark.parametrize(
    ("func", "expected"), [(holm, HOLM), (benjamini_hochberg, BH), (bonferroni, BONFERRONI)]
)
def test_hand_computed_values(func, expected) -> None:  # type: ignore[no-untyped-def]
    assert func(P) == pytest.approx(expected)


@pytest.mark.parametrize("func", [holm, benjamini_hochberg, bonferroni])
def test_none_and_nan_are_skipped(func) -> None:  # type: ignore[no-untyped-def]
    out = func([None, 0.01, float("nan"), 0.04, 0.03, 0.005])
    assert math.isnan(out[0]) and math.isnan(out[2])
    assert out[[1, 3, 4, 5]] == pytest.approx(func(P))  # m counts only valid p-values


@pytest.mark.parametrize("func", [holm, benjamini_hochberg, bonferroni])
def test_edge_cases(func) -> None:  # type: ignore[no-untyped-def]
    assert func([]).shape == (0,)
    assert np.isnan(func([None])).all()
    assert func([0.5]) == pytest.approx([0.5])
    assert func(np.array([0.9, 0.8, 0.7])).max() <= 1.0
    with pytest.raises(DataError, match="outside \\[0, 1\\]"):
        func([0.1, 1.5])


def test_ordering_of_procedures() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(50) ** 3
    b, h, q = bonferroni(p), holm(p), benjamini_hochberg(p)
    assert (h <= b + 1e-15).all() and (q <= h + 1e-15).all() and (q >= p - 1e-15).all()
    order = np.argsort(p)
    assert (np.diff(h[order]) >= -1e-15).all() and (np.diff(q[order]) >= -1e-15).all()


def test_ties_keep_equal_adjustments() -> None:
    assert holm([0.01, 0.01, 0.5]) == pytest.approx([0.03, 0.03, 0.5])
    assert benjamini_hochberg([0.01, 0.01, 0.5]) == pytest.approx([0.015, 0.015, 0.5])
