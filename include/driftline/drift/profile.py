"""Reference profile: a compact, mergeable, JSON-serialisable summary of a data set.

A :class:`ReferenceProfile` is built in one pass (optionally chunk by chunk) and holds, per
numeric column, a fine quantile sketch (:class:`~driftline.drift.sketches.NumericSummary`)
plus n, mean, std, min, max and the null count; per categorical column the category counts
(:class:`~driftline.drift.sketches.CategoricalSummary`); the label distribution when a
target column is named; an optional reference performance (a metrics dict) and an optional
summary of the reference predicted probabilities; and the role of every column
(:func:`~driftline.drift.columns.assign_roles`). Profiles merge (the sketches do) and are
stored as JSON (schema ``driftline.reference_profile``, version 1).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.drift.columns import (
    Role,
    as_table,
    assign_roles,
    category_counts,
    is_continuous,
    numeric_values,
    parquet_chunks,
    probability_values,
    read_schema,
    string_columns,
)
from driftline.drift.sketches import (
    DEFAULT_LEVELS,
    DEFAULT_MAX_CATEGORIES,
    CategoricalSummary,
    NumericSummary,
    Summary,
    TimestampSummary,
    summary_from_dict,
)
from driftline.errors import ConfigError, DataError, fail

SCHEMA = "driftline.reference_profile"
SCHEMA_VERSION = 1


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
        roles = assign_roles(table, target, timestamp, numeric, categorical, exclude, predictions)
        num: dict[str, NumericSummary] = {}
        cat: dict[str, CategoricalSummary] = {}
        label: Summary | None = None
        trange: TimestampSummary | None = None
        pred: NumericSummary | None = None
        ignored = tuple(c for c in names if c not in roles and c not in set(exclude))
        for name, role in roles.items():
            col = table.column(name)
            if role == "numeric":
                num[name] = NumericSummary.from_values(numeric_values(col, name), levels)
            elif role == "categorical":
                counts, nulls = category_counts(col)
                cat[name] = CategoricalSummary.from_counts(counts, nulls, max_categories)
            elif role == "target":
                label = _label_summary(col, levels, max_categories, label_type)
            elif role == "timestamp":
                trange = _time_summary(col)
            elif role == "prediction":
                pred = NumericSummary.from_values(numeric_values(col, name), levels)
        if predictions is not None and not isinstance(predictions, str):
            probs = probability_values(predictions, table.num_rows)
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
        if chunk_rows < 1:
            raise ConfigError(fail(f"chunk_rows={chunk_rows}", "use a positive number of rows"))
        schema = read_schema(path)
        strings = string_columns(schema)
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


def require_profile(value: Any) -> ReferenceProfile:
    """``value`` itself when it is a :class:`ReferenceProfile`, else :class:`DataError`."""
    if not isinstance(value, ReferenceProfile):
        raise DataError(
            fail(
                f"expected a ReferenceProfile, got {type(value).__name__}",
                "build one with ReferenceProfile.from_frame or load it with from_json",
            )
        )
    return value


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


def _label_summary(
    col: pa.ChunkedArray, levels: int, max_categories: int, kind: str | None = None
) -> Summary:
    if kind == "numeric":
        return NumericSummary.from_values(numeric_values(col, "target"), levels)
    if kind is None and is_continuous(col.type):
        values = numeric_values(col, "target")
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
