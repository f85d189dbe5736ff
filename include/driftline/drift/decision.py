"""Dataset-level drift decision: every column of a batch against a reference profile.

:class:`DatasetDrift` runs one univariate test per column, corrects the p-values for
multiple testing and asks for a minimum effect size, so that large samples do not flag
negligible shifts:

* numeric columns: two-sample Kolmogorov-Smirnov (Kolmogorov, 1933; Smirnov, 1948) with
  the asymptotic p-value at the effective size ``n m / (n + m)`` (scipy's ``kstwo`` for
  small sizes, Stephens' (1970) corrected Kolmogorov distribution above); effects: the KS
  distance ``D`` (primary), the population stability index on the reference deciles
  (PSI; Siddiqi, 2006) and the Wasserstein-1 distance divided by the reference standard
  deviation;
* categorical columns: Pearson's (1900) chi-square test of homogeneity (levels with an
  expected count below ``min_expected`` pooled); effects: the Jensen-Shannon distance in
  bits (Lin, 1991; primary), Cramér's (1946) V and PSI; unseen and vanished levels listed;
* the label (when the batch has it): chi-square on the label proportions with the total
  variation distance as effect (KS for a continuous target);
* predicted probabilities (when both sides have them): KS, reported as covariate shift.

The p-values of all columns are adjusted with Holm (1979) or Benjamini & Hochberg (1995);
a column drifts when its adjusted p-value is below ``alpha`` *and* its primary effect is at
least the floor of its role. The current side is never sorted: its values are counted
against the reference sketch's knots (a bucketed ``searchsorted`` on the order-preserving
integer image of the floats), which keeps the KS distance within ``1 / levels`` of the
exact value and makes chunked reading trivial (counts add up).

>>> import numpy as np, pandas as pd
>>> from driftline.drift.profile import ReferenceProfile
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(list("abc"), 5000)})
>>> cur = pd.DataFrame({"x": rng.normal(0.3, 1, 5000), "c": rng.choice(list("abc"), 5000)})
>>> report = DatasetDrift().check(ReferenceProfile.from_frame(ref), cur, batch_id="b1")
>>> report.is_drift, report.kinds, report.drifted_columns, report.severity
(True, ('covariate',), ['x'], 'moderate')
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from scipy import special, stats

from driftline.drift.base import DriftResult
from driftline.drift.categorical import MISSING_LEVEL
from driftline.drift.columns import (
    as_table,
    category_counts,
    numeric_values,
    parquet_chunks,
    probability_values,
)
from driftline.drift.correction import benjamini_hochberg, holm
from driftline.drift.profile import ReferenceProfile
from driftline.drift.report import ColumnDrift, DriftReport, Severity
from driftline.drift.sketches import CategoricalSummary, NumericSummary
from driftline.errors import ConfigError, DataError, fail

Correction = Literal["holm", "bh"]

#: Primary effect size of each role (all lie in [0, 1]).
PRIMARY_EFFECT = {
    "numeric": "ks_d",
    "categorical": "js_distance",
    "target": "total_variation",
    "prediction": "ks_d",
}
#: A drifted column is ``severe`` when its primary effect reaches this value, else
#: ``moderate``. 0.2 is a KS distance of a 0.5-sd mean shift of a normal, a 20-point
#: move of a label prior, or a Jensen-Shannon distance of about a 20-point move of a level.
SEVERE_THRESHOLDS = {"numeric": 0.2, "categorical": 0.2, "target": 0.2, "prediction": 0.2}
#: Conventional thresholds of the secondary effects (reported, not used in the decision):
#: PSI 0.1 (Siddiqi, 2006), normalised Wasserstein 0.1 sd, Cramér's V 0.1 (Cohen, 1988).
SECONDARY_THRESHOLDS = {"psi": 0.1, "wasserstein_sd": 0.1, "cramers_v": 0.1}
PSI_EPS = 1e-4  # proportions are floored at this value in the PSI

_REF = {
    "ks": "Kolmogorov (1933); Smirnov (1948); p-value: Stephens (1970)",
    "psi": "Siddiqi (2006), population stability index on reference quantile bins",
    "categorical_psi": "Siddiqi (2006), population stability index on category proportions",
    "wasserstein": "Wasserstein-1 (Vaserstein, 1969) / reference standard deviation",
    "chi2": "Pearson (1900) chi-square test of homogeneity; Cramér (1946) V",
    "jensen_shannon": "Lin (1991), Jensen-Shannon distance in bits",
    "label": "Pearson (1900) chi-square on label proportions; total variation distance",
}


# ---------------------------------------------------------------------------------------
# multiple-testing correction


def adjust_pvalues(p_values: Sequence[float], method: Correction = "holm") -> np.ndarray:
    """Holm (1979) or Benjamini-Hochberg (1995) adjusted p-values (see
    :mod:`driftline.drift.correction`).

    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    return holm(p_values) if method == "holm" else benjamini_hochberg(p_values)


