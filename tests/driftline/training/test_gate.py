import numpy as np
import pytest

from driftline.errors import ConfigError
from driftline.training import BootstrapGate, GateResult, McNemarGate, build_pipeline
from driftline.training.gate import bootstrap_means


def predictions(n, acc, y, rng):
    """Labels that are right with probability ``acc`` (binary)."""
    return np.where(rng.random(n) < acc, y, 1 - y)


@pytest.fixture
def pair():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 3000)
    return y, predictions(3000, 0.70, y, rng), predictions(3000, 0.80, y, rng)


GATES = [BootstrapGate(n_boot=1000, seed=3), McNemarGate()]


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.method)
def test_accepts_a_clearly_better_challenger(gate, pair):
    y, worse, better = pair
    result = gate.compare(y, worse, better)
    assert result.promote
    assert result.diff == pytest.approx(np.mean(better == y) - np.mean(worse == y))
    assert result.ci_low > 0 and result.p_value < 0.05


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.method)
def test_refuses_a_worse_challenger(gate, pair):
    y, worse, better = pair
    result = gate.compare(y, better, worse)
    assert not result.promote and result.diff < 0
    assert "not significantly" in result.reason


@pytest.mark.parametrize("gate_cls", [BootstrapGate, McNemarGate])
def test_refuses_an_improvement_within_the_margin(gate_cls, pair):
    y, worse, better = pair  # true improvement 0.10
    assert not gate_cls(margin=0.15).compare(y, worse, better).promote


def test_refuses_equal_models():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 1000)
    same = predictions(1000, 0.8, y, rng)
    assert not BootstrapGate().compare(y, same, same).promote
    assert not McNemarGate().compare(y, same, same).promote


def test_a_small_noisy_gain_is_not_enough():
    # 60 rows, challenger right on 3 more rows: not significant
    y = np.ones(60, dtype=int)
    champion = np.r_[np.ones(45), np.zeros(15)].astype(int)
    challenger = np.r_[np.ones(48), np.zeros(12)].astype(int)
    result = BootstrapGate().compare(y, champion, challenger)
    assert result.diff == pytest.approx(0.05) and not result.promote


def test_deterministic_for_a_seed(pair):
    y, worse, better = pair
    a = BootstrapGate(seed=7, n_boot=500).compare(y, worse, better)
    b = BootstrapGate(seed=7, n_boot=500).compare(y, worse, better)
    c = BootstrapGate(seed=8, n_boot=500).compare(y, worse, better)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)


def test_too_small_holdout_is_refused(pair):
    y, worse, better = pair
    result = BootstrapGate(min_rows=50).compare(y[:20], worse[:20], better[:20])
    assert not result.promote and "min_rows" in result.reason and result.n == 20
    fresh = BootstrapGate(min_rows=50, test="not_worse").compare(y[:20], better[:20], worse[:20])
    assert fresh.promote and "promoted on fresher data" in fresh.reason


def test_regression_metric_mae():
    rng = np.random.default_rng(4)
    y = rng.normal(size=500)
    good, bad = y + rng.normal(0, 0.1, 500), y + rng.normal(0, 1.0, 500)
    result = BootstrapGate(metric="mae").compare(y, bad, good)
    assert result.promote
    assert result.challenger_score < result.champion_score  # MAE is reported as MAE
    assert not BootstrapGate(metric="mae").compare(y, good, bad).promote


def test_log_loss_metric():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 800)
    sharp = np.where(y[:, None] == [0, 1], 0.8, 0.2)
    flat = np.full((800, 2), 0.5)
    assert BootstrapGate(metric="log_loss").compare(y, flat, sharp, classes=[0, 1]).promote
    assert not BootstrapGate(metric="log_loss").compare(y, sharp, flat, classes=[0, 1]).promote


@pytest.mark.parametrize(
    "gate, needle",
    [
        (BootstrapGate(margin=-0.01), "margin"),
        (BootstrapGate(metric="f1"), "metric"),
        (BootstrapGate(alpha=0.7), "alpha"),
        (BootstrapGate(n_boot=10), "n_boot"),
        (McNemarGate(metric="mae"), "metric"),
    ],
)
def test_invalid_gates(gate, needle):
    with pytest.raises(ConfigError, match=needle):
        gate.compare([1, 0], [1, 0], [1, 0])


def test_multinomial_shortcut_matches_row_resampling():
    rng = np.random.default_rng(6)
    d = rng.choice([-1.0, 0.0, 1.0], 400, p=[0.2, 0.5, 0.3])
    fast = bootstrap_means(d, 4000, np.random.default_rng(0))
    idx = np.random.default_rng(1).integers(0, 400, (4000, 400))
    slow = d[idx].mean(axis=1)
    assert fast.mean() == pytest.approx(slow.mean(), abs=0.005)
    assert fast.std() == pytest.approx(slow.std(), rel=0.08)
    cont = bootstrap_means(rng.normal(size=300), 500, np.random.default_rng(0))
    assert cont.shape == (500,)


