"""ADWIN, adaptive windowing (Bifet & Gavaldà, 2007), on an exponential histogram.

ADWIN keeps a window of the most recent values, compressed into an exponential
histogram (buckets of 2^k values, at most ``max_buckets`` per size; Datar et al.,
2002). Every ``clock`` values it tries every split of the window into an older part
(``n0`` values) and a newer part (``n1``) at bucket boundaries, and cuts the older part
while the means differ by more than (ADWIN2 as implemented in MOA)::

    eps = sqrt(2 m v dd) + 2/3 m dd,   m = 1/(n0 - w + 1) + 1/(n1 - w + 1),
    dd = ln(2 ln(W) / delta),          v = variance of the window of width W,

with ``w = min_window``. Each cut is a drift signal. The effect size is the largest
``|mean0 - mean1| / eps`` of a check, so ``>= threshold`` (1 by default) is a cut.

The histogram after ``W`` inserts (and no cut) depends only on ``W``, so the bucket
boundaries of every check of a fresh detector are known in advance:
:meth:`ADWIN.first_drift` evaluates all checks at once with prefix sums and agrees
exactly with streaming :meth:`~ADWIN.update` calls.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from driftline.drift.base import _Computed, _is_int, _is_real
from driftline.drift.stream import StreamingDetector, StreamState

#: Checks evaluated per vectorised batch (bounds memory to a few tens of MB).
_CHECKS_PER_BATCH = 8192


class ADWIN(StreamingDetector):
    """ADWIN change detector on a stream of numbers (e.g. 0/1 errors or losses in [0, 1]).

    Parameters
    ----------
    alpha
        Unused (ADWIN has no p-value); kept for the common interface.
    threshold : float or None
        Cut when ``|mean0 - mean1| >= threshold * eps`` (default 1, the ADWIN rule).
    delta : float
        Confidence parameter (default 0.002, as MOA and river).
    clock : int
        Check for a cut every ``clock`` values (default 32, as MOA and river).
    max_buckets : int
        Buckets kept per size in the histogram (default 5, as MOA).
    min_window : int
        Minimum number of values on each side of a split (default 5, as MOA).

    >>> rng = np.random.default_rng(0)
    >>> errors = np.concatenate([rng.random(2000) < 0.1, rng.random(2000) < 0.4])
    >>> 2000 <= ADWIN().first_drift(errors) < 2200
    True
    """

    input_type: ClassVar[str] = "stream"
    method: ClassVar[str] = "adwin"
    effect_size_name: ClassVar[str] = "adwin_cut_ratio"
    default_threshold: ClassVar[float] = 1.0
    reference: ClassVar[str] = (
        "Bifet & Gavaldà (2007), Learning from time-changing data with adaptive windowing, SDM"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        delta: float = 0.002,
        clock: int = 32,
        max_buckets: int = 5,
        min_window: int = 5,
    ) -> None:
        self.delta = delta
        self.clock = clock
        self.max_buckets = max_buckets
        self.min_window = min_window
        super().__init__(alpha, threshold)

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("delta", _is_real(self.delta) and 0 < self.delta < 1, "a number in (0, 1)"),
            ("clock", _is_int(self.clock, 1), "an integer >= 1"),
            ("max_buckets", _is_int(self.max_buckets, 2), "an integer >= 2"),
            ("min_window", _is_int(self.min_window, 1), "an integer >= 1"),
        )

    @property
    def width(self) -> int:
        """Number of values in the current window."""
        return self._width

    @property
    def estimation(self) -> float:
        """Mean of the current window."""
        return self._total / self._width if self._width else 0.0

    # -- streaming --------------------------------------------------------------------

    def _reset(self) -> None:
        self._totals: list[list[float]] = [[]]
        self._variances: list[list[float]] = [[]]
        self._width = 0
        self._total = 0.0
        self._m2 = 0.0
        self._tick = 0
        self._ratio = 0.0
        self._checked = False

    def _update(self, x: float) -> StreamState:
        self._insert(x)
        self._tick += 1
        self._checked = False
        drift = False
        if self._tick % self.clock == 0:
            self._checked = True
            self._ratio = ratio = self._max_ratio()
            while ratio >= self.effective_threshold:
                drift = True
                self._drop_oldest()
                ratio = self._max_ratio()
        return StreamState(self._n_seen, False, drift, self._ratio)

    def _insert(self, x: float) -> None:
        self._width += 1
        if self._width > 1:
            delta = x - self._total / (self._width - 1)
            self._m2 += (self._width - 1) / self._width * delta * delta
        self._total += x
        self._totals[0].append(x)
        self._variances[0].append(0.0)
        level = 0
        while len(self._totals[level]) > self.max_buckets:
            if level + 1 == len(self._totals):
                self._totals.append([])
                self._variances.append([])
            size = 1 << level
            t1, t2 = self._totals[level].pop(0), self._totals[level].pop(0)
            v1, v2 = self._variances[level].pop(0), self._variances[level].pop(0)
            diff = (t1 - t2) / size
            self._totals[level + 1].append(t1 + t2)
            self._variances[level + 1].append(v1 + v2 + size / 2 * diff * diff)
            level += 1

    def _drop_oldest(self) -> None:
        level = max(k for k, row in enumerate(self._totals) if row)
        size = 1 << level
        total, var = self._totals[level].pop(0), self._variances[level].pop(0)
        rest = self._width - size
        mean_rest = (self._total - total) / rest
        self._m2 = max(
            self._m2 - var - size * rest / self._width * (total / size - mean_rest) ** 2, 0.0
        )
        self._width = rest
        self._total -= total

    def _max_ratio(self) -> float:
        width, w = self._width, self.min_window
        if width < 2 * w:
            return 0.0
        variance = self._m2 / width
        dd = math.log(2 * math.log(width) / self.delta)
        best, n0, s0 = 0.0, 0, 0.0
        for level in range(len(self._totals) - 1, -1, -1):
            size = 1 << level
            for total in self._totals[level]:
                n0 += size
                s0 += total
                n1 = width - n0
                if n1 < w:
                    return best
                if n0 < w:
                    continue
                m = 1 / (n0 - w + 1) + 1 / (n1 - w + 1)
                eps = math.sqrt(2 * m * variance * dd) + 2 / 3 * m * dd
                best = max(best, abs(s0 / n0 - (self._total - s0) / n1) / eps)
        return best

    # -- batch ------------------------------------------------------------------------

    def _check_ratios(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (0-based) of the checks of a fresh, never-cut detector and their ratios."""
        positions = np.arange(self.clock, len(values) + 1, self.clock) - 1
        ratios = np.zeros(len(positions))
        cs = np.concatenate([[0.0], np.cumsum(values)])
        cs2 = np.concatenate([[0.0], np.cumsum(values * values)])
        for lo in range(0, len(positions), _CHECKS_PER_BATCH):
            pos = positions[lo : lo + _CHECKS_PER_BATCH]
            ratios[lo : lo + _CHECKS_PER_BATCH] = self._ratios_at(pos + 1, cs, cs2)
        return positions, ratios

    def _ratios_at(self, widths: np.ndarray, cs: np.ndarray, cs2: np.ndarray) -> np.ndarray:
        m_b, w = self.max_buckets, self.min_window
        # bucket counts per level after `widths` inserts (merges cascade like a counter)
        counts = []
        arrivals = widths.astype(np.int64)
        while arrivals.any():
            merges = np.where(arrivals > m_b, (arrivals - m_b - 1) // 2 + 1, 0)
            counts.append(arrivals - 2 * merges)
            arrivals = merges
        slots = np.arange(m_b + 1)
        sizes = np.concatenate(
            [
                np.where(slots[None, :] < counts[k][:, None], 1 << k, 0)
                for k in range(len(counts) - 1, -1, -1)
            ],
            axis=1,
        )  # oldest bucket first
        n0 = np.cumsum(sizes, axis=1)
        n1 = widths[:, None] - n0
        valid = (sizes > 0) & (n0 >= w) & (n1 >= w)
        n0c, n1c = np.maximum(n0, 1), np.maximum(n1, 1)
        s0 = cs[n0]
        total = cs[widths][:, None]
        variance = (cs2[widths] - cs[widths] ** 2 / widths) / widths
        with np.errstate(divide="ignore", invalid="ignore"):
            dd = np.log(2 * np.log(widths) / self.delta)[:, None]
            m = 1 / np.maximum(n0 - w + 1, 1) + 1 / np.maximum(n1 - w + 1, 1)
            eps = np.sqrt(2 * m * np.maximum(variance, 0)[:, None] * dd) + 2 / 3 * m * dd
            ratio = np.abs(s0 / n0c - (total - s0) / n1c) / eps
        return np.where(valid, ratio, 0.0).max(axis=1, initial=0.0)

    def _first_drift(self, values: np.ndarray) -> int | None:
        positions, ratios = self._check_ratios(values)
        hits = np.flatnonzero(ratios >= self.effective_threshold)
        return int(positions[hits[0]]) if len(hits) else None

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        values = np.concatenate([reference, current])
        n_ref = len(reference)
        threshold = self.effective_threshold
        positions, ratios = self._check_ratios(values)
        hits = np.flatnonzero(ratios >= threshold)
        first = int(positions[hits[0]]) if len(hits) else None
        in_reference = 0
        if first is None or first >= n_ref:
            stop = len(values) if first is None else first + 1
            window = ratios[(positions >= n_ref) & (positions < stop)]
            effect = float(window.max()) if len(window) else 0.0
        else:  # a (false) alarm inside the reference: stream for exact semantics
            detector, effect, first = self.clone(), 0.0, None
            for i, x in enumerate(values.tolist()):
                state = detector._step(x)
                if i < n_ref:
                    in_reference += state.in_drift
                    continue
                if detector._checked:
                    effect = max(effect, state.statistic)
                if state.in_drift:
                    first = i
                    break
        return _Computed(
            statistic=effect,
            p_value=None,
            effect_size=effect,
            details={
                "first_drift_current": None if first is None else first - n_ref,
                "alarms_in_reference": in_reference,
                "mean_reference": float(reference.mean()),
                "mean_current": float(current.mean()),
            },
        )
