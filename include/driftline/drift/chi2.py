"""Pearson chi-square test of homogeneity for a categorical column (Pearson, 1900).

The 2 x K table of level counts is tested for equal level proportions; the effect size
is Cramér's V (Cramér, 1946), which for two samples is ``sqrt(chi2 / N)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from driftline.drift.base import _Computed
from driftline.drift.categorical import CategoricalDriftTest, CategoryCounts

#: Levels whose expected count is below this are pooled into one level (Cochran, 1954).
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class Homogeneity:
    """Result of :func:`chi2_homogeneity`."""

    chi2: float
    dof: int
    p_value: float
    cramers_v: float
    n_pooled_levels: int


def chi2_homogeneity(
    reference: np.ndarray, current: np.ndarray, min_expected: float = MIN_EXPECTED
) -> Homogeneity:
    """Chi-square test of homogeneity of two count vectors over the same levels.

    Levels with an expected count below ``min_expected`` in either row are pooled into
    one level first (Cochran's rule), so the chi-square approximation holds with rare
    levels; a level new to the current sample with enough rows stays on its own.

    >>> h = chi2_homogeneity(np.array([30, 70]), np.array([50, 50]))
    >>> round(h.chi2, 4), h.dof, round(h.cramers_v, 4)
    (8.3333, 1, 0.2041)
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    keep = (ref + cur) > 0
    ref, cur = ref[keep], cur[keep]
    n_ref, n_cur = ref.sum(), cur.sum()
    n = n_ref + n_cur
    total = ref + cur
    rare = total * min(n_ref, n_cur) / n < min_expected
    n_pooled = int(rare.sum())
    if n_pooled > 1:
        ref = np.append(ref[~rare], ref[rare].sum())
        cur = np.append(cur[~rare], cur[rare].sum())
        total = ref + cur
    if len(total) < 2:
        return Homogeneity(0.0, 0, 1.0, 0.0, n_pooled)
    e_ref = total * (n_ref / n)
    e_cur = total * (n_cur / n)
    chi2 = float((((ref - e_ref) ** 2) / e_ref).sum() + (((cur - e_cur) ** 2) / e_cur).sum())
    dof = len(total) - 1
    return Homogeneity(
        chi2=chi2,
        dof=dof,
        p_value=float(stats.chi2.sf(chi2, dof)),
        cramers_v=float(np.sqrt(chi2 / n)),
        n_pooled_levels=n_pooled if n_pooled > 1 else 0,
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
        h = chi2_homogeneity(counts.reference, counts.current)
        return _Computed(
            statistic=h.chi2,
            p_value=h.p_value,
            effect_size=h.cramers_v,
            details={"dof": h.dof, "n_pooled_levels": h.n_pooled_levels, **counts.describe()},
        )
