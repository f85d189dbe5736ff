"""Mergeable, JSON-serialisable summaries of one column: the sketches of a reference profile.

:class:`NumericSummary` holds n, mean, std, min, max, the null count and a fine quantile
sketch; :class:`CategoricalSummary` the level counts; :class:`TimestampSummary` the range
of a timestamp column.

The numeric sketch stores the exact empirical CDF at about ``levels`` knots placed at
equally spaced quantile levels (Hyndman & Fan, 1996, definition 1, "inverted CDF"):
for each knot the counts of values below it and at or below it, so ties and point
masses are kept exactly. Between knots the CDF is interpolated linearly; the mass
between two knots is at most ``n / levels``, so the sketch CDF is within ``1 / levels``
of the empirical CDF everywhere. Two sketches merge by summing their CDFs at the union of
their knots and re-selecting knots at the same resolution (in the spirit of the
mergeable summaries of Agarwal et al., 2013); mean and variance merge exactly (Chan,
Golub & LeVeque, 1979). A column with at most ``levels + 1`` distinct values is stored
exactly.

>>> import numpy as np
>>> s = NumericSummary.from_values(np.random.default_rng(0).normal(size=10_000), levels=100)
>>> s.knots.size, float(s.cdf(s.quantile(0.5)))  # 101 knots: levels 0, 1/100, ..., 1
(101, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from driftline.errors import DataError, fail

DEFAULT_LEVELS = 2000
DEFAULT_MAX_CATEGORIES = 1000

# ---------------------------------------------------------------------------------------
# numeric sketch


@dataclass(frozen=True, eq=False)
class NumericSummary:
    """Summary of one numeric column: moments, range, nulls and a quantile sketch.

    ``knots`` are strictly increasing values; ``lt[i]`` / ``le[i]`` count the non-null
    values ``< knots[i]`` / ``<= knots[i]`` (floats, since merged sketches interpolate).
    ``std`` is the population standard deviation (ddof = 0).
    """

    n: int
    nulls: int
    mean: float
    std: float
    min: float
    max: float
    knots: np.ndarray
    lt: np.ndarray
    le: np.ndarray

    @classmethod
    def from_values(cls, values: Any, levels: int = DEFAULT_LEVELS) -> NumericSummary:
        """Summarise a 1-D array of numbers (NaN counts as null). Sorts a copy once."""
        v = np.asarray(values, dtype=np.float64).ravel()
        nan = np.isnan(v)
        nulls = int(nan.sum())
        if nulls:
            v = v[~nan]
        if v.size and not np.isfinite(v).all():
            raise DataError(
                fail("numeric column contains +/-inf", "replace infinities before profiling")
            )
        return cls._from_sorted(np.sort(v), nulls, levels)

    @classmethod
    def _from_sorted(cls, s: np.ndarray, nulls: int, levels: int) -> NumericSummary:
        n = int(s.size)
        if n == 0:
            empty = np.empty(0)
            return cls(0, nulls, math.nan, math.nan, math.nan, math.nan, empty, empty, empty)
        starts = np.flatnonzero(s[1:] != s[:-1]) + 1
        if starts.size + 1 <= levels + 1:  # few distinct values: store them all (exact)
            first = np.concatenate(([0], starts))
            knots = s[first]
            lt = first.astype(np.float64)
            le = np.concatenate((starts, [n])).astype(np.float64)
        else:  # knot i at the inverted-CDF quantile of level i / levels
            pos = np.ceil(np.arange(levels + 1) * (n / levels)).astype(np.int64) - 1
            picked = s[np.clip(pos, 0, n - 1)]
            knots = picked[np.concatenate(([True], picked[1:] != picked[:-1]))]
            lt = np.searchsorted(s, knots, "left").astype(np.float64)
            le = np.searchsorted(s, knots, "right").astype(np.float64)
        mean = float(s.mean())
        std = float(np.sqrt(max(float(np.mean((s - mean) ** 2)), 0.0)))
        return cls(n, nulls, mean, std, float(s[0]), float(s[-1]), knots, lt, le)

    # -- evaluation -----------------------------------------------------------------------

    def counts_at(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Counts of values ``< u`` and ``<= u`` at each point of ``u`` (sketch CDF)."""
        u = np.asarray(u, dtype=np.float64)
        x = self.knots
        if x.size == 0:
            z = np.zeros(u.shape)
            return z, z
        k = np.searchsorted(x, u, "right") - 1  # last knot <= u, -1 below
        kc = np.clip(k, 0, x.size - 1)
        kn = np.clip(k + 1, 0, x.size - 1)
        exact = (k >= 0) & (x[kc] == u)
        width = x[kn] - x[kc]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(width > 0, (u - x[kc]) / np.where(width > 0, width, 1.0), 0.0)
        inner = self.le[kc] + t * (self.lt[kn] - self.le[kc])
        below = k < 0
        above = (k == x.size - 1) & ~exact
        lt = np.where(exact, self.lt[kc], inner)
        le = np.where(exact, self.le[kc], inner)
        lt = np.where(below, 0.0, np.where(above, float(self.n), lt))
        le = np.where(below, 0.0, np.where(above, float(self.n), le))
        return lt, le

    def cdf(self, u: Any) -> np.ndarray:
        """Sketch of the empirical CDF ``P(X <= u)``."""
        if self.n == 0:
            return np.full(np.shape(u), math.nan)
        return self.counts_at(np.asarray(u, dtype=np.float64))[1] / self.n

    def quantile(self, q: Any) -> np.ndarray:
        """Inverted-CDF quantile: the smallest ``x`` with ``P(X <= x) >= q``."""
        q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
        if self.n == 0:
            return np.full(q.shape, math.nan)
        c = q * self.n
        k = np.clip(np.searchsorted(self.le, c, "left"), 0, self.knots.size - 1)
        kp = np.clip(k - 1, 0, self.knots.size - 1)
        in_gap = (c <= self.lt[k]) & (k > 0)
        gap = self.lt[k] - self.le[kp]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(gap > 0, (c - self.le[kp]) / np.where(gap > 0, gap, 1.0), 1.0)
        inner = self.knots[kp] + np.clip(t, 0.0, 1.0) * (self.knots[k] - self.knots[kp])
        return np.where(in_gap, inner, self.knots[k])

    def tail_sum(self, a: float, *, below: bool) -> float:
        """Sum of the values below (or above) ``a``: atoms at the knots, gaps uniform."""
        x = self.knots[self.knots < a] if below else self.knots[self.knots > a]
        if x.size == 0:
            return 0.0
        xs = np.append(x, a) if below else np.insert(x, 0, a)
        lt, le = self.counts_at(xs)
        atom = le - lt
        atoms, pts = (atom[:-1], xs[:-1]) if below else (atom[1:], xs[1:])
        gaps = lt[1:] - le[:-1]
        mids = (xs[1:] + xs[:-1]) / 2
        return float((atoms * pts).sum() + (gaps * mids).sum())

    # -- merging --------------------------------------------------------------------------

    def merge(self, other: NumericSummary, levels: int = DEFAULT_LEVELS) -> NumericSummary:
        """Summary of the union of both samples (moments exact, sketch within 2/levels)."""
        if other.n == 0:
            return replace(self, nulls=self.nulls + other.nulls)
        if self.n == 0:
            return replace(other, nulls=self.nulls + other.nulls)
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.std**2 * self.n + other.std**2 * other.n + delta**2 * self.n * other.n / n
        u = np.union1d(self.knots, other.knots)
        lt_a, le_a = self.counts_at(u)
        lt_b, le_b = other.counts_at(u)
        knots, lt, le = _compress(u, lt_a + lt_b, le_a + le_b, n, levels)
        return NumericSummary(
            n,
            self.nulls + other.nulls,
            float(mean),
            float(math.sqrt(max(m2 / n, 0.0))),
            min(self.min, other.min),
            max(self.max, other.max),
            knots,
            lt,
            le,
        )

    # -- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; ``atom = le - lt`` is stored instead of ``lt`` (mostly 1s)."""
        return {
            "type": "numeric",
            "n": self.n,
            "nulls": self.nulls,
            "mean": _num(self.mean),
            "std": _num(self.std),
            "min": _num(self.min),
            "max": _num(self.max),
            "knots": self.knots.tolist(),
            "le": _compact(self.le),
            "atom": _compact(self.le - self.lt),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NumericSummary:
        """Inverse of :meth:`to_dict`."""
        le = np.asarray(d["le"], dtype=np.float64)
        return cls(
            int(d["n"]),
            int(d["nulls"]),
            _unnum(d["mean"]),
            _unnum(d["std"]),
            _unnum(d["min"]),
            _unnum(d["max"]),
            np.asarray(d["knots"], dtype=np.float64),
            le - np.asarray(d["atom"], dtype=np.float64),
            le,
        )


def _compress(
    x: np.ndarray, lt: np.ndarray, le: np.ndarray, n: float, levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the first/last knot and each knot whose CDF crosses a new 1/levels cell."""
    if x.size <= levels + 1:
        return x, lt, le
    cell = np.floor(le * (levels / n))
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    keep[1:] = cell[1:] != cell[:-1]
    keep[-1] = True
    return x[keep], lt[keep], le[keep]


def _compact(a: np.ndarray) -> list[float | int]:
    """List with integral floats written as ints (shorter JSON)."""
    if a.size and np.all(a == np.round(a)):
        return np.round(a).astype(np.int64).tolist()
    return a.tolist()


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _unnum(v: Any) -> float:
    return math.nan if v is None else float(v)


# ---------------------------------------------------------------------------------------
# categorical and timestamp summaries


@dataclass(frozen=True)
class CategoricalSummary:
    """Category counts of one column (levels as strings; nulls counted apart).

    When a column has more than ``max_categories`` levels only the most frequent are kept
    and the rest is summed into ``other``.
    """

    n: int
    nulls: int
    counts: Mapping[str, int]
    other: int = 0

    @classmethod
    def from_counts(
        cls, counts: Mapping[str, int], nulls: int, max_categories: int = DEFAULT_MAX_CATEGORIES
    ) -> CategoricalSummary:
        """Build from a ``{level: count}`` mapping, capping the number of levels."""
        items = sorted(((str(k), int(v)) for k, v in counts.items() if v > 0), key=_by_count)
        other = sum(v for _, v in items[max_categories:])
        kept = dict(items[:max_categories])
        return cls(sum(kept.values()) + other, int(nulls), kept, other)

    def merge(
        self, other: CategoricalSummary, max_categories: int = DEFAULT_MAX_CATEGORIES
    ) -> CategoricalSummary:
        """Summary of the union of both samples."""
        counts = dict(self.counts)
        for k, v in other.counts.items():
            counts[k] = counts.get(k, 0) + v
        merged = CategoricalSummary.from_counts(counts, self.nulls + other.nulls, max_categories)
        return replace(
            merged,
            n=merged.n + self.other + other.other,
            other=merged.other + self.other + other.other,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "type": "categorical",
            "n": self.n,
            "nulls": self.nulls,
            "other": self.other,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CategoricalSummary:
        """Inverse of :meth:`to_dict`."""
        counts = {str(k): int(v) for k, v in d["counts"].items()}
        return cls(int(d["n"]), int(d["nulls"]), counts, int(d.get("other", 0)))


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


@dataclass(frozen=True)
class TimestampSummary:
    """Range of a timestamp column (ISO 8601 strings) and its null count."""

    n: int
    nulls: int
    min: str | None
    max: str | None

    def merge(self, other: TimestampSummary) -> TimestampSummary:
        """Summary of the union of both samples."""
        lo = [v for v in (self.min, other.min) if v is not None]
        hi = [v for v in (self.max, other.max) if v is not None]
        return TimestampSummary(
            self.n + other.n,
            self.nulls + other.nulls,
            min(lo, key=_ts_key) if lo else None,
            max(hi, key=_ts_key) if hi else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "type": "timestamp",
            "n": self.n,
            "nulls": self.nulls,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TimestampSummary:
        """Inverse of :meth:`to_dict`."""
        return cls(int(d["n"]), int(d["nulls"]), d.get("min"), d.get("max"))


def _ts_key(v: str) -> datetime:
    t = datetime.fromisoformat(v)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


Summary = NumericSummary | CategoricalSummary


def summary_from_dict(d: Mapping[str, Any]) -> Summary:
    """Rebuild a numeric or categorical summary from its dict."""
    if d.get("type") == "numeric":
        return NumericSummary.from_dict(d)
    if d.get("type") == "categorical":
        return CategoricalSummary.from_dict(d)
    raise DataError(fail(f"unknown summary type {d.get('type')!r}", "re-create the profile"))
