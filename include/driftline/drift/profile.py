"""Reference profile: a compact, mergeable, JSON-serialisable summary of a data set.

A :class:`ReferenceProfile` is built in one pass (optionally chunk by chunk) and holds, per
numeric column, a fine quantile sketch (:class:`NumericSummary`) plus n, mean, std, min,
max and the null count; per categorical column the category counts
(:class:`CategoricalSummary`); the label distribution when a target column is named; an
optional reference performance (a metrics dict) and an optional summary of the reference
predicted probabilities; and the role of every column.

The numeric sketch stores the exact empirical CDF at about ``levels`` knots placed at
equally spaced quantile levels (Hyndman & Fan, 1996, definition 1, "inverted CDF"):
for each knot the counts of values below it and at or below it, so ties and point
masses are kept exactly. Between knots the CDF is interpolated linearly; the mass
between two knots is at most ``n / levels``, so the sketch CDF is within ``1 / levels``
of the empirical CDF everywhere. Two sketches merge by summing their CDFs at the union of
their knots and re-selecting knots at the same resolution (in the spirit of the
mergeable summaries of Agarwal et al., 2013); mean and variance merge exactly (Chan,
Golub & LeVeque, 1979).

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=1000), "c": rng.choice(["a", "b"], 1000)})
>>> p = ReferenceProfile.from_frame(df)
>>> p.roles
{'x': 'numeric', 'c': 'categorical'}
>>> q = p.merge(ReferenceProfile.from_frame(df))
>>> q.n_rows, q.categorical["c"].counts == {k: 2 * v for k, v in p.categorical["c"].counts.items()}
(2000, True)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import ConfigError, DataError, fail

SCHEMA = "driftline.reference_profile"
SCHEMA_VERSION = 1
DEFAULT_LEVELS = 2000
DEFAULT_MAX_CATEGORIES = 1000
NULL_LEVEL = "<null>"

Role = Literal["numeric", "categorical", "target", "timestamp", "prediction"]


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


# ---------------------------------------------------------------------------------------
# reading columns (pandas or pyarrow)


def as_table(data: Any) -> pa.Table:
    """A pyarrow Table from a pandas DataFrame, a pyarrow Table or a RecordBatch."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise DataError(
        fail(
            f"cannot read a data set of type {type(data).__name__}",
            "pass a pandas DataFrame or a pyarrow Table",
        )
    )


def parquet_chunks(
    path: str | Path,
    chunk_rows: int,
    columns: Sequence[str] | None = None,
    read_dictionary: Sequence[str] | None = None,
) -> Iterator[pa.Table]:
    """Read a parquet file as tables of about ``chunk_rows`` rows (whole row groups
    grouped up to ``chunk_rows``; larger row groups split), so memory stays bounded."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(str(path), read_dictionary=read_dictionary)
    group: list[int] = []
    rows = 0
    for i in range(pf.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        if group and rows + n > chunk_rows:
            yield pf.read_row_groups(group, columns=columns)
            group, rows = [], 0
        if n > chunk_rows:
            for b in pf.iter_batches(batch_size=chunk_rows, row_groups=[i], columns=columns):
                yield pa.Table.from_batches([b])
            continue
        group.append(i)
        rows += n
    if group:
        yield pf.read_row_groups(group, columns=columns)


def numeric_values(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Float64 numpy values of a numeric/bool column, nulls as NaN (zero-copy if possible)."""
    if isinstance(col, pa.ChunkedArray) and col.num_chunks == 1:
        col = col.chunk(0)
    if col.type != pa.float64():
        col = pc.cast(col, pa.float64())
    if col.null_count:
        col = pc.fill_null(col, math.nan)
    if isinstance(col, pa.ChunkedArray):
        return col.to_numpy()
    return col.to_numpy(zero_copy_only=False)


def category_counts(col: pa.ChunkedArray | pa.Array) -> tuple[dict[str, int], int]:
    """``({level: count}, nulls)`` of a column; levels are converted to strings."""
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type) if col.null_count else col
    vc = pc.value_counts(col)
    values = vc.field("values")
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    counts = vc.field("counts").to_numpy()
    out: dict[str, int] = {}
    nulls = 0
    for v, c in zip(values.to_pylist(), counts.tolist(), strict=True):
        if v is None:
            nulls += c
        else:
            key = _level(v)
            out[key] = out.get(key, 0) + c
    return out, nulls


