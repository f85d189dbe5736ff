"""Counting a current batch against a reference profile's grids (additive, chunk by chunk).

The current side of :class:`~driftline.drift.DatasetDrift` is never sorted: each numeric
value is counted against the reference sketch's knots (plus its PSI bin edges) with a
bucketed ``searchsorted`` on the order-preserving integer image of the floats
(:class:`Binner`, O(1) per value), and each categorical column is reduced to level counts.
Counts add up, so frames, parquet chunks and profiles (:meth:`CurrentSide.add_profile`)
all land in the same :class:`CurrentSide`; :meth:`NumericSide.counts` and
:meth:`CategoricalSide.table` then hand both sides, aligned, to
:mod:`driftline.drift.statistics`.

>>> import numpy as np
>>> grid = np.array([0.0, 1.0, 2.0])
>>> side = NumericSide("x", grid)
>>> side.add_values(np.array([-1.0, 0.0, 0.5, 2.0, 5.0]))
>>> side.le.tolist(), side.eq.tolist(), side.n
([2.0, 3.0, 4.0], [1.0, 0.0, 1.0], 5.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from driftline.drift.categorical import MISSING_LEVEL, CategoryCounts
from driftline.drift.columns import category_counts, numeric_values, probability_values
from driftline.drift.profile import ReferenceProfile
from driftline.drift.sketches import CategoricalSummary, NumericSummary
from driftline.drift.statistics import quantile_bin_edges
from driftline.errors import ConfigError, DataError, fail

#: Level that collects the current levels a capped reference profile did not keep.
OTHER_LEVEL = "<other>"
LABEL_KEY, PREDICTIONS_KEY = "__label__", "__pred__"

_BINNER_MIN = 50_000  # values per chunk from which the bucket table pays off
_SLICE = 1 << 17  # values processed at once


def order_key(x: np.ndarray) -> np.ndarray:
    """int64 image of float64 values with the same order (IEEE 754 sign-magnitude trick)."""
    i = x.view(np.int64)
    return i ^ ((i >> 63) & np.int64(0x7FFFFFFFFFFFFFFF))


class Binner:
    """``searchsorted(grid, x, 'left')`` in O(1) per value via a bucket table.

    Values are mapped to one of ``2**bits`` buckets by a monotone function, either linear
    in the value or linear in the order-preserving integer image of the floats (which is
    logarithmic in magnitude, for heavy tails); whichever puts fewer grid points in one
    bucket is used. A value is then compared with the few grid points of its bucket.
    """

    def __init__(self, grid: np.ndarray, bits: int = 18) -> None:
        self.grid = grid
        self.padded = np.append(grid, np.inf)
        self.nb = 1 << bits
        lo, hi = float(grid[0]), float(grid[-1])
        self.lo, self.scale = lo, (self.nb - 1) / (hi - lo) if hi > lo else 0.0
        keys = order_key(grid)
        self.klo, self.khi = int(keys[0]), int(keys[-1])
        self.shift = max(0, (self.khi - self.klo).bit_length() - bits)
        best: tuple[int, bool, np.ndarray] | None = None
        for log in (False, True):
            counts = np.bincount(self._bucket(grid, log), minlength=self.nb)
            r = int(counts.max())
            if best is None or r < best[0]:
                best = (r, log, counts)
        assert best is not None
        self.r, self.log, counts = best
        self.first = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)

    def _bucket(self, x: np.ndarray, log: bool) -> np.ndarray:
        if log:
            k = np.clip(order_key(x), self.klo, self.khi)
            d = k.view(np.uint64) - np.uint64(self.klo % (1 << 64))
            return (d >> np.uint64(self.shift)).astype(np.intp)
        b = (x - self.lo) * self.scale
        np.clip(b, 0, self.nb - 1, out=b)
        return b.astype(np.intp)

    def index(self, x: np.ndarray) -> np.ndarray:
        """Number of grid points ``< x`` for each (non-NaN) value."""
        if x.size < 2048 or self.r > 8:
            return np.searchsorted(self.grid, x, "left")
        idx = self.first[self._bucket(x, self.log)]
        for _ in range(self.r):
            idx += self.padded[idx] < x
        return idx


@dataclass(frozen=True, eq=False)
class GridCounts:
    """Both sides of a numeric column at the grid ``x``: counts ``<= x_i`` and ``< x_i``.

    ``below`` / ``above`` are the Wasserstein integrals of the current values outside
    ``[x_0, x_last]``, where the reference CDF is 0 or 1.
    """

    x: np.ndarray
    ref_le: np.ndarray
    ref_lt: np.ndarray
    cur_le: np.ndarray
    cur_lt: np.ndarray
    n_reference: float
    n_current: float
    below: float
    above: float


@dataclass
class NumericSide:
    """Current-side counts of one numeric column at the reference grid (additive)."""

    name: str
    grid: np.ndarray
    binner: Binner | None = None
    le: np.ndarray = field(default_factory=lambda: np.zeros(0))
    eq: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n: float = 0.0
    nulls: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float = math.inf
    max: float = -math.inf
    below_sum: float = 0.0  # sum of values < grid[0]
    above_sum: float = 0.0  # sum of values > grid[-1]

    def __post_init__(self) -> None:
        self.le = np.zeros(self.grid.size)
        self.eq = np.zeros(self.grid.size)

    def _moments(self, n: float, mean: float, m2: float) -> None:
        tot = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / tot
        self.m2 += m2 + delta * delta * self.n * n / tot
        self.n = tot

    def add_values(self, v: np.ndarray) -> None:
        """Count 1-D float values (NaN is a null; +/-inf raises :class:`DataError`)."""
        # slices keep the temporaries small (cache-resident, no fresh pages per column)
        for start in range(0, v.size, _SLICE):
            self._add_slice(v[start : start + _SLICE])

    def _add_slice(self, v: np.ndarray) -> None:
        nan = np.isnan(v)
        k = int(nan.sum())
        if k:
            self.nulls += k
            v = v[~nan]
        if v.size == 0:
            return
        lo, hi = float(v.min()), float(v.max())
        if math.isinf(lo) or math.isinf(hi):
            raise DataError(
                fail(f"column {self.name!r} holds +/-inf", "replace infinities in the batch")
            )
        if v.size < _BINNER_MIN and self.binner is None:  # a bucket table would cost more
            idx = np.searchsorted(self.grid, v, "left")
        else:
            if self.binner is None:
                self.binner = Binner(self.grid)
            idx = self.binner.index(v)
        size = self.grid.size
        hist = np.bincount(idx, minlength=size + 1)
        self.le += np.cumsum(hist[:size])
        same = v == np.append(self.grid, np.inf)[idx]
        if same.any():
            self.eq += np.bincount(idx[same], minlength=size + 1)[:size]
        if lo < self.grid[0]:
            self.below_sum += float(v[v < self.grid[0]].sum())
        if hi > self.grid[-1]:
            self.above_sum += float(v[v > self.grid[-1]].sum())
        self.min, self.max = min(self.min, lo), max(self.max, hi)
        mean = float(v.mean())
        self._moments(float(v.size), mean, float(np.square(v - mean).sum()))

    def add_summary(self, s: NumericSummary) -> None:
        """Count a current-side sketch (its CDF at the grid)."""
        self.nulls += s.nulls
        if s.n == 0:
            return
        lt, le = s.counts_at(self.grid)
        self.le += le
        self.eq += le - lt
        self.below_sum += s.tail_sum(self.grid[0], below=True)
        self.above_sum += s.tail_sum(self.grid[-1], below=False)
        self.min, self.max = min(self.min, s.min), max(self.max, s.max)
        self._moments(float(s.n), s.mean, s.std**2 * s.n)

    @property
    def std(self) -> float:
        """Population standard deviation of the current values."""
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    def counts(self, reference: NumericSummary) -> GridCounts:
        """Both sides at the grid (the reference from its sketch)."""
        lt_r, le_r = reference.counts_at(self.grid)
        m = self.n
        below = self.le[0] - self.eq[0]  # current values < grid[0]
        above = m - self.le[-1]  # current values > grid[-1]
        return GridCounts(
            x=self.grid,
            ref_le=le_r,
            ref_lt=lt_r,
            cur_le=self.le,
            cur_lt=self.le - self.eq,
            n_reference=float(reference.n),
            n_current=m,
            below=(below * self.grid[0] - self.below_sum) / m,
            above=(self.above_sum - above * self.grid[-1]) / m,
        )


@dataclass
class CategoricalSide:
    """Current-side level counts of one categorical column (additive)."""

    counts: dict[str, float] = field(default_factory=dict)
    nulls: float = 0.0

    def add(self, counts: Mapping[str, float], nulls: float) -> None:
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0.0) + v
        self.nulls += nulls

    @property
    def n(self) -> float:
        return sum(self.counts.values()) + self.nulls

    def table(self, reference: CategoricalSummary) -> CategoryCounts:
        """The 2 x K table against ``reference``: its levels first, then new ones.

        When the profile capped its levels (``reference.other``), current levels it did not
        keep are counted in :data:`OTHER_LEVEL`, not as unseen; nulls are the level
        ``"<null>"`` when either side has any.
        """
        rc: dict[str, float] = dict(reference.counts)
        if reference.other:
            rc[OTHER_LEVEL] = reference.other
        cc: dict[str, float] = {}
        for k, v in self.counts.items():
            key = k if (k in rc or not reference.other) else OTHER_LEVEL
            cc[key] = cc.get(key, 0.0) + v
        if reference.nulls or self.nulls:
            rc[MISSING_LEVEL] = reference.nulls
            cc[MISSING_LEVEL] = self.nulls
        levels = list(rc) + [k for k in cc if k not in rc]
        return CategoryCounts(
            levels=tuple(levels),
            reference=np.array([rc.get(k, 0) for k in levels], dtype=np.float64),
            current=np.array([cc.get(k, 0) for k in levels], dtype=np.float64),
        )


class CurrentSide:
    """Accumulates the current batch (frames, chunks or a profile) against a reference."""

    def __init__(self, profile: ReferenceProfile, psi_bins: int) -> None:
        self.profile = profile
        self.numeric: dict[str, NumericSide] = {}
        self.edges: dict[str, np.ndarray] = {}
        for name, s in profile.numeric.items():
            self.numeric[name] = self._side(name, name, s, psi_bins)
        self.categorical = {name: CategoricalSide() for name in profile.categorical}
        self.label_num: NumericSide | None = None
        self.label_cat: CategoricalSide | None = None
        if isinstance(profile.label, NumericSummary):
            target = str(profile.target)
            self.label_num = self._side(LABEL_KEY, target, profile.label, psi_bins)
        elif isinstance(profile.label, CategoricalSummary):
            self.label_cat = CategoricalSide()
        self.pred: NumericSide | None = None
        if profile.predictions is not None:
            self.pred = self._side(PREDICTIONS_KEY, "predictions", profile.predictions, psi_bins)
        self.n_rows = 0
        self.seen: set[str] = set()
        self.has_label = False
        self.has_pred = False

    def _side(self, key: str, name: str, s: NumericSummary, psi_bins: int) -> NumericSide:
        """A numeric side on the reference knots plus the PSI bin edges (kept by ``key``)."""
        if s.n == 0:
            self.edges[key] = np.zeros(0)
            return NumericSide(name, np.zeros(1))
        edges = quantile_bin_edges(s.quantile, psi_bins)
        self.edges[key] = edges
        return NumericSide(name, np.union1d(s.knots, edges))

    def add_table(self, table: pa.Table, target: Any = None, predictions: Any = None) -> None:
        """Count one table (a whole batch or a chunk); ``target``/``predictions`` as in
        :meth:`~driftline.drift.DatasetDrift.check`."""
        self.n_rows += table.num_rows
        names = set(table.column_names)
        self.seen |= names
        work = [(n, s) for n, s in self.numeric.items() if n in names and s.grid.size]
        if len(work) > 1 and table.num_rows >= 200_000:
            with ThreadPoolExecutor(max_workers=min(len(work), os.cpu_count() or 1)) as ex:
                list(ex.map(lambda w: w[1].add_values(_numeric(table, w[0])), work))
        else:
            for name, side in work:
                side.add_values(_numeric(table, name))
        for name, side in self.categorical.items():
            if name in names:
                side.add(*category_counts(table.column(name)))
        self._add_label(table, target)
        if predictions is not None:
            probs = probability_values(predictions, table.num_rows)
            if self.pred is not None:
                self.pred.add_values(probs)
                self.has_pred = True

    def _add_label(self, table: pa.Table, target: Any) -> None:
        name = self.profile.target
        if target is not None and self.label_cat is None and self.label_num is None:
            raise ConfigError(
                fail(
                    f"target={_shown(target)} was given, but the profile has no label",
                    "profile the reference with from_frame(..., target=...) or pass target=None",
                )
            )
        if target is None or isinstance(target, str):
            col_name = target if isinstance(target, str) else name
            if col_name is None or col_name not in table.column_names:
                if isinstance(target, str):
                    raise DataError(
                        fail(
                            f"target column {target!r} is not in the batch",
                            f"use one of {table.column_names} or pass the labels",
                        )
                    )
                return
            col: Any = table.column(col_name)
        else:
            labels = np.asarray(target)
            if labels.ndim != 1 or labels.size != table.num_rows:
                raise DataError(
                    fail(
                        f"target has shape {labels.shape} for {table.num_rows} rows",
                        "pass one label per row of the batch",
                    )
                )
            col = pa.array(labels)
        if self.label_cat is not None:
            counts, _unlabelled = category_counts(col)  # a row without a label is not a level
            if counts:
                self.label_cat.add(counts, 0)
                self.has_label = True
        elif self.label_num is not None:
            self.label_num.add_values(numeric_values(col, name))
            self.has_label = True

    def add_profile(self, current: ReferenceProfile) -> None:
        """Count a profile of the current batch (built ``like`` the reference)."""
        self.n_rows += current.n_rows
        self.seen |= set(current.roles)
        for name, side in self.numeric.items():
            if name in current.numeric:
                side.add_summary(current.numeric[name])
        for name, side in self.categorical.items():
            if name in current.categorical:
                c = current.categorical[name]
                side.add(dict(c.counts) | ({OTHER_LEVEL: c.other} if c.other else {}), c.nulls)
        if self.label_cat is not None and isinstance(current.label, CategoricalSummary):
            self.label_cat.add(current.label.counts, current.label.nulls)
            self.has_label = True
        if self.label_num is not None and isinstance(current.label, NumericSummary):
            self.label_num.add_summary(current.label)
            self.has_label = True
        if self.pred is not None and current.predictions is not None:
            self.pred.add_summary(current.predictions)
            self.has_pred = True


def _numeric(table: pa.Table, name: str) -> np.ndarray:
    return numeric_values(table.column(name), name)


def _shown(target: Any) -> str:
    return repr(target) if isinstance(target, str) else f"<{type(target).__name__}>"
