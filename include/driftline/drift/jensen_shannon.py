"""Jensen-Shannon distance between category frequencies (Lin, 1991).

The effect size is the JS *distance* (square root of the divergence, base 2, so in
[0, 1]; Endres & Schindelin, 2003) between the observed level frequencies
(:func:`~driftline.drift.statistics.js_distance`, the function
:class:`~driftline.drift.DatasetDrift` runs too; unsmoothed by default). The p-value
comes from a permutation test: under no drift the pooled rows are exchangeable, so the
reference counts of a random relabelling are multivariate hypergeometric, drawn in one
vectorised call per batch of permutations (cost O(n_permutations x levels), independent
of the number of rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from driftline.drift.base import _Computed, _is_int, _is_real
from driftline.drift.categorical import CategoricalDriftTest, CategoryCounts
from driftline.drift.statistics import js_distance


class JensenShannon(CategoricalDriftTest):
    """Jensen-Shannon distance with a permutation p-value.

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    n_permutations : int
        Number of random relabellings; the p-value is ``(1 + #{JS* >= JS}) / (1 + B)``.
    smoothing : float
        Pseudo-count added to every level on both sides; 0 (the default) is the plug-in
        distance of the observed frequencies, finite with empty levels and unchanged by
        levels empty on both sides (0.5 would be a Jeffreys prior).
    seed : int
        Seed of the permutation generator.

    Default floor 0.04: for small shifts the JS distance is about 0.85 x Cramér's V
    (both are driven by sum(delta^2 / p)), so 0.04 matches the V >= 0.05 floor of
    :class:`~driftline.drift.ChiSquare`: a 10-point shift (JS >= 0.085) is kept, a
    1-point shift is not.

    >>> rng = np.random.default_rng(0)
    >>> ref = rng.choice(["a", "b"], 3000, p=[0.5, 0.5])
    >>> r = JensenShannon().test(ref, rng.choice(["a", "b"], 3000, p=[0.6, 0.4]))
    >>> r.is_drift, r.p_value < 0.01
    (True, True)
    """

    method: ClassVar[str] = "jensen_shannon"
    effect_size_name: ClassVar[str] = "js_distance"
    default_threshold: ClassVar[float] = 0.04
    reference: ClassVar[str] = (
        "Lin (1991), Jensen-Shannon divergence; Endres & Schindelin (2003), JS distance"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        n_permutations: int = 1000,
        smoothing: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha, threshold)
        self.n_permutations = n_permutations
        self.smoothing = smoothing
        self.seed = seed

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("n_permutations", _is_int(self.n_permutations, 0), "an integer >= 0 (0: no p-value)"),
            ("smoothing", _is_real(self.smoothing) and self.smoothing >= 0, "a number >= 0"),
            ("seed", _is_int(self.seed, 0), "an integer >= 0"),
        )

    def _compute_counts(self, counts: CategoryCounts) -> _Computed:
        distance = float(js_distance(counts.reference, counts.current, self.smoothing))
        p_value = None
        if self.n_permutations > 0:
            rng = np.random.default_rng(self.seed)
            total = counts.reference + counts.current
            exceed = 0
            for size in _batches(self.n_permutations, max(1, 2_000_000 // len(total))):
                ref_star = rng.multivariate_hypergeometric(total, counts.n_reference, size=size)
                d_star = js_distance(ref_star, total - ref_star, self.smoothing)
                exceed += int((d_star >= distance * (1 - 1e-12)).sum())
            p_value = (1 + exceed) / (1 + self.n_permutations)
        return _Computed(
            statistic=distance,
            p_value=p_value,
            effect_size=distance,
            details={"smoothing": self.smoothing, **counts.describe()},
        )


def _batches(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]
