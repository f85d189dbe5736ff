"""Multiple-testing corrections: adjusted p-values.

Each function takes a sequence of p-values, where ``None`` or NaN marks a test without a
p-value, and returns a float array of the same length: adjusted p-values for the valid
entries (the family size ``m`` counts only those) and NaN elsewhere. Reject hypothesis
``i`` at level ``alpha`` when ``adjusted[i] < alpha`` (or ``<=``, as in statsmodels).

* :func:`bonferroni`: ``min(1, m p)`` (Dunn, 1961); controls the family-wise error rate.
* :func:`holm`: step-down Bonferroni (Holm, 1979); FWER, uniformly more powerful.
* :func:`benjamini_hochberg`: step-up (Benjamini & Hochberg, 1995); controls the false
  discovery rate under independence or positive dependence.

>>> p = [0.01, 0.04, None, 0.03, 0.005]
>>> bonferroni(p).round(3).tolist()
[0.04, 0.16, nan, 0.12, 0.02]
>>> holm(p).round(3).tolist()
[0.03, 0.06, nan, 0.06, 0.02]
>>> benjamini_hochberg(p).round(3).tolist()
[0.02, 0.04, nan, 0.04, 0.02]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from driftline.errors import DataError, fail


def _valid(p_values: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([np.nan if p is None else p for p in p_values], dtype=np.float64, ndmin=1)
    if values.ndim != 1:
        raise DataError(fail(f"p-values have shape {values.shape}", "pass a flat sequence"))
    valid = ~np.isnan(values)
    bad = valid & ((values < 0) | (values > 1))
    if bad.any():
        raise DataError(
            fail(f"p-value {values[bad][0]!r} is outside [0, 1]", "pass probabilities, or None")
        )
    return values, valid


def bonferroni(p_values: Iterable[float | None]) -> np.ndarray:
    """Bonferroni-adjusted p-values ``min(1, m p)``."""
    values, valid = _valid(p_values)
    out = np.full(len(values), np.nan)
    out[valid] = np.minimum(1.0, values[valid] * valid.sum())
    return out


def holm(p_values: Iterable[float | None]) -> np.ndarray:
    """Holm step-down adjusted p-values: running max of ``(m - i) p_(i)`` (0-based i)."""
    values, valid = _valid(p_values)
    out = np.full(len(values), np.nan)
    p = values[valid]
    m = len(p)
    if m == 0:
        return out
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    result = np.empty(m)
    result[order] = adjusted
    out[valid] = result
    return out


def benjamini_hochberg(p_values: Iterable[float | None]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values): running min from the top of
    ``m p_(i) / i`` (1-based i)."""
    values, valid = _valid(p_values)
    out = np.full(len(values), np.nan)
    p = values[valid]
    m = len(p)
    if m == 0:
        return out
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    result = np.empty(m)
    result[order] = adjusted
    out[valid] = result
    return out
