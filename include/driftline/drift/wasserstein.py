"""Wasserstein-1 (earth mover's) distance between two numeric samples.

In one dimension ``W1 = integral |F_ref(x) - F_cur(x)| dx`` (Vallender, 1974). On the
pooled sorted values ``z`` with labels ``L`` (1 = reference) this is
``sum_i |cumsum(L / n - (1 - L) / m)_i| * (z_{i+1} - z_i)``, so a permutation of the
labels changes only the cumulative sum: the permutation null (Pitman, 1937) is computed
for a whole batch of permutations with one ``cumsum`` and one matrix product, at cost
O(n_permutations x n), stopped early once the p-value is clearly large (Besag &
Clifford, 1991). Large samples use the Brownian-bridge limit of the statistic instead
(del Barrio, Giné & Matrán, 1999). The effect size divides W1 by the reference (sample)
standard deviation (1 for a constant reference), so it reads "shift in reference standard
deviations" (for a pure location shift it *is* the shift). Distance and scale come from
:func:`~driftline.drift.statistics.wasserstein_1` and
:func:`~driftline.drift.statistics.wasserstein_scale`, the functions
:class:`~driftline.drift.DatasetDrift` runs on its sketches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from driftline.drift.base import DriftTest, _Computed, _is_int
from driftline.drift.statistics import wasserstein_1, wasserstein_scale

#: Permutation batches hold at most this many label cells.
_CELLS_PER_BATCH = 4_000_000
#: Grid and batch of the simulated Brownian bridges of the large-sample p-value.
_BRIDGE_KNOTS = 2001
_BRIDGE_BATCH = 200


class Wasserstein(DriftTest):
    """Wasserstein-1 distance in reference standard deviations, permutation p-value.

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    n_permutations : int
        Number of label permutations; p = ``(1 + #{W* >= W}) / (1 + B)`` (exact level).
        0 skips the test (p-value None, decision on the effect size alone). The smallest
        p-value is ``1 / (1 + B)``: raise B when p-values are corrected for many columns.
    stop_after : int or None
        Stop at the ``h``-th permutation at least as extreme and report ``h / L`` after
        ``L`` permutations (sequential Monte Carlo p-value, Besag & Clifford, 1991; valid,
        and far cheaper when there is no drift); None always runs all B.
    max_exact : int
        Above this many pooled values the p-value comes from the large-sample limit
        instead (del Barrio, Giné & Matrán, 1999): under no drift
        ``sqrt(nm / (n + m)) W1`` tends to ``int |B(F(x))| dx`` for a Brownian bridge B
        and the common CDF F, simulated ``n_permutations`` times on 2000 pooled-quantile
        knots, at a cost independent of n.
    seed : int
        Seed of the permutation generator.

    Default floor 0.1: a shift of 0.1 reference standard deviations, the convention of
    Evidently's ``wasserstein`` drift method. A 0.2-sd shift (W/sd = 0.2) is flagged and a
    0.01-sd shift is not at any sample size.

    >>> rng = np.random.default_rng(0)
    >>> r = Wasserstein().test(rng.normal(size=500), rng.normal(0.5, 1, size=500))
    >>> r.is_drift, round(r.effect_size, 1)
    (True, 0.5)
    """

    kind: ClassVar[str] = "numeric"
    input_type: ClassVar[str] = "numeric"
    method: ClassVar[str] = "wasserstein"
    effect_size_name: ClassVar[str] = "wasserstein_sd"
    default_threshold: ClassVar[float] = 0.1
    reference: ClassVar[str] = (
        "Vallender (1974), Wasserstein-1 distance; Pitman (1937), permutation test; "
        "Besag & Clifford (1991), sequential Monte Carlo p-values; "
        "del Barrio, Giné & Matrán (1999), CLT for the Wasserstein distance"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        n_permutations: int = 500,
        stop_after: int | None = 20,
        max_exact: int = 20_000,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha, threshold)
        self.n_permutations = n_permutations
        self.stop_after = stop_after
        self.max_exact = max_exact
        self.seed = seed

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("n_permutations", _is_int(self.n_permutations, 0), "an integer >= 0 (0: no p-value)"),
            ("stop_after", self.stop_after is None or _is_int(self.stop_after, 1), "None or >= 1"),
            ("max_exact", _is_int(self.max_exact, 2), "an integer >= 2"),
            ("seed", _is_int(self.seed, 0), "an integer >= 0"),
        )

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        n, m = len(reference), len(current)
        pooled = np.concatenate([reference, current])
        order = np.argsort(pooled, kind="stable")
        z = pooled[order]
        gaps = np.diff(z)
        is_ref = order < n
        weights = np.where(is_ref, 1.0 / n, -1.0 / m)
        # F_ref - F_cur at each pooled value, from exact counts (step functions)
        diff = np.cumsum(is_ref) / n - np.cumsum(~is_ref) / m
        distance = wasserstein_1(z, diff, np.concatenate(([0.0], diff[:-1])))
        scale, scale_kind = wasserstein_scale(n, float(np.std(reference)))
        p_value, p_method = None, None
        if self.n_permutations > 0 and n + m <= self.max_exact:
            p_value, p_method = self._permutation_p(weights, gaps, distance), "permutation"
        elif self.n_permutations > 0:
            p_value, p_method = self._bridge_p(z, n, m, distance), "asymptotic"
        return _Computed(
            statistic=distance,
            p_value=p_value,
            effect_size=distance / scale,
            details={
                "distance": distance,
                "scale": scale,
                "scale_kind": scale_kind,
                "p_method": p_method,
            },
        )

    def _bridge_p(self, z: np.ndarray, n: int, m: int, observed: float) -> float:
        """p-value from the limit ``sqrt(nm/(n+m)) W1 -> int |B(F(x))| dx`` under no drift."""
        rng = np.random.default_rng(self.seed)
        knots = np.unique(np.linspace(0, len(z) - 1, _BRIDGE_KNOTS).round().astype(np.int64))
        levels = (knots[:-1] + 1) / len(z)  # pooled ECDF on each knot interval
        widths = np.diff(z[knots])
        steps = np.diff(np.concatenate([[0.0], levels]))
        exceed = 0
        target = observed * np.sqrt(n * m / (n + m)) * (1 - 1e-9)
        for start in range(0, self.n_permutations, _BRIDGE_BATCH):
            size = min(_BRIDGE_BATCH, self.n_permutations - start)
            walk = np.cumsum(rng.normal(size=(size, len(steps))) * np.sqrt(steps), axis=1)
            end = walk[:, -1:] + rng.normal(size=(size, 1)) * np.sqrt(1 - levels[-1])
            bridge = walk - levels * end
            exceed += int((np.abs(bridge) @ widths >= target).sum())
        return (1 + exceed) / (1 + self.n_permutations)

    def _permutation_p(self, weights: np.ndarray, gaps: np.ndarray, observed: float) -> float:
        rng = np.random.default_rng(self.seed)
        cap = max(1, _CELLS_PER_BATCH // len(weights))
        stop = self.stop_after
        exceed = done = 0
        size = 32  # batches double up to the cap: early stopping decides after few
        while done < self.n_permutations:
            size = min(size, cap, self.n_permutations - done)
            perms = rng.permuted(np.broadcast_to(weights, (size, len(weights))), axis=1)
            hits = np.abs(np.cumsum(perms, axis=1)[:, :-1]) @ gaps >= observed * (1 - 1e-9)
            if stop is not None and exceed + int(hits.sum()) >= stop:
                # Besag & Clifford (1991): stopped at the h-th exceedance after L draws
                last = int(np.flatnonzero(hits)[stop - exceed - 1])
                return stop / (done + last + 1)
            exceed += int(hits.sum())
            done += size
            size *= 2
        return (1 + exceed) / (1 + self.n_permutations)
