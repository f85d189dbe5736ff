"""Category counts shared by the categorical tests."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.drift import CategoryCounts, ChiSquare
from driftline.errors import DataError


def test_counts_from_mappings_align_levels() -> None:
    c = CategoryCounts.from_mappings({"a": 3, "b": 1}, {"b": 2, "c": 5, None: 1})
    assert c.levels == ("a", "b", "c", "<null>")
    assert c.reference.tolist() == [3, 1, 0, 0] and c.current.tolist() == [0, 2, 5, 1]
    assert c.unseen() == ["c", "<null>"] and c.vanished() == ["a"]


@pytest.mark.parametrize(
    ("ref", "match"),
    [({"a": -1}, "is -1"), ({"a": 1.5}, "is 1.5"), ({"a": 0}, "all zero"), (["a"], "are a list")],
)
def test_bad_counts_raise(ref: object, match: str) -> None:
    with pytest.raises(DataError, match=match):
        ChiSquare().test_counts(ref, {"a": 1}, column="c")  # type: ignore[arg-type]


def test_listing_is_capped() -> None:
    ref = np.array(["a"] * 100)
    cur = np.array([f"id{i}" for i in range(50)])
    r = ChiSquare().test(ref, cur)
    assert len(r.details["unseen_levels"]) == 20 and r.details["n_unseen_levels"] == 50


def test_large_string_columns() -> None:
    rng = np.random.default_rng(0)
    levels = np.array([f"level-{i}" for i in range(50)])
    c = CategoryCounts.from_samples(
        levels[rng.integers(0, 50, 200_000)], levels[rng.integers(0, 50, 100_000)]
    )
    assert c.n_reference == 200_000 and c.n_current == 100_000 and len(c.levels) == 50
