"""Category counts and the base class of the count-based (categorical) drift tests.

A categorical test works on the 2 x K table of level counts of the two samples. Missing
values (None, NaN, pd.NA) are **kept as their own level**, shown as ``"<null>"``: a
rise in missingness is itself a drift. (Label tests reject missing values instead, see
:mod:`driftline.drift.inputs`.) The table is built once by hashing
(:func:`pandas.factorize`), and a test can also run on stored counts with
:meth:`CategoricalDriftTest.test_counts`, e.g. counts kept in a reference profile.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from driftline.drift.base import DriftResult, DriftTest, _Computed
from driftline.errors import DataError, fail

MISSING_LEVEL = "<null>"
#: At most this many unseen / vanished levels are listed in a result's details.
MAX_LISTED = 20


def level_name(level: Any) -> str:
    """JSON-ready name of a level (``"<null>"`` for a missing value)."""
    try:
        if pd.isna(level):
            return MISSING_LEVEL
    except (TypeError, ValueError):
        pass
    return str(level)


@dataclass(frozen=True, eq=False)
class CategoryCounts:
    """Counts of each level in the reference and the current sample (aligned arrays)."""

    levels: tuple[str, ...]
    reference: np.ndarray
    current: np.ndarray

    @property
    def n_reference(self) -> int:
        return int(self.reference.sum())

    @property
    def n_current(self) -> int:
        return int(self.current.sum())

    def proportions(self) -> tuple[np.ndarray, np.ndarray]:
        """Relative frequencies of each level in the reference and the current sample."""
        return self.reference / self.n_reference, self.current / self.n_current

    def unseen(self) -> list[str]:
        """Levels present in current but absent from reference, most frequent first."""
        return self._listed((self.reference == 0) & (self.current > 0), self.current)

    def vanished(self) -> list[str]:
        """Levels present in reference but absent from current, most frequent first."""
        return self._listed((self.current == 0) & (self.reference > 0), self.reference)

    def describe(self) -> dict[str, Any]:
        """Details shared by every categorical result (capped lists of levels)."""
        unseen = (self.reference == 0) & (self.current > 0)
        vanished = (self.current == 0) & (self.reference > 0)
        return {
            "n_levels": len(self.levels),
            "unseen_levels": self.unseen()[:MAX_LISTED],
            "n_unseen_levels": int(unseen.sum()),
            "unseen_share_current": float(self.current[unseen].sum() / self.n_current),
            "vanished_levels": self.vanished()[:MAX_LISTED],
            "n_vanished_levels": int(vanished.sum()),
            "vanished_share_reference": float(self.reference[vanished].sum() / self.n_reference),
        }

    def _listed(self, mask: np.ndarray, counts: np.ndarray) -> list[str]:
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(-counts[idx], kind="stable")]
        return [self.levels[i] for i in idx]

    @classmethod
    def from_samples(cls, reference: np.ndarray, current: np.ndarray) -> CategoryCounts:
        """Count levels of two 1-D samples (one hash pass over both).

        >>> c = CategoryCounts.from_samples(np.array(["a", "b", "a"]), np.array(["a", None]))
        >>> c.levels, c.reference.tolist(), c.current.tolist()
        (('a', 'b', '<null>'), [2, 1, 0], [1, 0, 1])
        """
        if reference.dtype != current.dtype:
            reference, current = reference.astype(object), current.astype(object)
        codes, uniques = pd.factorize(np.concatenate([reference, current]), use_na_sentinel=False)
        k = len(uniques)
        n = len(reference)
        return cls(
            levels=tuple(level_name(u) for u in uniques),
            reference=np.bincount(codes[:n], minlength=k).astype(np.int64),
            current=np.bincount(codes[n:], minlength=k).astype(np.int64),
        )

    @classmethod
    def from_mappings(
        cls,
        reference: Mapping[Any, float],
        current: Mapping[Any, float],
        column: str | None = None,
    ) -> CategoryCounts:
        """Align two ``{level: count}`` mappings (levels missing from one side count 0)."""
        names: dict[str, int] = {}
        for side, counts in (("reference", reference), ("current", current)):
            if not isinstance(counts, Mapping):
                raise DataError(
                    fail(
                        f"{_where(column, side)} counts are a {type(counts).__name__}",
                        "pass a mapping {level: count}",
                    )
                )
            for level in counts:
                names.setdefault(level_name(level), len(names))
        arrays = []
        for side, counts in (("reference", reference), ("current", current)):
            arr = np.zeros(len(names), dtype=np.int64)
            for level, value in counts.items():
                ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
                    value, bool
                )
                if not ok or not math.isfinite(value) or value < 0 or value != int(value):
                    raise DataError(
                        fail(
                            f"{_where(column, side)} count of level {level_name(level)!r} is "
                            f"{value!r}",
                            "pass non-negative whole numbers",
                        )
                    )
                arr[names[level_name(level)]] += int(value)
            if arr.sum() == 0:
                raise DataError(
                    fail(f"{_where(column, side)} counts are all zero", "pass at least one row")
                )
            arrays.append(arr)
        return cls(levels=tuple(names), reference=arrays[0], current=arrays[1])


def _where(column: str | None, side: str) -> str:
    return f"column {column!r}: {side}" if column is not None else side


class CategoricalDriftTest(DriftTest):
    """Base of the tests computed from a 2 x K table of level counts.

    Subclasses implement :meth:`_compute_counts`; both :meth:`test` (raw samples) and
    :meth:`test_counts` (stored counts) reach it.
    """

    kind: ClassVar[str] = "categorical"
    input_type: ClassVar[str] = "categorical"

    def test_counts(
        self,
        reference_counts: Mapping[Any, float],
        current_counts: Mapping[Any, float],
        *,
        column: str | None = None,
    ) -> DriftResult:
        """Run the test on ``{level: count}`` mappings instead of raw samples.

        >>> from driftline.drift import ChiSquare
        >>> r = ChiSquare().test_counts({"a": 500, "b": 500}, {"a": 400, "b": 600})
        >>> round(r.effect_size, 2), r.is_drift
        (0.1, True)
        """
        self.check_params()
        counts = CategoryCounts.from_mappings(reference_counts, current_counts, column)
        return self._result(
            self._compute_counts(counts), column, counts.n_reference, counts.n_current
        )

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        return self._compute_counts(CategoryCounts.from_samples(reference, current))

    @abstractmethod
    def _compute_counts(self, counts: CategoryCounts) -> _Computed:
        """Compute statistic, p-value and effect size from the count table."""
