"""Input validation of the drift tests: one place, one message style.

Every :class:`~driftline.drift.base.DriftTest` names its accepted input form in the
class attribute ``input_type``; :func:`coerce_pair` validates and converts both samples
with the matching coercer below and raises :class:`~driftline.errors.DataError` with a
message naming the column, the side (reference/current) and the problem.

=================  ==================================================================
``input_type``     accepted form (each side)
=================  ==================================================================
``numeric``        1-D array-like of finite numbers (NaN and inf rejected)
``categorical``    1-D array-like of any hashable values; missing values (None, NaN,
                   pd.NA) are kept and become their own level ``"<null>"``
``labels``         1-D array-like of class labels; missing values rejected
``frame``          pandas DataFrame (or 2-D array) with the same columns on both
                   sides and at least ``MIN_FRAME_ROWS`` rows; numeric columns may hold
                   NaN (a missing value) but not inf; other columns are categorical
``probabilities``  2-D array (rows x classes, at least 2 classes, same number on both
                   sides) of finite probabilities in [0, 1]
``outcomes``       1-D 0/1 (or bool) correctness vector, or a ``(y_true, y_pred)`` pair
                   of equal-length 1-D arrays (both sides in the same form)
``binary``         1-D 0/1 (or bool) stream, e.g. a model's error indicators
``stream``         1-D array-like of finite numbers in stream order
=================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, fail

MIN_FRAME_ROWS = 10


def _where(column: str | None, side: str) -> str:
    return f"column {column!r}: {side}" if column is not None else side


def _array_1d(x: Any, column: str | None, side: str, dtype: Any = None) -> np.ndarray:
    if isinstance(x, pd.DataFrame):
        raise DataError(
            fail(
                f"{_where(column, side)} is a DataFrame with shape {x.shape}",
                "pass one column (a 1-D array or Series)",
            )
        )
    try:
        if dtype is not None and hasattr(x, "to_numpy"):
            arr = np.asarray(x.to_numpy(dtype=dtype, na_value=np.nan))
        else:
            arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        what = "is not numeric" if dtype is not None else "cannot be read as an array"
        raise DataError(
            fail(f"{_where(column, side)} {what} ({exc})", "pass a 1-D array of numbers")
        ) from exc
    if arr.ndim != 1:
        raise DataError(
            fail(
                f"{_where(column, side)} has shape {arr.shape}",
                "pass a 1-D array (one value per row)",
            )
        )
    if arr.size == 0:
        raise DataError(fail(f"{_where(column, side)} is empty", "pass at least one row"))
    return arr


def _check_finite(arr: np.ndarray, column: str | None, side: str, allow_nan: bool = False) -> None:
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        first = np.unravel_index(int(np.argmax(bad.ravel())), arr.shape)
        first_s = str(first[0]) if len(first) == 1 else str(tuple(int(i) for i in first))
        parts = [
            f"{n_nan} NaN" if n_nan and not allow_nan else "",
            f"{n_inf} infinite" if n_inf else "",
        ]
        raise DataError(
            fail(
                f"{_where(column, side)} has {' and '.join(p for p in parts if p)} values "
                f"(first at row {first_s})",
                "drop or impute them before testing",
            )
        )


def as_numeric(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """1-D float64 array of finite values."""
    arr = _array_1d(x, column, side, dtype=np.float64)
    _check_finite(arr, column, side)
    return arr


def as_categorical(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """1-D array of category values; missing values are kept (their own level)."""
    if hasattr(x, "to_numpy") and not isinstance(x, pd.DataFrame):
        x = x.to_numpy()
    return _array_1d(x, column, side)


def as_labels(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """1-D array of class labels without missing values."""
    arr = as_categorical(x, column, side)
    missing = pd.isna(arr)
    if missing.any():
        raise DataError(
            fail(
                f"{_where(column, side)} has {int(missing.sum())} missing labels "
                f"(first at row {int(np.argmax(missing))})",
                "drop unlabelled rows before testing label shift",
            )
        )
    return arr


def as_binary(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """1-D float64 array of 0/1 values."""
    arr = as_numeric(x, column, side)
    bad = (arr != 0) & (arr != 1)
    if bad.any():
        raise DataError(
            fail(
                f"{_where(column, side)} has {int(bad.sum())} values other than 0 and 1 "
                f"(first at row {int(np.argmax(bad))}: {arr[bad][0]!r})",
                "pass 0/1 indicators (1 = error / correct, as the test documents)",
            )
        )
    return arr


def as_outcomes(x: Any, column: str | None = None, side: str = "data") -> Any:
    """A 0/1 correctness vector, or a ``(y_true, y_pred)`` pair of equal-length arrays."""
    if isinstance(x, tuple):
        if len(x) != 2:
            raise DataError(
                fail(
                    f"{_where(column, side)} is a tuple of {len(x)} items",
                    "pass a (y_true, y_pred) pair or a 0/1 correctness vector",
                )
            )
        y_true = as_labels(x[0], column, f"{side} y_true")
        y_pred = as_labels(x[1], column, f"{side} y_pred")
        if len(y_true) != len(y_pred):
            raise DataError(
                fail(
                    f"{_where(column, side)} has {len(y_true)} labels but {len(y_pred)} "
                    "predictions",
                    "pass y_true and y_pred of the same length",
                )
            )
        return (y_true, y_pred)
    return as_binary(x, column, side)


def as_stream(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """1-D float64 array of finite values in stream order."""
    return as_numeric(x, column, side)


def as_probabilities(x: Any, column: str | None = None, side: str = "data") -> np.ndarray:
    """2-D float64 array (rows x classes) of finite probabilities in [0, 1]."""
    try:
        arr = np.asarray(
            x.to_numpy(dtype=np.float64) if hasattr(x, "to_numpy") else x, dtype=np.float64
        )
    except (TypeError, ValueError) as exc:
        raise DataError(
            fail(f"{_where(column, side)} is not numeric ({exc})", "pass predicted probabilities")
        ) from exc
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise DataError(
            fail(
                f"{_where(column, side)} has shape {arr.shape}",
                "pass a 2-D matrix of predicted probabilities, one column per class (>= 2)",
            )
        )
    if arr.shape[0] == 0:
        raise DataError(fail(f"{_where(column, side)} is empty", "pass at least one row"))
    _check_finite(arr, column, side)
    if (arr < 0).any() or (arr > 1).any():
        raise DataError(
            fail(
                f"{_where(column, side)} has values outside [0, 1]",
                "pass probabilities (e.g. model.predict_proba output), not scores or logits",
            )
        )
    return arr


def as_frame(x: Any, column: str | None = None, side: str = "data") -> pd.DataFrame:
    """DataFrame with at least ``MIN_FRAME_ROWS`` rows and no infinite values."""
    if isinstance(x, pd.DataFrame):
        frame = x
    else:
        arr = np.asarray(x)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise DataError(
                fail(
                    f"{_where(column, side)} has shape {arr.shape}", "pass a DataFrame or 2-D array"
                )
            )
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[1] == 0:
        raise DataError(fail(f"{_where(column, side)} has no columns", "pass at least one feature"))
    if len(frame) < MIN_FRAME_ROWS:
        raise DataError(
            fail(
                f"{_where(column, side)} has {len(frame)} rows",
                f"pass at least {MIN_FRAME_ROWS} rows (the test trains and holds out a classifier)",
            )
        )
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            _check_finite(values, column, f"{side} column {str(name)!r}", allow_nan=True)
    return frame


def _pair_frame(ref: pd.DataFrame, cur: pd.DataFrame, column: str | None) -> None:
    if list(ref.columns) != list(cur.columns):
        missing = [c for c in ref.columns if c not in cur.columns]
        extra = [c for c in cur.columns if c not in ref.columns]
        raise DataError(
            fail(
                f"{_where(column, 'current')} columns differ from the reference "
                f"(missing {missing}, unexpected {extra})",
                "pass both frames with the same columns in the same order",
            )
        )


def _pair_probabilities(ref: np.ndarray, cur: np.ndarray, column: str | None) -> None:
    if ref.shape[1] != cur.shape[1]:
        raise DataError(
            fail(
                f"{_where(column, 'current')} has {cur.shape[1]} classes, the reference "
                f"{ref.shape[1]}",
                "pass probability matrices of the same model (same classes)",
            )
        )


def _pair_outcomes(ref: Any, cur: Any, column: str | None) -> None:
    if isinstance(ref, tuple) != isinstance(cur, tuple):
        raise DataError(
            fail(
                f"{_where(column, 'current')} and the reference are in different forms",
                "pass both as 0/1 correctness vectors or both as (y_true, y_pred) pairs",
            )
        )


COERCERS: dict[str, Callable[[Any, str | None, str], Any]] = {
    "numeric": as_numeric,
    "categorical": as_categorical,
    "labels": as_labels,
    "frame": as_frame,
    "probabilities": as_probabilities,
    "outcomes": as_outcomes,
    "binary": as_binary,
    "stream": as_stream,
}
_PAIR_CHECKS: dict[str, Callable[[Any, Any, str | None], None]] = {
    "frame": _pair_frame,
    "probabilities": _pair_probabilities,
    "outcomes": _pair_outcomes,
}


def coerce_pair(
    input_type: str, reference: Any, current: Any, column: str | None
) -> tuple[Any, Any]:
    """Validate and convert both samples for a test whose ``input_type`` is given.

    >>> ref, cur = coerce_pair("numeric", [1, 2, 3], [2.5, 4], "x")
    >>> cur
    array([2.5, 4. ])
    >>> coerce_pair("numeric", [1, 2], [1, float("nan")], "x")
    Traceback (most recent call last):
    ...
    driftline.errors.DataError: column 'x': current has 1 NaN values (first at row 1): drop or impute them before testing
    """
    coerce = COERCERS[input_type]
    ref = coerce(reference, column, "reference")
    cur = coerce(current, column, "current")
    check = _PAIR_CHECKS.get(input_type)
    if check is not None:
        check(ref, cur, column)
    return ref, cur
