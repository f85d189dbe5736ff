"""Per-batch series helpers shared by the backtest tables and charts.

>>> rolling_mean([1.0, 2.0, 3.0, 4.0], 2).tolist()
[1.5, 2.5, 3.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Name of the row-level "previous label" reference (Zliobaite, 2013).
BASELINE = "previous label"


def rolling_mean(values: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Means of every ``window`` consecutive values (all values when there are fewer)."""
    v = np.asarray(values, dtype=float)
    w = max(1, min(int(window), len(v)))
    c = np.concatenate([[0.0], np.cumsum(v)])
    return (c[w:] - c[:-w]) / w
