"""Classifier two-sample test: mixed columns, probabilities, guards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.drift import DomainClassifier
from driftline.drift.domain_classifier import MAX_LEVELS, FrameEncoder, _auc_test
from driftline.errors import DataError, ModelError


def _frame(rng: np.random.Generator, n: int, p_b: float = 0.3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "flag": rng.random(n) < 0.5,
            "cat": rng.choice(["a", "b", "c"], n, p=[0.7 - p_b, p_b, 0.3]),
        }
    )


def test_shift_in_a_categorical_column_only() -> None:
    rng = np.random.default_rng(0)
    r = DomainClassifier().test(_frame(rng, 800, 0.1), _frame(rng, 800, 0.4))
    assert r.is_drift and r.details["categorical_columns"] == ("cat",)
    assert r.statistic == pytest.approx(r.effect_size + 0.5)


def test_missing_values_and_missingness_shift() -> None:
    rng = np.random.default_rng(1)
    ref, cur = _frame(rng, 800), _frame(rng, 800)
    cur.loc[rng.random(800) < 0.4, "x"] = np.nan  # only missingness changes
    r = DomainClassifier().test(ref, cur)
    assert r.is_drift


def test_domain_probabilities_and_density_ratio() -> None:
    rng = np.random.default_rng(2)
    ref, cur = _frame(rng, 600), _frame(rng, 600)
    cur["x"] += 1.5
    test = DomainClassifier()
    with pytest.raises(ModelError, match="call test"):
        test.domain_probabilities(ref)
    test.test(ref, cur)
    p_ref, p_cur = test.domain_probabilities(ref), test.domain_probabilities(cur)
    assert ((0 <= p_ref) & (p_ref <= 1)).all() and p_cur.mean() > p_ref.mean() + 0.2
    ratio = test.density_ratio(cur)
    assert ratio.shape == (600,) and (ratio >= 0).all() and ratio.max() <= 20.0
    with pytest.raises(DataError, match="lacks the columns"):
        test.domain_probabilities(ref.drop(columns="cat"))


def test_unseen_and_high_cardinality_levels() -> None:
    rng = np.random.default_rng(3)
    ids = np.array([f"id{i}" for i in range(400)])
    ref = pd.DataFrame({"id": ids[rng.integers(0, 400, 1000)], "x": rng.normal(size=1000)})
    cur = pd.DataFrame({"id": ids[rng.integers(0, 400, 1000)], "x": rng.normal(size=1000)})
    encoder = FrameEncoder.fit(pd.concat([ref, cur]))
    assert len(encoder.levels["id"]) == MAX_LEVELS
    codes = encoder.transform(pd.DataFrame({"id": ["never-seen", None], "x": [0.0, 1.0]}))
    assert codes[0, 0] == MAX_LEVELS and np.isnan(codes[1, 0])  # "other" code, missing
    r = DomainClassifier().test(ref, cur)
    assert 0 <= r.p_value <= 1


def test_subsampling_bounds_rows() -> None:
    rng = np.random.default_rng(4)
    r = DomainClassifier(max_rows=300).test(_frame(rng, 2000), _frame(rng, 500))
    assert r.details["n_train"] + r.details["n_test"] == 600
    assert (r.n_reference, r.n_current) == (2000, 500)


def test_auc_and_mann_whitney_by_hand() -> None:
    auc, p = _auc_test(np.array([0.9, 0.8, 0.4]), np.array([0.7, 0.3, 0.2]))
    assert auc == pytest.approx(8 / 9)  # 8 of the 9 pairs are ordered correctly
    assert 0 < p < 0.2
    assert _auc_test(np.ones(5), np.ones(5)) == (0.5, 1.0)


def test_deterministic_under_seed_and_numpy_input() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    assert DomainClassifier(seed=3).test(a, b) == DomainClassifier(seed=3).test(a, b)
