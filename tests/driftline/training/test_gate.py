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