# ---------------------------------------------------------------------------------------
# counting current values against the reference grid


def _order_key(x: np.ndarray) -> np.ndarray:
    """int64 image of float64 values with the same order (IEEE 754 sign-magnitude trick)."""
    i = x.view(np.int64)
    return i ^ ((i >> 63) & np.int64(0x7FFFFFFFFFFFFFFF))


_BINNER_MIN = 50_000  # values per chunk from which the bucket table pays off
_SLICE = 1 << 17  # values processed at once


class _Binner:
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
        keys = _order_key(grid)
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
            k = np.clip(_order_key(x), self.klo, self.khi)
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


@dataclass
class _NumericSide:
    """Current-side counts of one numeric column at the reference grid (additive)."""

    grid: np.ndarray
    binner: _Binner | None = None
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
    tail_exact: bool = True

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
        if v.size < _BINNER_MIN and self.binner is None:  # a bucket table would cost more
            idx = np.searchsorted(self.grid, v, "left")
        else:
            if self.binner is None:
                self.binner = _Binner(self.grid)
            idx = self.binner.index(v)
        size = self.grid.size
        hist = np.bincount(idx, minlength=size + 1)
        self.le += np.cumsum(hist[:size])
        same = v == np.append(self.grid, np.inf)[idx]
        if same.any():
            self.eq += np.bincount(idx[same], minlength=size + 1)[:size]
        lo, hi = float(v.min()), float(v.max())
        if lo < self.grid[0]:
            self.below_sum += float(v[v < self.grid[0]].sum())
        if hi > self.grid[-1]:
            self.above_sum += float(v[v > self.grid[-1]].sum())
        self.min, self.max = min(self.min, lo), max(self.max, hi)
        mean = float(v.mean())
        self._moments(float(v.size), mean, float(np.square(v - mean).sum()))

    def add_summary(self, s: NumericSummary) -> None:
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


@dataclass
class _CategoricalSide:
    counts: dict[str, float] = field(default_factory=dict)
    nulls: float = 0.0

    def add(self, counts: Mapping[str, float], nulls: float) -> None:
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0.0) + v
        self.nulls += nulls

    @property
    def n(self) -> float:
        return sum(self.counts.values()) + self.nulls


