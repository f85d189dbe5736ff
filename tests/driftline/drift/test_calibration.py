"""Calibration and power of the dataset-level decision (seeded Monte Carlo runs).

* no shift: disjoint random halves of one data set (200 trials, n = 5,000 per side, 20
  numeric + 5 categorical columns + a binary label): dataset-level false-alarm rate
  at most 0.07 at alpha = 0.05, for Holm and for Benjamini-Hochberg;
* power at n = 5,000 (100 trials each): a 0.2-sd mean shift of one numeric column, a
  10-point frequency shift of one category level, a 10-point change of the label prior;
  each flagged (that column, that kind) in at least 90 trials;
* large samples (n = 1,000,000): a 0.01-sd shift is not flagged, a 0.2-sd shift is.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from driftline.drift.decision import DatasetDrift
from driftline.drift.profile import ReferenceProfile

N_NUMERIC = 20
CAT_LEVELS = (5, 10, 20, 35, 50)
PRIOR = 0.3


def _zipf(k: int) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1) ** 1.1
    return p / p.sum()


def _numeric(i: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Column i: normal, lognormal, uniform or normal mixture at scale 10**(i//4 - 2)."""
    scale = 10.0 ** (i // 4 - 2)
    fam = i % 4
    if fam == 0:
        return rng.normal(3 * scale, scale, n), scale
    if fam == 1:
        s2 = 0.75**2
        return scale * rng.lognormal(0, 0.75, n), scale * np.sqrt((np.exp(s2) - 1) * np.exp(s2))
    if fam == 2:
        return rng.uniform(-scale, 3 * scale, n), 4 * scale / np.sqrt(12)
    first = rng.random(n) < 0.6
    x = np.where(first, rng.normal(0, scale, n), rng.normal(4 * scale, 0.5 * scale, n))
    return x, scale * np.sqrt(0.6 + 0.4 * 16.25 - 1.6**2)


def make_table(
    n: int,
    rng: np.random.Generator,
    *,
    numeric_shift: tuple[int, float] | None = None,
    level_shift: int | None = None,
    prior: float = PRIOR,
) -> pa.Table:
    """20 numeric, 5 categorical columns and label ``y``; optional shifts.

    ``numeric_shift=(i, k)`` moves column ``num_i`` by ``k`` sd; ``level_shift=j`` raises
    the most frequent level of ``cat_j`` by 10 points (the others shrink proportionally).
    """
    cols: dict[str, object] = {}
    for i in range(N_NUMERIC):
        x, sd = _numeric(i, n, rng)
        if numeric_shift is not None and numeric_shift[0] == i:
            x = x + numeric_shift[1] * sd
        cols[f"num_{i:02d}"] = x
    for j, k in enumerate(CAT_LEVELS):
        p = _zipf(k)
        if level_shift == j:
            p = np.concatenate(([p[0] + 0.10], p[1:] * (1 - p[0] - 0.10) / (1 - p[0])))
        idx = rng.choice(k, size=n, p=p).astype(np.int32)
        levels = pa.array([f"l{v:02d}" for v in range(k)])
        cols[f"cat_{j}"] = pa.DictionaryArray.from_arrays(pa.array(idx), levels)
    cols["y"] = (rng.random(n) < prior).astype(np.int64)
    return pa.table(cols)


def _profile(table: pa.Table) -> ReferenceProfile:
    return ReferenceProfile.from_frame(table, target="y")


@pytest.mark.slow
def test_false_alarm_rate_without_shift() -> None:
    rng = np.random.default_rng(2024)
    detectors = {"holm": DatasetDrift(correction="holm"), "bh": DatasetDrift(correction="bh")}
    alarms = dict.fromkeys(detectors, 0)
    trials = 200
    for _ in range(trials):
        data = make_table(10_000, rng)
        perm = rng.permutation(10_000)
        a, b = data.take(perm[:5000]), data.take(perm[5000:])
        profile = _profile(a)
        for name, det in detectors.items():
            report = det.check(profile, b)
            assert len(report.columns) == N_NUMERIC + len(CAT_LEVELS) + 1
            alarms[name] += report.is_drift
    rates = {k: v / trials for k, v in alarms.items()}
    print(f"\nfalse-alarm rate over {trials} trials (alpha = 0.05): {rates}")
    assert rates["holm"] <= 0.07
    assert rates["bh"] <= 0.07


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["numeric 0.2 sd", "category +10 points", "label +10 points"])
def test_power_at_5000(scenario: str) -> None:
    rng = np.random.default_rng({"numeric 0.2 sd": 1, "category +10 points": 2}.get(scenario, 3))
    det = DatasetDrift()
    hits = 0
    trials = 100
    for t in range(trials):
        reference = make_table(5000, rng)
        if scenario == "numeric 0.2 sd":
            column, kind = f"num_{t % N_NUMERIC:02d}", "covariate"
            current = make_table(5000, rng, numeric_shift=(t % N_NUMERIC, 0.2))
        elif scenario == "category +10 points":
            column, kind = f"cat_{t % len(CAT_LEVELS)}", "covariate"
            current = make_table(5000, rng, level_shift=t % len(CAT_LEVELS))
        else:
            column, kind = "y", "label"
            current = make_table(5000, rng, prior=PRIOR + 0.10)
        report = det.check(_profile(reference), current)
        hits += column in report.drifted_columns and kind in report.kinds
    print(f"\npower of '{scenario}' at n = 5000: {hits}/{trials}")
    assert hits >= 90


@pytest.mark.slow
def test_large_samples_flag_relevant_shifts_only() -> None:
    rng = np.random.default_rng(77)
    n = 1_000_000
    profile = _profile(make_table(n, rng))
    det = DatasetDrift()
    tiny = det.check(profile, make_table(n, rng, numeric_shift=(0, 0.01)))
    real = det.check(profile, make_table(n, rng, numeric_shift=(0, 0.2)))
    tiny_col = tiny.column("num_00")
    print(
        f"\nn = 1e6: 0.01 sd -> D = {tiny_col.effect_size:.4f}, p = {tiny_col.p_value:.2g}, "
        f"drifted = {tiny.drifted_columns}; 0.2 sd -> drifted = {real.drifted_columns}"
    )
    assert tiny_col.p_value < 0.05  # significant, yet below the effect floor
    assert not tiny.is_drift
    assert real.drifted_columns == ["num_00"] and real.kinds == ("covariate",)
