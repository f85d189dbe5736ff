"""Two-sample Kolmogorov-Smirnov test (Kolmogorov, 1933; Smirnov, 1948).

``D = max_x |F_ref(x) - F_cur(x)|``, computed by sorting each sample once and evaluating
both empirical CDFs at every pooled value with :func:`numpy.searchsorted` (ties handled
as in :func:`scipy.stats.ks_2samp`). The p-value is exact (scipy's
``ks_2samp(method="exact")``) when both samples have at most ``EXACT_MAX_N`` values and
otherwise Smirnov's asymptotic distribution, as scipy's ``method="auto"`` does.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np
from scipy import stats

from driftline.drift.base import DriftTest, _Computed

EXACT_MAX_N = 10_000


def ks_statistic(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """KS distance of two *sorted* samples.

    >>> round(ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5])), 4)
    0.6667
    """
    pooled = np.concatenate([reference_sorted, current_sorted])
    cdf_ref = np.searchsorted(reference_sorted, pooled, side="right") / len(reference_sorted)
    cdf_cur = np.searchsorted(current_sorted, pooled, side="right") / len(current_sorted)
    return float(np.max(np.abs(cdf_ref - cdf_cur)))


def ks_p_value(d: float, n_reference: int, n_current: int) -> float:
    """Two-sided p-value of the KS distance ``d`` (Smirnov's asymptotic distribution)."""
    en = n_reference * n_current / (n_reference + n_current)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def ks_two_sample(
    reference_sorted: np.ndarray, current_sorted: np.ndarray
) -> tuple[float, float, str]:
    """``(D, p_value, p_method)`` of two *sorted* samples; exact p up to ``EXACT_MAX_N``."""
    d = ks_statistic(reference_sorted, current_sorted)
    n, m = len(reference_sorted), len(current_sorted)
    if max(n, m) > EXACT_MAX_N:
        return d, ks_p_value(d, n, m), "asymptotic"
    with warnings.catch_warnings():  # scipy falls back to asymptotic and says so
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(stats.ks_2samp(reference_sorted, current_sorted, method="exact").pvalue)
    return d, p_value, "exact"


class KolmogorovSmirnov(DriftTest):
    """Two-sample KS test of a numeric column; the effect size is D itself.

    Default floor D >= 0.04: the smallest shift worth flagging is taken to be 0.1 reference
    standard deviations, and a 0.1-sd location shift of a normal distribution gives
    ``D = 2 * Phi(0.05) - 1 = 0.040``. A 0.2-sd shift (D = 0.080, sd of its estimate
    about 0.01 at n = 5000) is flagged; a 0.01-sd shift (D = 0.004) is not, even at
    n = 1,000,000 where its p-value is tiny.

    >>> rng = np.random.default_rng(0)
    >>> r = KolmogorovSmirnov().test(rng.normal(size=1000), rng.normal(0.3, 1, size=1000))
    >>> r.is_drift, r.effect_size > 0.04
    (True, True)
    """

    kind: ClassVar[str] = "numeric"
    input_type: ClassVar[str] = "numeric"
    method: ClassVar[str] = "kolmogorov_smirnov"
    effect_size_name: ClassVar[str] = "ks_d"
    default_threshold: ClassVar[float] = 0.04
    reference: ClassVar[str] = (
        "Kolmogorov (1933); Smirnov (1948), two-sample Kolmogorov-Smirnov test"
    )

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        d, p_value, p_method = ks_two_sample(np.sort(reference), np.sort(current))
        return _Computed(
            statistic=d, p_value=p_value, effect_size=d, details={"p_method": p_method}
        )