class _CurrentSide:
    """Accumulates the current batch (frames, chunks or a profile) against a reference."""

    def __init__(self, profile: ReferenceProfile, psi_bins: int) -> None:
        self.profile = profile
        self.numeric: dict[str, _NumericSide] = {}
        self.edges: dict[str, np.ndarray] = {}
        for name, s in profile.numeric.items():
            self.numeric[name] = _NumericSide(self._grid(name, s, psi_bins))
        self.categorical = {name: _CategoricalSide() for name in profile.categorical}
        self.label_num: _NumericSide | None = None
        self.label_cat: _CategoricalSide | None = None
        if isinstance(profile.label, NumericSummary):
            self.label_num = _NumericSide(self._grid("__label__", profile.label, psi_bins))
        elif isinstance(profile.label, CategoricalSummary):
            self.label_cat = _CategoricalSide()
        self.pred: _NumericSide | None = None
        if profile.predictions is not None:
            self.pred = _NumericSide(self._grid("__pred__", profile.predictions, psi_bins))
        self.n_rows = 0
        self.seen: set[str] = set()
        self.has_label = False
        self.has_pred = False

    def _grid(self, name: str, s: NumericSummary, psi_bins: int) -> np.ndarray:
        if s.n == 0:
            self.edges[name] = np.zeros(0)
            return np.zeros(1)
        edges = np.unique(s.quantile(np.arange(1, psi_bins) / psi_bins))
        self.edges[name] = edges
        return np.union1d(s.knots, edges)

    def add_table(self, table: pa.Table, target: Any = None, predictions: Any = None) -> None:
        self.n_rows += table.num_rows
        names = set(table.column_names)
        self.seen |= names
        work = [(n, s) for n, s in self.numeric.items() if n in names and s.grid.size]
        if len(work) > 1 and table.num_rows >= 200_000:
            with ThreadPoolExecutor(max_workers=min(len(work), os.cpu_count() or 1)) as ex:
                list(ex.map(lambda w: w[1].add_values(numeric_values(table.column(w[0]))), work))
        else:
            for name, side in work:
                side.add_values(numeric_values(table.column(name)))
        for name, side in self.categorical.items():
            if name in names:
                side.add(*category_counts(table.column(name)))
        self._add_label(table, target)
        if predictions is not None and self.pred is not None:
            self.pred.add_values(probability_values(predictions))
            self.has_pred = True

    def _add_label(self, table: pa.Table, target: Any) -> None:
        name = self.profile.target
        if target is None or isinstance(target, str):
            col_name = target if isinstance(target, str) else name
            if col_name is None or col_name not in table.column_names:
                return
            col: Any = table.column(col_name)
        else:
            col = pa.array(np.asarray(target))
        if self.label_cat is not None:
            self.label_cat.add(*category_counts(col))
            self.has_label = True
        elif self.label_num is not None:
            self.label_num.add_values(numeric_values(col))
            self.has_label = True

    def add_profile(self, current: ReferenceProfile) -> None:
        self.n_rows += current.n_rows
        self.seen |= set(current.roles)
        for name, side in self.numeric.items():
            if name in current.numeric:
                side.add_summary(current.numeric[name])
        for name, side in self.categorical.items():
            if name in current.categorical:
                c = current.categorical[name]
                side.add(dict(c.counts) | ({"<other>": c.other} if c.other else {}), c.nulls)
        if self.label_cat is not None and isinstance(current.label, CategoricalSummary):
            self.label_cat.add(current.label.counts, current.label.nulls)
            self.has_label = True
        if self.label_num is not None and isinstance(current.label, NumericSummary):
            self.label_num.add_summary(current.label)
            self.has_label = True
        if self.pred is not None and current.predictions is not None:
            self.pred.add_summary(current.predictions)
            self.has_pred = True


# ---------------------------------------------------------------------------------------
# statistics


@dataclass(frozen=True)
class _Tested:
    column: str
    role: str
    p_value: float
    effect: float
    effect_name: str
    results: list[DriftResult]
    unseen: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()


def ks_pvalue(d: float, n: float, m: float) -> float:
    """Asymptotic two-sample KS p-value at the effective size ``n m / (n + m)``.

    scipy's ``kstwo`` (as in ``ks_2samp(method='asymp')``) below an effective size of
    500; Stephens' (1970) corrected Kolmogorov limit above (fast; relative error < 4 %).
    """
    en = n * m / (n + m)
    if en <= 500:
        return float(stats.kstwo.sf(d, round(en)))
    s = math.sqrt(en)
    return float(special.kolmogorov((s + 0.12 + 0.11 / s) * d))


def _psi(p_ref: np.ndarray, p_cur: np.ndarray) -> float:
    a = np.maximum(p_ref, PSI_EPS)
    b = np.maximum(p_cur, PSI_EPS)
    return float(np.sum((b - a) * np.log(b / a)))