def _level(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def infer_role(typ: pa.DataType) -> Role | None:
    """Default role of an arrow type: numbers numeric, strings/bools categorical."""
    if pa.types.is_dictionary(typ):
        return "categorical"
    if pa.types.is_boolean(typ) or pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "categorical"
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "numeric"
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        return "timestamp"
    return None


def _is_continuous(typ: pa.DataType) -> bool:
    return pa.types.is_floating(typ) or pa.types.is_decimal(typ)


def probability_values(predictions: Any) -> np.ndarray:
    """Predicted probabilities as 1-D: column 1 of an (n, 2) array, row max of (n, k>2)."""
    p = np.asarray(predictions, dtype=np.float64)
    if p.ndim == 2:
        p = p[:, 1] if p.shape[1] == 2 else p.max(axis=1)
    if p.ndim != 1:
        raise DataError(fail("predictions must be 1-D or 2-D", "pass probabilities per row"))
    return p


# ---------------------------------------------------------------------------------------
# the profile


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    """Mergeable summary of a reference data set (see the module docstring).

    Build with :meth:`from_frame` or :meth:`from_parquet`; combine with :meth:`merge`;
    store with :meth:`to_json` / :meth:`from_json`.
    """

    n_rows: int
    numeric: Mapping[str, NumericSummary]
    categorical: Mapping[str, CategoricalSummary]
    target: str | None = None
    label: Summary | None = None
    timestamp: str | None = None
    time_range: TimestampSummary | None = None
    predictions: NumericSummary | None = None
    performance: Mapping[str, float] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    levels: int = DEFAULT_LEVELS
    max_categories: int = DEFAULT_MAX_CATEGORIES
    created_at: str = ""

    # -- building -------------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls,
        data: Any,
        *,
        target: str | None = None,
        timestamp: str | None = None,
        numeric: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        exclude: Iterable[str] = (),
        predictions: Any = None,
        performance: Mapping[str, float] | None = None,
        levels: int = DEFAULT_LEVELS,
        max_categories: int = DEFAULT_MAX_CATEGORIES,
        like: ReferenceProfile | None = None,
        label_type: Literal["categorical", "numeric"] | None = None,
    ) -> ReferenceProfile:
        """Profile a pandas DataFrame or pyarrow Table.

        Roles are inferred from the types (numbers numeric, strings/bools categorical,
        timestamps timestamp) unless listed in ``numeric`` / ``categorical``. ``target``
        names the label column (categorical counts unless it is a float column);
        ``predictions`` is an array of predicted probabilities or the name of a column
        holding them; ``label_type`` forces the kind of label summary. ``like`` copies
        column roles and settings from another profile (to profile a batch the same way as
        its reference); its columns missing from ``data`` get empty (all-null) summaries.
        """
        if like is not None:
            return cls._like(like, as_table(data), predictions, performance)
        _validate_build(levels, max_categories)
        table = as_table(data)
        names = table.column_names
        roles = _assign_roles(table, target, timestamp, numeric, categorical, exclude, predictions)
        num: dict[str, NumericSummary] = {}
        cat: dict[str, CategoricalSummary] = {}
        label: Summary | None = None
        trange: TimestampSummary | None = None
        pred: NumericSummary | None = None
        ignored = tuple(c for c in names if c not in roles and c not in set(exclude))
        for name, role in roles.items():
            col = table.column(name)
            if role == "numeric":
                num[name] = NumericSummary.from_values(numeric_values(col), levels)
            elif role == "categorical":
                counts, nulls = category_counts(col)
                cat[name] = CategoricalSummary.from_counts(counts, nulls, max_categories)
            elif role == "target":
                label = _label_summary(col, levels, max_categories, label_type)
            elif role == "timestamp":
                trange = _time_summary(col)
            elif role == "prediction":
                pred = NumericSummary.from_values(numeric_values(col), levels)
        if predictions is not None and not isinstance(predictions, str):
            probs = probability_values(predictions)
            if probs.size != table.num_rows:
                raise DataError(
                    fail(
                        f"{probs.size} predictions for {table.num_rows} rows",
                        "pass one prediction per row",
                    )
                )
            pred = NumericSummary.from_values(probs, levels)
        return cls(
            n_rows=table.num_rows,
            numeric=num,
            categorical=cat,
            target=target,
            label=label,
            timestamp=timestamp,
            time_range=trange,
            predictions=pred,
            performance=dict(performance or {}),
            ignored=ignored,
            levels=levels,
            max_categories=max_categories,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    @classmethod
    def _like(
        cls, like: ReferenceProfile, table: pa.Table, predictions: Any, performance: Any
    ) -> ReferenceProfile:
        names = set(table.column_names)
        label_type = None
        if like.label is not None:
            label_type = "numeric" if isinstance(like.label, NumericSummary) else "categorical"
        prof = cls.from_frame(
            table,
            target=like.target if like.target in names else None,
            timestamp=like.timestamp if like.timestamp in names else None,
            numeric=[c for c in like.numeric if c in names],
            categorical=[c for c in like.categorical if c in names],
            exclude=[c for c in names if c not in like.roles],
            predictions=predictions,
            performance=performance,
            levels=like.levels,
            max_categories=like.max_categories,
            label_type=label_type,
        )
        rows = table.num_rows
        empty_num = NumericSummary.from_values(np.full(rows, math.nan))
        empty_cat = CategoricalSummary(0, rows, {})
        return replace(
            prof,
            numeric={c: prof.numeric.get(c, empty_num) for c in like.numeric},
            categorical={c: prof.categorical.get(c, empty_cat) for c in like.categorical},
            target=like.target,
            timestamp=like.timestamp,
        )

    @classmethod
    def from_parquet(
        cls, path: str | Path, *, chunk_rows: int = 1_000_000, **kwargs: Any
    ) -> ReferenceProfile:
        """Profile a parquet file chunk by chunk (memory bounded by ``chunk_rows``).

        Keyword arguments are those of :meth:`from_frame` (``predictions`` must then be a
        column name).
        """
        import pyarrow.parquet as pq

        if chunk_rows < 1:
            raise ConfigError(fail(f"chunk_rows={chunk_rows}", "use a positive number of rows"))
        try:
            schema = pq.read_schema(str(path))
        except (OSError, pa.ArrowException) as e:
            raise DataError(fail(f"cannot read parquet file {path} ({e})", "check the path")) from e
        strings = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        parts = [
            cls.from_frame(t, **kwargs) for t in parquet_chunks(path, chunk_rows, None, strings)
        ]
        if not parts:
            return cls.from_frame(schema.empty_table(), **kwargs)
        return cls.merge_all(parts)

    # -- merging --------------------------------------------------------------------------

    def merge(self, other: ReferenceProfile) -> ReferenceProfile:
        """Profile of the union of both data sets (same roles required)."""
        if self.roles != other.roles:
            raise DataError(
                fail(
                    "cannot merge profiles with different columns or roles",
                    "profile both data sets with the same roles (from_frame(..., like=...))",
                )
            )
        levels = self.levels
        return ReferenceProfile(
            n_rows=self.n_rows + other.n_rows,
            numeric={k: v.merge(other.numeric[k], levels) for k, v in self.numeric.items()},
            categorical={
                k: v.merge(other.categorical[k], self.max_categories)
                for k, v in self.categorical.items()
            },
            target=self.target,
            label=_merge_opt(self.label, other.label, levels, self.max_categories),
            timestamp=self.timestamp,
            time_range=(
                self.time_range.merge(other.time_range)
                if self.time_range is not None and other.time_range is not None
                else self.time_range or other.time_range
            ),
            predictions=_merge_opt(self.predictions, other.predictions, levels, 0),
            performance=dict(self.performance),
            ignored=self.ignored,
            levels=levels,
            max_categories=self.max_categories,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    @staticmethod
    def merge_all(profiles: Sequence[ReferenceProfile]) -> ReferenceProfile:
        """Merge many profiles pairwise as a balanced tree (keeps sketch error low)."""
        items = list(profiles)
        if not items:
            raise DataError(fail("no profiles to merge", "pass at least one profile"))
        while len(items) > 1:
            nxt = [a.merge(b) for a, b in zip(items[::2], items[1::2], strict=False)]
            if len(items) % 2:
                nxt.append(items[-1])
            items = nxt
        return items[0]

    # -- views ----------------------------------------------------------------------------

    @property
    def roles(self) -> dict[str, Role]:
        """``{column: role}`` for every profiled column."""
        out: dict[str, Role] = {}
        for c in self.numeric:
            out[c] = "numeric"
        for c in self.categorical:
            out[c] = "categorical"
        if self.target is not None:
            out[self.target] = "target"
        if self.timestamp is not None:
            out[self.timestamp] = "timestamp"
        return out

    @property
    def features(self) -> list[str]:
        """Numeric then categorical feature columns."""
        return [*self.numeric, *self.categorical]

    def with_performance(self, metrics: Mapping[str, float]) -> ReferenceProfile:
        """Copy with the reference performance (metrics dict) set."""
        return replace(self, performance={k: float(v) for k, v in metrics.items()})

    # -- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with a ``schema`` and ``schema_version`` field."""
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "created_at": self.created_at,
            "n_rows": self.n_rows,
            "levels": self.levels,
            "max_categories": self.max_categories,
            "roles": self.roles,
            "target": self.target,
            "timestamp": self.timestamp,
            "ignored": list(self.ignored),
            "performance": dict(self.performance),
            "numeric": {k: v.to_dict() for k, v in self.numeric.items()},
            "categorical": {k: v.to_dict() for k, v in self.categorical.items()},
            "label": None if self.label is None else self.label.to_dict(),
            "time_range": None if self.time_range is None else self.time_range.to_dict(),
            "predictions": None if self.predictions is None else self.predictions.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        """Inverse of :meth:`to_dict`; checks the schema version."""
        if d.get("schema") != SCHEMA or d.get("schema_version") != SCHEMA_VERSION:
            raise DataError(
                fail(
                    f"not a reference profile of schema version {SCHEMA_VERSION} "
                    f"(got {d.get('schema')!r} v{d.get('schema_version')!r})",
                    "re-create the profile with this version of driftline",
                )
            )
        return cls(
            n_rows=int(d["n_rows"]),
            numeric={k: NumericSummary.from_dict(v) for k, v in d["numeric"].items()},
            categorical={k: CategoricalSummary.from_dict(v) for k, v in d["categorical"].items()},
            target=d.get("target"),
            label=None if d.get("label") is None else summary_from_dict(d["label"]),
            timestamp=d.get("timestamp"),
            time_range=(
                None if d.get("time_range") is None else TimestampSummary.from_dict(d["time_range"])
            ),
            predictions=(
                None if d.get("predictions") is None else NumericSummary.from_dict(d["predictions"])
            ),
            performance={k: float(v) for k, v in (d.get("performance") or {}).items()},
            ignored=tuple(d.get("ignored", ())),
            levels=int(d.get("levels", DEFAULT_LEVELS)),
            max_categories=int(d.get("max_categories", DEFAULT_MAX_CATEGORIES)),
            created_at=str(d.get("created_at", "")),
        )

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, path_or_text: str | Path) -> ReferenceProfile:
        """Load from a JSON file path or from JSON text."""
        s = str(path_or_text)
        text = s if s.lstrip().startswith("{") else Path(s).read_text(encoding="utf-8")
        try:
            return cls.from_dict(json.loads(text))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DataError(fail(f"unreadable reference profile ({e})", "re-create it")) from e


def _merge_opt(a: Any, b: Any, levels: int, max_categories: int) -> Any:
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, NumericSummary) and isinstance(b, NumericSummary):
        return a.merge(b, levels)
    if isinstance(a, CategoricalSummary) and isinstance(b, CategoricalSummary):
        return a.merge(b, max_categories)
    raise DataError(fail("label summaries of different types", "use one label type"))


