"""Direct loss estimation (DLE) of a regressor's mean absolute error without labels.

A regressor gives no confidence to read an expected error off, so DLE (NannyML's method
for regression: "How it works: performance estimation", Direct Loss Estimation, in the
NannyML documentation) *learns* it: a second, small model — the "nanny" — is fitted on
the labelled hold-out to predict the champion's absolute error ``|y - yhat|`` from the
features and the champion's prediction. On a new batch the estimated MAE is the mean of
its predicted errors. The nanny is scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingRegressor` (gradient boosting, Friedman,
2001; histogram-based as LightGBM, Ke et al., 2017, which NannyML uses) with squared loss,
so it predicts the conditional *mean* of the absolute error, kept small (few, shallow
trees, strong leaves) because a hold-out has a few hundred rows.

Like CBPE it assumes ``p(y | x)`` unchanged: it extrapolates the hold-out's error pattern
to rows of a shifted ``p(x)``. Under concept drift (the function changes) it cannot see
the new errors. Tree models also predict a constant outside the feature range they were
fitted on, so a batch far outside the hold-out gets the error of the hold-out's edge.

The band's batch part is the spread of the absolute errors around the nanny's
predictions on the hold-out, ``sd / sqrt(n)`` (:mod:`driftline.estimate.base`).

>>> rng = np.random.default_rng(0)
>>> def draw(n, shift):
...     x = rng.normal(shift, 1.0, n)
...     y = np.sin(x) + rng.normal(0, 0.1 + 0.2 * np.abs(x), n)   # noisier far from 0
...     f = pd.DataFrame({"x": x})
...     return Scored(np.sin(x), features=f, labels=y)             # the champion: sin(x)
>>> est = DLE(seed=0).fit(draw(2000, 0.0))
>>> current = draw(1000, 1.0)                                     # covariate shift
>>> e = est.estimate(current)["mae"]
>>> truth = est.realized(current)["mae"]
>>> abs(e.value - truth) / truth < 0.1, e.value > e.reference_value
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, fail
from driftline.estimate.base import PerformanceEstimator, bootstrap_indices, nan_sd
from driftline.estimate.scored import Scored

_MAX_CATEGORIES = 250  # HistGradientBoosting's limit for a categorical feature, with room


class DLE(PerformanceEstimator):
    """Direct loss estimation of the MAE (module docstring).

    Parameters
    ----------
    max_iter : int
        Boosting iterations of the nanny model.
    learning_rate : float
        Its shrinkage.
    max_leaf_nodes, min_samples_leaf : int
        Size of each tree and the fewest rows per leaf.
    metrics, confidence, n_draws, min_rows, seed
        See :class:`~driftline.estimate.base.PerformanceEstimator` (metrics: ``("mae",)``).
    """

    method = "dle"
    citation = "NannyML, Direct Loss Estimation (How it works: performance estimation)"
    supported = ("mae",)

    def __init__(
        self,
        *,
        max_iter: int = 40,
        learning_rate: float = 0.15,
        max_leaf_nodes: int = 8,
        min_samples_leaf: int = 20,
        metrics: Sequence[str] | None = None,
        confidence: float = 0.95,
        n_draws: int = 200,
        min_rows: int = 30,
        seed: int = 0,
    ) -> None:
        super().__init__(
            metrics=metrics, confidence=confidence, n_draws=n_draws, min_rows=min_rows, seed=seed
        )
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.columns: tuple[str, ...] = ()
        self._categories: dict[str, pd.Index] = {}
        self._nanny: Any = None
        self._resid_sd = 0.0

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        def positive_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= 1

        return (
            ("max_iter", positive_int(self.max_iter), "an integer >= 1"),
            (
                "learning_rate",
                isinstance(self.learning_rate, int | float) and 0 < self.learning_rate <= 1,
                "a number in (0, 1]",
            ),
            (
                "max_leaf_nodes",
                positive_int(self.max_leaf_nodes) and self.max_leaf_nodes >= 2,
                "an integer >= 2",
            ),
            ("min_samples_leaf", positive_int(self.min_samples_leaf), "an integer >= 1"),
        )

    # -- hooks ------------------------------------------------------------------------

    def _check(self, scored: Scored, *, reference: bool) -> None:
        if scored.features is None:
            raise DataError(
                fail("DLE needs the feature rows", "build the input with Scored.of(model, frame)")
            )
        if len(scored.features) != scored.n:
            raise DataError(
                fail(
                    f"{len(scored.features)} feature rows for {scored.n} predictions",
                    "pass the features of the scored rows",
                )
            )
        if self.columns:
            missing = [c for c in self.columns if c not in scored.features.columns]
            if missing:
                raise DataError(
                    fail(f"feature column(s) {missing} are missing", "pass the model's features")
                )
        _numbers("predictions", scored.predictions)
        if reference and scored.labels is not None:
            _numbers("labels", scored.labels)

    def _fit(self, reference: Scored) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        assert reference.features is not None and reference.labels is not None
        self.columns = tuple(str(c) for c in reference.features.columns)
        self._categories = {
            c: pd.Index(reference.features[c].dropna().unique())
            for c in self.columns
            if not pd.api.types.is_numeric_dtype(reference.features[c])
        }
        X, categorical = self._design(reference)
        error = _abs_error(reference)
        self._nanny = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=1.0,
            categorical_features=categorical if categorical.any() else None,
            early_stopping=False,
            random_state=self.seed,
        ).fit(X, error)
        self._resid_sd = float(np.std(error - self._predict(X), ddof=1))

    def _realized(self, scored: Scored) -> dict[str, float]:
        return {"mae": float(_abs_error(scored).mean())}

    def _reference_sd(self, reference: Scored, rng: np.random.Generator) -> dict[str, float]:
        error = _abs_error(reference)
        means = error[bootstrap_indices(len(error), self.n_draws, rng)].mean(axis=1)
        return {"mae": nan_sd(means)}

    def _estimate(
        self, current: Scored, rng: np.random.Generator
    ) -> dict[str, tuple[float, float]]:
        X, _ = self._design(current)
        predicted = self._predict(X)
        return {"mae": (float(predicted.mean()), self._resid_sd / np.sqrt(current.n))}

    # -- helpers ----------------------------------------------------------------------

    def _design(self, scored: Scored) -> tuple[np.ndarray, np.ndarray]:
        """Features (categories as codes of the reference's levels) and the prediction."""
        assert scored.features is not None
        frame = scored.features
        X = np.empty((len(frame), len(self.columns) + 1), dtype=np.float64)
        numeric = [i for i, c in enumerate(self.columns) if c not in self._categories]
        if numeric:
            block = frame[[self.columns[i] for i in numeric]]
            try:
                X[:, numeric] = block.to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                X[:, numeric] = block.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
        categorical = np.zeros(X.shape[1], dtype=bool)
        for i, c in enumerate(self.columns):
            if c in self._categories:
                codes = self._categories[c].get_indexer(frame[c]).astype(np.float64)
                codes[codes < 0] = np.nan  # a level the hold-out never had: missing
                X[:, i] = codes
                categorical[i] = len(self._categories[c]) <= _MAX_CATEGORIES
        X[:, -1] = np.asarray(scored.predictions, dtype=np.float64)
        return X, categorical

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.maximum(self._nanny.predict(X), 0.0)


def _abs_error(scored: Scored) -> np.ndarray:
    assert scored.labels is not None
    return np.abs(
        np.asarray(scored.labels, dtype=np.float64) - np.asarray(scored.predictions, np.float64)
    )


def _numbers(what: str, values: Any) -> None:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(fail(f"the {what} are not numbers", "DLE estimates regressors")) from None
    if not np.isfinite(x).all():
        raise DataError(fail(f"the {what} have missing or infinite values", "drop those rows"))
