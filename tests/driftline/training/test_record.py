from types import SimpleNamespace as S

import numpy as np
import pandas as pd
import pytest

from driftline.training import LabelledPolicy
from driftline.training import record as track


class Echo:
    """A 'model' that predicts the column x."""

    def predict(self, X):
        return X["x"].to_numpy()


def test_out_of_sample_batches():
    assert track.out_of_sample("b1", ["b0", "b1", "b2"]) == ["b2"]
    assert track.out_of_sample("b2", ["b0", "b1", "b2"]) == []
    assert track.out_of_sample(None, ["b0"]) == ["b0"]


def test_champion_record_uses_labelled_rows_only():
    frames = [
        pd.DataFrame({"x": [1, 0, 1], "y": [1.0, np.nan, 0.0]}),
        pd.DataFrame({"x": [1], "y": [np.nan]}),  # nothing labelled: skipped
    ]
    record = track.champion_record(Echo(), frames, "y", ["x"])
    assert len(record) == 1
    y, pred = record[0]
    assert y.tolist() == [1, 0] and pred.tolist() == [1, 1]


def test_alarm_history_reads_stored_reports_into_the_policy_episode():
    reports = {"a": {"kinds": ["covariate"]}, "b": {"kinds": ["concept"]}, "c": None}
    alarms = track.alarm_history(["a", "b", "c"], reports.get)
    assert alarms == [("a", False), ("b", True), ("c", False)]
    episode = LabelledPolicy(gate_batches=3).episode([*alarms, ("d", True)])
    assert (episode.start, episode.length, episode.change_point) == ("d", 1, "d")


def test_uninformed_labels_from_a_profile():
    assert track.uninformed_labels(S(counts={"a": 1, "b": 5}), np.array(["a", "b"])).tolist() == [
        "b"
    ]
    assert track.uninformed_labels(S(counts={"1.0": 9, "0.0": 1}), np.array([0, 1])).tolist() == [1]
    median = S(quantile=lambda q: np.array([q * 10]))
    assert track.uninformed_labels(median, np.array([1.0])).tolist() == [5.0]


def test_performance_summary_for_regression_and_without_a_record():
    from driftline.training.record import performance_summary

    y = np.array([1.0, 2.0, 3.0])
    out = performance_summary((y, y + np.array([0.5, -0.5, 1.0])), [], "regression")
    assert out == {
        "mae": pytest.approx(2.0 / 3.0),
        "reference_mae": None,
        "n_labels": 3,
        "n_reference": 0,
    }
    ref = [(y, y + 1.0), (y, y)]
    assert performance_summary((y, y), ref, "regression")["reference_mae"] == pytest.approx(0.5)