def test_evaluate_scores_fitted_models(frames, spec):
    train, hold = frames(600, 0), frames(400, 1)
    good = build_pipeline(spec).fit(train, train["y"])
    shuffled = train.assign(y=np.random.default_rng(0).permutation(train["y"].to_numpy()))
    bad = build_pipeline(spec).fit(shuffled, shuffled["y"])
    assert BootstrapGate().evaluate(bad, good, hold, spec).promote
    assert not BootstrapGate().evaluate(good, bad, hold, spec).promote
    with pytest.raises(ConfigError, match="regression|classification"):
        BootstrapGate(metric="mae").evaluate(bad, good, hold, spec)


def test_result_round_trip(pair):
    y, worse, better = pair
    r = BootstrapGate().compare(y[:10], worse[:10], better[:10])  # NaNs (too few rows)
    again = GateResult.from_dict(r.to_dict())
    assert again.reason == r.reason and np.isnan(again.ci_low)


# -- the three tests of the gate ------------------------------------------------------


def test_not_worse_promotes_an_equal_fresh_challenger_and_refuses_a_clearly_worse_one(pair):
    y, worse, better = pair
    gate = BootstrapGate(test="not_worse", n_boot=1000)
    same = gate.compare(y[:200], better[:200], better[:200])
    assert same.promote and same.test == "not_worse" and "not significantly below" in same.reason
    refused = gate.compare(y, better, worse)  # 10 points worse on 3000 rows
    assert not refused.promote and refused.ci_high < 0 and refused.p_value < 0.05


def test_non_inferiority_needs_evidence_of_at_most_the_margin_lost(pair):
    y, worse, better = pair
    gate = BootstrapGate(test="non_inferiority", margin=0.02, n_boot=1000)
    rng = np.random.default_rng(5)
    twin = predictions(3000, 0.80, y, rng)  # as good as `better`, other mistakes
    assert gate.compare(y, better, twin).promote  # equal on 3000 rows: proven within 2 pt
    assert not gate.compare(y[:60], better[:60], twin[:60]).promote  # 60 rows prove little
    assert not gate.compare(y, better, worse).promote


def test_not_worse_false_refusal_rate_of_equal_models_is_at_most_alpha():
    """Two equally good models: the not-worse gate refuses at most about alpha of the time."""
    rng = np.random.default_rng(11)
    refusals, trials = 0, 300
    gate = BootstrapGate(test="not_worse", n_boot=500)
    for _ in range(trials):
        y = rng.integers(0, 2, 300)
        a, b = predictions(300, 0.8, y, rng), predictions(300, 0.8, y, rng)
        refusals += not gate.compare(y, a, b).promote
    assert refusals / trials <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / trials)


def test_not_worse_catches_a_five_point_loss_on_a_few_hundred_rows():
    rng = np.random.default_rng(12)
    caught, trials = 0, 200
    gate = BootstrapGate(test="not_worse", n_boot=500)
    for _ in range(trials):
        y = rng.integers(0, 2, 600)
        champion = predictions(600, 0.85, y, rng)
        challenger = np.where(rng.random(600) < 0.06, 1 - champion, champion)  # ~5 pt worse
        caught += not gate.compare(y, champion, challenger).promote
    assert caught / trials >= 0.8


def test_relative_margin_scales_with_the_champions_mae():
    rng = np.random.default_rng(3)
    y = rng.normal(100, 10, 500)
    champion = y + rng.normal(0, 5, 500)  # MAE about 4
    challenger = y + rng.normal(0, 5.1, 500)
    gate = BootstrapGate(metric="mae", test="non_inferiority", margin=0.1, relative_margin=True)
    result = gate.compare(y, champion, challenger)
    assert result.margin == pytest.approx(0.1 * result.champion_score)
    assert result.promote


@pytest.mark.parametrize(
    "kwargs, match",
    [({"test": "better"}, "test"), ({"margin": True}, "margin"), ({"margin": -0.1}, "margin")],
)
def test_invalid_test_and_margin(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        BootstrapGate(**kwargs).validate()
    with pytest.raises(ConfigError, match="test"):
        McNemarGate(test="not_worse").validate()


def test_result_round_trip_keeps_the_test():
    result = BootstrapGate(test="not_worse").compare(np.ones(40), np.ones(40), np.ones(40))
    assert GateResult.from_dict(result.to_dict()).test == "not_worse"


def test_block_bootstrap_keeps_the_false_refusal_rate_on_rows_that_come_in_runs():
    """Equal models whose disagreements come in runs of 12 rows (time-ordered data).

    The row bootstrap treats 300 rows as 300 independent pieces of evidence and refuses
    a fair challenger about a quarter of the time; the block bootstrap (automatic block
    length) refuses it less than a tenth of the time (measured 0.077, 300 trials; the
    remaining excess over alpha is the percentile bootstrap's on 25 independent runs).
    """
    rng = np.random.default_rng(21)
    refused = {"auto": 0, 1: 0}
    trials = 300
    for _ in range(trials):
        y = np.repeat(rng.integers(0, 2, 25), 12)
        a = np.where(np.repeat(rng.random(25) < 0.8, 12), y, 1 - y)
        b = np.where(np.repeat(rng.random(25) < 0.8, 12), y, 1 - y)
        for block in refused:
            gate = BootstrapGate(test="not_worse", n_boot=500, block=block)
            refused[block] += not gate.compare(y, a, b).promote
    assert refused["auto"] / trials <= 0.10
    assert refused[1] / trials >= 2 * refused["auto"] / trials
