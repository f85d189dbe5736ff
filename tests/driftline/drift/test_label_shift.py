"""Label proportions and black-box shift detection."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.drift import BlackBoxShift, LabelProportions
from driftline.errors import DataError


def test_total_variation_by_hand() -> None:
    ref = [0] * 500 + [1] * 300 + [2] * 200
    cur = [0] * 400 + [1] * 300 + [2] * 300
    r = LabelProportions().test(ref, cur, column="label")
    assert r.effect_size == pytest.approx(0.5 * (0.1 + 0.0 + 0.1))
    assert r.details["proportions_current"] == {"0": 0.4, "1": 0.3, "2": 0.3}
    assert r.is_drift


def test_missing_labels_are_rejected() -> None:
    with pytest.raises(DataError, match="column 'label': current has 1 missing labels"):
        LabelProportions().test([1, 2], np.array([1, None], dtype=object), column="label")


def _probs(rng: np.random.Generator, prior: list[float], n: int) -> np.ndarray:
    y = rng.choice(len(prior), n, p=prior)
    logits = 2.0 * np.eye(len(prior))[y] + rng.normal(size=(n, len(prior)))
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def test_bonferroni_over_classes() -> None:
    rng = np.random.default_rng(0)
    ref, cur = _probs(rng, [0.4, 0.3, 0.3], 800), _probs(rng, [0.3, 0.3, 0.4], 900)
    r = BlackBoxShift().test(ref, cur)
    per_class = [stats.ks_2samp(ref[:, j], cur[:, j]) for j in range(3)]
    assert r.details["ks_d"] == pytest.approx(tuple(t.statistic for t in per_class))
    assert r.p_value == pytest.approx(min(1.0, 3 * min(t.pvalue for t in per_class)))
    assert r.effect_size == pytest.approx(max(t.statistic for t in per_class))
    assert r.is_drift


def test_labels_mode_uses_argmax_counts() -> None:
    rng = np.random.default_rng(1)
    ref, cur = _probs(rng, [0.5, 0.5], 1000), _probs(rng, [0.3, 0.7], 1000)
    r = BlackBoxShift(mode="labels").test(ref, cur)
    ref_share = np.mean(ref.argmax(axis=1) == 1)
    cur_share = np.mean(cur.argmax(axis=1) == 1)
    assert r.effect_size == pytest.approx(abs(ref_share - cur_share))
    assert r.threshold == 0.05 and r.is_drift


def test_no_shift_no_drift() -> None:
    rng = np.random.default_rng(2)
    r = BlackBoxShift().test(_probs(rng, [0.5, 0.5], 1000), _probs(rng, [0.5, 0.5], 1000))
    assert not r.is_drift
