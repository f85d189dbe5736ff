"""prediction_summary: numeric quantiles and histograms, class frequencies."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import DataError
from driftline.monitoring import prediction_summary


def test_numeric_summary_matches_numpy():
    x = np.random.default_rng(3).normal(2.0, 0.5, size=2000)
    x[:10] = np.nan
    s = prediction_summary(x, bins=8)
    finite = x[np.isfinite(x)]
    assert (s["kind"], s["n"], s["missing"]) == ("numeric", 2000, 10)
    assert s["mean"] == pytest.approx(finite.mean())
    assert s["std"] == pytest.approx(finite.std(ddof=1))
    assert s["quantiles"]["p50"] == pytest.approx(np.median(finite))
    assert sum(s["histogram"]["counts"]) == finite.size
    assert len(s["histogram"]["edges"]) == 9


def test_probabilities_use_the_positive_class_column():
    p = np.random.default_rng(4).uniform(size=(100, 1))
    proba = np.hstack([1 - p, p])
    assert prediction_summary(proba)["mean"] == pytest.approx(p.mean())


def test_labels_give_class_frequencies():
    s = prediction_summary(np.array(["UP", "DOWN", "UP", None], dtype=object))
    assert s["kind"] == "classes"
    assert s["classes"] == {
        "DOWN": pytest.approx(1 / 3, abs=1e-6),
        "UP": pytest.approx(2 / 3, abs=1e-6),
    }
    assert s["missing"] == 1
    ints = prediction_summary(np.random.default_rng(5).integers(0, 2, size=300))
    assert set(ints["classes"]) == {"0", "1"} and sum(ints["classes"].values()) == pytest.approx(1)


@pytest.mark.parametrize("values", [[], [np.nan, np.inf]])
def test_nothing_to_summarise_is_a_data_error(values):
    with pytest.raises(DataError):
        prediction_summary(np.array(values, dtype=float))