def _validate_build(levels: int, max_categories: int) -> None:
    if not isinstance(levels, int) or levels < 10:
        raise ConfigError(fail(f"levels={levels!r}", "use an integer >= 10 (default 2000)"))
    if not isinstance(max_categories, int) or max_categories < 1:
        raise ConfigError(fail(f"max_categories={max_categories!r}", "use a positive integer"))


def _assign_roles(
    table: pa.Table,
    target: str | None,
    timestamp: str | None,
    numeric: Sequence[str] | None,
    categorical: Sequence[str] | None,
    exclude: Iterable[str],
    predictions: Any,
) -> dict[str, Role]:
    names = table.column_names
    excluded = set(exclude)
    named = [c for c in (target, timestamp) if c is not None]
    named += list(numeric or ()) + list(categorical or ())
    if isinstance(predictions, str):
        named.append(predictions)
    missing = [c for c in named if c not in names]
    if missing:
        raise DataError(fail(f"column(s) {missing} not in the data", f"use columns among {names}"))
    roles: dict[str, Role] = {}
    forced = {c: "numeric" for c in numeric or ()} | {c: "categorical" for c in categorical or ()}
    for name in names:
        if name in excluded:
            continue
        if name == target:
            roles[name] = "target"
        elif name == timestamp:
            roles[name] = "timestamp"
        elif isinstance(predictions, str) and name == predictions:
            roles[name] = "prediction"
        elif name in forced:
            roles[name] = forced[name]  # type: ignore[assignment]
        elif numeric is None and categorical is None:
            role = infer_role(table.schema.field(name).type)
            if role is not None and role != "timestamp":
                roles[name] = role
    return roles


def _label_summary(
    col: pa.ChunkedArray, levels: int, max_categories: int, kind: str | None = None
) -> Summary:
    if kind == "numeric":
        return NumericSummary.from_values(numeric_values(col), levels)
    if kind is None and _is_continuous(col.type):
        values = numeric_values(col)
        finite = values[~np.isnan(values)]
        if np.unique(finite[:100_000]).size > 50:  # a regression target
            return NumericSummary.from_values(values, levels)
    counts, nulls = category_counts(col)
    return CategoricalSummary.from_counts(counts, nulls, max_categories)


def _time_summary(col: pa.ChunkedArray) -> TimestampSummary:
    mm = pc.min_max(col)
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    return TimestampSummary(
        len(col) - col.null_count,
        col.null_count,
        None if lo is None else lo.isoformat(),
        None if hi is None else hi.isoformat(),
    )
