"""Input validation: one message style naming the column, the side and the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.drift.inputs import (
    as_categorical,
    as_frame,
    as_labels,
    as_numeric,
    as_outcomes,
    as_probabilities,
    coerce_pair,
)
from driftline.errors import DataError


def test_nan_message_counts_and_locates() -> None:
    x = np.array([1.0, np.nan, 2.0, np.nan])
    with pytest.raises(DataError) as err:
        as_numeric(x, "age", "current")
    msg = str(err.value)
    assert msg.startswith("column 'age': current has 2 NaN values (first at row 1): ")


def test_inf_is_rejected() -> None:
    with pytest.raises(DataError, match="1 infinite values"):
        as_numeric([1.0, np.inf], "x", "reference")


def test_pandas_nullable_integers_with_na_are_rejected() -> None:
    with pytest.raises(DataError, match="1 NaN values"):
        as_numeric(pd.Series([1, None, 3], dtype="Int64"), "n", "current")
    assert as_numeric(pd.Series([1, 2], dtype="Int64")).tolist() == [1.0, 2.0]


def test_strings_are_not_numeric() -> None:
    with pytest.raises(DataError, match="column 's': current is not numeric"):
        as_numeric(["a", "b"], "s", "current")


@pytest.mark.parametrize("bad", [[], np.zeros((3, 2)), pd.DataFrame({"a": [1.0]})])
def test_shape_and_emptiness(bad: object) -> None:
    with pytest.raises(DataError, match="column 'x': reference"):
        as_numeric(bad, "x", "reference")


def test_categorical_keeps_missing_labels_reject_it() -> None:
    values = pd.Series(["a", None, "b"])
    kept = as_categorical(values)
    assert len(kept) == 3 and pd.isna(kept[1]) and kept[0] == "a"
    with pytest.raises(DataError, match="1 missing labels .first at row 1.: drop unlabelled"):
        as_labels(values, "y", "current")


def test_probabilities_checks() -> None:
    ok = np.array([[0.2, 0.8], [0.5, 0.5]])
    assert as_probabilities(ok).shape == (2, 2)
    with pytest.raises(DataError, match="outside \\[0, 1\\]"):
        as_probabilities(ok * 2)
    with pytest.raises(DataError, match="one column per class"):
        as_probabilities(ok[:, :1])
    with pytest.raises(DataError, match="2 classes, the reference 3"):
        coerce_pair("probabilities", np.full((2, 3), 1 / 3), ok, None)


def test_outcomes_forms() -> None:
    assert as_outcomes([True, False]).tolist() == [1.0, 0.0]
    y_true, y_pred = as_outcomes((["a", "b"], ["a", "a"]))
    assert (y_true == y_pred).tolist() == [True, False]
    with pytest.raises(DataError, match="2 labels but 1 predictions"):
        as_outcomes((["a", "b"], ["a"]), "m", "current")
    with pytest.raises(DataError, match="values other than 0 and 1"):
        as_outcomes([0, 2])


def test_frame_allows_nan_rejects_inf_and_names_the_column() -> None:
    frame = pd.DataFrame({"x": np.r_[np.nan, np.arange(11.0)], "c": ["a"] * 12})
    assert as_frame(frame) is frame
    frame.loc[4, "x"] = -np.inf
    with pytest.raises(DataError, match="current column 'x' has 1 infinite values"):
        as_frame(frame, None, "current")
    with pytest.raises(DataError, match="missing \\['c'\\]"):
        coerce_pair(
            "frame",
            frame.fillna(0).replace(-np.inf, 0),
            frame[["x"]].fillna(0).replace(-np.inf, 0),
            None,
        )