def _abs_linear_integral(d0: np.ndarray, d1: np.ndarray, dx: np.ndarray) -> float:
    """Integral of |linear function| with end values d0, d1 over widths dx."""
    same = d0 * d1 >= 0
    a0, a1 = np.abs(d0), np.abs(d1)
    tot = a0 + a1
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = np.where(tot > 0, (d0 * d0 + d1 * d1) / (2 * np.where(tot > 0, tot, 1.0)), 0.0)
    return float(np.sum(dx * np.where(same, (a0 + a1) / 2, cross)))


def _numeric_test(
    name: str,
    role: str,
    ref: NumericSummary,
    side: _NumericSide,
    edges: np.ndarray,
    alpha: float,
    floor: float,
) -> _Tested:
    grid = side.grid
    n, m = float(ref.n), side.n
    lt_r, le_r = ref.counts_at(grid)
    fr, fl = le_r / n, lt_r / n
    gr, gl = side.le / m, (side.le - side.eq) / m
    d = float(max(np.max(np.abs(fr - gr)), np.max(np.abs(fl - gl))))
    p = ks_pvalue(d, n, m)
    # PSI on the reference quantile bins
    pos = np.searchsorted(grid, edges)
    cuts_r = np.concatenate(([0.0], fr[pos], [1.0]))
    cuts_c = np.concatenate(([0.0], gr[pos], [1.0]))
    psi = _psi(np.diff(cuts_r), np.diff(cuts_c))
    # Wasserstein-1 = integral |F - G| dx (equal to the integral of |F^-1 - G^-1|)
    w = _abs_linear_integral(fr[:-1] - gr[:-1], fl[1:] - gl[1:], np.diff(grid))
    below = side.le[0] - side.eq[0]  # current values < grid[0]
    w += (below * grid[0] - side.below_sum) / m
    above = m - side.le[-1]
    w += (side.above_sum - above * grid[-1]) / m
    scale = ref.std if ref.std > 0 else 1.0
    wn = w / scale
    common = {
        "reference": "",
        "n_reference": int(n),
        "n_current": int(m),
        "alpha": alpha,
        "kind": "label" if role == "target" else "numeric",
    }
    details = {
        "reference_mean": ref.mean,
        "current_mean": side.mean,
        "reference_std": ref.std,
        "current_std": math.sqrt(side.m2 / m) if m else math.nan,
        "reference_null_fraction": ref.nulls / max(ref.n + ref.nulls, 1),
        "current_null_fraction": side.nulls / max(m + side.nulls, 1),
    }
    ks = DriftResult(
        method="kolmogorov_smirnov",
        column=name,
        statistic=d,
        p_value=p,
        effect_size=d,
        effect_size_name="ks_d",
        threshold=floor,
        is_drift=bool(p < alpha and d >= floor),
        details=_clean(details),
        **{**common, "reference": _REF["ks"]},
    )
    psi_r = _effect("psi", name, psi, "psi", common, {"bins": int(edges.size + 1)})
    w_r = _effect("wasserstein", name, wn, "wasserstein_sd", common, {"wasserstein": w})
    return _Tested(name, role, p, d, "ks_d", [ks, psi_r, w_r])


def _effect(
    method: str,
    column: str,
    value: float,
    name: str,
    common: Mapping[str, Any],
    details: Mapping[str, Any],
) -> DriftResult:
    thr = SECONDARY_THRESHOLDS[name]
    return DriftResult(
        method=method,
        column=column,
        statistic=float(value),
        p_value=None,
        effect_size=float(value),
        effect_size_name=name,
        threshold=thr,
        is_drift=bool(value >= thr),
        details=_clean(details),
        **{**common, "reference": _REF[method]},
    )


