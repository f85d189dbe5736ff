"""Pearson chi-square test of homogeneity for a categorical column (Pearson, 1900).

The 2 x K table of level counts is tested for equal level proportions, rare levels pooled
(Cochran, 1954); the effect size is Cramér's V (Cramér, 1946), which for two samples is
``sqrt(chi2 / N)``. Both come from :func:`~driftline.drift.statistics.chi2_homogeneity`,
the function :class:`~driftline.drift.DatasetDrift` runs too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from driftline.drift.base import _Computed
from driftline.drift.categorical import CategoricalDriftTest, CategoryCounts
from driftline.drift.statistics import Homogeneity, chi2_homogeneity


def homogeneity_computed(
    counts: CategoryCounts,
    effect: Callable[[Homogeneity], float],
    details: Mapping[str, Any] | None = None,
) -> _Computed:
    """Chi-square statistic and p-value of a count table, with the effect size ``effect(h)``
    (Cramér's V for :class:`ChiSquare`, total variation for a label test)."""
    h = chi2_homogeneity(counts.reference, counts.current)
    return _Computed(
        statistic=h.chi2,
        p_value=h.p_value,
        effect_size=effect(h),
        details={
            "dof": h.dof,
            "n_pooled_levels": h.n_pooled_levels,
            **(details or {}),
            **counts.describe(),
        },
    )


class ChiSquare(CategoricalDriftTest):
    """Chi-square test of homogeneity with Cramér's V as effect size.

    Levels new in the current sample ("unseen") and levels absent from it ("vanished")
    are part of the table and listed in the result's details. Missing values are a level
    of their own (``"<null>"``).

    Default floor V >= 0.05: a 10-percentage-point shift of one level's share gives
    V >= 0.1 (the minimum, 0.1, is reached when the share moves between two levels of
    about 50 % each), so the floor keeps such shifts with room for sampling noise at
    n = 5000 (sd of V about 0.01), while a 1-point shift (V about 0.01) is ignored even
    at n = 1,000,000 where its p-value is tiny. 0.05 is half of Cohen's (1988) "small" w.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.choice(["a", "b", "c"], 2000, p=[0.5, 0.3, 0.2])
    >>> cur = rng.choice(["a", "b", "c", "d"], 2000, p=[0.4, 0.3, 0.2, 0.1])
    >>> r = ChiSquare().test(ref, cur, column="colour")
    >>> r.is_drift, list(r.details["unseen_levels"])
    (True, ['d'])
    """

    method: ClassVar[str] = "chi_square"
    effect_size_name: ClassVar[str] = "cramers_v"
    default_threshold: ClassVar[float] = 0.05
    reference: ClassVar[str] = (
        "Pearson (1900), chi-square test of homogeneity; Cramér (1946), Cramér's V"
    )

    def _compute_counts(self, counts: CategoryCounts) -> _Computed:
        return homogeneity_computed(counts, lambda h: h.cramers_v)
