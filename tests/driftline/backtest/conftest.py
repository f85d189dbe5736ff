"""Synthetic labelled streams for the backtest tests (small, seeded, fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_stream(
    n_batches: int, batch_size: int, *, flip_at: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """Two numeric features and one categorical; ``y`` follows a noisy linear rule.

    From batch ``flip_at`` on the rule is reversed (an abrupt concept change: P(x) stays,
    P(y|x) flips).
    """
    rng = np.random.default_rng(seed)
    n = n_batches * batch_size
    df = pd.DataFrame(
        {
            "x1": rng.normal(0.0, 1.0, n),
            "x2": rng.normal(0.0, 1.0, n),
            "c": rng.choice(["a", "b"], n),
        }
    )
    logit = 3.0 * df["x1"] - 2.0 * df["x2"] + np.where(df["c"] == "a", 0.5, -0.5)
    if flip_at is not None:
        logit = np.where(np.arange(n) >= flip_at * batch_size, -logit, logit)
    df["y"] = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return df


@pytest.fixture(scope="session")
def stream():
    """The :func:`make_stream` factory."""
    return make_stream


@pytest.fixture(autouse=True)
def _one_thread():
    """Single-threaded BLAS/OpenMP: on a small, busy machine OpenMP spin-waits dominate."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def small_config():
    """A factory of fast backtest configurations (SGD model, no validation)."""
    from driftline.backtest import BacktestConfig

    def make(policies=("never",), **kwargs) -> BacktestConfig:
        options = {
            "target": "y",
            "batch_size": 200,
            "bootstrap_batches": 2,
            "estimator": "sgd",
            "validate": False,
            "match_periodic": False,
            "policies": tuple(policies),
            **kwargs,
        }
        return BacktestConfig(**options)

    return make