def _categorical_test(
    name: str,
    role: str,
    ref: CategoricalSummary,
    side: _CategoricalSide,
    alpha: float,
    floor: float,
    min_expected: float,
) -> _Tested:
    rc = dict(ref.counts)
    if ref.other:
        rc["<other>"] = ref.other
    cc: dict[str, float] = {}
    for k, v in side.counts.items():
        key = k if (k in rc or not ref.other) else "<other>"
        cc[key] = cc.get(key, 0.0) + v
    if ref.nulls or side.nulls:
        rc[MISSING_LEVEL] = ref.nulls
        cc[MISSING_LEVEL] = side.nulls
    levels = list(rc) + [k for k in cc if k not in rc]
    r = np.array([rc.get(k, 0) for k in levels], dtype=np.float64)
    c = np.array([cc.get(k, 0) for k in levels], dtype=np.float64)
    unseen = tuple(k for k in levels if rc.get(k, 0) == 0 and cc.get(k, 0) > 0)
    vanished = tuple(k for k in rc if rc[k] > 0 and cc.get(k, 0) == 0)
    nr, nc = r.sum(), c.sum()
    stat, df = _chi2_homogeneity(r, c, min_expected)
    p = float(stats.chi2.sf(stat, df)) if df > 0 else 1.0
    pr, pcur = r / nr, c / nc
    tv = float(0.5 * np.abs(pr - pcur).sum())
    mid = (pr + pcur) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        js = 0.5 * np.nansum(np.where(pr > 0, pr * np.log2(pr / mid), 0.0))
        js += 0.5 * np.nansum(np.where(pcur > 0, pcur * np.log2(pcur / mid), 0.0))
    jsd = float(math.sqrt(max(js, 0.0)))
    v = float(math.sqrt(stat / (nr + nc))) if df > 0 else 0.0
    psi = _psi(pr, pcur)
    common = {
        "reference": "",
        "n_reference": int(nr),
        "n_current": int(nc),
        "alpha": alpha,
        "kind": "label" if role == "target" else "categorical",
    }
    is_label = role == "target"
    effect, effect_name = (tv, "total_variation") if is_label else (jsd, "js_distance")
    main_effect, main_name = (tv, "total_variation") if is_label else (v, "cramers_v")
    main_thr = floor if is_label else SECONDARY_THRESHOLDS["cramers_v"]
    top = np.argsort(-np.abs(pr - pcur))[:10]
    details = {
        "df": int(df),
        "levels": len(levels),
        "largest_changes": {levels[i]: [float(pr[i]), float(pcur[i])] for i in top},
        "unseen": list(unseen),
        "vanished": list(vanished),
    }
    main = DriftResult(
        method="label_proportions" if is_label else "chi_square",
        column=name,
        statistic=float(stat),
        p_value=p,
        effect_size=main_effect,
        effect_size_name=main_name,
        threshold=main_thr,
        is_drift=bool(p < alpha and main_effect >= main_thr),
        details=_clean(details),
        **{**common, "reference": _REF["label" if is_label else "chi2"]},
    )
    results = [main]
    if not is_label:
        results.append(
            DriftResult(
                method="jensen_shannon",
                column=name,
                statistic=jsd,
                p_value=None,
                effect_size=jsd,
                effect_size_name="js_distance",
                threshold=floor,
                is_drift=bool(p < alpha and jsd >= floor),
                details={},
                **{**common, "reference": _REF["jensen_shannon"]},
            )
        )
    results.append(_effect("categorical_psi", name, psi, "psi", common, {"bins": len(levels)}))
    return _Tested(name, role, p, effect, effect_name, results, unseen, vanished)


def _chi2_homogeneity(r: np.ndarray, c: np.ndarray, min_expected: float) -> tuple[float, int]:
    """Pearson chi-square of the 2 x k table; sparse levels pooled into one cell."""
    tot = r + c
    keep = tot > 0
    r, c, tot = r[keep], c[keep], tot[keep]
    n = tot.sum()
    if n == 0 or r.sum() == 0 or c.sum() == 0:
        return 0.0, 0
    small = np.minimum(r.sum() * tot / n, c.sum() * tot / n) < min_expected
    if small.sum() > 1 or (small.any() and (~small).sum() > 1):
        r = np.append(r[~small], r[small].sum()) if small.any() else r
        c = np.append(c[~small], c[small].sum()) if small.any() else c
        tot = r + c
    k = r.size
    if k < 2:
        return 0.0, 0
    er = r.sum() * tot / n
    ec = c.sum() * tot / n
    stat = float(np.sum((r - er) ** 2 / er) + np.sum((c - ec) ** 2 / ec))
    return stat, k - 1


