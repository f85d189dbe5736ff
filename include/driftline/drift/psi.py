"""Population stability index (Siddiqi, 2006) for numeric and categorical columns.

``PSI = sum_i (c_i - r_i) * ln(c_i / r_i)`` over bins (reference deciles for a numeric
column, levels for a categorical one), with proportions floored at ``epsilon`` and
renormalised so that empty bins stay finite (:func:`~driftline.drift.statistics.psi`, the
function :class:`~driftline.drift.DatasetDrift` runs too). PSI is the symmetrised
Kullback-Leibler (Jeffreys) divergence; for small differences it equals Pearson's
``sum (c - r)^2 / p``, whose sampling distribution under no drift gives the p-value used
here (an approximation, documented as such)::

    PSI / (1 / n_reference + 1 / n_current)  ~  chi2(bins - 1)

Rules of thumb (Siddiqi, 2006): PSI < 0.1 stable, 0.1-0.25 moderate shift, > 0.25
significant shift; the band is reported in the details. Those bands ignore the sample
size and flag only large shifts (a 0.2-sd mean shift has PSI of about 0.04), so the
default *floor* here is lower, 0.01 (the PSI of about a 0.1-sd shift, or of a 5-point
shift between two balanced levels), and sampling noise is handled by the p-value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np
from scipy import stats

from driftline.drift.base import DriftTest, _Computed, _is_int, _is_real
from driftline.drift.categorical import CategoricalDriftTest, CategoryCounts
from driftline.drift.statistics import PSI_EPSILON, bin_counts, psi, quantile_bin_edges

SIDDIQI_BANDS = ((0.1, "stable"), (0.25, "moderate"), (float("inf"), "significant"))
_REFERENCE = "Siddiqi (2006), Credit Risk Scorecards, population stability index"


def _band(value: float) -> str:
    return next(name for limit, name in SIDDIQI_BANDS if value < limit)


def _psi_computed(
    ref_counts: np.ndarray, cur_counts: np.ndarray, epsilon: float, details: dict
) -> _Computed:
    value = psi(ref_counts, cur_counts, epsilon)
    n_ref, n_cur = float(ref_counts.sum()), float(cur_counts.sum())
    dof = int(np.count_nonzero(ref_counts + cur_counts)) - 1
    statistic = value / (1.0 / n_ref + 1.0 / n_cur)
    p_value = float(stats.chi2.sf(statistic, dof)) if dof > 0 else 1.0
    return _Computed(
        statistic=statistic,
        p_value=p_value,
        effect_size=value,
        details={"psi": value, "band": _band(value), "dof": dof, "epsilon": epsilon, **details},
    )


class PSI(DriftTest):
    """Population stability index of a numeric column on reference quantile bins.

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    n_bins : int
        Number of equal-frequency bins, cut at the reference's inverted-CDF quantiles
        (Hyndman & Fan, 1996, def. 1, as a profile's sketch; fewer when it has ties).
    epsilon : float
        Floor of a bin proportion.

    >>> rng = np.random.default_rng(0)
    >>> r = PSI().test(rng.normal(size=5000), rng.normal(0.2, 1, size=5000))
    >>> r.is_drift, r.details["band"]  # a 0.2-sd shift: drift, yet 'stable' by the bands
    (True, 'stable')
    """

    kind: ClassVar[str] = "numeric"
    input_type: ClassVar[str] = "numeric"
    method: ClassVar[str] = "psi"
    effect_size_name: ClassVar[str] = "psi"
    default_threshold: ClassVar[float] = 0.01
    reference: ClassVar[str] = _REFERENCE

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        n_bins: int = 10,
        epsilon: float = PSI_EPSILON,
    ) -> None:
        super().__init__(alpha, threshold)
        self.n_bins = n_bins
        self.epsilon = epsilon

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("n_bins", _is_int(self.n_bins, 2), "an integer >= 2"),
            ("epsilon", _is_real(self.epsilon) and 0 < self.epsilon < 0.1, "a number in (0, 0.1)"),
        )

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        # right-closed bins (-inf, e0], (e0, e1], ..., (e_last, inf) on both sides
        ref_sorted = np.sort(reference)
        edges = quantile_bin_edges(
            lambda q: np.quantile(ref_sorted, q, method="inverted_cdf"), self.n_bins
        )
        below = np.searchsorted(ref_sorted, edges, side="right")
        ref_counts = bin_counts(below, len(ref_sorted)).astype(np.int64)
        cur_counts = np.bincount(
            np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1
        )
        return _psi_computed(
            ref_counts,
            cur_counts,
            self.epsilon,
            {"bin_edges": edges, "reference_counts": ref_counts, "current_counts": cur_counts},
        )


class CategoricalPSI(CategoricalDriftTest):
    """Population stability index of a categorical column (one bin per level).

    Missing values are a level of their own; levels new in the current sample get the
    ``epsilon`` floor in the reference, so they weigh heavily (as in credit scoring).

    >>> r = CategoricalPSI().test_counts({"a": 5000, "b": 5000}, {"a": 4000, "b": 6000})
    >>> round(r.effect_size, 4), r.is_drift
    (0.0405, True)
    """

    method: ClassVar[str] = "categorical_psi"
    effect_size_name: ClassVar[str] = "psi"
    default_threshold: ClassVar[float] = 0.01
    reference: ClassVar[str] = _REFERENCE

    def __init__(
        self, alpha: float = 0.05, threshold: float | None = None, *, epsilon: float = PSI_EPSILON
    ) -> None:
        super().__init__(alpha, threshold)
        self.epsilon = epsilon

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("epsilon", _is_real(self.epsilon) and 0 < self.epsilon < 0.1, "a number in (0, 0.1)"),
        )

    def _compute_counts(self, counts: CategoryCounts) -> _Computed:
        return _psi_computed(counts.reference, counts.current, self.epsilon, counts.describe())
