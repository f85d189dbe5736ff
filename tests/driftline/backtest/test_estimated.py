"""The policy that acts on the estimated performance before labels arrive, replayed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.backtest import BacktestConfig, make_policy
from driftline.backtest.estimated import EstimatedDropPolicy, replay
from driftline.errors import ConfigError


def stream(seed: int = 0, n_batches: int = 10, size: int = 300) -> pd.DataFrame:
    """Fixed p(y|x); from batch 6 on the rows sit near the decision boundary (harder)."""
    rng = np.random.default_rng(seed)
    parts = []
    for b in range(n_batches):
        x = rng.normal(0, 1, (4 * size, 2))
        logit = 2.0 * x[:, 0] - x[:, 1]
        if b >= 6:
            x = x[np.abs(logit) < 0.8][:size]
            logit = 2.0 * x[:, 0] - x[:, 1]
        else:
            x, logit = x[:size], logit[:size]
        y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
        parts.append(pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "y": y}))
    return pd.concat(parts, ignore_index=True)


def config(**extra) -> BacktestConfig:
    return BacktestConfig(target="y", batch_size=300, bootstrap_batches=3, label_delay=4,
                          estimator="sgd", validate=False, **extra)  # fmt: skip


@pytest.fixture(scope="module")
def result():
    cfg = config()
    policies = [make_policy("driftline", cfg), EstimatedDropPolicy(labelled=cfg.policy_defaults)]
    return replay(stream(), cfg, policies), policies


def test_the_drop_is_seen_before_the_labels_and_acted_on(result):
    res, (wait, acting) = result
    assert [r.label for r in res.runs] == ["driftline", "estimated (recalibrate_priors)"]
    early = [s for s in res.run("estimated").steps if s.details.get("estimate")]
    assert len(early) == len(res.batch_ids) and early[0].batch_id == "batch-0003"
    assert all(s.scored_through == s.index for s in early)
    before = [s for s in early if s.index < 6]
    after = [s for s in early if s.index >= 6]
    assert not any(s.details["drop"]["drop"] for s in before)
    assert all(s.details["drop"]["drop"] for s in after[:1])  # the first hard batch
    first = after[0]
    assert (
        first.action == "recalibrate_priors" and "below the champion's hold-out" in first.reasons[0]
    )
    est = first.details["estimate"]
    assert est["method"] == "cbpe" and est["value"] < 0.8 * est["reference_value"]
    # the labels of that batch arrive 4 batches later: the waiting policy has seen nothing yet
    assert not [s for s in res.run("driftline").steps if s.index >= 6 and s.scored_through < 9]


def test_the_labels_are_never_read_when_estimating():
    cfg = config()
    frame = stream()
    garbled = frame.assign(y=np.random.default_rng(9).permutation(frame.y.to_numpy()))
    garbled.loc[: 3 * 300 - 1, "y"] = frame.y[: 3 * 300]  # same bootstrap labels
    a, b = (EstimatedDropPolicy(labelled=cfg.policy_defaults) for _ in range(2))
    replay(frame, cfg, [a])
    replay(garbled, cfg, [b])
    estimates = [[s.details["estimate"]["value"] for s in p.early_steps[:4]] for p in (a, b)]
    assert estimates[0] == estimates[1]  # before any label arrives, identical


def test_bad_parameters_are_refused():
    cfg = config()
    with pytest.raises(ConfigError, match="action"):
        replay(stream(n_batches=8), cfg, [EstimatedDropPolicy(action="full_retrain")])
    with pytest.raises(ConfigError, match="fraction"):
        replay(stream(n_batches=8), cfg, [EstimatedDropPolicy(floor=2.0)])
