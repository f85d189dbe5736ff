"""Backtest label-free mode: never vs label-free adaptation, no labels after the bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.backtest import BacktestConfig, LabelFree, run_backtest
from driftline.errors import ConfigError


def stream(seed: int = 0, n_boot: int = 3000, n_after: int = 6000) -> pd.DataFrame:
    """Label shift after the bootstrap rows: p(x|y) fixed, p(y=1) from 0.5 to 0.15."""
    rng = np.random.default_rng(seed)

    def draw(prior: float, n: int) -> pd.DataFrame:
        y = (rng.random(n) < prior).astype(int)
        x = rng.normal(0, 1, size=(n, 2)) + 1.2 * y[:, None]
        return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})

    return pd.concat([draw(0.5, n_boot), draw(0.15, n_after)], ignore_index=True)


def config(**kw) -> BacktestConfig:
    base = dict(
        target="y",
        batch_size=1000,
        bootstrap_batches=3,
        policies=("never", "label_free"),
        estimator="sgd",
        validate=False,
        label_free=True,
    )
    return BacktestConfig(**{**base, **kw})


def test_label_free_adaptation_beats_never_under_label_shift():
    result = run_backtest(stream(), config())
    table = result.table().set_index("policy")
    never, adapted = table.loc["never", "accuracy"], table.loc["label_free", "accuracy"]
    assert adapted > never + 0.02, table
    run = result.run("label_free")
    assert run.count("recalibrate_priors") >= 1 and run.promotions >= 1
    first = next(s for s in run.steps if s.strategy == "recalibrate_priors")
    est = first.details["prior_estimate"]["priors"][1]
    assert abs(est - 0.15) < 0.05, est
    assert "prior recalibrations" in table.columns
    # never learns nothing: no labels arrive
    assert result.run("never").steps == ()


def test_label_free_mode_refuses_policies_that_need_labels():
    with pytest.raises(ConfigError, match="needs labels"):
        config(policies=("never", "driftline")).check()
    with pytest.raises(ConfigError, match="label-free"):
        config(label_free=False).check()
    with pytest.raises(ConfigError, match="alpha"):
        LabelFree(alpha=2).validate()
