"""Small synthetic labelled batches for the training tests (no shipped data needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.training import ModelSpec


def make_frame(
    n: int, seed: int, *, flip: bool = False, shift: float = 0.0, target: str = "y"
) -> pd.DataFrame:
    """Two numeric and one categorical feature; ``y`` follows a logistic rule.

    ``flip`` reverses the rule (concept drift); ``shift`` moves ``x1`` (covariate shift).
    """
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(shift, 1.0, n),
            "x2": rng.normal(0.0, 1.0, n),
            "c": rng.choice(["a", "b", "c"], n),
        }
    )
    logit = 2.0 * df["x1"] - 1.5 * df["x2"] + np.where(df["c"] == "a", 1.0, -0.5)
    if flip:
        logit = -logit
    df[target] = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return df


@pytest.fixture(scope="session")
def frames():
    """The :func:`make_frame` factory."""
    return make_frame


@pytest.fixture
def spec() -> ModelSpec:
    return ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))


@pytest.fixture(autouse=True)
def _one_thread():
    """Single-threaded BLAS/OpenMP: on a small, busy machine OpenMP spin-waits dominate."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