def _extra_kind(r: DriftResult) -> str:
    """Shift kind of a caller-supplied result: from ``r.kind``; concept when unset."""
    kind = r.kind or str((r.details or {}).get("kind", "concept"))
    if kind in ("numeric", "categorical", "multivariate", "covariate"):
        return "covariate"
    return "label" if kind == "label" else "concept"


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe details: python floats, NaN/inf as None."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, float | np.floating):
            v = float(v)
            out[k] = v if math.isfinite(v) else None
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------
# the detector


class DatasetDrift:
    """Dataset-level drift check of a batch against a :class:`ReferenceProfile`.

    Parameters
    ----------
    alpha : float
        Family-wise error rate (Holm) or false discovery rate (BH) of the column tests.
    correction : {"holm", "bh"}
        Multiple-testing correction over all tested columns.
    numeric_floor, categorical_floor, label_floor : float
        Minimum primary effect for a column to count as drifted: KS distance for numeric
        columns and predictions, Jensen-Shannon distance (bits) for categorical ones, total
        variation for a categorical label (KS distance for a continuous one). The defaults
        are those of :class:`~driftline.drift.KolmogorovSmirnov` (0.04, a 0.1-sd shift of
        a normal), :class:`~driftline.drift.JensenShannon` (0.04) and
        :class:`~driftline.drift.LabelProportions` (0.05).
    severe_thresholds : mapping, optional
        Primary effect from which a drifted column is ``severe``; defaults to
        :data:`SEVERE_THRESHOLDS`.
    psi_bins : int
        Number of reference quantile bins of the numeric PSI.
    min_expected : float
        Categorical levels with a smaller expected count are pooled for the chi-square.
    """

    def __init__(
        self,
        alpha: float = 0.05,
        correction: Correction = "holm",
        numeric_floor: float = 0.04,
        categorical_floor: float = 0.04,
        label_floor: float = 0.05,
        *,
        severe_thresholds: Mapping[str, float] | None = None,
        psi_bins: int = 10,
        min_expected: float = 5.0,
    ) -> None:
        self.alpha = alpha
        self.correction = correction
        self.numeric_floor = numeric_floor
        self.categorical_floor = categorical_floor
        self.label_floor = label_floor
        self.severe_thresholds = severe_thresholds
        self.psi_bins = psi_bins
        self.min_expected = min_expected

    # -- public API -----------------------------------------------------------------------

    def check(
        self,
        profile: ReferenceProfile,
        current: Any,
        *,
        target: Any = None,
        predictions: Any = None,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Test a batch (pandas DataFrame or pyarrow Table) against ``profile``.

        ``target`` is the label column name or the labels themselves (default: the
        profile's target column, when the batch has it); ``predictions`` are predicted
        probabilities of the batch. ``extra_results`` are caller-made results, e.g. a
        :class:`~driftline.drift.PerformanceDrop`, taken as they are (not corrected): a
        drifted one adds its kind (``result.kind``: ``concept`` or unset -> concept,
        ``label`` -> label, ``numeric``/``categorical``/``multivariate`` -> covariate),
        counts in ``max_effect`` and is ``severe`` when ``details["severity"]`` says so.
        """
        self._validate(profile)
        side = _CurrentSide(profile, self.psi_bins)
        side.add_table(as_table(current), target=target, predictions=predictions)
        return self._decide(profile, side, batch_id, extra_results)

    def check_parquet(
        self,
        profile: ReferenceProfile,
        path: str | Path,
        *,
        chunk_rows: int = 1_000_000,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Like :meth:`check` on a parquet file read in chunks of ``chunk_rows`` rows."""
        import pyarrow.parquet as pq

        self._validate(profile)
        if chunk_rows < 1:
            raise ConfigError(fail(f"chunk_rows={chunk_rows}", "use a positive number of rows"))
        try:
            schema = pq.read_schema(str(path))
        except (OSError, pa.ArrowException) as e:
            raise DataError(fail(f"cannot read parquet file {path} ({e})", "check the path")) from e
        wanted = [*profile.numeric, *profile.categorical]
        if profile.target is not None:
            wanted.append(profile.target)
        cols = [c for c in schema.names if c in set(wanted)]
        strings = [
            c
            for c in cols
            if pa.types.is_string(schema.field(c).type)
            or pa.types.is_large_string(schema.field(c).type)
        ]
        side = _CurrentSide(profile, self.psi_bins)
        for table in parquet_chunks(path, chunk_rows, cols, strings):
            side.add_table(table)
        side.seen |= set(schema.names)
        return self._decide(profile, side, batch_id, extra_results)

    def compare(
        self,
        reference: ReferenceProfile,
        current: ReferenceProfile,
        *,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Profile-to-profile check (e.g. a batch against merged earlier batches).

        The current side is then a sketch too: KS stays within about ``2 / levels`` of the
        exact value; the PSI of a nearly empty bin is steeper and may be off by ~1 %.
        """
        self._validate(reference)
        side = _CurrentSide(reference, self.psi_bins)
        side.add_profile(current)
        return self._decide(reference, side, batch_id, extra_results)

    # -- validation (the one place) -------------------------------------------------------

    def _validate(self, profile: Any) -> None:
        if not (isinstance(self.alpha, float | int) and 0 < self.alpha < 1):
            raise ConfigError(fail(f"alpha={self.alpha!r}", "use a number in (0, 1)"))
        if self.correction not in ("holm", "bh"):
            raise ConfigError(fail(f"correction={self.correction!r}", "use 'holm' or 'bh'"))
        for nm in ("numeric_floor", "categorical_floor", "label_floor"):
            v = getattr(self, nm)
            if not (isinstance(v, float | int) and 0 <= v <= 1):
                raise ConfigError(fail(f"{nm}={v!r}", "use an effect size in [0, 1]"))
        if not (isinstance(self.psi_bins, int) and self.psi_bins >= 2):
            raise ConfigError(fail(f"psi_bins={self.psi_bins!r}", "use an integer >= 2"))
        if not self.min_expected >= 0:
            raise ConfigError(fail(f"min_expected={self.min_expected!r}", "use a count >= 0"))
        if not isinstance(profile, ReferenceProfile):
            raise DataError(
                fail(
                    f"expected a ReferenceProfile, got {type(profile).__name__}",
                    "build one with ReferenceProfile.from_frame or load it with from_json",
                )
            )

    # -- decision -------------------------------------------------------------------------

    def _floor(self, role: str) -> float:
        if role == "categorical":
            return float(self.categorical_floor)
        if role == "target":
            return float(self.label_floor)
        return float(self.numeric_floor)

    def _decide(
        self,
        profile: ReferenceProfile,
        side: _CurrentSide,
        batch_id: str | None,
        extra_results: Iterable[DriftResult],
    ) -> DriftReport:
        alpha = float(self.alpha)
        severe = {**SEVERE_THRESHOLDS, **(self.severe_thresholds or {})}
        notes: list[str] = []
        tested: list[_Tested] = []
        missing = [c for c in profile.features if c not in side.seen]
        if missing:
            notes.append(f"columns missing from the batch (not tested): {missing}")
        for name, s in profile.numeric.items():
            cs = side.numeric[name]
            if name in missing:
                continue
            if s.n == 0 or cs.n == 0:
                notes.append(f"numeric column {name!r} has no values on one side (not tested)")
                continue
            tested.append(
                _numeric_test(
                    name, "numeric", s, cs, side.edges[name], alpha, self._floor("numeric")
                )
            )
        for name, s in profile.categorical.items():
            if name in missing:
                continue
            cc = side.categorical[name]
            if s.n + s.nulls == 0 or cc.n == 0:
                notes.append(f"categorical column {name!r} has no values on one side (not tested)")
                continue
            tested.append(
                _categorical_test(
                    name, "categorical", s, cc, alpha, self._floor("categorical"), self.min_expected
                )
            )
        if profile.target is not None:
            if not side.has_label:
                notes.append("the batch has no target: label shift not tested")
            elif isinstance(profile.label, CategoricalSummary) and side.label_cat is not None:
                if side.label_cat.n > 0:
                    tested.append(
                        _categorical_test(
                            profile.target,
                            "target",
                            profile.label,
                            side.label_cat,
                            alpha,
                            self._floor("target"),
                            self.min_expected,
                        )
                    )
            elif isinstance(profile.label, NumericSummary) and side.label_num is not None:
                if side.label_num.n > 0:
                    t = _numeric_test(
                        profile.target,
                        "target",
                        profile.label,
                        side.label_num,
                        side.edges["__label__"],
                        alpha,
                        self._floor("target"),
                    )
                    tested.append(t)
        if profile.predictions is not None and side.pred is not None and side.has_pred:
            if side.pred.n > 0:
                tested.append(
                    _numeric_test(
                        "__predictions__",
                        "prediction",
                        profile.predictions,
                        side.pred,
                        side.edges["__pred__"],
                        alpha,
                        self._floor("prediction"),
                    )
                )
        extras = tuple(extra_results)
        return self._assemble(profile, side, tested, extras, notes, batch_id, severe)

    def _assemble(
        self,
        profile: ReferenceProfile,
        side: _CurrentSide,
        tested: list[_Tested],
        extras: tuple[DriftResult, ...],
        notes: list[str],
        batch_id: str | None,
        severe: Mapping[str, float],
    ) -> DriftReport:
        alpha = float(self.alpha)
        adjusted = adjust_pvalues([t.p_value for t in tested], self.correction)
        order = sorted(range(len(tested)), key=lambda i: (-tested[i].effect, tested[i].column))
        rank = {i: r + 1 for r, i in enumerate(order)}
        entries: list[ColumnDrift] = []
        for i in order:
            t = tested[i]
            floor = self._floor(t.role)
            drifted = bool(adjusted[i] < alpha and t.effect >= floor)
            sev: Severity = "none"
            if drifted:
                sev = "severe" if t.effect >= severe.get(t.role, 1.0) else "moderate"
            entries.append(
                ColumnDrift(
                    column=t.column,
                    role=t.role,
                    effect_size=float(t.effect),
                    effect_size_name=t.effect_name,
                    floor=floor,
                    p_value=float(t.p_value),
                    p_value_corrected=float(adjusted[i]),
                    drifted=drifted,
                    severity=sev,
                    rank=rank[i],
                    results=tuple(t.results),
                )
            )
        kinds: list[str] = []
        if any(e.drifted and e.role in ("numeric", "categorical", "prediction") for e in entries):
            kinds.append("covariate")
        if any(e.drifted and e.role == "target" for e in entries):
            kinds.append("label")
        drifted_extras = [r for r in extras if r.is_drift]
        for r in drifted_extras:
            kind = _extra_kind(r)
            if kind not in kinds:
                kinds.append(kind)
        kinds_t = tuple(k for k in ("covariate", "label", "concept") if k in kinds)
        is_drift = bool(kinds_t)
        effects = [e.effect_size for e in entries if e.drifted]
        effects += [float(r.effect_size) for r in drifted_extras]
        sevs = [e.severity for e in entries if e.drifted]
        sevs += [
            "severe" if (r.details or {}).get("severity") == "severe" else "moderate"
            for r in drifted_extras
        ]
        severity: Severity = "severe" if "severe" in sevs else "moderate" if sevs else "none"
        unseen = {t.column: t.unseen for t in tested if t.unseen}
        vanished = {t.column: t.vanished for t in tested if t.vanished}
        if unseen:
            notes.append(f"unseen categories in {sorted(unseen)}")
        n_cur = side.n_rows
        return DriftReport(
            batch_id=batch_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            alpha=alpha,
            correction=self.correction,
            is_drift=is_drift,
            kinds=kinds_t,  # type: ignore[arg-type]
            severity=severity,
            max_effect=float(max(effects, default=0.0)),
            columns=tuple(entries),
            n_reference=int(profile.n_rows),
            n_current=int(n_cur),
            unseen_categories=unseen,
            vanished_categories=vanished,
            extra_results=extras,
            notes=tuple(notes),
        )
