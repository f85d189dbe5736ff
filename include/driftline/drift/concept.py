"""Concept drift as a drop in model performance on newly labelled data.

Compares the model's performance on its reference data (e.g. the validation set it was
promoted on) with its performance on a freshly labelled batch. Inputs per side are a
0/1 correctness vector (1 = correct) or a ``(y_true, y_pred)`` pair. The effect size is
the drop ``metric_reference - metric_current`` (higher-is-better metrics).

* Accuracy (default): one-sided pooled two-proportion z-test (H1: current accuracy is
  lower). The bootstrap confidence interval of the drop (Efron & Tibshirani, 1993,
  percentile method) resamples each side independently; for a mean of 0/1 values a
  bootstrap resample's mean is exactly ``Binomial(n, p_hat) / n``, so ``n_bootstrap``
  replicates cost O(n_bootstrap), not O(n_bootstrap x n).
* Any other metric ``metric(y_true, y_pred) -> float``: the same percentile bootstrap,
  computed by resampling rows, and the one-sided bootstrap p-value
  ``(1 + #{drop* <= 0}) / (1 + B)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from driftline.drift.base import DriftTest, _Computed, _is_int, _is_real
from driftline.errors import DataError, fail

Metric = Callable[[np.ndarray, np.ndarray], float]


class PerformanceDrop(DriftTest):
    """Drop of accuracy (or of ``metric``) from the reference to a new labelled batch.

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    metric : callable or None
        ``metric(y_true, y_pred)``, higher is better; ``None`` is accuracy. A metric needs
        ``(y_true, y_pred)`` pairs as inputs.
    n_bootstrap : int
        Bootstrap replicates for the confidence interval (and the p-value of a metric).
    confidence : float
        Level of the two-sided confidence interval of the drop.
    seed : int
        Seed of the bootstrap.

    Default floor: a drop of 0.02 (2 accuracy points). At n = 5000 per side the standard
    error of an accuracy difference is under 0.01, so real drops of 5 points and more are
    flagged, while a 0.2-point drop at n = 1,000,000 is not.

    >>> rng = np.random.default_rng(0)
    >>> ref = rng.random(2000) < 0.85
    >>> r = PerformanceDrop().test(ref, rng.random(2000) < 0.75)
    >>> r.is_drift, r.details["ci_low"] > 0
    (True, True)
    """

    kind: ClassVar[str] = "concept"
    input_type: ClassVar[str] = "outcomes"
    method: ClassVar[str] = "performance_drop"
    effect_size_name: ClassVar[str] = "metric_drop"
    default_threshold: ClassVar[float] = 0.02
    reference: ClassVar[str] = (
        "Gama et al. (2014), A survey on concept drift adaptation; "
        "Efron & Tibshirani (1993), bootstrap confidence intervals"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        metric: Metric | None = None,
        n_bootstrap: int = 2000,
        confidence: float = 0.95,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha, threshold)
        self.metric = metric
        self.n_bootstrap = n_bootstrap
        self.confidence = confidence
        self.seed = seed

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("metric", self.metric is None or callable(self.metric), "None or a callable"),
            ("n_bootstrap", _is_int(self.n_bootstrap, 10), "an integer >= 10"),
            (
                "confidence",
                _is_real(self.confidence) and 0 < self.confidence < 1,
                "a number in (0, 1)",
            ),
            ("seed", _is_int(self.seed, 0), "an integer >= 0"),
        )

    def _compute(self, reference: Any, current: Any) -> _Computed:
        if self.metric is None:
            return self._accuracy(_correct(reference), _correct(current))
        if not isinstance(reference, tuple):
            raise DataError(
                fail(
                    "PerformanceDrop with a metric got correctness vectors",
                    "pass (y_true, y_pred) pairs for both sides, or use metric=None",
                )
            )
        return self._metric(reference, current)

    def _accuracy(self, ref: np.ndarray, cur: np.ndarray) -> _Computed:
        n, m = len(ref), len(cur)
        acc_ref, acc_cur = float(ref.mean()), float(cur.mean())
        drop = acc_ref - acc_cur
        pooled = (ref.sum() + cur.sum()) / (n + m)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
        z = drop / se if se > 0 else 0.0
        p_value = float(stats.norm.sf(z)) if se > 0 else (0.0 if drop > 0 else 1.0)
        rng = np.random.default_rng(self.seed)
        boot = (
            rng.binomial(n, acc_ref, self.n_bootstrap) / n
            - rng.binomial(m, acc_cur, self.n_bootstrap) / m
        )
        return self._computed(z, p_value, acc_ref, acc_cur, boot, "accuracy")

    def _metric(self, reference: tuple, current: tuple) -> _Computed:
        metric = self.metric
        assert metric is not None
        value_ref = float(metric(*reference))
        value_cur = float(metric(*current))
        rng = np.random.default_rng(self.seed)
        boot = np.empty(self.n_bootstrap)
        n, m = len(reference[0]), len(current[0])
        for b in range(self.n_bootstrap):
            i = rng.integers(0, n, n)
            j = rng.integers(0, m, m)
            boot[b] = metric(reference[0][i], reference[1][i]) - metric(
                current[0][j], current[1][j]
            )
        p_value = (1 + int((boot <= 0).sum())) / (1 + self.n_bootstrap)
        name = getattr(metric, "__name__", "metric")
        return self._computed(value_ref - value_cur, p_value, value_ref, value_cur, boot, name)

    def _computed(
        self,
        statistic: float,
        p_value: float,
        ref_value: float,
        cur_value: float,
        boot: np.ndarray,
        name: str,
    ) -> _Computed:
        tail = (1 - self.confidence) / 2
        low, high = np.quantile(boot, [tail, 1 - tail])
        return _Computed(
            statistic=float(statistic),
            p_value=p_value,
            effect_size=ref_value - cur_value,
            details={
                "metric": name,
                "reference_value": ref_value,
                "current_value": cur_value,
                "ci_low": float(low),
                "ci_high": float(high),
                "confidence": self.confidence,
            },
        )


def _correct(outcomes: Any) -> np.ndarray:
    if isinstance(outcomes, tuple):
        y_true, y_pred = outcomes
        return (y_true == y_pred).astype(np.float64)
    return outcomes
